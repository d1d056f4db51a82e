/**
 * Expiry judged against the watcher's own lag (docs/protocol.md §5).
 *
 * A record's local expiry is a timer. Node runs due timers before it reads
 * the sockets, so when the event loop was blocked (a busy or starved process),
 * the expiry timer fires first and the heartbeats that arrived meanwhile are
 * read only after it: the view would turn offline although the presentity
 * kept sending. So a timer never ends a view at once. When it fires on time,
 * the check is repeated after one more turn of the event loop (what has
 * arrived is read first); when it fires late, the node was blind for that
 * long, and it waits as long again before it looks, up to a third of the
 * record's lifetime (one heartbeat) in all. A crashed presentity therefore
 * turns offline within its TTL plus at most a third of it, and within the
 * TTL when the watcher is not overloaded.
 */

/** Timer lateness up to this is ordinary scheduling, not a blocked event loop. */
export const EXPIRY_LAG_TOLERANCE_MS = 100
/** The grace for a late timer is at most this share of the record's lifetime. */
export const EXPIRY_MAX_GRACE_FRACTION = 1 / 3

/**
 * How long to wait before looking again, or 0 to turn the view offline now.
 * `expiresAt`: the record's local expiry; `due`: when this firing was due
 * (expiresAt for the first); `now`: when it fired; `lifetimeMs`: the
 * record's TTL.
 */
export function expiryRecheckMs (expiresAt: number, due: number, now: number, lifetimeMs: number): number {
  const late = now - due
  if (late <= EXPIRY_LAG_TOLERANCE_MS) return due === expiresAt ? 1 : 0
  const graceLeft = Math.floor(lifetimeMs * EXPIRY_MAX_GRACE_FRACTION) - (now - expiresAt)
  return graceLeft > 0 ? Math.min(late, graceLeft) : 0
}
