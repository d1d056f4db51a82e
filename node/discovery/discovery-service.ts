/**
 * Finding peers without a server: bootstrap dials that retry, rejoining the
 * last known peers after a restart, dialing mDNS finds, holding relay slots,
 * and locating a peer id through the DHT (which watching uses).
 */
import { KEEP_ALIVE, serviceDependencies } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { fromString as uint8ArrayFromString } from 'uint8arrays/from-string'
import { toString as uint8ArrayToString } from 'uint8arrays/to-string'
import { UserError } from '../errors.js'
import {
  BOOTSTRAP_MAX_ATTEMPTS, BOOTSTRAP_MAX_RETRY_MS, BOOTSTRAP_MIN_RETRY_MS, CACHED_DIAL_TIMEOUT_MS, FOLLOW_CHECK_MS,
  FOLLOW_MAX_RETRY_MS, FOLLOW_MIN_RETRY_MS, LAST_CONNECTED_KEY, LOCATE_TIMEOUT_MS, MAX_RELAY_RESERVATIONS,
  MDNS_DIAL_BELOW_CONNECTIONS, REJOIN_MAX_PEERS, WATCH_TAG, WATCH_TAG_VALUE
} from './constants.js'
import type { PresenceService } from '../presence/index.js'
import type { Roster, RosterChangeEvent } from '../roster/index.js'
import { ROSTER_CAPABILITY } from '../roster/constants.js'
import type { ComponentLogger, Connection, Libp2pEvents, Logger, PeerDiscovery, PeerId, PeerInfo, PeerStore, Startable, TypedEventTarget } from '@libp2p/interface'
import type { ConnectionManager, Registrar, TransportManager } from '@libp2p/interface-internal'
import type { KadDHT } from '@libp2p/kad-dht'
import type { Multiaddr } from '@multiformats/multiaddr'
import { sharedController, sharedSignal } from '../signals.js'
import { toPeerId } from '../peer-ids.js'

/** The circuit relay v2 hop protocol: a peer that speaks it can relay for us. */
const RELAY_HOP_PROTOCOL = '/libp2p/circuit/relay/0.2.0/hop'

export interface DiscoveryInit {
  /** Multiaddrs ending in /p2p/<peer id>, dialed with bounded retries at start. */
  bootstrap?: string[]
  /** Dial peers the mdns service finds (the factory adds that service only when mDNS is on). */
  mdns?: boolean
  /** Reserve slots on connected relays and announce the relayed addresses (default true). */
  relayReservations?: boolean
  /** Dial the most recently connected peers of the peer store at start (default true). */
  rejoin?: boolean
}

export interface DiscoveryComponents {
  peerId: PeerId
  peerStore: PeerStore
  connectionManager: ConnectionManager
  registrar: Registrar
  transportManager: TransportManager
  events: TypedEventTarget<Libp2pEvents>
  logger: ComponentLogger
  dht: KadDHT
  presence: PresenceService
  roster: Roster
}

export interface LocateOptions {
  signal?: AbortSignal
  /** false: ignore addresses already in the peer store and ask the DHT (benchmarks, tests). */
  useCache?: boolean
}

export interface LocateResult {
  peerId: string
  /** The remote addresses of the connection now open to the peer. */
  addresses: string[]
  /** How the peer was reached: already connected, from the peer store, or through a DHT lookup. */
  via: 'connected' | 'peer-store' | 'dht'
  ms: number
}

export class PeerNotFoundError extends UserError {
  override name = 'PeerNotFoundError'
}

interface Follow {
  controller: AbortController
  wake?: () => void
}

export class DiscoveryService implements Startable {
  readonly [Symbol.toStringTag] = 'presence-mesh:discovery'
  readonly [serviceDependencies] = ['@libp2p/kad-dht', ROSTER_CAPABILITY]

  private readonly log: Logger
  private readonly init: DiscoveryInit
  private readonly follows = new Map<string, Follow>()
  private readonly relays = new Set<string>()
  private readonly mdnsDialing = new Set<string>()
  private controller = sharedController()
  private relayTopology?: string
  private started = false

  constructor (private readonly components: DiscoveryComponents, init: DiscoveryInit = {}) {
    this.log = components.logger.forComponent('presence-mesh:discovery')
    this.init = init
    this.onConnectionOpen = this.onConnectionOpen.bind(this)
    this.onPeerDisconnect = this.onPeerDisconnect.bind(this)
    this.onMdnsPeer = this.onMdnsPeer.bind(this)
    this.onRosterChange = this.onRosterChange.bind(this)
    // fail at construction, not at the first dial, on a bad bootstrap address
    for (const addr of init.bootstrap ?? []) bootstrapPeer(addr)
  }

