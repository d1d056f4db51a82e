import { randomBytes } from '@libp2p/crypto'
import { serviceCapabilities, TypedEventEmitter } from '@libp2p/interface'
import { lpStream } from '@libp2p/utils'
import { WindowCounter } from '../util/window-counter.js'
import { multiaddr } from '@multiformats/multiaddr'
import { toString as uint8ArrayToString } from 'uint8arrays/to-string'
import { equals as uint8ArrayEquals } from 'uint8arrays/equals'
import {
  CHALLENGE_BYTES, decodeInstanceProbe, encodeInstanceHello, INSTANCE_ID_BYTES, MAX_INSTANCE_FRAME_BYTES, openInstanceStatement, sealInstanceStatement, yieldsTo
} from '../../protocol/instance.js'
import {
  EXCHANGE_TIMEOUT_MS, INSTANCE_CAPABILITY, INSTANCE_PROTOCOL, MAX_EXCHANGES_IN_FLIGHT, MAX_EXCHANGES_PER_PEER, MAX_INSTANCE_STREAMS, MAX_PAIRS,
  MAX_STREAMS_PER_PEER, RATE_WINDOW_S, STREAM_TIMEOUT_MS
} from './constants.js'
import { InstanceProtocolError } from './errors.js'
import { runExchange } from './observer.js'
import type { DuplicateInstance, InstanceGuard, InstanceGuardEvents, InstanceGuardInit, InstanceStats } from './index.js'
import type { InstanceProbe } from '../../protocol/instance.js'
import type { ComponentLogger, Connection, Libp2pEvents, Logger, PeerId, PrivateKey, Startable, Stream, TypedEventTarget } from '@libp2p/interface'
import type { ConnectionManager, Registrar } from '@libp2p/interface-internal'

export interface InstanceServiceComponents {
  peerId: PeerId
  privateKey: PrivateKey
  logger: ComponentLogger
  registrar: Registrar
  connectionManager: Pick<ConnectionManager, 'getConnections'>
  events: TypedEventTarget<Libp2pEvents>
}

export class InstanceService extends TypedEventEmitter<InstanceGuardEvents> implements InstanceGuard, Startable {
  readonly [Symbol.toStringTag] = 'presence-mesh:instance'
  readonly [serviceCapabilities] = [INSTANCE_CAPABILITY]

  private readonly log: Logger
  private readonly id = randomBytes(INSTANCE_ID_BYTES)
  private started = false
  private startTime: number
  private readonly exchangeTimeoutMs: number
  private readonly streamTimeoutMs: number
  private readonly streamLimiter = new WindowCounter(MAX_STREAMS_PER_PEER, RATE_WINDOW_S * 1000)
  private readonly exchangeLimiter = new WindowCounter(MAX_EXCHANGES_PER_PEER, RATE_WINDOW_S * 1000)
  /** Peer ids with an exchange under way (one at a time each). */
  private readonly exchanging = new Set<string>()
  /** Peer ids to check again when their exchange ends (another connection opened meanwhile). */
  private readonly recheck = new Set<string>()
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>()
  /** Other instances already reported (each once). */
  private readonly reported = new Set<string>()
  private yielded?: DuplicateInstance
  private readonly stats: InstanceStats = { same: 0, duplicates: 0, failed: 0, skipped: 0, notices: 0, refused: 0 }

  constructor (private readonly components: InstanceServiceComponents, init: InstanceGuardInit = {}) {
    super()
    this.log = components.logger.forComponent('presence-mesh:instance')
    this.exchangeTimeoutMs = init.exchangeTimeoutMs ?? EXCHANGE_TIMEOUT_MS
    this.streamTimeoutMs = init.streamTimeoutMs ?? STREAM_TIMEOUT_MS
    this.startTime = init.startedAt ?? 0
    this.handleStream = this.handleStream.bind(this)
    this.onConnectionOpen = this.onConnectionOpen.bind(this)
  }

  get instance (): string { return uint8ArrayToString(this.id, 'base16') }
  get startedAt (): number { return this.startTime }
  get yieldedTo (): DuplicateInstance | undefined { return this.yielded }

  isStarted (): boolean {
    return this.started
  }

  async start (): Promise<void> {
    if (this.startTime === 0) this.startTime = Date.now()
    await this.components.registrar.handle(INSTANCE_PROTOCOL, this.handleStream, {
      maxInboundStreams: MAX_INSTANCE_STREAMS,
      maxOutboundStreams: MAX_INSTANCE_STREAMS,
      runOnLimitedConnection: true
    })
    this.components.events.addEventListener('connection:open', this.onConnectionOpen)
    this.started = true
  }

  async stop (): Promise<void> {
    this.started = false
    this.components.events.removeEventListener('connection:open', this.onConnectionOpen)
    for (const t of this.timers.values()) clearTimeout(t)
    this.timers.clear()
    this.recheck.clear()
    await this.components.registrar.unhandle(INSTANCE_PROTOCOL)
  }

  getStats (): InstanceStats {
    return { ...this.stats }
  }

  // ---- the instance's side: hello, sign, read the notice ----

