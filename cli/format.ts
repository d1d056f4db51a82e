/** How the CLI shows presence to a person. Pure string building. */
import { painter } from './style.js'
import type { Paint, Style } from './style.js'
import type { ChatMessage, ContactInfo, PendingRequest, PresenceView } from '../node/index.js'

const plain = painter(false)

const STATUS_STYLE: Record<PresenceView['status'], Style> = {
  online: 'green', away: 'yellow', busy: 'magenta', dnd: 'red', offline: 'grey'
}

export function clock (t: number = Date.now()): string {
  return new Date(t).toTimeString().slice(0, 8)
}

export function ago (t: number, now: number = Date.now()): string {
  const s = Math.max(0, Math.round((now - t) / 1000))
  if (s < 60) return `${s}s ago`
  if (s < 3600) return `${Math.round(s / 60)}m ago`
  if (s < 86_400) return `${Math.round(s / 3600)}h ago`
  return `${Math.round(s / 86_400)}d ago`
}

export function label (v: Pick<PresenceView, 'alias' | 'peerId'>): string {
  return v.alias ?? `${v.peerId.slice(0, 8)}…${v.peerId.slice(-6)}`
}

export function describe (v: PresenceView, now: number = Date.now(), paint: Paint = plain): string {
  const parts: string[] = [paint(STATUS_STYLE[v.status], v.status)]
  if (v.activity != null) parts.push(`(${v.activity})`)
  if (v.note != null && v.note !== '') parts.push(`— ${v.note}`)
  if (v.status === 'offline') parts.push(v.lastSeen != null ? `(last seen ${ago(v.lastSeen, now)})` : '(never seen)')
  return parts.join(' ')
}

/**
 * One line for a change in a watched presentity's presence: coming online and
 * going offline read as events, anything else as the new state.
 */
export function presenceLine (v: PresenceView, before: PresenceView['status'] | undefined, now: number = Date.now(), paint: Paint = plain): string {
  const who = paint('bold', label(v))
  const at = paint('dim', `[${clock(now)}]`)
  if (v.status === 'offline') return `${at} ${who} ${paint('grey', 'went offline')}`
  if (before == null || before === 'offline') return `${at} ${who} ${paint('green', 'came online')}: ${describe(v, now, paint)}`
  return `${at} ${who} is ${describe(v, now, paint)}`
}

export function whoTable (views: PresenceView[], now: number = Date.now(), paint: Paint = plain, unread: (peerId: string) => number = () => 0): string {
  if (views.length === 0) return 'nobody watched yet: /watch <peer id> [alias]'
  return views
    .map(v => {
      const n = unread(v.peerId)
      const badge = n > 0 ? ' ' + paint('cyan', `(${n} unread)`) : ''
      return `  ${paint('bold', label(v).padEnd(16))} ${describe(v, now, paint)}${badge}\n  ${''.padEnd(16)} ${paint('dim', v.peerId)}`
    })
    .join('\n')
}

const STATE_MARK: Record<ChatMessage['state'], string> = { queued: '…', sent: '✓', delivered: '✓✓', read: '✓✓ read' }

/** One chat line: incoming `[time] bob: text`, outgoing `[time] → bob: text ✓✓`. */
export function messageLine (m: ChatMessage, who: string, paint: Paint = plain): string {
  const at = paint('dim', `[${clock(m.direction === 'in' ? m.receivedAt ?? m.sentAt : m.sentAt)}]`)
  return m.direction === 'in'
    ? `${at} ${paint('bold', who)}: ${m.text}`
    : `${at} → ${paint('bold', who)}: ${m.text} ${paint('dim', STATE_MARK[m.state])}`
}

/** A delivery-state change of an outgoing message, shown briefly. */
export function stateLine (m: ChatMessage, who: string, paint: Paint = plain): string {
  const text = m.text.length > 30 ? `${m.text.slice(0, 29)}…` : m.text
  return paint('dim', `[${clock()}] → ${who}: "${text}" ${m.state}`)
}

export interface ContactsSnapshot {
  contacts: ContactInfo[]
  incoming: PendingRequest[]
  outgoing: PendingRequest[]
}

/** Contacts, then requests waiting on you, then yours waiting on others. */
export function contactsTable (snap: ContactsSnapshot, name: (peerId: string) => string, paint: Paint = plain): string[] {
  const lines = snap.contacts.map(c =>
    `  ${paint('bold', name(c.peerId).padEnd(16))} ${c.blocked ? paint('red', 'blocked') : `sees ${c.view === 'full' ? 'everything' : 'status only'}`}  ${paint('dim', c.peerId)}`)
  if (lines.length === 0) lines.push('no contacts yet: /request <peer id> [greeting]')
  for (const r of snap.incoming) lines.push(`  ${paint('cyan', 'asks you')}: ${r.peerId}${r.greeting != null ? ` "${r.greeting}"` : ''} (/accept or /deny)`)
  for (const r of snap.outgoing) lines.push(`  ${paint('dim', 'you asked')}: ${name(r.peerId)} (${r.delivered === true ? 'delivered, waiting for an answer' : 'not delivered yet'})`)
  return lines
}
