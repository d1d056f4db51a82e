/**
 * The node's one way to wait: exponential backoff with a cap and jitter, a
 * sleep that an AbortSignal ends early, and a wake-able wait for loops that
 * sleep until there is work. None of these rejects on abort: a loop checks
 * its signal after the wait. Timers never hold the process open.
 *
 * Hand-written because no declared dependency has them: @libp2p/utils has
 * repeatingTask and debounce but no backoff or abortable sleep, and
 * node:timers/promises rejects on abort and keeps no wake-up for a wait that
 * has not started yet.
 */
import { InvalidParametersError } from '@libp2p/interface'
import type { AbortOptions } from '@libp2p/interface'

export interface BackoffOptions {
  /** The first delay, ms (> 0). */
  baseMs: number
  /** No delay is longer than this, ms (> 0; below baseMs, every delay is the cap). */
  capMs: number
  /**
   * The share of each delay taken off at random, 0 to 1 (default 0): 0.5
   * gives a delay between half and all of base * 2^n, which spreads the
   * retries of many peers after a shared outage.
   */
  jitter?: number
  /** Uniform numbers in [0, 1) (default Math.random; tests pass their own). */
  random?: () => number
}

function checkBackoff ({ baseMs, capMs, jitter = 0 }: BackoffOptions): void {
  if (!(Number.isFinite(baseMs) && baseMs > 0)) throw new InvalidParametersError(`backoff base must be a positive number of ms, not ${baseMs}`)
  if (!(capMs > 0)) throw new InvalidParametersError(`backoff cap must be a positive number of ms, not ${capMs}`)
  if (!(jitter >= 0 && jitter <= 1)) throw new InvalidParametersError(`backoff jitter must be between 0 and 1, not ${jitter}`)
}

/**
 * The delay before retry number `attempt` (1 for the first retry):
 * min(cap, base * 2^(attempt - 1)), less a random share of up to `jitter`.
 */
export function backoffDelay (attempt: number, options: BackoffOptions): number {
  checkBackoff(options)
  const { baseMs, capMs, jitter = 0, random = Math.random } = options
  const exp = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1))
  return Math.round(exp * (1 - jitter * random()))
}

/** Counts failures since the last success and hands out the delay before the next try. */
export class Backoff {
  private failures = 0

  constructor (private readonly options: BackoffOptions) {
    checkBackoff(options)
  }

  /** Failures since the last reset(). */
  get attempts (): number {
    return this.failures
  }

  /** Records a failure; returns how long to wait before trying again. */
  next (): number {
    this.failures++
    return backoffDelay(this.failures, this.options)
  }

  /** After a success: the next failure waits the base delay again. */
  reset (): void {
    this.failures = 0
  }
}

/**
 * One retry timer per key (a peer), each with its own backoff: for work that
 * is tried again while a peer stays connected, and forgotten when it goes.
 * `firstMs`: the first try waits this instead of the base delay.
 */
export class KeyedRetries {
  private readonly entries = new Map<string, { backoff: Backoff, tries: number, timer?: ReturnType<typeof setTimeout> }>()

  constructor (private readonly options: BackoffOptions & { firstMs?: number }) {
    checkBackoff(options)
  }

  /** Runs `run` after this key's next delay, unless a try is already waiting. */
  schedule (key: string, run: () => void): void {
    let e = this.entries.get(key)
    if (e?.timer != null) return
    e ??= { backoff: new Backoff(this.options), tries: 0 }
    const delay = e.tries === 0 && this.options.firstMs != null ? this.options.firstMs : e.backoff.next()
    e.tries++
    const entry = e
    entry.timer = setTimeout(() => { entry.timer = undefined; run() }, delay)
    entry.timer.unref?.()
    this.entries.set(key, entry)
  }

  /** Whether a try of this key is waiting for its delay. */
  waiting (key: string): boolean {
    return this.entries.get(key)?.timer != null
  }

  /** Forgets the key: its waiting try, and the delays it grew (after a success, or when the peer went). */
  forget (key: string): void {
    clearTimeout(this.entries.get(key)?.timer)
    this.entries.delete(key)
  }

  clear (): void {
    for (const e of this.entries.values()) clearTimeout(e.timer)
    this.entries.clear()
  }
}

/**
 * Resolves after `ms`, or as soon as the signal aborts (at once if it already
 * has). Never rejects.
 */
export async function sleep (ms: number, options: AbortOptions = {}): Promise<void> {
  await timerOrAbort(ms, options.signal, () => {})
}

/**
 * One loop waits, others tell it there is work. wait() returns on notify(),
 * after `ms`, or when the signal aborts; a notify() that comes while nobody
 * waits is kept for the next wait(), so news that arrives while the loop is
 * busy is not lost.
 */
export class Wakeup {
  private pending = false
  private readonly waiters = new Set<() => void>()

  notify (): void {
    if (this.waiters.size === 0) {
      this.pending = true
      return
    }
    for (const release of [...this.waiters]) release()
  }

  async wait (ms: number, options: AbortOptions = {}): Promise<void> {
    if (this.pending) {
      this.pending = false
      return
    }
    let release = (): void => {}
    await timerOrAbort(ms, options.signal, (done) => {
      release = done
      this.waiters.add(done)
    })
    this.waiters.delete(release)
  }
}

/** setTimeout fires at once for anything longer (with a warning); a longer wait is cut to this. */
export const MAX_TIMER_MS = 2 ** 31 - 1

/** Resolves after ms, on abort, or when the `done` handed to `register` is called. */
async function timerOrAbort (ms: number, signal: AbortSignal | undefined, register: (done: () => void) => void): Promise<void> {
  if (signal?.aborted === true || !(ms > 0)) return
  await new Promise<void>(resolve => {
    // Infinity: until woken or aborted, with no timer at all
    const timer = ms === Infinity ? undefined : setTimeout(done, Math.min(ms, MAX_TIMER_MS))
    timer?.unref?.()
    signal?.addEventListener('abort', done, { once: true })
    register(done)
    function done (): void {
      clearTimeout(timer)
      signal?.removeEventListener('abort', done)
      resolve()
    }
  })
}
