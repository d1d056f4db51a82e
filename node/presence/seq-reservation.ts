/**
 * Sequence numbers without a disk write per record. The store holds a
 * ceiling: every seq this node ever sealed is at most the stored value. A
 * seq below the ceiling is handed out at once; when half of the reserved
 * span is used, a new ceiling is written in the background, so the write
 * never sits between setPresence and the bytes on the wire. Only a seq
 * above the stored ceiling (a clock jump, a burst faster than a write)
 * waits for its write. After a crash the node starts above the ceiling, so
 * no seq is ever reused.
 */
import { SEQ_RESERVE_SPAN } from './constants.js'

export interface SeqStore {
  loadSeq: () => Promise<bigint>
  saveSeq: (ceiling: bigint) => Promise<void>
}

export class SeqReservation {
  private last = 0n
  /** The ceiling on disk: no seq above it may leave the node. */
  private ceiling = 0n
  private raising?: Promise<void>

  constructor (private readonly store: SeqStore, private readonly span: bigint = BigInt(SEQ_RESERVE_SPAN)) {
    if (span < 2n) throw new RangeError('the reserved span must be at least 2')
  }

  /** Loads the ceiling and reserves the first span (the seqs up to the old ceiling count as used). */
  async start (now: number = Date.now()): Promise<void> {
    this.last = this.ceiling = await this.store.loadSeq()
    await this.raise(this.floor(now))
  }

  /** The seq of the record sealed last (the stored ceiling before the first). */
  get current (): bigint {
    return this.last
  }

  /**
   * `count` consecutive seqs from max(last + 1, now); returns the first (the
   * last one is first + count - 1). Synchronous while they are below the
   * stored ceiling, else once the new ceiling is written. Calls must not
   * overlap (presence announces one at a time).
   */
  next (now: number = Date.now(), count = 1): bigint | Promise<bigint> {
    if (!Number.isInteger(count) || count < 1) throw new RangeError(`cannot take ${count} sequence numbers`)
    const first = this.floor(now)
    const last = first + BigInt(count - 1)
    if (last > this.ceiling) return this.raise(last).then(() => this.take(first, last))
    if (this.raising == null && last > this.ceiling - this.span / 2n) {
      this.raise(last).catch(() => {})
    }
    return this.take(first, last)
  }

  private floor (now: number): bigint {
    const t = BigInt(now)
    return this.last + 1n > t ? this.last + 1n : t
  }

  private take (first: bigint, last: bigint): bigint {
    this.last = last
    return first
  }

  /** Writes a ceiling of at least `seq` + span; concurrent callers share one write. */
  private async raise (seq: bigint): Promise<void> {
    while (this.raising != null) await this.raising.catch(() => {})
    if (seq <= this.ceiling - this.span / 2n) return
    const target = seq + this.span
    this.raising = this.store.saveSeq(target).then(() => { if (target > this.ceiling) this.ceiling = target })
    try {
      await this.raising
    } finally {
      this.raising = undefined
    }
  }
}
