/** How the CLI shows presence to a person. Pure string building. */
import type { PresenceView } from '../node/presence/index.js'

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

export function describe (v: PresenceView, now: number = Date.now()): string {
  const parts: string[] = [v.status]
  if (v.activity != null) parts.push(`(${v.activity})`)
  if (v.note != null && v.note !== '') parts.push(`— ${v.note}`)
  if (v.status === 'offline') parts.push(v.lastSeen != null ? `(last seen ${ago(v.lastSeen, now)})` : '(never seen)')
  return parts.join(' ')
}

/** One line for a change in a watched presentity's presence. */
export function presenceLine (v: PresenceView, now: number = Date.now()): string {
  return `[${clock(now)}] ${label(v)} is ${describe(v, now)}`
}

export function whoTable (views: PresenceView[], now: number = Date.now()): string {
  if (views.length === 0) return 'nobody watched yet: /watch <peer id> [alias]'
  return views
    .map(v => `  ${label(v).padEnd(16)} ${describe(v, now)}\n  ${''.padEnd(16)} ${v.peerId}`)
    .join('\n')
}
