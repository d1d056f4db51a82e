/**
 * A withdrawal is a record this node puts into the DHT to replace an older
 * one of its own that tells more: a goodbye over an online presence, an
 * empty locator over one with addresses. kad-dht keeps whatever a put hands
 * it, so the older record stays served until a put of the withdrawal reaches
 * a DHT peer or the older record expires. One that no peer took is put again
 * (by its owner, when `retry` runs): after the backoff's delay, at once when
 * the routing table learns its first DHT server (with none known a put
 * stores nothing, so none is tried before), and not once the older record
 * has expired or after `maxTries` puts that no peer took: each put tells
 * whoever runs the DHT servers closest to the record's key (maybe the very
 * reader it withdraws from, refusing it on purpose) that this node runs, so
 * the retries stop after the first minutes rather than go on for the
 * record's whole lifetime.
 */
import { InvalidParametersError } from '@libp2p/interface'
import { Backoff, MAX_TIMER_MS } from './wait.js'
import { awaitFirstDhtServer } from './dht-table.js'
import type { BackoffOptions } from './wait.js'
import type { RoutingTableView } from './dht-table.js'

export interface WithdrawalRetryOptions extends BackoffOptions {
  /** Retries after a put no peer took, at most (> 0); past them notTaken() gives up. */
  maxTries: number
  /** kad-dht's routing table (its size and 'peer:add'). */
  table: () => RoutingTableView | undefined
  /** Puts the withdrawal again; its owner then calls taken() or notTaken(). */
  retry: () => void
  /** The older record expired before a peer took the withdrawal: nothing is left to replace. */
  expired?: () => void
}

export class WithdrawalRetry {
  private readonly backoff: Backoff
  private timer?: ReturnType<typeof setTimeout>
  /** While a retry waits: until when the record it withdraws may be served (0: none waits). */
  private until = 0

  constructor (private readonly options: WithdrawalRetryOptions) {
    if (!(Number.isInteger(options.maxTries) && options.maxTries > 0)) throw new InvalidParametersError(`withdrawal maxTries must be a positive integer, not ${options.maxTries}`)
    this.backoff = new Backoff(options)
    this.fire = this.fire.bind(this)
    this.onDhtServer = this.onDhtServer.bind(this)
  }

  /** Whether a retry waits (for its delay, or for a DHT server). */
  get waiting (): boolean {
    return this.until > 0
  }

  /** A put of the withdrawal reached a peer: no retry; the next failure waits the base delay again. */
  taken (): void {
    this.cancel()
  }

  /**
   * A put of the withdrawal reached no peer, and the record it withdraws may
   * be served until `until` (0 or past: it may not, and nothing is retried).
   * Returns the delay of the retry, or undefined when none waits (also once
   * `maxTries` retries were not taken: the owner gives the withdrawal up).
   */
  notTaken (until: number): number | undefined {
    this.clearTimer()
    const now = Date.now()
    if (!(until > now) || this.backoff.attempts >= this.options.maxTries) {
      this.cancel()
      return undefined
    }
    this.until = until
    const delay = this.backoff.next()
    // with no DHT server known, the first one to come runs the retry at once (onDhtServer)
    const noServer = awaitFirstDhtServer(this.options.table(), this.onDhtServer)
    this.arm(noServer ? until - now : Math.min(delay, until - now))
    return delay
  }

  /** The waiting retry runs at once (a stop, or the first DHT server came); nothing when none waits. */
  now (): void {
    if (!this.waiting) return
    this.clearTimer()
    this.fire()
  }

  /** Drops the waiting retry (superseded by a newer record, or the owner stops). */
  cancel (): void {
    this.clearTimer()
    this.until = 0
    this.backoff.reset()
  }

  /** Drops the waiting retry and stops listening to the routing table. */
  stop (): void {
    this.cancel()
    this.options.table()?.removeEventListener?.('peer:add', this.onDhtServer)
  }

  private fire (): void {
    this.timer = undefined
    const now = Date.now()
    if (now >= this.until) {
      this.cancel()
      this.options.expired?.()
      return
    }
    // with no DHT server known a put stores nothing: the first one to come runs the retry (onDhtServer)
    if (awaitFirstDhtServer(this.options.table(), this.onDhtServer)) {
      this.arm(this.until - now)
      return
    }
    this.until = 0
    this.options.retry()
  }

  private onDhtServer (): void {
    this.now()
  }

  private arm (ms: number): void {
    // setTimeout fires at once beyond its limit; a wait cut to it ends in fire(), which looks again
    this.timer = setTimeout(this.fire, Math.min(ms, MAX_TIMER_MS))
    this.timer.unref?.()
  }

  private clearTimer (): void {
    clearTimeout(this.timer)
    this.timer = undefined
  }
}
