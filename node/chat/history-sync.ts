/**
 * /presence-mesh/device-history/1.0.0 (docs/protocol.md §14.12): a person's
 * conversations follow them across their devices, as XMPP carbons do, and a
 * device that was offline catches up. Between two current devices of one
 * person only (the connection's authenticated peer id is listed in the
 * device list held, and is not this device; checked by both sides). Each
 * side writes a hello (how far it holds each device's records, its read
 * marks), then the records the other lacks and an end frame; both take what
 * is new. An exchange runs at every connection to an own device (the
 * dialer's), and with every connected own device when something new was
 * stored here (sent, received, read, or taken from another own device).
 */
import { ProtocolError } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { lpStream } from '@libp2p/utils'
import { decodeHistoryFrame, DEVICE_HISTORY_PROTOCOL, encodeHistoryFrame, MAX_HISTORY_FRAME_BYTES, MAX_HISTORY_RECORDS_PER_EXCHANGE, MAX_READ_MARKS } from '../../protocol/device-history.js'
import { KeyedRetries } from '../util/wait.js'
import { HISTORY_EXCHANGE_TIMEOUT_MS, HISTORY_RETRY_BASE_MS, HISTORY_RETRY_CAP_MS, MAX_HISTORY_STREAMS } from './constants.js'
import { anySignal } from '../signals.js'
import type { HistoryCursor, HistoryFrame, HistoryMessage, HistoryRecord, ReadMark } from '../../protocol/device-history.js'
import type { ChatStore } from './chat-store.js'
import type { ConversationLog } from './conversation-log.js'
import type { DevicesService } from '../devices/index.js'
import type { Connection, Libp2pEvents, Logger, Stream, TypedEventTarget } from '@libp2p/interface'
import type { ConnectionManager, Registrar } from '@libp2p/interface-internal'
import type { LengthPrefixedStream } from '@libp2p/utils'

export { DEVICE_HISTORY_PROTOCOL }

export interface HistorySyncContext {
  self: string
  log: ConversationLog
  store: Pick<ChatStore, 'change'>
  registrar: Registrar
  connectionManager: Pick<ConnectionManager, 'getConnections' | 'openConnection'>
  events: TypedEventTarget<Libp2pEvents>
  devices: Pick<DevicesService, 'isOwnDevice' | 'devices'>
  logger: Logger
  /** Messages and read marks new here, taken from another own device. */
  took: (fresh: HistoryMessage[], marks: ReadMark[]) => void
}

/** A rule of the stream broken: the stream is reset and nothing of the exchange is taken. */
export class HistoryStreamError extends ProtocolError {
  override name = 'HistoryStreamError'
}

export class HistorySync {
  private started = false
  /** Ends every exchange and dial in flight when the service stops. */
  private shutdown = new AbortController()
  /** Own devices that have not had everything new here (not connected, or the exchange failed). */
  private readonly owed = new Set<string>()
  private readonly running = new Map<string, Promise<void>>()
  private readonly dialling = new Set<string>()
  private readonly again = new Set<string>()
  private readonly retries = new KeyedRetries({ baseMs: HISTORY_RETRY_BASE_MS, capMs: HISTORY_RETRY_CAP_MS, jitter: 0.5 })

  constructor (private readonly ctx: HistorySyncContext) {
    this.onConnectionOpen = this.onConnectionOpen.bind(this)
  }

  async start (): Promise<void> {
    await this.ctx.registrar.handle(DEVICE_HISTORY_PROTOCOL, (stream, conn) => { void this.answer(stream, conn) }, {
      maxInboundStreams: MAX_HISTORY_STREAMS, maxOutboundStreams: MAX_HISTORY_STREAMS, runOnLimitedConnection: true
    })
    this.ctx.events.addEventListener('connection:open', this.onConnectionOpen)
    this.shutdown = new AbortController()
    this.started = true
  }

