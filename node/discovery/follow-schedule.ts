/**
 * When a follow (node/discovery/follow.ts) tries a presentity it is not
 * linked to next, and whether it asks the neighbours that time.
 *
 * Attempts back off exponentially (with jitter). How far depends on what the
 * follow knows of the presentity: one heard of lately (linked, its record
 * heard, new addresses of it, it disconnected, a locate of it by hand, mDNS
 * saw it) is retried at least every `maxRetryMs`; a *quiet* one (nothing of
 * it since the follow began, or for `quietAfterMs`) backs off on to
 * `quietMaxRetryMs`. A contact that comes online tells us itself (its follow
 * of us dials us, its records reach us through others, mDNS): that is news,
 * and news starts the backoff over and tries at once, so the long wait costs
 * a quiet presentity's discovery only when nothing at all tells.
 */
import { backoffDelay } from '../util/wait.js'

export interface FollowScheduleOptions {
  /** Backoff of the attempts: the first delay, the cap for a presentity heard of lately, and for a quiet one. */
  minRetryMs: number
  maxRetryMs: number
  quietMaxRetryMs: number
  /** A presentity not heard of for this long is quiet again. */
  quietAfterMs: number
  jitter: number
  /**
   * Backoff of the neighbour asks of a presentity that stays unreachable:
   * the first full attempt with someone to ask asks them, later ones only
   * once this is due again (news makes it due at once).
   */
  minReaskMs: number
  maxReaskMs: number
}

export class FollowSchedule {
  /** Failed attempts since the presentity was last linked or heard of. */
  failures = 0
  /** The next full attempt (locate) is not due before this; a network wake meanwhile only dials known addresses. */
  fullAttemptAt = 0
  /** A full attempt asks the neighbours only from this time on (each ask of 8 peers opens 8 streams). */
  neighboursAt = 0
  /**
   * The last attempt found no address to dial and nothing else to try; new
   * addresses (news) clear it. A network wake (a new connection elsewhere)
   * dials known addresses only, so it skips such a presentity.
   */
  noAddresses = false
  /**
   * ... and that attempt was made while this node was connected to nobody
   * (offline, a laptop asleep): once it is connected again, a full attempt
   * is due at once (`retryFull`), as at start.
   */
  alone = false
  private reasks = 0
  /** When the presentity was last linked or heard of (0: not since the follow began). */
  private heardAt = 0

  constructor (private readonly opts: FollowScheduleOptions) {}

  /** Quiet: nothing of it since the follow began, or for `quietAfterMs`. */
  quiet (now = Date.now()): boolean {
    return this.heardAt === 0 || now - this.heardAt >= this.opts.quietAfterMs
  }

  /** It is alive (a record of it, a link), which keeps its backoff short, without starting it over. */
  heard (now = Date.now()): void {
    this.heardAt = now
  }

  /** News of it: the next attempt is now, a full one that asks the neighbours, and the backoff starts over. */
  news (now = Date.now()): void {
    this.heard(now)
    this.failures = 0
    this.fullAttemptAt = 0
    this.noAddresses = false
    this.alone = false
    this.askAgain()
  }

  /** Linked: as news, except that a link repaired for silence keeps its backoff (`keepBackoff`). */
  linked (now: number, keepBackoff: boolean): void {
    this.heard(now)
    if (!keepBackoff) this.failures = 0
    this.fullAttemptAt = 0
    this.noAddresses = false
    this.alone = false
    this.askAgain()
  }

  /**
   * The network came back after attempts made alone: the next full attempt (asking the neighbours) is at
   * `at`, its backoff kept; until then an attempt dials known addresses only.
   */
  retryFull (at: number): void {
    this.alone = false
    this.fullAttemptAt = at
    this.askAgain()
  }

  /** The next delay of the backoff (a failure). */
  nextDelay (now = Date.now()): number {
    this.failures++
    const capMs = this.quiet(now) ? this.opts.quietMaxRetryMs : this.opts.maxRetryMs
    return backoffDelay(this.failures, { baseMs: this.opts.minRetryMs, capMs, jitter: this.opts.jitter })
  }

  /** An attempt failed: schedules the next full attempt and asks; returns how long to wait. */
  failed (now: number, attempt: { full: boolean, neighbours: boolean }): number {
    if (attempt.full) this.fullAttemptAt = now + this.nextDelay(now)
    if (attempt.neighbours) {
      this.reasks++
      this.neighboursAt = now + backoffDelay(this.reasks, { baseMs: this.opts.minReaskMs, capMs: this.opts.maxReaskMs, jitter: this.opts.jitter })
    }
    return Math.max(0, this.fullAttemptAt - now)
  }

  private askAgain (): void {
    this.reasks = 0
    this.neighboursAt = 0
  }
}