  private async handleStream (stream: Stream, connection: Connection): Promise<void> {
    const peer = connection.remotePeer.toString()
    const signal = AbortSignal.timeout(this.streamTimeoutMs)
    try {
      if (!this.started) throw new Error('stopping')
      if (!this.streamLimiter.take(peer)) throw new Error('too many instance streams')
      const lp = lpStream(stream, { maxDataLength: MAX_INSTANCE_FRAME_BYTES })
      const challenge = randomBytes(CHALLENGE_BYTES)
      await lp.write(encodeInstanceHello({ instance: this.id, challenge }), { signal })
      let probe = await this.readProbe(lp, peer, signal)
      // a node that is stopping signs nothing and heeds no notice (its successor may be starting elsewhere)
      if (!this.started) throw new Error('stopping')
      if (probe?.kind === 'sign') {
        await lp.write(sealInstanceStatement({ instance: this.id, startedAt: this.startTime, challenge: probe.challenge }, this.components.privateKey), { signal })
        probe = await this.readProbe(lp, peer, signal)
      }
      if (probe?.kind === 'sign') throw new InstanceProtocolError(peer, 'a second sign on one stream')
      if (probe?.kind === 'duplicate' && this.started) this.onNotice(probe, challenge, peer)
      await stream.close({ signal })
    } catch (err: any) {
      if (['InstanceProtocolError', 'RateLimitError', 'InvalidDataLengthError'].includes(err?.name)) this.stats.refused++
      this.log('instance stream of %s ended - %e', peer, err)
      stream.abort(err instanceof Error ? err : new Error(String(err)))
    }
  }

  /** The next probe, or undefined when the observer closed its side (it saw one node twice). */
  private async readProbe (lp: ReturnType<typeof lpStream<Stream>>, peer: string, signal: AbortSignal): Promise<InstanceProbe | undefined> {
    let bytes: Uint8Array
    try {
      bytes = (await lp.read({ signal })).subarray()
    } catch (err: any) {
      if (err?.name === 'UnexpectedEOFError') return undefined
      throw err
    }
    const res = decodeInstanceProbe(bytes)
    if (!res.ok) throw new InstanceProtocolError(peer, `probe: ${res.reason}`)
    return res.probe
  }

  private onNotice (probe: Extract<InstanceProbe, { kind: 'duplicate' }>, challenge: Uint8Array, observer: string): void {
    const res = openInstanceStatement(probe.statement, { expectedPeer: this.components.peerId, challenge })
    if (!res.ok) throw new InstanceProtocolError(observer, `notice: ${res.reason}`)
    const other = res.statement
    // our own statement handed back: the same node twice is no duplicate
    if (uint8ArrayEquals(other.instance, this.id)) throw new InstanceProtocolError(observer, 'notice of our own instance')
    this.stats.notices++
    const otherInstance = uint8ArrayToString(other.instance, 'base16')
    if (this.reported.has(otherInstance)) return
    this.reported.add(otherInstance)
    const detail: DuplicateInstance = {
      yielded: yieldsTo({ startedAt: this.startTime, instance: this.id }, other),
      otherInstance,
      otherStartedAt: other.startedAt,
      otherAddress: addressOf(probe.otherAddr),
      observer
    }
    if (detail.yielded) this.yielded ??= detail
    this.log('another node holds our key: instance %s started %d (%s), we %s', otherInstance, other.startedAt, detail.otherAddress, detail.yielded ? 'give way' : 'keep running')
    this.safeDispatchEvent('instance:duplicate', { detail })
  }

  // ---- the observer's side: a second connection of one peer id ----

  private onConnectionOpen (evt: CustomEvent<Connection>): void {
    this.check(evt.detail.remotePeer)
  }

  /**
   * Pairs the newest connection of a peer id with its older ones. A check
   * that cannot run now (an exchange about that peer under way, too many at
   * once, its rate spent) runs again once it can: a second connection that
   * opened meanwhile is never left unchecked.
   */
  private check (peerId: PeerId): void {
    if (!this.started) return
    const peer = peerId.toString()
    const conns = this.components.connectionManager.getConnections(peerId).filter(c => c.status === 'open')
      .sort((x, y) => x.timeline.open - y.timeline.open)
    if (conns.length < 2) return
    if (this.exchanging.has(peer)) {
      this.recheck.add(peer)
      return
    }
    if (this.exchanging.size >= MAX_EXCHANGES_IN_FLIGHT) {
      this.stats.skipped++
      this.later(peerId, this.exchangeTimeoutMs)
      return
    }
    if (!this.exchangeLimiter.take(peer)) {
      this.stats.skipped++
      this.later(peerId, this.exchangeLimiter.msBeforeNext(peer))
      return
    }
    this.exchanging.add(peer)
    const newest = conns[conns.length - 1]
    void this.exchange(newest, conns.slice(0, -1).slice(0, MAX_PAIRS)).finally(() => {
      this.exchanging.delete(peer)
      if (this.recheck.delete(peer)) this.check(peerId)
    })
  }

  /** One deferred check per peer id. */
  private later (peerId: PeerId, ms: number): void {
    const peer = peerId.toString()
    if (this.timers.has(peer)) return
    const timer = setTimeout(() => { this.timers.delete(peer); this.check(peerId) }, ms)
    timer.unref?.()
    this.timers.set(peer, timer)
  }

  private async exchange (conn: Connection, others: Connection[]): Promise<void> {
    for (const other of others) {
      try {
        const result = await runExchange(conn, other, AbortSignal.timeout(this.exchangeTimeoutMs))
        if (result === 'same') this.stats.same++
        else {
          this.stats.duplicates++
          this.log('two nodes hold the key of %p: both were told', conn.remotePeer)
          return
        }
      } catch (err) {
        this.stats.failed++
        this.log('instance exchange with %p ended - %e', conn.remotePeer, err)
      }
    }
  }
}

function addressOf (bytes: Uint8Array | undefined): string | undefined {
  if (bytes == null) return undefined
  try {
    return multiaddr(bytes).toString()
  } catch {
    return undefined
  }
}