  async stop (): Promise<void> {
    this.started = false
    this.shutdown.abort(new Error('history sync stopping'))
    await Promise.allSettled(this.running.values())
    this.retries.clear()
    this.ctx.events.removeEventListener('connection:open', this.onConnectionOpen)
    await this.ctx.registrar.unhandle(DEVICE_HISTORY_PROTOCOL)
  }

  /** Every other own device gets what is new here: at once when connected, else at its next connection. */
  pushAll (except?: string): void {
    if (!this.started) return
    for (const { peerId } of this.ctx.devices.devices()) {
      if (peerId === except || !this.isOtherDevice(peerId)) continue
      this.owed.add(peerId)
      // a device away, already waiting for its next try: that try (or its next connection) takes this too
      if (this.openConnection(peerId) == null && this.retries.waiting(peerId)) continue
      void this.deliver(peerId)
    }
  }

  /** Another current device of this person (never this one; none once this device is revoked). */
  private isOtherDevice (peer: string): boolean {
    return peer !== this.ctx.self && this.ctx.devices.isOwnDevice(peer)
  }

  /** A connection to the peer that is open (not one closing). */
  private openConnection (peer: string): Connection | undefined {
    return this.ctx.connectionManager.getConnections(peerIdFromString(peer)).find(c => c.status === 'open')
  }

  private onConnectionOpen (evt: CustomEvent<Connection>): void {
    const peer = evt.detail.remotePeer.toString()
    if (!this.started || (evt.detail.direction !== 'outbound' && !this.owed.has(peer)) || !this.isOtherDevice(peer)) return
    this.exchange(peer)
  }

  /** On an open connection, else after a dial (best effort); still owed afterwards: again after a backoff. */
  private async deliver (peer: string): Promise<void> {
    // a burst of sends while the device is away dials it once
    if (this.dialling.has(peer)) return
    this.dialling.add(peer)
    try {
      if (this.openConnection(peer) == null) {
        await this.ctx.connectionManager.openConnection(peerIdFromString(peer), { signal: this.bounded() })
      }
      this.exchange(peer)
    } catch (err) {
      this.ctx.logger('own device %s not reached - %e', peer, err)
      this.later(peer)
    } finally {
      this.dialling.delete(peer)
    }
  }

  private later (peer: string): void {
    if (!this.started || !this.owed.has(peer)) {
      this.retries.forget(peer)
      return
    }
    this.retries.schedule(peer, () => { if (this.started && this.owed.has(peer) && this.isOtherDevice(peer)) void this.deliver(peer) })
  }

  /** One exchange at a time per device; a request meanwhile runs one more after it. */
  private exchange (peer: string): void {
    if (this.running.has(peer)) {
      this.again.add(peer)
      return
    }
    const run = this.open(peer).finally(() => {
      this.running.delete(peer)
      if (this.again.delete(peer) && this.started) this.exchange(peer)
      else this.later(peer)
    })
    this.running.set(peer, run)
  }

  private async open (peer: string): Promise<void> {
    const signal = this.bounded()
    let stream: Stream | undefined
    try {
      const conn = this.openConnection(peer)
      if (conn == null || !this.isOtherDevice(peer)) return
      this.owed.delete(peer)
      stream = await conn.newStream(DEVICE_HISTORY_PROTOCOL, { signal, runOnLimitedConnection: true })
      await this.run(stream, peer, true, signal)
    } catch (err: any) {
      this.owed.add(peer)
      this.ctx.logger('history exchange with %s failed - %e', peer, err)
      stream?.abort(err instanceof Error ? err : new Error(String(err)))
    }
  }

  private async answer (stream: Stream, conn: Connection): Promise<void> {
    const peer = conn.remotePeer.toString()
    if (!this.isOtherDevice(peer)) {
      this.ctx.logger('refused a history exchange from %s: no current device of this person', peer)
      stream.abort(new Error('not a device of this person'))
      return
    }
    try {
      await this.run(stream, peer, false, this.bounded())
      this.owed.delete(peer)
      // the answerer read a full batch: it opens the next exchange itself (nothing else would)
      if (this.again.delete(peer) && this.started) this.exchange(peer)
    } catch (err: any) {
      this.ctx.logger('history exchange of %s ended - %e', peer, err)
      stream.abort(err instanceof Error ? err : new Error(String(err)))
    }
  }

