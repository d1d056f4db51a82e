/**
 * Drains one peer's outbox in order over one stream at a time. Frames go out
 * paced and pipelined (at most `window` unacknowledged); the receiver
 * acknowledges each in order, and only an acknowledged frame leaves the
 * outbox (the store coalesces those deletions into shared batches). Any failure drops the stream and everything unacknowledged is sent
 * again on the next one, from the oldest: the receiver's deduplication turns
 * that into exactly-once, in order.
 */
import { ProtocolError, TimeoutError } from '@libp2p/interface'
import { lpStream } from '@libp2p/utils'
import { chatIdToHex, decodeChatFrame } from '../../protocol/chat-frame.js'
import { MAX_CHAT_FRAME_BYTES } from '../../protocol/limits.js'
import type { ChatMessage, ChatStore, OutboxItem } from './chat-store.js'
import type { ConnectionManager } from '@libp2p/interface-internal'
import type { Connection, Logger, PeerId, Stream } from '@libp2p/interface'
import type { LengthPrefixedStream } from '@libp2p/utils'
import { anySignal, sharedController, sharedSignal } from '../signals.js'
import { Backoff, sleep, Wakeup } from '../util/wait.js'
import { RETRY_CONNECTED_MAX_MS, RETRY_JITTER } from './constants.js'
import { openStreamTo } from '../util/open-stream.js'

export interface SenderOptions {
  protocol: string
  window: number
  ratePerSecond: number
  burst: number
  retryBaseMs: number
  retryMaxMs: number
  ackTimeoutMs: number
  idleMs: number
  openStreamTimeoutMs: number
  /** The bound of a stream's opening while a connection to the peer is open (the first attempt after a success). */
  openStreamConnectedTimeoutMs: number
}

export interface SenderContext {
  connectionManager: Pick<ConnectionManager, 'getConnections' | 'openStream'>
  store: ChatStore
  log: Logger
  /** An outgoing message changed delivery state. */
  onState: (m: ChatMessage) => void
}

/** An attempt dialling the peer was given up for a connection the peer opened meanwhile. */
class SupersededDialError extends Error {
  override readonly name = 'SupersededDialError'
  constructor () {
    super('the peer connected meanwhile: the stream goes on its connection')
  }
}

/** Longest single wait of an idle loop; it just waits again. */
const IDLE_WAIT_MS = 60 * 60_000

interface SessionState {
  /** Frames written on this stream and not yet acknowledged: the first inFlight of pending. */
  inFlight: number
  acked: number
  /** When the oldest unacknowledged frame started waiting. */
  progressAt: number
  failure?: Error
}

/** Where one peer's delivery stands, for diagnostics (`ChatService.deliveryStatus`). */
export interface DeliveryStatus {
  /** Frames still in the outbox. */
  queued: number
  /** Failed attempts since the last stream that worked. */
  failures: number
  /** A stream is being opened or written now. */
  sending: boolean
  /** The next attempt is not due before this many ms from now (0: due). */
  nextAttemptInMs: number
  lastError?: string
}

export class PeerSender {
  private readonly pending: Array<OutboxItem & { sentMarked?: boolean }> = []
  /** Acknowledged items whose removal from the outbox has not committed yet. */
  private readonly settling = new Set<Promise<void>>()
  private readonly wake = new Wakeup()
  private typing?: Uint8Array
  private stream?: Stream
  /** The session writing now: its first `inFlight` pending items are on the wire. */
  private current?: SessionState
  private stopped = false
  private readonly shutdown = sharedController()
  private running?: Promise<void>
  private readonly backoff: Backoff
  private nextAttemptAt = 0
  private sending = false
  /** The stream being opened now, and whether a dial was needed for it (no connection was open). */
  private opening?: { controller: AbortController, dialling: boolean }
  private lastError?: string
  private tokens: number
  private refilledAt = Date.now()

  constructor (readonly peer: PeerId, private readonly opts: SenderOptions, private readonly ctx: SenderContext) {
    this.tokens = opts.burst
    this.backoff = new Backoff({ baseMs: opts.retryBaseMs, capMs: opts.retryMaxMs, jitter: RETRY_JITTER })
  }

  /** Frames still in the outbox: not yet acknowledged, or their removal not yet committed. */
  get queued (): number {
    return this.pending.length + this.settling.size
  }

  start (): void {
    this.running ??= this.run()
  }

  async stop (): Promise<void> {
    this.stopped = true
    this.shutdown.abort()
    this.stream?.abort(new Error('chat service stopping'))
    this.wake.notify()
    await this.running
    await Promise.all(this.settling)
  }

