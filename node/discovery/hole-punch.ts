/**
 * TCP hole punching between two peers behind NATs, over their relayed
 * connection (docs/protocol.md, "Behind NATs").
 *
 * libp2p's DCUtR cannot do this in Node: Node has no SO_REUSEPORT, so a TCP
 * dial never leaves from the listening port, and identify ignores observed
 * TCP addresses for that reason; DCUtR then has no address to offer. Most
 * home routers (and Linux masquerading) keep a connection's source port when
 * it is free and map it the same way for every destination, so we choose the
 * source port ourselves: each side sends the public IP the relay saw and a
 * free local port, and both dial each other from that port at the same time
 * (TCP simultaneous open). Each outgoing SYN opens its own NAT for the
 * other's. A NAT that picks a new port per destination (symmetric) defeats
 * it: the punch times out and the peers stay relayed, retrying later.
 *
 * The peer whose id sorts first starts, on a relayed connection to a contact
 * it has no direct connection to (when the connection opens, or when the
 * peer becomes a contact). Only contacts punch: CONNECT carries the public IP
 * the relay saw, which a stranger must not learn. Only public addresses are
 * ever dialed.
 */
import net from 'node:net'
import { getNetConfig, lpStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { decodePunch, encodePunch, MAX_PUNCH_MESSAGE_BYTES } from '../../protocol/punch.js'
import { ROSTER_CAPABILITY } from '../roster/constants.js'
import { anySignal, sharedController, sharedSignal } from '../signals.js'
import { backoffDelay, sleep } from '../util/wait.js'
import { connectFrom, socketConnection } from './socket-connection.js'
import type { Identify } from '@libp2p/identify'
import { serviceDependencies } from '@libp2p/interface'
import type { Roster, RosterChangeEvent } from '../roster/index.js'
import type { ComponentLogger, Connection, Logger, PeerId, Startable, Stream, Upgrader } from '@libp2p/interface'
import type { ConnectionManager, Registrar } from '@libp2p/interface-internal'
import type { Multiaddr } from '@multiformats/multiaddr'

export const PUNCH_PROTOCOL = '/presence-mesh/punch/1.0.0'
/** One attempt, messages and dials together: SYNs are resent after 1 s and 3 s. */
export const PUNCH_TIMEOUT_MS = 10_000
/** After a failed attempt the pair stays relayed this long, doubling per failure up to the max, then the initiator tries again. */
export const PUNCH_RETRY_MIN_MS = 10_000
export const PUNCH_RETRY_MAX_MS = 60 * 60_000
/** Peers whose backoff is remembered; past this, entries whose backoff ended are dropped. */
const MAX_BACKOFF_ENTRIES = 1024

export class PunchError extends Error {
  override name = 'PunchError'
}

export interface HolePunchInit {
  timeoutMs?: number
  retryMinMs?: number
  retryMaxMs?: number
}

export interface HolePunchComponents {
  peerId: PeerId
  registrar: Registrar
  connectionManager: ConnectionManager
  upgrader: Upgrader
  identify: Identify
  logger: ComponentLogger
  roster: Pick<Roster, 'isContact' | 'addEventListener' | 'removeEventListener'>
}

export interface PunchStats {
  attempts: number
  direct: number
  failed: number
}

export interface HolePunch {
  /** Counts since start: attempts this node took part in, and how they ended. */
  stats: () => PunchStats
}

interface Backoff { failures: number, at: number }

class DefaultHolePunch implements HolePunch, Startable {
  readonly [Symbol.toStringTag] = 'presence-mesh:hole-punch'
  readonly [serviceDependencies] = [ROSTER_CAPABILITY]
  private readonly log: Logger
  /** Ends every punch in flight when the node stops. */
  private shutdown = sharedController()
  private readonly timeoutMs: number
  private readonly retryMinMs: number
  private readonly retryMaxMs: number
  private readonly punching = new Set<string>()
  private readonly backoff = new Map<string, Backoff>()
  /** The initiator's next try after a failure, per peer. */
  private readonly retries = new Map<string, ReturnType<typeof setTimeout>>()
  /** The public IP the relay behind each relayed connection saw, by that direct relay connection's id. */
  private readonly observed = new Map<string, string>()
  private readonly counts: PunchStats = { attempts: 0, direct: 0, failed: 0 }
  private topology?: string
  private started = false

  constructor (private readonly components: HolePunchComponents, init: HolePunchInit = {}) {
    this.log = components.logger.forComponent('presence-mesh:hole-punch')
    this.timeoutMs = init.timeoutMs ?? PUNCH_TIMEOUT_MS
    this.retryMinMs = init.retryMinMs ?? PUNCH_RETRY_MIN_MS
    this.retryMaxMs = init.retryMaxMs ?? PUNCH_RETRY_MAX_MS
    this.onStream = this.onStream.bind(this)
    this.onRosterChange = this.onRosterChange.bind(this)
  }

  isStarted (): boolean { return this.started }

  async start (): Promise<void> {
    this.shutdown = sharedController()
    this.components.roster.addEventListener('roster:change', this.onRosterChange)
    await this.components.registrar.handle(PUNCH_PROTOCOL, this.onStream, {
      runOnLimitedConnection: true, maxInboundStreams: 2, maxOutboundStreams: 2
    })
    this.topology = await this.components.registrar.register(PUNCH_PROTOCOL, {
      notifyOnLimitedConnection: true,
      onConnect: (peer, conn) => { void this.maybePunch(peer, conn) }
    })
    this.started = true
  }

  async stop (): Promise<void> {
    this.started = false
    this.shutdown.abort()
    this.components.roster.removeEventListener('roster:change', this.onRosterChange)
    for (const timer of this.retries.values()) clearTimeout(timer)
    this.retries.clear()
    if (this.topology != null) this.components.registrar.unregister(this.topology)
    await this.components.registrar.unhandle(PUNCH_PROTOCOL)
    this.observed.clear()
  }

  stats (): PunchStats {
    return { ...this.counts }
  }

  private hasDirect (peer: PeerId): boolean {
    return this.components.connectionManager.getConnections(peer).some(c => c.limits == null && c.status === 'open')
  }

  /** A peer that became a contact (or was unblocked) while relayed: punch now. */
  private onRosterChange (evt: CustomEvent<RosterChangeEvent>): void {
    for (const { id } of evt.detail.people) {
      if (!this.components.roster.isContact(id)) continue
      const relayed = this.components.connectionManager.getConnections().find(c => c.remotePeer.toString() === id && c.limits != null && c.status === 'open')
      if (relayed != null) void this.maybePunch(relayed.remotePeer, relayed)
    }
  }

  /** The punch's deadline, ended early by stop. */
  private signal (): AbortSignal {
    return sharedSignal(anySignal([AbortSignal.timeout(this.timeoutMs), this.shutdown.signal]))
  }

  /** The initiator's side: the peer whose id sorts first, a contact on a relayed connection, outside its backoff. */
  private async maybePunch (peer: PeerId, relayed: Connection): Promise<void> {
    const id = peer.toString()
    if (!this.started || relayed.limits == null || this.components.peerId.toString() > id) return
    if (!this.components.roster.isContact(peer)) return
    if (this.punching.has(id) || this.hasDirect(peer) || this.backingOff(id, 1)) return
    this.punching.add(id)
    this.counts.attempts++
    const signal = this.signal()
    let stream: Stream | undefined
    try {
      stream = await relayed.newStream(PUNCH_PROTOCOL, { runOnLimitedConnection: true, signal })
      const lp = lpStream(stream, { maxDataLength: MAX_PUNCH_MESSAGE_BYTES })
      const port = await freePort()
      const ours = await this.publicAddress(relayed, port, signal)
      const sentAt = Date.now()
      await lp.write(encodePunch({ kind: 'connect', addr: ours }), { signal })
      const theirs = expect(await lp.read({ signal }), 'connect')
      const rtt = Date.now() - sentAt
      await lp.write(encodePunch({ kind: 'sync' }), { signal })
      // the responder dials on SYNC, half a round trip from now
      await sleep(Math.floor(rtt / 2), { signal })
      await this.dial(peer, theirs, port, true, signal)
      await stream.close({ signal }).catch(() => {})
      this.succeeded(peer, relayed)
    } catch (err: any) {
      stream?.abort(err)
      this.failed(peer, err)
      this.retryLater(peer)
    } finally {
      this.punching.delete(id)
    }
  }

  /** After the backoff, punch again over whichever relayed connection the pair then has. */
  private retryLater (peer: PeerId): void {
    const id = peer.toString()
    const b = this.backoff.get(id)
    if (b == null || !this.started) return
    clearTimeout(this.retries.get(id))
    const timer = setTimeout(() => {
      this.retries.delete(id)
      const relayed = this.components.connectionManager.getConnections(peer).find(c => c.limits != null && c.status === 'open')
      if (relayed != null) void this.maybePunch(peer, relayed)
    }, this.backoffMs(b.failures) + 10)
    timer.unref?.()
    this.retries.set(id, timer)
  }

  /** The responder's side. */
  private async onStream (stream: Stream, relayed: Connection): Promise<void> {
    const peer = relayed.remotePeer
    const id = peer.toString()
    // a stranger learns nothing from us, our public IP least of all
    if (!this.components.roster.isContact(peer)) {
      stream.abort(new PunchError('not a contact'))
      return
    }
    const signal = this.signal()
    // the backoff binds the responder too (half of it, so that the initiator's
    // next try is never early): a peer cannot make us send SYNs at will
    if (relayed.limits == null || this.punching.has(id) || this.backingOff(id, 0.5)) {
      stream.abort(new PunchError('no punch now: not relayed, one running, or backing off'))
      return
    }
    this.punching.add(id)
    this.counts.attempts++
    try {
      const lp = lpStream(stream, { maxDataLength: MAX_PUNCH_MESSAGE_BYTES })
      const theirs = expect(await lp.read({ signal }), 'connect')
      const port = await freePort()
      const ours = await this.publicAddress(relayed, port, signal)
      await lp.write(encodePunch({ kind: 'connect', addr: ours }), { signal })
      expect(await lp.read({ signal }), 'sync')
      // both ends of a simultaneous open are dialers: the initiator runs the handshake as such
      await this.dial(peer, theirs, port, false, signal)
      await stream.close({ signal }).catch(() => {})
      this.succeeded(peer, relayed)
    } catch (err: any) {
      stream.abort(err)
      this.failed(peer, err)
    } finally {
      this.punching.delete(id)
    }
  }

  /**
   * Dials from the chosen port and runs the upgrade: as the initiator on one
   * side, as the responder on the other (libp2p's own dial would make both
   * sides yamux clients, and its dial queue drops a local port).
   */
  private async dial (peer: PeerId, to: Multiaddr, localPort: number, initiator: boolean, signal: AbortSignal): Promise<void> {
    this.log('dialing %p at %a from local port %d', peer, to, localPort)
    const { host, port } = getNetConfig(to)
    if (port == null) throw new PunchError(`no port in ${to.toString()}`)
    const socket = await connectFrom(localPort, host, port, signal)
    const remoteAddr = to.encapsulate(`/p2p/${peer.toString()}`)
    const maConn = socketConnection(socket, { remoteAddr, direction: initiator ? 'outbound' : 'inbound', log: this.log.newScope('connection') })
    let conn: Connection | undefined
    try {
      if (initiator) {
        conn = await this.components.upgrader.upgradeOutbound(maConn, { signal })
      } else {
        await this.components.upgrader.upgradeInbound(maConn, { signal })
        conn = this.components.connectionManager.getConnections().find(c => c.limits == null && c.remoteAddr.toString().startsWith(to.toString()))
      }
    } catch (err: any) {
      maConn.abort(err)
      throw err
    }
    // whoever answered at that address is kept only if it is the peer we punched to
    if (conn != null && !conn.remotePeer.equals(peer)) {
      const wrong = conn
      await wrong.close().catch(() => { wrong.abort(new PunchError('wrong peer')) })
      throw new PunchError(`the punched connection reached ${conn.remotePeer.toString()}, not ${peer.toString()}`)
    }
    if (!this.hasDirect(peer)) throw new PunchError('the punched connection did not open')
  }

  private succeeded (peer: PeerId, relayed: Connection): void {
    this.counts.direct++
    this.backoff.delete(peer.toString())
    this.log('direct connection to %p; closing the relayed one', peer)
    relayed.close().catch(err => { relayed.abort(err) })
  }

  private failed (peer: PeerId, err: Error): void {
    this.counts.failed++
    const id = peer.toString()
    const failures = (this.backoff.get(id)?.failures ?? 0) + 1
    if (this.backoff.size >= MAX_BACKOFF_ENTRIES) {
      for (const [other, b] of this.backoff) if (Date.now() >= b.at + this.backoffMs(b.failures)) this.backoff.delete(other)
    }
    this.backoff.set(id, { failures, at: Date.now() })
    this.log('hole punch with %p failed (%d in a row), stay relayed for %d ms - %e', peer, failures, this.backoffMs(failures), err)
  }

  private backoffMs (failures: number): number {
    return backoffDelay(failures, { baseMs: this.retryMinMs, capMs: this.retryMaxMs })
  }

  /** Whether `share` of the backoff after the last failure with this peer is still running. */
  private backingOff (id: string, share: number): boolean {
    const b = this.backoff.get(id)
    return b != null && Date.now() < b.at + this.backoffMs(b.failures) * share
  }

  /**
   * Our public IP, as the relay of this relayed connection saw us (identify
   * reports it), with the local port we will dial from.
   */
  private async publicAddress (relayed: Connection, port: number, signal: AbortSignal): Promise<Multiaddr> {
    const relayId = relayed.remoteAddr.getComponents().find(c => c.name === 'p2p')?.value
    const relayConn = this.components.connectionManager.getConnections()
      .find(c => c.remotePeer.toString() === relayId && c.limits == null && c.status === 'open')
    if (relayConn == null) throw new PunchError('no direct connection to the relay')
    let ip = this.observed.get(relayConn.id)
    if (ip == null) {
      const seen = (await this.components.identify.identify(relayConn, { signal })).observedAddr
      const parts = seen?.getComponents() ?? []
      if (parts[0] == null || (parts[0].name !== 'ip4' && parts[0].name !== 'ip6') || parts[0].value == null) throw new PunchError('the relay reported no IP address for us')
      ip = `/${parts[0].name}/${parts[0].value}`
      if (this.observed.size > 16) this.observed.clear()
      this.observed.set(relayConn.id, ip)
    }
    return multiaddr(`${ip}/tcp/${port}`)
  }
}

/** The next message, of the kind the protocol expects now; anything else ends the punch. */
function expect (bytes: { subarray: () => Uint8Array }, kind: 'connect'): Multiaddr
function expect (bytes: { subarray: () => Uint8Array }, kind: 'sync'): undefined
function expect (bytes: { subarray: () => Uint8Array }, kind: 'connect' | 'sync'): Multiaddr | undefined {
  const res = decodePunch(bytes.subarray())
  if (!res.ok) throw new PunchError(`bad punch message: ${res.reason}${res.detail != null ? ` (${res.detail})` : ''}`)
  if (res.frame.kind !== kind) throw new PunchError(`expected ${kind}, got ${res.frame.kind}`)
  return res.frame.kind === 'connect' ? res.frame.addr : undefined
}

/** A local TCP port nothing uses right now (the kernel picks it; we release it at once). */
async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, () => {
      const { port } = server.address() as net.AddressInfo
      server.close(() => { resolve(port) })
    })
  })
}

export function holePunch (init: HolePunchInit = {}): (components: HolePunchComponents) => HolePunch {
  return (components) => new DefaultHolePunch(components, init)
}
