/**
 * The receiving side of chat. Frames are read ahead while earlier ones are
 * being stored; the store commits them in arrival order (frames that arrive
 * during a commit share the next batch), and each text or read receipt is
 * acknowledged, in order, only after the batch holding it committed. If a
 * frame cannot be stored, no later frame of the stream is stored either.
 * The frames before a violation are still acknowledged before the reset.
 */
import { ProtocolError } from '@libp2p/interface'
import { lpStream } from '@libp2p/utils'
import { CHAT_REJECT_REASONS, chatIdToHex, decodeChatFrame, encodeChatFrame, newChatId } from '../../protocol/chat-frame.js'
import { MAX_CHAT_FRAME_BYTES } from '../../protocol/limits.js'
import { RECEIVER_READ_AHEAD } from './constants.js'
import { HeldFullError } from './errors.js'
import { ReceiptQueue } from './receipt-queue.js'
import type { ChangeChain, ChatMessage, ChatStore, InboundMirror, NonContactPolicy } from './chat-store.js'
import type { ChatRejectReason } from '../../protocol/chat-frame.js'
import type { Connection, Logger, Stream } from '@libp2p/interface'
import type { WindowCounter } from '../util/window-counter.js'

export type ChatViolation = ChatRejectReason | 'rate' | 'unexpected-receipt'
export const VIOLATIONS: readonly ChatViolation[] = [...CHAT_REJECT_REASONS, 'rate', 'unexpected-receipt']

const LENGTH_ERRORS = new Set(['InvalidDataLengthError', 'InvalidDataLengthLengthError', 'InvalidMessageLengthError'])

/** What the receiving side tells the service. */
export interface InboundEvents {
  message: (m: ChatMessage) => void
  held: (m: ChatMessage) => void
  state: (m: ChatMessage) => void
  typing: (peer: string, typing: boolean) => void
  violation: (peer: string, reason: ChatViolation) => void
}

export interface InboundContext {
  store: ChatStore
  log: Logger
  rateLimiter: WindowCounter
  receiverIdleMs: number
  typingShowMs: number
  isBlocked: (peer: string) => boolean
  isContact: (peer: string) => boolean
  /** A text sent (by its sender's clock) while the peer was blocked: acknowledged and dropped. */
  sentWhileBlocked: (peer: string, sentAt: number) => boolean
  policy: () => NonContactPolicy
  /** Where else a text stored in history goes in the same batch (a contact person's conversation). */
  mirror?: (peer: string, id: string, text: string, sentAt: number) => InboundMirror | undefined
  on: InboundEvents
}

export class ChatInbound {
  private readonly typingTimers = new Map<string, ReturnType<typeof setTimeout>>()

  constructor (private readonly ctx: InboundContext) {
    this.handle = this.handle.bind(this)
  }

  stop (): void {
    for (const t of this.typingTimers.values()) clearTimeout(t)
    this.typingTimers.clear()
  }

  async handle (stream: Stream, connection: Connection): Promise<void> {
    const { ctx } = this
    const peer = connection.remotePeer.toString()
    if (ctx.isBlocked(peer)) {
      // the gater refuses a blocked peer's connections; one already open is
      // treated as if this node were gone: no answer, the sender retries later
      stream.abort(new Error('unreachable'))
      return
    }
    const lp = lpStream(stream, { maxDataLength: MAX_CHAT_FRAME_BYTES })
    const receipts = new ReceiptQueue(lp, (err: any) => {
      // not stored or not acknowledged: the sender keeps it and tries again
      if (err instanceof HeldFullError) {
        // not the sender's fault: end the stream after the receipts of what was stored
        ctx.log('%s', err.message)
        Promise.all([stream.closeRead(), stream.close()]).catch((e: any) => { stream.abort(e) })
        return
      }
      ctx.log.error('chat frame from %s not handled - %e', peer, err)
      stream.abort(err)
    })
    const violation = async (reason: ChatViolation, detail?: string): Promise<void> => {
      await receipts.drain()
      ctx.log('resetting chat stream from %s: %s %s', peer, reason, detail ?? '')
      stream.abort(new ProtocolError(`chat: ${reason}`))
      ctx.on.violation(peer, reason)
    }
    while (true) {
      if (receipts.size >= RECEIVER_READ_AHEAD) await receipts.drain()
      let bytes: Uint8Array
      try {
        bytes = (await lp.read({ signal: AbortSignal.timeout(ctx.receiverIdleMs) })).subarray()
      } catch (err: any) {
        if (LENGTH_ERRORS.has(err?.name)) {
          await violation('oversize', err.message)
        } else if (stream.status === 'open') {
          // the sender closed its side, or went quiet for receiverIdleMs
          await receipts.drain()
          if (stream.status === 'open') await stream.close().catch(() => { stream.abort(err) })
        }
        return
      }
      if (!ctx.rateLimiter.take(peer)) {
        await violation('rate')
        return
      }
      const res = decodeChatFrame(bytes)
      if (!res.ok) {
        await violation(res.reason, res.detail)
        return
      }
      const frame = res.frame
      if (frame.kind === 'typing') {
        this.showTyping(peer)
        continue
      }
      if (frame.kind === 'delivered') {
        await violation('unexpected-receipt')
        return
      }
      const stored = frame.kind === 'text'
        ? this.receiveText(peer, chatIdToHex(frame.id), frame.text, frame.sentAt, receipts.chain)
        : this.receiveRead(peer, chatIdToHex(frame.ref), receipts.chain)
      receipts.add(stored, encodeChatFrame({ kind: 'delivered', id: newChatId(), sentAt: Date.now(), ref: frame.id }))
    }
  }

  private async receiveText (peer: string, id: string, text: string, sentAt: number, chain: ChangeChain): Promise<void> {
    const { ctx } = this
    if (ctx.isBlocked(peer)) throw new Error('unreachable')
    const policy = ctx.policy()
    const fate = ctx.sentWhileBlocked(peer, sentAt)
      ? 'drop'
      : ctx.isContact(peer) || policy === 'accept' ? 'msg' : policy === 'hold' ? 'req' : 'drop'
    const { duplicate, message, refused, mirrored } = await ctx.store.saveInbound(peer, id, text, sentAt, fate, chain, ctx.mirror?.(peer, id, text, sentAt))
    if (refused != null) throw new HeldFullError(peer, refused)
    if (duplicate) return
    this.stopTyping(peer)
    // already reported as a carbon: it came from another own device first
    if (message == null || mirrored === true) return
    if (fate === 'msg') ctx.on.message(message)
    else ctx.on.held(message)
  }

  private async receiveRead (peer: string, ref: string, chain: ChangeChain): Promise<void> {
    for (const m of await this.ctx.store.applyRead(peer, ref, chain)) this.ctx.on.state(m)
  }

  private showTyping (peer: string): void {
    const showing = this.typingTimers.has(peer)
    clearTimeout(this.typingTimers.get(peer))
    const timer = setTimeout(() => { this.stopTyping(peer) }, this.ctx.typingShowMs)
    timer.unref?.()
    this.typingTimers.set(peer, timer)
    if (!showing) this.ctx.on.typing(peer, true)
  }

  private stopTyping (peer: string): void {
    const timer = this.typingTimers.get(peer)
    if (timer == null) return
    clearTimeout(timer)
    this.typingTimers.delete(peer)
    this.ctx.on.typing(peer, false)
  }
}