  isStarted (): boolean {
    return this.started
  }

  async start (): Promise<void> {
    this.controller = sharedController()
    this.components.events.addEventListener('connection:open', this.onConnectionOpen)
    this.components.events.addEventListener('peer:disconnect', this.onPeerDisconnect)
    if (this.init.relayReservations !== false) {
      this.relayTopology = await this.components.registrar.register(RELAY_HOP_PROTOCOL, {
        onConnect: (peerId, conn) => { void this.reserveRelay(peerId, conn) }
      })
    }
    this.started = true
  }

  afterStart (): void {
    // presentities the roster watches are kept reachable, also those watched before a restart
    this.components.roster.addEventListener('roster:change', this.onRosterChange)
    for (const p of this.components.roster.watchList()) this.follow(p.id)
    if (this.init.mdns === true) this.mdns()?.addEventListener('peer', this.onMdnsPeer)
    for (const addr of this.init.bootstrap ?? []) void this.dialBootstrap(addr)
    if (this.init.rejoin !== false) void this.rejoin()
  }

  async stop (): Promise<void> {
    this.started = false
    this.controller.abort()
    for (const f of this.follows.values()) f.controller.abort()
    this.follows.clear()
    this.components.events.removeEventListener('connection:open', this.onConnectionOpen)
    this.components.events.removeEventListener('peer:disconnect', this.onPeerDisconnect)
    this.components.roster.removeEventListener('roster:change', this.onRosterChange)
    if (this.init.mdns === true) this.mdns()?.removeEventListener('peer', this.onMdnsPeer)
    if (this.relayTopology != null) this.components.registrar.unregister(this.relayTopology)
  }

  /**
   * Resolves a peer id to addresses and connects: an open connection, else
   * the peer store's addresses, else a DHT lookup (kad-dht waits for its
   * routing table to have a peer before querying).
   */
  async locate (peer: PeerId | string, options: LocateOptions = {}): Promise<LocateResult> {
    const peerId = toPeerId(peer)
    if (peerId.equals(this.components.peerId)) throw new UserError('a node does not locate itself')
    const started = Date.now()
    const done = (conn: Connection, via: LocateResult['via']): LocateResult =>
      ({ peerId: peerId.toString(), addresses: [conn.remoteAddr.toString()], via, ms: Date.now() - started })
    const { connectionManager, peerStore } = this.components

    const open = connectionManager.getConnections(peerId).find(c => c.status === 'open')
    if (open != null) return done(open, 'connected')
    const signal = sharedSignal(AbortSignal.any([this.controller.signal, options.signal ?? AbortSignal.timeout(LOCATE_TIMEOUT_MS)]))

    if (options.useCache !== false && (await knownAddresses(peerStore, peerId)).length > 0) {
      try {
        const conn = await connectionManager.openConnection(peerId, { signal: sharedSignal(AbortSignal.any([signal, AbortSignal.timeout(CACHED_DIAL_TIMEOUT_MS)])) })
        return done(conn, 'peer-store')
      } catch (err) {
        signal.throwIfAborted()
        this.log('cached addresses of %p failed, asking the DHT - %e', peerId, err)
      }
    }

    let found: PeerInfo | undefined
    try {
      for await (const event of this.components.dht.findPeer(peerId, { signal, useCache: false })) {
        if (event.name === 'FINAL_PEER' && event.peer.multiaddrs.length > 0) {
          found = event.peer
          break
        }
      }
    } catch (err: any) {
      signal.throwIfAborted()
      if (err.name !== 'NotFoundError') throw err
    }
    if (found == null) throw new PeerNotFoundError(`peer ${peerId.toString()} was not found in the DHT`)
    await peerStore.merge(peerId, { multiaddrs: found.multiaddrs })
    const conn = await connectionManager.openConnection(peerId, { signal })
    return done(conn, 'dht')
  }

  private onRosterChange (evt: CustomEvent<RosterChangeEvent>): void {
    const watching = new Set(this.components.roster.watchList().map(p => p.id))
    for (const { id } of evt.detail.people) {
      if (watching.has(id)) this.follow(id)
      else this.unfollow(id)
    }
  }

