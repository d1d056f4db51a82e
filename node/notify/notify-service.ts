import { serviceCapabilities, serviceDependencies, TypedEventEmitter } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { encodeNotifyFrame } from '../../protocol/notify-frame.js'
import { ROSTER_CAPABILITY } from '../roster/constants.js'
import { Backoff } from '../util/wait.js'
import { FAREWELL_TIMEOUT_MS, MAX_NOTIFY_STREAMS, NOTIFY_CAPABILITY, NOTIFY_PROTOCOL, OPEN_TIMEOUT_MS, RESUBSCRIBE_BASE_MS, RESUBSCRIBE_CAP_MS } from './constants.js'
import { NotifyProtocolError, NotifyReplacedError } from './errors.js'
import { FrameReader } from './frame-reader.js'
import { Outlet } from './outlet.js'
import type { NotifyStats, PresenceNotify, PresenceNotifyEvents, PresenceNotifyInit } from './index.js'
import type { Roster } from '../roster/index.js'
import type { ComponentLogger, Connection, Libp2pEvents, Logger, PeerId, Startable, Stream, TypedEventTarget } from '@libp2p/interface'
import type { ConnectionManager, Registrar } from '@libp2p/interface-internal'

export interface NotifyServiceComponents {
  peerId: PeerId
  logger: ComponentLogger
  registrar: Registrar
  connectionManager: ConnectionManager
  events: TypedEventTarget<Libp2pEvents>
  roster: Roster
}

/** The watcher's side of one presentity. */
interface Subscription {
  peer: string
  stream?: Stream
  opening: boolean
  backoff: Backoff
  retry?: ReturnType<typeof setTimeout>
}

interface Latest { bytes: Uint8Array, frame: Uint8Array }

export class NotifyService extends TypedEventEmitter<PresenceNotifyEvents> implements PresenceNotify, Startable {
  readonly [Symbol.toStringTag] = 'presence-mesh:notify'
  readonly [serviceCapabilities] = [NOTIFY_CAPABILITY]
  readonly [serviceDependencies] = [ROSTER_CAPABILITY]

  private readonly log: Logger
  private readonly outlets = new Map<string, Outlet>()
  /** Streams of watchers that lost sight, kept for the goodbye (farewell) until closed. */
  private readonly departing = new Map<string, { outlet: Outlet, timer: ReturnType<typeof setTimeout> }>()
  private readonly latest = new Map<string, Latest>()
  /** One frame per distinct bytes object: a record sent to many watchers is framed once. */
  private readonly frames = new WeakMap<Uint8Array, Uint8Array>()
  private readonly subs = new Map<string, Subscription>()
  private listening = new Set<string>()
  private receiver?: (from: string, bytes: Uint8Array) => void
  private readonly stats: NotifyStats = { sent: 0, skipped: 0, received: 0, refused: 0, violations: 0 }
  private readonly resubscribeBaseMs: number
  private readonly resubscribeCapMs: number
  private readonly openTimeoutMs: number
  private started = false

  constructor (private readonly components: NotifyServiceComponents, init: PresenceNotifyInit = {}) {
    super()
    this.log = components.logger.forComponent('presence-mesh:notify')
    this.resubscribeBaseMs = init.resubscribeBaseMs ?? RESUBSCRIBE_BASE_MS
    this.resubscribeCapMs = init.resubscribeCapMs ?? RESUBSCRIBE_CAP_MS
    this.openTimeoutMs = init.openTimeoutMs ?? OPEN_TIMEOUT_MS
    this.handleStream = this.handleStream.bind(this)
    this.onConnectionOpen = this.onConnectionOpen.bind(this)
    this.onRosterChange = this.onRosterChange.bind(this)
  }

  isStarted (): boolean {
    return this.started
  }

  async start (): Promise<void> {
    await this.components.registrar.handle(NOTIFY_PROTOCOL, this.handleStream, {
      maxInboundStreams: MAX_NOTIFY_STREAMS,
      maxOutboundStreams: MAX_NOTIFY_STREAMS
    })
    this.components.events.addEventListener('connection:open', this.onConnectionOpen)
    this.components.roster.addEventListener('roster:change', this.onRosterChange)
    this.started = true
  }

