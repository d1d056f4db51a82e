/**
 * Empty locator records (protocol.md §8.6, "Retiring") for readers that no
 * longer get this node's addresses: a blocked or hidden-from contact, the
 * intake of a rotated contact code. One that no DHT peer took leaves the
 * record with addresses served until it expires, so while the node runs it
 * is put again (util/withdrawal-retry) until a peer takes it, that record
 * expires, the reader gets addresses again, the node stops, or
 * LOCATOR_WITHDRAW_RETRY_MAX_TRIES retries were not taken.
 */
import { WithdrawalRetry } from '../util/withdrawal-retry.js'
import { LOCATOR_WITHDRAW_RETRY_BASE_MS, LOCATOR_WITHDRAW_RETRY_CAP_MS, LOCATOR_WITHDRAW_RETRY_MAX_TRIES } from './constants.js'
import type { LocatorPublisher } from './locator.js'
import type { RoutingTableView } from '../util/dht-table.js'
import type { Logger } from '@libp2p/interface'

export interface LocatorWithdrawalsOptions {
  /** kad-dht's routing table. */
  table: () => RoutingTableView | undefined
  /** Runs a retry's puts (after the owner's other locator puts, say); the default runs them at once. */
  run?: (work: () => Promise<void>) => Promise<void>
  /** Whether a waiting reader still gets an empty record (false: it gets addresses again). */
  still: (reader: string) => boolean
  /** When no withdrawal is under way any more, and when the waiting ones' records expired: pending() may have changed. */
  settled?: () => void
  log: Logger
}

export class LocatorWithdrawals {
  /** Readers whose empty record no DHT peer took yet, while their record with addresses may be served. */
  private readonly waiting = new Set<string>()
  private readonly retry: WithdrawalRetry
  private stopped = false
  /** Withdrawals under way (a rotation's and a retry's may overlap). */
  private busy = 0

  constructor (private readonly publisher: LocatorPublisher, private readonly options: LocatorWithdrawalsOptions) {
    const run = options.run ?? (async (work) => { await work() })
    this.retry = new WithdrawalRetry({
      baseMs: LOCATOR_WITHDRAW_RETRY_BASE_MS,
      capMs: LOCATOR_WITHDRAW_RETRY_CAP_MS,
      maxTries: LOCATOR_WITHDRAW_RETRY_MAX_TRIES,
      jitter: 0.5,
      table: options.table,
      retry: () => {
        void run(async () => { await this.withdraw([]) })
          .catch((err: unknown) => { options.log('empty locator retry failed - %e', err) })
      },
      expired: () => {
        this.waiting.clear()
        options.settled?.()
      }
    })
  }

  /** Readers whose empty record waits for a retry. */
  pending (): string[] {
    return [...this.waiting].filter(this.options.still)
  }

  /**
   * Puts an empty record for each of `readers` and for each one still waiting;
   * those no DHT peer took are tried again while their old record may be served
   * (not once stop() was called). The signal ends the puts.
   */
  async withdraw (readers: string[], options: { signal?: AbortSignal } = {}): Promise<void> {
    for (const reader of this.waiting) if (!this.options.still(reader)) this.waiting.delete(reader)
    const all = [...new Set([...readers, ...this.waiting])]
    this.busy++
    try {
      if (all.length > 0) await this.publisher.publish(all, { empty: true, signal: options.signal })
    } finally {
      for (const reader of all) {
        if (this.options.still(reader) && this.publisher.servedUntil(reader) > 0) this.waiting.add(reader)
        else this.waiting.delete(reader)
      }
      if (--this.busy === 0) this.options.settled?.()
    }
    if (this.stopped) return
    const until = Math.max(0, ...[...this.waiting].map(reader => this.publisher.servedUntil(reader)))
    if (this.waiting.size === 0) {
      this.retry.taken()
      return
    }
    const delay = this.retry.notTaken(until)
    if (delay != null) {
      this.options.log('empty locator for %d reader(s) taken by no DHT peer: tried again in %d ms', this.waiting.size, delay)
      return
    }
    this.options.log('empty locator for %d reader(s) taken by no DHT peer after %d retries: given up', this.waiting.size, LOCATOR_WITHDRAW_RETRY_MAX_TRIES)
    this.waiting.clear()
    this.options.settled?.()
  }

  /** A reader that gets addresses again, or nothing at all from now on: no more empty records for it. */
  forget (reader: string): void {
    this.waiting.delete(reader)
  }

  start (): void {
    this.stopped = false
  }

  /** No retry from now on (one under way still puts, once). */
  stop (): void {
    this.stopped = true
    this.retry.stop()
  }
}
