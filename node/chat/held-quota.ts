/**
 * Bounds on what non-contacts can make this node keep: held messages
 * (docs/protocol.md §7.4), per sender and in total, by count and by bytes of
 * text. Counts what is stored or being stored; a message that does not fit is
 * not stored and not acknowledged, so its sender keeps it and tries again
 * later (what happens at the bound is counted here too).
 */

export interface HeldLimits {
  perSender: number
  perSenderBytes: number
  total: number
  totalBytes: number
}

export type HeldRefusal = 'sender-full' | 'total-full'

export interface HeldStats {
  messages: number
  bytes: number
  senders: number
  /** Messages not taken so far, by the bound they hit. */
  refused: Record<HeldRefusal, number>
}

interface Tally { count: number, bytes: number }

export class HeldQuota {
  private readonly bySender = new Map<string, Tally>()
  private readonly total: Tally = { count: 0, bytes: 0 }
  private readonly refused: Record<HeldRefusal, number> = { 'sender-full': 0, 'total-full': 0 }

  constructor (readonly limits: HeldLimits) {}

  /** Takes room for one message, or says which bound it hit (and counts that). */
  take (peer: string, bytes: number): HeldRefusal | undefined {
    const mine = this.bySender.get(peer) ?? { count: 0, bytes: 0 }
    const why: HeldRefusal | undefined =
      mine.count + 1 > this.limits.perSender || mine.bytes + bytes > this.limits.perSenderBytes
        ? 'sender-full'
        : this.total.count + 1 > this.limits.total || this.total.bytes + bytes > this.limits.totalBytes ? 'total-full' : undefined
    if (why != null) {
      this.refused[why]++
      return why
    }
    this.bySender.set(peer, { count: mine.count + 1, bytes: mine.bytes + bytes })
    this.total.count++
    this.total.bytes += bytes
    return undefined
  }

  /** Counts a message stored before (at start), whatever the bounds. */
  count (peer: string, bytes: number): void {
    const mine = this.bySender.get(peer) ?? { count: 0, bytes: 0 }
    this.bySender.set(peer, { count: mine.count + 1, bytes: mine.bytes + bytes })
    this.total.count++
    this.total.bytes += bytes
  }

  /** Gives back the room of messages that left (accepted, discarded) or were never stored. */
  release (peer: string, count: number, bytes: number): void {
    const mine = this.bySender.get(peer)
    if (mine == null) return
    mine.count -= count
    mine.bytes -= bytes
    if (mine.count <= 0) this.bySender.delete(peer)
    this.total.count -= count
    this.total.bytes -= bytes
  }

  /** Gives back the room of these texts of peer's (held messages that left). */
  releaseTexts (peer: string, texts: string[]): void {
    this.release(peer, texts.length, texts.reduce((n, t) => n + textBytes(t), 0))
  }

  stats (): HeldStats {
    return { messages: this.total.count, bytes: this.total.bytes, senders: this.bySender.size, refused: { ...this.refused } }
  }
}

/** The UTF-8 size of a text, as the quota counts it. */
export const textBytes = (text: string): number => new TextEncoder().encode(text).byteLength
