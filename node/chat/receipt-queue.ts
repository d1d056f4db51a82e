/**
 * A receiver's receipts for one stream. Frames are stored while the next ones
 * are read; each frame's receipt is queued once the batch holding it
 * committed, in frame order, and the receipts queued while a write is in
 * flight go out together in the next write. The first failure (not stored,
 * not written) fails the chain, so no later frame of the stream is stored or
 * acknowledged (the frames before it still are), and calls onFail.
 */
import type { ChangeChain } from './chat-store.js'
import type { LengthPrefixedStream } from '@libp2p/utils'

export class ReceiptQueue {
  readonly chain: ChangeChain = { failed: false }
  /** Frames read and not yet acknowledged on the wire. */
  private outstanding = 0
  /** Settles once every frame added so far is stored and its receipt queued. */
  private queued: Promise<void> = Promise.resolve()
  private readonly ready: Uint8Array[] = []
  private writing = false
  private failed = false
  private writeFailed = false
  /** Frames from this index on get no receipt (the first one that failed, and all after it). */
  private failedAt = Infinity
  private added = 0
  private written: Promise<void> = Promise.resolve()

  constructor (private readonly lp: LengthPrefixedStream, private readonly onFail: (err: unknown) => void) {}

  get size (): number {
    return this.outstanding
  }

  /** stored settles when the frame is durably stored (or known); receipt is its encoded DELIVERED frame. */
  add (stored: Promise<unknown>, receipt: Uint8Array): void {
    const index = this.added++
    this.outstanding++
    stored.catch(err => { this.fail(err, index) })
    this.queued = this.queued.then(async () => {
      // a frame that was not stored is failed through the handler above
      try { await stored } catch { return }
      if (index >= this.failedAt) return
      this.ready.push(receipt)
      if (!this.writing) {
        this.writing = true
        this.written = this.write()
      }
    }).catch(err => { this.fail(err) })
  }

  /** Waits until every receipt of the frames added so far was written (or the chain failed). */
  async drain (): Promise<void> {
    await this.queued
    await this.written
  }

  private async write (): Promise<void> {
    try {
      // let the rest of a just-committed batch queue its receipts first
      await new Promise(resolve => setImmediate(resolve))
      while (this.ready.length > 0 && !this.writeFailed) {
        const out = this.ready.splice(0)
        await this.lp.writeV(out)
        this.outstanding -= out.length
      }
    } catch (err) {
      this.writeFailed = true
      this.fail(err)
    } finally {
      this.writing = false
    }
  }

  /**
   * A frame (at `index`) was not stored, or (no index) a write failed. The
   * receipts of the frames before a failed frame still go out, then onFail.
   */
  private fail (err: unknown, index?: number): void {
    // the store may have failed the chain already; the stream still has to go
    this.chain.failed = true
    this.failedAt = Math.min(this.failedAt, index ?? 0)
    if (this.failed) return
    this.failed = true
    if (index == null || this.writeFailed) {
      this.onFail(err)
      return
    }
    void this.drain().finally(() => { this.onFail(err) })
  }
}