  enqueue (item: OutboxItem): void {
    this.pending.push(item)
    if (this.connected()) this.nextAttemptAt = 0
    this.wake.notify()
  }

  /**
   * Takes a queued item back if it never went on the wire (a receiver may
   * have stored anything written, acknowledged or not). True if it was taken.
   */
  withdraw (id: string): boolean {
    const at = this.pending.findIndex(p => p.id === id)
    if (at < 0 || this.pending[at].sentMarked === true || at < (this.current?.inFlight ?? 0)) return false
    this.pending.splice(at, 1)
    return true
  }

  /** Typing goes out only over a live connection, ahead of queued messages, and is never retried. */
  sendTyping (bytes: Uint8Array): void {
    if (!this.connected()) return
    this.typing = bytes
    this.nextAttemptAt = 0
    this.wake.notify()
  }

  status (): DeliveryStatus {
    return { queued: this.queued, failures: this.backoff.attempts, sending: this.sending, nextAttemptInMs: Math.max(0, this.nextAttemptAt - Date.now()), lastError: this.lastError }
  }

  /**
   * The peer came online or connected: forget the backoff. A connection the
   * peer opened to us while the attempt under way is still dialling it takes
   * over: the dial is given up and the stream opened on that connection
   * (a dial the peer's side closes during its opening cost the chaos run
   * 10 s with a connection open beside it).
   */
  retryNow (opened?: Connection): void {
    this.backoff.reset()
    this.nextAttemptAt = 0
    if (opened?.direction === 'inbound' && opened.status === 'open' && this.opening?.dialling === true) {
      this.opening.controller.abort(new SupersededDialError())
    }
    this.wake.notify()
  }

  /** Connected now: a connection that is closing does not count (as for opening a stream on one). */
  private connected (): boolean {
    return this.ctx.connectionManager.getConnections(this.peer).some(c => c.status === 'open')
  }

  private async run (): Promise<void> {
    while (!this.stopped) {
      if (this.pending.length === 0 && this.typing == null) {
        await this.wake.wait(IDLE_WAIT_MS)
        continue
      }
      const wait = this.nextAttemptAt - Date.now()
      if (wait > 0) {
        await this.wake.wait(wait)
        continue
      }
      if (this.pending.length === 0 && !this.connected()) {
        this.typing = undefined
        continue
      }
      // the backoff counts from the start of the attempt, not its end: a dial that hung until its
      // timeout (a peer gone without a word) does not push the next attempt out by as long again
      const startedAt = Date.now()
      try {
        this.sending = true
        await this.session()
        this.backoff.reset()
        this.lastError = undefined
      } catch (err: any) {
        if (this.stopped) break
        if (err instanceof SupersededDialError) {
          this.ctx.log('chat to %p: %s', this.peer, err.message)
          continue
        }
        this.lastError = err?.message ?? String(err)
        const delay = this.connected() ? Math.min(this.backoff.next(), RETRY_CONNECTED_MAX_MS) : this.backoff.next()
        this.nextAttemptAt = startedAt + delay
        this.ctx.log('chat to %p failed (%s), %d queued, retry in %d ms', this.peer, err?.message ?? err, this.pending.length, Math.max(0, this.nextAttemptAt - Date.now()))
      } finally {
        this.sending = false
      }
    }
  }

  /** Takes a token if one is there now. */
  private takeToken (): boolean {
    const now = Date.now()
    this.tokens = Math.min(this.opts.burst, this.tokens + (now - this.refilledAt) * this.opts.ratePerSecond / 1000)
    this.refilledAt = now
    if (this.tokens < 1) return false
    this.tokens -= 1
    return true
  }

  private async pace (): Promise<void> {
    for (let i = 0; i < 1000 && !this.stopped; i++) {
      if (this.takeToken()) return
      await sleep(Math.ceil((1 - this.tokens) * 1000 / this.opts.ratePerSecond), { signal: this.shutdown.signal })
    }
  }

  /**
   * A stream to the peer: on a connection held, bounded by the negotiation's
   * bound (the dial's after a failed attempt); else dialled, unless the peer
   * connects to us meanwhile (retryNow).
   */
  private async openStream (): Promise<Stream> {
    const dialling = !this.connected()
    const bound = dialling || this.backoff.attempts > 0 ? this.opts.openStreamTimeoutMs : this.opts.openStreamConnectedTimeoutMs
    const opening = { controller: new AbortController(), dialling }
    this.opening = opening
    try {
      return await openStreamTo(this.ctx.connectionManager, this.peer, this.opts.protocol, {
        signal: sharedSignal(anySignal([this.shutdown.signal, opening.controller.signal, AbortSignal.timeout(bound)])),
        runOnLimitedConnection: true
      })
    } catch (err) {
      if (opening.controller.signal.aborted) throw opening.controller.signal.reason
      throw err
    } finally {
      if (this.opening === opening) this.opening = undefined
    }
  }