  async stop (): Promise<void> {
    this.started = false
    this.components.events.removeEventListener('connection:open', this.onConnectionOpen)
    this.components.roster.removeEventListener('roster:change', this.onRosterChange)
    await this.components.registrar.unhandle(NOTIFY_PROTOCOL)
    for (const o of this.outlets.values()) o.close()
    for (const peer of [...this.departing.keys()]) this.depart(peer)
    for (const s of this.subs.values()) this.dropSubscription(s)
    this.outlets.clear()
    this.latest.clear()
    this.subs.clear()
  }

  // ---- presentity side ----

  /** The roster decides: an accepted, unblocked contact that may see this node now. */
  private maySee (peer: string): boolean {
    return this.components.roster.canSee(peer)
  }

  send (peer: string, bytes: Uint8Array): boolean {
    if (!this.started || !this.maySee(peer)) return false
    let frame = this.frames.get(bytes)
    if (frame == null) {
      frame = encodeNotifyFrame(bytes)
      this.frames.set(bytes, frame)
    }
    this.latest.set(peer, { bytes, frame })
    const outlet = this.outlets.get(peer)
    if (outlet == null || !outlet.open) return false
    this.write(outlet, frame)
    return true
  }

  private write (outlet: Outlet, frame: Uint8Array): void {
    const skipped = outlet.skipped
    outlet.write(frame)
    this.stats.sent++
    this.stats.skipped += outlet.skipped - skipped
  }

  private handleStream (stream: Stream, connection: Connection): void {
    const peer = connection.remotePeer.toString()
    if (!this.started || !this.maySee(peer) || connection.limits != null) {
      // nothing for this peer: the stream ends without a frame
      this.stats.refused++
      stream.close().catch(err => { stream.abort(err) })
      return
    }
    this.outlets.get(peer)?.abort(new NotifyReplacedError(peer))
    const outlet = new Outlet(peer, stream)
    this.outlets.set(peer, outlet)
    stream.addEventListener('message', () => {
      this.stats.violations++
      stream.abort(new NotifyProtocolError(peer, 'a watcher sent bytes on its notify stream'))
    })
    // the watcher left on purpose (it stopped listening): no loss
    stream.addEventListener('remoteCloseWrite', () => { outlet.close() })
    stream.addEventListener('close', () => {
      if (this.outlets.get(peer) === outlet) this.outlets.delete(peer)
      const latest = this.latest.get(peer)
      if (outlet.closedByUs || !this.started || latest == null || !this.maySee(peer)) return
      this.log('notify stream of %s ended; its newest record goes another way', peer)
      this.safeDispatchEvent('notify:lost', { detail: { peer, bytes: latest.bytes } })
    })
    const latest = this.latest.get(peer)
    if (latest != null) this.write(outlet, latest.frame)
  }

  private onRosterChange (): void {
    // whoever may not see us any more gets nothing more on this path but its goodbye (farewell)
    for (const [peer, outlet] of this.outlets) {
      if (this.maySee(peer)) continue
      this.outlets.delete(peer)
      this.depart(peer)
      const timer = setTimeout(() => { this.depart(peer) }, FAREWELL_TIMEOUT_MS)
      timer.unref?.()
      this.departing.set(peer, { outlet, timer })
    }
    for (const peer of this.latest.keys()) {
      if (!this.maySee(peer)) this.latest.delete(peer)
    }
  }

  forget (peers?: Iterable<string>): void {
    if (peers == null) this.latest.clear()
    else for (const peer of peers) this.latest.delete(peer)
  }

  farewell (peer: string, bytes: Uint8Array): boolean {
    const d = this.departing.get(peer)
    if (d == null || !d.outlet.open) return false
    this.write(d.outlet, encodeNotifyFrame(bytes))
    this.depart(peer)
    return true
  }

  /** Closes the stream kept for a watcher that lost sight (its pending frames still go). */
  private depart (peer: string): void {
    const d = this.departing.get(peer)
    if (d == null) return
    clearTimeout(d.timer)
    this.departing.delete(peer)
    d.outlet.close()
  }

  watchers (): string[] {
    return [...this.outlets.values()].filter(o => o.open).map(o => o.peer)
  }

  getStats (): NotifyStats {
    return { ...this.stats }
  }

