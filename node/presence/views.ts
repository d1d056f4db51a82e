/** What a watcher shows for a presentity, derived from the records it accepted. Pure. */
import type { PresenceView } from './index.js'
import type { Presence } from '../../protocol/presence-record.js'

/** Whether a person would see a difference (status, note, activity). */
export const sameShown = (a: PresenceView, b: PresenceView): boolean =>
  a.status === b.status && a.note === b.note && a.activity === b.activity

/**
 * The view of a record accepted at `now`. Expiry follows the local clock from
 * receipt, capped by the record's own expiry plus the allowed skew: a skewed
 * clock can neither flap nor prolong (docs/protocol.md §5).
 */
export function acceptedView (peerId: string, p: Presence, now: number, maxClockSkewMs: number): PresenceView {
  const online = p.status !== 'offline'
  const expiresAt = Math.min(now + (p.expiresAt - p.issuedAt), p.expiresAt + maxClockSkewMs)
  return {
    peerId,
    status: p.status,
    note: p.note,
    activity: p.activity,
    seq: p.seq,
    lastSeen: now,
    expiresAt: online ? expiresAt : undefined
  }
}