  private async run (stream: Stream, peer: string, opener: boolean, signal: AbortSignal): Promise<void> {
    const lp = lpStream(stream, { maxDataLength: MAX_HISTORY_FRAME_BYTES })
    const mine = encodeHistoryFrame({ type: 'hello', have: this.ctx.log.cursorsHeld(), read: this.ctx.log.marksHeld(MAX_READ_MARKS) })
    if (opener) await lp.write(mine, { signal })
    const hello = await readFrame(lp, signal)
    if (hello.type !== 'hello') throw new HistoryStreamError('history: expected a hello')
    if (!opener) await lp.write(mine, { signal })
    const [, records] = await Promise.all([this.writeRecords(lp, hello.have, signal), readRecords(lp, signal)])
    await stream.close({ signal })
    const tookAny = await this.take(peer, records, hello.read)
    // a full batch that brought something new: more may wait (one that brought nothing would come again)
    if (records.length >= MAX_HISTORY_RECORDS_PER_EXCHANGE && tookAny) this.again.add(peer)
  }

  private async writeRecords (lp: LengthPrefixedStream<Stream>, theirs: HistoryCursor[], signal: AbortSignal): Promise<void> {
    for await (const record of this.ctx.log.recordsAfter(theirs, MAX_HISTORY_RECORDS_PER_EXCHANGE)) {
      await lp.write(encodeHistoryFrame({ type: 'record', record }), { signal })
    }
    await lp.write(encodeHistoryFrame({ type: 'end' }), { signal })
  }

  private bounded (): AbortSignal {
    return anySignal([AbortSignal.timeout(HISTORY_EXCHANGE_TIMEOUT_MS), this.shutdown.signal])
  }

  /** Stores what is new of an exchange; returns whether any record moved a cursor on. */
  private async take (peer: string, records: HistoryRecord[], marks: ReadMark[]): Promise<boolean> {
    // the device may have been revoked while the exchange ran; nothing is stored once stopping
    if (!this.started || !this.isOtherDevice(peer) || (records.length === 0 && marks.length === 0)) return false
    const { fresh, cursors, taken } = await this.ctx.store.change(async (tx) => {
      const { fresh, cursors } = await this.ctx.log.stageTaken(tx, records)
      return { fresh, cursors, taken: marks.filter(m => this.ctx.log.stageMark(tx, m)) }
    })
    if (fresh.length > 0 || taken.length > 0) {
      this.ctx.logger('took %d messages and %d read marks from %s', fresh.length, taken.length, peer)
      this.ctx.took(fresh, taken)
      this.pushAll(peer)
    }
    return cursors.size > 0
  }
}

async function readFrame (lp: LengthPrefixedStream<Stream>, signal: AbortSignal): Promise<HistoryFrame> {
  const res = decodeHistoryFrame((await lp.read({ signal })).subarray())
  if (!res.ok) throw new HistoryStreamError(`history: ${res.reason} ${res.detail ?? ''}`)
  return res.frame
}

/** Records until the end frame: at most the per-exchange bound, each origin's in increasing order. */
async function readRecords (lp: LengthPrefixedStream<Stream>, signal: AbortSignal): Promise<HistoryRecord[]> {
  const records: HistoryRecord[] = []
  const last = new Map<string, number>()
  while (true) {
    const frame = await readFrame(lp, signal)
    if (frame.type === 'end') return records
    if (frame.type !== 'record') throw new HistoryStreamError('history: a second hello')
    const r = frame.record
    if (r.seq <= (last.get(r.origin) ?? 0)) throw new HistoryStreamError('history: out-of-order')
    if (records.length >= MAX_HISTORY_RECORDS_PER_EXCHANGE) throw new HistoryStreamError('history: too-many')
    last.set(r.origin, r.seq)
    records.push(r)
  }
}