  /**
   * Keeps a watched presentity reachable: while it is neither connected nor
   * sending fresh records, locate it with bounded backoff. Stops on unfollow.
   */
  follow (peer: PeerId | string): void {
    const peerId = toPeerId(peer)
    const id = peerId.toString()
    if (this.follows.has(id) || !this.started) return
    const f: Follow = { controller: sharedController() }
    this.follows.set(id, f)
    void this.components.peerStore.merge(peerId, { tags: { [WATCH_TAG]: { value: WATCH_TAG_VALUE } } })
      .catch(err => { this.log('could not tag %s - %e', id, err) })
    void this.runFollow(peerId, f)
  }

  unfollow (peer: PeerId | string): void {
    const id = peer.toString()
    const f = this.follows.get(id)
    if (f == null) return
    f.controller.abort()
    f.wake?.()
    this.follows.delete(id)
    void this.components.peerStore.merge(peerIdFromString(id), { tags: { [WATCH_TAG]: undefined } })
      .catch(err => { this.log('could not untag %s - %e', id, err) })
  }

  /** Peer ids this node keeps reachable. */
  following (): string[] {
    return [...this.follows.keys()]
  }

  private reachable (peerId: PeerId): boolean {
    if (this.components.connectionManager.getConnections(peerId).length > 0) return true
    const view = this.components.presence.get(peerId)
    // records still arrive through other subscribers of its topic
    return view?.expiresAt != null && view.expiresAt > Date.now()
  }

  private async runFollow (peerId: PeerId, f: Follow): Promise<void> {
    const { signal } = f.controller
    let delay = FOLLOW_MIN_RETRY_MS
    while (!signal.aborted && this.started) {
      let wait = FOLLOW_CHECK_MS
      if (!this.reachable(peerId)) {
        try {
          const res = await this.locate(peerId, { signal: sharedSignal(AbortSignal.any([signal, AbortSignal.timeout(LOCATE_TIMEOUT_MS)])) })
          this.log('located watched %p via %s', peerId, res.via)
          delay = FOLLOW_MIN_RETRY_MS
        } catch (err) {
          if (signal.aborted) return
          this.log('watched %p is unreachable, retry in %d ms - %e', peerId, delay, err)
          wait = delay
          delay = Math.min(delay * 2, FOLLOW_MAX_RETRY_MS)
        }
      }
      await new Promise<void>(resolve => {
        const timer = setTimeout(resolve, wait)
        timer.unref?.()
        f.wake = () => { clearTimeout(timer); resolve() }
      })
      f.wake = undefined
    }
  }

  private onPeerDisconnect (evt: CustomEvent<PeerId>): void {
    const id = evt.detail.toString()
    this.relays.delete(id)
    this.follows.get(id)?.wake?.()
  }

  /** Remembers when we last had a connection to each peer, for rejoin after a restart. */
  private onConnectionOpen (evt: CustomEvent<Connection>): void {
    void this.components.peerStore.merge(evt.detail.remotePeer, {
      metadata: { [LAST_CONNECTED_KEY]: uint8ArrayFromString(Date.now().toString()) }
    }).catch(err => { this.log.trace('could not note connection to %p - %e', evt.detail.remotePeer, err) })
  }

  /** libp2p redials keep-alive peers, but dials a bootstrap peer that is down at start only once. */
  private async dialBootstrap (addr: string): Promise<void> {
    const { peerId, ma } = bootstrapPeer(addr)
    const { connectionManager, peerStore } = this.components
    const signal = this.controller.signal
    try {
      await peerStore.merge(peerId, { multiaddrs: [ma], tags: { [`${KEEP_ALIVE}-bootstrap`]: { value: 50 } } })
    } catch (err) {
      this.log.error('could not store bootstrap peer %s - %e', addr, err)
    }
    let delay = BOOTSTRAP_MIN_RETRY_MS
    for (let attempt = 1; attempt <= BOOTSTRAP_MAX_ATTEMPTS && !signal.aborted; attempt++) {
      if (connectionManager.getConnections(peerId).length > 0) return
      try {
        await connectionManager.openConnection(peerId, { signal })
        this.log('connected to bootstrap peer %s', addr)
        return
      } catch (err) {
        if (signal.aborted) return
        this.log('bootstrap dial %d/%d to %s failed, retry in %d ms - %e', attempt, BOOTSTRAP_MAX_ATTEMPTS, addr, delay, err)
      }
      await sleep(delay, signal)
      delay = Math.min(delay * 2, BOOTSTRAP_MAX_RETRY_MS)
    }
  }

