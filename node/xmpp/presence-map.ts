/**
 * Presence between the mesh and XMPP (docs/xmpp.md has the same tables).
 *
 *   a contact on the mesh    the owner's client gets
 *   online                   available, no <show>
 *   away                     <show>away</show>
 *   busy, dnd                <show>dnd</show>
 *   offline                  unavailable
 *
 *   the owner's client sends          the node announces
 *   available, no <show> or chat      online
 *   away, xa                          away
 *   dnd                               dnd
 *   unavailable (its last resource)   offline
 *
 * A contact's note is the presence <status>, its activity in parentheses
 * before it; the client's <status> becomes the node's note.
 */
import { xml } from '@xmpp/xml'
import { contactCaps } from './disco.js'
import { NS, safeText } from './stanzas.js'
import type { JidMapper } from './jid.js'
import type { PresenceView } from '../presence/index.js'
import type { PresenceStatus } from '../../protocol/presence-record.js'
import type { Element } from '@xmpp/xml'

export type Show = 'chat' | 'away' | 'xa' | 'dnd'

export const SHOW_OF: Record<Exclude<PresenceStatus, 'offline'>, Show | undefined> = {
  online: undefined,
  away: 'away',
  busy: 'dnd',
  dnd: 'dnd'
}

/** The node status a client's <show> stands for (absent or unknown: online). */
export function statusFromShow (show: string | undefined): PresenceStatus {
  switch (show) {
    case 'away':
    case 'xa':
      return 'away'
    case 'dnd':
      return 'dnd'
    default:
      return 'online'
  }
}

/** The <status> text of a contact's presence. */
export function statusText (view: Pick<PresenceView, 'note' | 'activity'>): string | undefined {
  const parts: string[] = []
  if (view.activity != null && view.activity !== '') parts.push(`(${view.activity})`)
  if (view.note != null && view.note !== '') parts.push(view.note)
  return parts.length > 0 ? safeText(parts.join(' ')) : undefined
}

/** A contact's presence as the owner's client gets it. */
export function contactPresence (jids: JidMapper, view: PresenceView, to: string): Element {
  const from = jids.fullOf(view.peerId)
  if (view.status === 'offline') {
    return xml('presence', { from, to, type: 'unavailable' })
  }
  const show = SHOW_OF[view.status]
  const status = statusText(view)
  return xml('presence', { from, to },
    show != null ? xml('show', {}, show) : null,
    status != null ? xml('status', {}, status) : null,
    contactCaps())
}

/** The owner's presence as a client sent it, echoed to each of the owner's resources (RFC 6121 §4.2.2). */
export function ownerPresence (from: string, to: string, available: boolean, show?: string, status?: string, priority = 0): Element {
  if (!available) return xml('presence', { from, to, type: 'unavailable' })
  return xml('presence', { from, to },
    show != null ? xml('show', {}, show) : null,
    status != null ? xml('status', {}, status) : null,
    priority !== 0 ? xml('priority', {}, String(priority)) : null)
}

/** The show and status a client's available presence carries. */
export function readPresence (el: Element, now: number = Date.now()): { show?: Show, status?: string, priority: number, idleSince?: number } {
  const show = el.getChildText('show') ?? undefined
  const status = el.getChildText('status') ?? undefined
  const p = Number.parseInt(el.getChildText('priority') ?? '0', 10)
  // XEP-0319: the client's user is idle since then (a time in the future, or none that parses, is ignored)
  const since = Date.parse(el.getChild('idle', NS.idle)?.attrs.since ?? '')
  return {
    show: show === 'chat' || show === 'away' || show === 'xa' || show === 'dnd' ? show : undefined,
    status: status != null && status.trim() !== '' ? status.trim() : undefined,
    priority: Number.isFinite(p) ? Math.max(-128, Math.min(127, p)) : 0,
    idleSince: Number.isFinite(since) && since <= now ? since : undefined
  }
}

export const CHAT_STATES = ['active', 'composing', 'paused', 'inactive', 'gone'] as const
export type ChatState = typeof CHAT_STATES[number]

/** The XEP-0085 chat state a message carries, if any. */
export function chatStateOf (el: Element): ChatState | undefined {
  for (const child of el.getChildElements()) {
    if (child.getNS() === NS.chatStates && (CHAT_STATES as readonly string[]).includes(child.getName())) return child.getName() as ChatState
  }
  return undefined
}
