/**
 * The receiving side of /presence-mesh/contact/1.0.0: one message per
 * stream, checked (protocol/contact-request.ts), handed to the consent state
 * machine, answered with a receipt once stored. A message comes from its
 * signer, or through the intake of this node's contact code (docs/protocol.md
 * §8.7), which carries requests only. What cannot be taken now (a full quota,
 * a sender that is too fast) is answered "try again later", never dropped in
 * silence.
 */
import { lpStream } from '@libp2p/utils'
import { WindowCounter } from '../util/window-counter.js'
import { CONTACT_REJECT_REASONS, encodeContactReceipt, MAX_CONTACT_ENVELOPE_BYTES, openContactMessage, requestIdHex } from '../../protocol/contact-request.js'
import { MAX_MESSAGES_PER_PEER, MESSAGE_WINDOW_S } from './constants.js'
import type { RequestPath } from './admission.js'
import type { ReceivedMessage } from './consent.js'
import type { ContactReceipt, ContactRejectReason } from '../../protocol/contact-request.js'
import type { Connection, Logger, PeerId, Stream } from '@libp2p/interface'

/** What the receiving side tells the user of the counters: why messages were refused or deferred. */
export type InboundOutcome = ContactRejectReason | 'retry-later' | 'rate'
export const INBOUND_OUTCOMES: readonly InboundOutcome[] = [...CONTACT_REJECT_REASONS, 'retry-later', 'rate']

export interface ContactInboundContext {
  me: PeerId
  log: Logger
  timeoutMs: number
  isBlocked: (peer: PeerId | string) => boolean
  /** The code id when `peer` is the intake identity of this node's current contact code. */
  intakeOf: (peer: PeerId) => string | undefined
  seen: (key: string) => boolean
  /** Stores the message (consent's step); `retryLater`: not stored, ask again later. replyAddrs: where a request through the intake says to answer. */
  receive: (m: ReceivedMessage, replyAddrs: Uint8Array[]) => Promise<{ retryLater: boolean }>
}

export class ContactInbound {
  private readonly limiter = new WindowCounter(MAX_MESSAGES_PER_PEER, MESSAGE_WINDOW_S * 1000)
  private readonly counts = Object.fromEntries(INBOUND_OUTCOMES.map(r => [r, 0])) as Record<InboundOutcome, number>

  constructor (private readonly ctx: ContactInboundContext) {
    this.handle = this.handle.bind(this)
  }

  /** Messages refused or deferred so far, by reason. */
  refusals (): Record<InboundOutcome, number> {
    return { ...this.counts }
  }

  async handle (stream: Stream, connection: Connection): Promise<void> {
    const { ctx } = this
    const signal = AbortSignal.timeout(ctx.timeoutMs)
    if (ctx.isBlocked(connection.remotePeer)) {
      stream.abort(new Error('unreachable'))
      return
    }
    try {
      const lp = lpStream(stream, { maxDataLength: MAX_CONTACT_ENVELOPE_BYTES })
      const bytes = (await lp.read({ signal })).subarray()
      const receipt = await this.answer(bytes, connection.remotePeer)
      await lp.write(encodeContactReceipt(receipt), { signal })
      await stream.close({ signal })
    } catch (err: any) {
      ctx.log('contact stream from %p failed - %e', connection.remotePeer, err)
      stream.abort(err)
    }
  }

  private async answer (bytes: Uint8Array, from: PeerId): Promise<ContactReceipt> {
    const { ctx } = this
    const code = ctx.intakeOf(from)
    const path: RequestPath = code == null ? { kind: 'direct' } : { kind: 'code', code }
    const later = (why: 'retry-later' | 'rate'): ContactReceipt => {
      this.counts[why]++
      return { requestId: new Uint8Array(0), accepted: false, retryLater: true }
    }
    if (!this.limiter.take(from.toString())) return later('rate')
    const res = await openContactMessage(bytes, {
      now: Date.now(),
      me: ctx.me,
      sender: code == null ? from : undefined,
      intake: code != null,
      seen: { has: ctx.seen }
    })
    if (!res.ok) {
      ctx.log('refused a contact message from %p: %s %s', from, res.reason, res.detail ?? '')
      this.counts[res.reason]++
      // a duplicate was stored before: confirm it so the sender stops retrying
      return { requestId: new Uint8Array(0), accepted: res.reason === 'duplicate' }
    }
    const m = res.message
    // stored before the receipt goes out: a crash after it loses nothing
    const received: ReceivedMessage = { kind: m.kind, from: m.from.toString(), requestId: requestIdHex(m.requestId), greeting: m.greeting, sentAt: m.sentAt, path }
    const { retryLater } = await ctx.receive(received, code != null ? m.replyAddrs ?? [] : [])
    if (retryLater) return later('retry-later')
    return { requestId: Uint8Array.from(m.requestId), kind: m.kind, accepted: true }
  }
}
