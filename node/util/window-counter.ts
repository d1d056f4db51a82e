/**
 * Counts calls per key in fixed windows: at most `points` per key in each
 * window of `windowMs`, the window starting at the key's first call. The
 * same rule as @libp2p/utils' RateLimiter, which the node used before: that
 * one makes two Date objects per call and a timer per key and window
 * (5.4 µs a call at p50 when calls come a millisecond apart, against 0.8 µs here;
 * docs/benchmarks.md, group delivery, session 16). Every rate limit of the
 * node counts here (chat frames, contact messages, category queries,
 * instance checks, group sends, receives and catch-up). Windows that ended are
 * dropped when a new key comes while `maxKeys` are held, at most once per
 * window (a sweep is a pass over every key), so memory follows the keys of
 * the last two windows.
 */
export class WindowCounter {
  private readonly windows = new Map<string, { start: number, count: number }>()
  private nextSweep = -Infinity

  constructor (private readonly points: number, private readonly windowMs: number, private readonly maxKeys = 10_000, private readonly now: () => number = Date.now) {}

  /** Counts a call for `key`: false when the key used up its points in this window (the call is not counted). */
  take (key: string): boolean {
    const t = this.now()
    let w = this.windows.get(key)
    if (w == null || t - w.start >= this.windowMs) {
      if (w == null && this.windows.size >= this.maxKeys && t >= this.nextSweep) this.dropEnded(t)
      w = { start: t, count: 0 }
      this.windows.set(key, w)
    }
    if (w.count >= this.points) return false
    w.count++
    return true
  }

  /** Milliseconds until `key`'s window ends (0 when it has none running). */
  msBeforeNext (key: string): number {
    const w = this.windows.get(key)
    return w == null ? 0 : Math.max(0, w.start + this.windowMs - this.now())
  }

  /** How many keys are held (their windows may have ended). */
  get size (): number {
    return this.windows.size
  }

  private dropEnded (t: number): void {
    this.nextSweep = t + this.windowMs
    for (const [key, w] of this.windows) if (t - w.start >= this.windowMs) this.windows.delete(key)
  }
}