  /** After a restart: dial the few peers we were connected to most recently. */
  private async rejoin (): Promise<void> {
    const { peerStore, connectionManager, peerId: self } = this.components
    try {
      const peers = await peerStore.all({
        filters: [p => !p.id.equals(self) && p.addresses.length > 0 && p.metadata.has(LAST_CONNECTED_KEY)],
        signal: this.controller.signal
      })
      const recent = peers
        .map(p => ({ id: p.id, at: Number(uint8ArrayToString(p.metadata.get(LAST_CONNECTED_KEY) ?? new Uint8Array())) }))
        .sort((a, b) => b.at - a.at)
        .slice(0, REJOIN_MAX_PEERS)
      this.log('rejoining through %d of %d known peers', recent.length, peers.length)
      await Promise.all(recent.map(async ({ id }) => {
        if (connectionManager.getConnections(id).length > 0) return
        await connectionManager.openConnection(id, { signal: this.controller.signal })
          .catch(err => { this.log('rejoin dial to %p failed - %e', id, err) })
      }))
    } catch (err) {
      if (!this.controller.signal.aborted) this.log.error('rejoin failed - %e', err)
    }
  }

  private mdns (): PeerDiscovery | undefined {
    try {
      return (this.components as unknown as { mdns?: PeerDiscovery }).mdns
    } catch {
      return undefined
    }
  }

  /** mDNS finds peers but does not dial them; dial while we have room for more connections. */
  private onMdnsPeer (evt: CustomEvent<PeerInfo>): void {
    const { id, multiaddrs } = evt.detail
    const key = id.toString()
    const { connectionManager, peerStore } = this.components
    if (id.equals(this.components.peerId) || this.mdnsDialing.has(key) || connectionManager.getConnections(id).length > 0) return
    if (connectionManager.getConnections().length >= MDNS_DIAL_BELOW_CONNECTIONS) return
    this.mdnsDialing.add(key)
    void (async () => {
      try {
        await peerStore.merge(id, { multiaddrs })
        await connectionManager.openConnection(id, { signal: this.controller.signal })
        this.log('connected to mDNS peer %p', id)
      } catch (err) {
        this.log('could not dial mDNS peer %p - %e', id, err)
      } finally {
        this.mdnsDialing.delete(key)
      }
    })()
  }

  /**
   * Instead of listening on /p2p-circuit (whose relay search random-walks the
   * DHT forever when no relay exists), reserve a slot on relays we are
   * already directly connected to; the relayed address is then announced.
   */
  private async reserveRelay (relay: PeerId, conn: Connection): Promise<void> {
    const id = relay.toString()
    if (!this.started || this.relays.has(id) || this.relays.size >= MAX_RELAY_RESERVATIONS || conn.limits != null) return
    this.relays.add(id)
    try {
      const peer = await this.components.peerStore.get(relay)
      const direct = peer.addresses.map(a => a.multiaddr).find(ma => !ma.toString().includes('/p2p-circuit'))
      if (direct == null) throw new Error('no direct address')
      const base = direct.getComponents().some(c => c.name === 'p2p') ? direct : direct.encapsulate(`/p2p/${id}`)
      await this.components.transportManager.listen([base.encapsulate('/p2p-circuit')])
      this.log('holding a relay reservation on %p', relay)
    } catch (err) {
      this.relays.delete(id)
      this.log('could not reserve a slot on relay %p - %e', relay, err)
    }
  }
}


function bootstrapPeer (addr: string): { peerId: PeerId, ma: Multiaddr } {
  const ma = multiaddr(addr)
  const id = ma.getComponents().findLast(c => c.name === 'p2p')?.value
  if (id == null) throw new UserError(`bootstrap address ${addr} must end in /p2p/<peer id>`)
  return { peerId: toPeerId(id), ma }
}

async function knownAddresses (peerStore: PeerStore, peerId: PeerId): Promise<Multiaddr[]> {
  try {
    return (await peerStore.get(peerId)).addresses.map(a => a.multiaddr)
  } catch {
    return []
  }
}

async function sleep (ms: number, signal: AbortSignal): Promise<void> {
  await new Promise<void>(resolve => {
    const timer = setTimeout(done, ms)
    timer.unref?.()
    signal.addEventListener('abort', done, { once: true })
    function done (): void {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
  })
}

export function discovery (init: DiscoveryInit = {}): (components: DiscoveryComponents) => DiscoveryService {
  return (components) => new DiscoveryService(components, init)
}