  // ---- watcher side ----

  setReceiver (receiver: ((from: string, bytes: Uint8Array) => void) | undefined): void {
    this.receiver = receiver
  }

  listen (presentities: Iterable<string>): void {
    const before = this.listening
    this.listening = new Set(presentities)
    for (const s of [...this.subs.values()]) {
      if (!this.listening.has(s.peer)) this.dropSubscription(s)
    }
    // the ones listened to before are subscribed as their connections open
    for (const peer of this.listening) {
      if (!before.has(peer) && this.connected(peer)) this.subscribe(peer)
    }
  }

  private connected (peer: string): boolean {
    return this.components.connectionManager.getConnections(peerIdFromString(peer)).some(c => c.limits == null)
  }

  subscriptions (): string[] {
    return [...this.subs.values()].filter(s => s.stream?.status === 'open').map(s => s.peer)
  }

  private onConnectionOpen (evt: CustomEvent<Connection>): void {
    const conn = evt.detail
    if (conn.limits != null) return
    const peer = conn.remotePeer.toString()
    if (this.listening.has(peer)) this.subscribe(peer, true)
  }

  /** `fresh`: a new connection; a retry waiting out its backoff (refused earlier, say) goes now. */
  private subscribe (peer: string, fresh = false): void {
    let s = this.subs.get(peer)
    if (s == null) {
      s = { peer, opening: false, backoff: new Backoff({ baseMs: this.resubscribeBaseMs, capMs: this.resubscribeCapMs, jitter: 0.5 }) }
      this.subs.set(peer, s)
    }
    if (fresh && s.retry != null && s.stream == null && !s.opening) {
      clearTimeout(s.retry)
      s.retry = undefined
      s.backoff.reset()
    }
    if (s.opening || s.stream != null || s.retry != null) return
    s.opening = true
    this.open(s).catch(err => { this.log('could not subscribe to %s - %e', peer, err) })
  }

  private async open (s: Subscription): Promise<void> {
    let stream: Stream
    try {
      stream = await this.components.connectionManager.openStream(peerIdFromString(s.peer), NOTIFY_PROTOCOL, {
        signal: AbortSignal.timeout(this.openTimeoutMs)
      })
    } catch (err) {
      s.opening = false
      this.retryLater(s)
      throw err
    }
    s.opening = false
    if (!this.started || this.subs.get(s.peer) !== s) {
      stream.abort(new Error('no longer subscribed'))
      return
    }
    s.stream = stream
    const reader = new FrameReader(bytes => {
      this.stats.received++
      s.backoff.reset()
      try {
        this.receiver?.(s.peer, bytes)
      } catch (err) {
        // the receiver's fault, not the stream's: the stream stays
        this.log.error('receiver of %s failed - %e', s.peer, err)
      }
      if (this.listenerCount('notify:record') > 0) this.safeDispatchEvent('notify:record', { detail: { from: s.peer, bytes } })
    })
    stream.addEventListener('message', (evt) => {
      try {
        reader.push(evt.data)
      } catch (err: any) {
        this.stats.violations++
        stream.abort(new NotifyProtocolError(s.peer, err.message))
      }
    })
    // the presentity ended it (we may not see it now, or it stops): finish our side too
    stream.addEventListener('remoteCloseWrite', () => { stream.close().catch(err => { stream.abort(err) }) })
    stream.addEventListener('close', () => {
      if (s.stream === stream) s.stream = undefined
      if (this.started && this.subs.get(s.peer) === s) this.retryLater(s)
    })
  }

  /** After a break or a refusal: subscribe again later, while still connected and listening. */
  private retryLater (s: Subscription): void {
    if (!this.started || s.retry != null) return
    s.retry = setTimeout(() => {
      s.retry = undefined
      if (!this.started || this.subs.get(s.peer) !== s) return
      if (this.listening.has(s.peer) && this.connected(s.peer)) this.subscribe(s.peer)
      else this.subs.delete(s.peer)
    }, s.backoff.next())
    s.retry.unref?.()
  }

  private dropSubscription (s: Subscription): void {
    clearTimeout(s.retry)
    s.retry = undefined
    this.subs.delete(s.peer)
    s.stream?.close().catch(err => { s.stream?.abort(err) })
  }
}