  private async session (): Promise<void> {
    const stream = await this.openStream()
    this.stream = stream
    if (this.stopped) stream.abort(new Error('chat service stopping'))
    const lp = lpStream(stream, { maxDataLength: MAX_CHAT_FRAME_BYTES })
    const state: SessionState = { inFlight: 0, acked: 0, progressAt: Date.now() }
    this.current = state
    const reader = this.readReceipts(lp, state)
    try {
      await this.write(lp, state)
      await stream.close({ signal: AbortSignal.timeout(this.opts.ackTimeoutMs) })
    } catch (err: any) {
      stream.abort(err)
      throw err
    } finally {
      this.stream = undefined
      this.current = undefined
      // the receiver closes its side when we close ours; one that does not is reset
      const timer = setTimeout(() => { stream.abort(new TimeoutError('receiver did not close the stream')) }, this.opts.ackTimeoutMs)
      timer.unref?.()
      await reader
      clearTimeout(timer)
    }
  }

  private async readReceipts (lp: LengthPrefixedStream, state: SessionState): Promise<void> {
    try {
      while (true) {
        const res = decodeChatFrame((await lp.read()).subarray())
        if (!res.ok) throw new ProtocolError(`invalid frame from receiver: ${res.reason}`)
        const head = this.pending[0]
        if (res.frame.kind !== 'delivered' || state.inFlight === 0 || head == null || chatIdToHex(res.frame.ref) !== head.id) {
          throw new ProtocolError(`unexpected ${res.frame.kind} frame from receiver`)
        }
        this.pending.shift()
        state.inFlight--
        state.acked++
        state.progressAt = Date.now()
        this.settle(head)
        this.wake.notify()
      }
    } catch (err: any) {
      state.failure = err
      this.wake.notify()
    }
  }

  /** The next frame of pending goes in flight. */
  private take (state: SessionState): Uint8Array {
    const item = this.pending[state.inFlight]
    if (state.inFlight === 0) state.progressAt = Date.now()
    state.inFlight++
    if (item.sentMarked !== true) {
      item.sentMarked = true
      const m = this.ctx.store.markSent(item)
      if (m != null) this.ctx.onState(m)
    }
    return item.bytes
  }

  /**
   * Removes an acknowledged item from the outbox without holding up the next
   * receipts. Should that write fail, the item stays on disk and is sent again
   * after a restart, which the receiver acknowledges as a duplicate.
   */
  private settle (item: OutboxItem): void {
    const done = this.ctx.store.acked(item).then(
      (m) => { if (m != null) this.ctx.onState(m) },
      (err: any) => { this.ctx.log.error('chat to %p: delivered state of %s not stored - %e', this.peer, item.id, err) }
    ).finally(() => { this.settling.delete(done) })
    this.settling.add(done)
  }

  /** Writes until nothing is left to send or acknowledge and the stream was idle for idleMs. */
  private async write (lp: LengthPrefixedStream, state: SessionState): Promise<void> {
    let idleSince = Date.now()
    while (!this.stopped) {
      if (state.failure != null) {
        // a stream that did its work and then ended with nothing outstanding (the
        // receiver closed an idle stream, or restarted) is no reason to back off
        if (state.inFlight === 0 && state.acked > 0) return
        throw state.failure
      }
      if (this.typing != null) {
        const typing = this.typing
        this.typing = undefined
        await this.pace()
        await lp.write(typing)
        continue
      }
      if (state.inFlight < this.pending.length && state.inFlight < this.opts.window) {
        await this.pace()
        if (state.failure != null) throw state.failure
        // every frame the window and the pacing allow right now goes out in one write
        const frames = [this.take(state)]
        while (state.inFlight < this.pending.length && state.inFlight < this.opts.window && this.takeToken()) frames.push(this.take(state))
        await lp.writeV(frames)
        continue
      }
      if (state.inFlight > 0) {
        const left = state.progressAt + this.opts.ackTimeoutMs - Date.now()
        if (left <= 0) throw new TimeoutError(`no delivery receipt within ${this.opts.ackTimeoutMs} ms`)
        await this.wake.wait(left)
        idleSince = Date.now()
        continue
      }
      const idleLeft = idleSince + this.opts.idleMs - Date.now()
      if (idleLeft <= 0) return
      await this.wake.wait(idleLeft)
    }
    throw new Error('chat service stopping')
  }
}
