/**
 * Locating a peer id (an open connection, the peer store, a contact's locator
 * record, else a DHT lookup) and following watched presentities: keeping a
 * direct connection with a gossip link to each one while it is watched
 * (follow.ts).
 */
import { serviceCapabilities, serviceDependencies } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { SelfReferenceError } from '../roster/errors.js'
import { toPeerId } from '../peer-ids.js'
import { anySignal, sharedController, sharedSignal } from '../signals.js'
import {
  CACHED_DIAL_TIMEOUT_MS, NEIGHBOUR_ASK_TIMEOUT_MS, NEIGHBOUR_ASKS_MAX, FOLLOW_ATTACH_GRACE_MS, FOLLOW_ATTACH_POLL_MS, FOLLOW_CHECK_MS, FOLLOW_RELINK_GRACE_MS, FOLLOW_SILENCE_LIFETIMES, FOLLOW_MIN_SILENCE_MS, FOLLOW_MAX_RETRY_MS, FOLLOW_MIN_RETRY_MS, FOLLOW_NETWORK_WAKE_MS, FOLLOW_PARKED_CHECK_MS,
  FOLLOW_MAX_REASK_MS, FOLLOW_MIN_REASK_MS, FOLLOW_QUIET_AFTER_MS, FOLLOW_QUIET_MAX_RETRY_MS, FOLLOW_RETRY_JITTER, LOCATE_TIMEOUT_MS, WATCH_TAG, WATCH_TAG_VALUE
} from './constants.js'
import { Follows } from './follow.js'
import { askNeighbours, kadFindNode, kadProtocol } from './neighbour-lookup.js'
import { DhtNeighbours } from './dht-neighbours.js'
import { presenceTopic } from '../../protocol/topics.js'
import { devicesOf } from '../presence/person-devices.js'
import { ROSTER_CAPABILITY } from '../roster/constants.js'
import type { FollowComponents, FollowStatus } from './follow.js'
import type { GossipLinks } from './gossip-link.js'
import type { Locator } from '../locator/index.js'
import type { PubSub } from '../pubsub.js'
import type { Identify } from '@libp2p/identify'
import type { Roster, RosterChangeEvent } from '../roster/index.js'
import type { ComponentLogger, Connection, Libp2pEvents, Logger, PeerDiscovery, PeerId, PeerInfo, PeerStore, Startable, TypedEventTarget } from '@libp2p/interface'
import type { ConnectionManager, Registrar } from '@libp2p/interface-internal'
import type { KadDHT } from '@libp2p/kad-dht'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { RoutingTableView } from '../util/dht-table.js'

export interface DiscoveryInit {
  /** A locate gives up after this long unless the caller passes its own signal. */
  locateTimeoutMs?: number
  /** How long dialing the peer store's addresses may take before the DHT is asked. */
  cachedDialTimeoutMs?: number
  /** How often a followed presentity that is reachable is checked again. */
  followCheckMs?: number
  /** Backoff of the locate retries of a followed presentity that is unreachable. */
  followMinRetryMs?: number
  followMaxRetryMs?: number
  /** How long a connection to a followed presentity may stay without a gossip link before it is redialled. */
  followAttachGraceMs?: number
  /** A new connection anywhere, or new own addresses, retry an unreachable presentity at most this often. */
  followNetworkWakeMs?: number
  /** A linked presentity silent this long (and two record lifetimes) is redialled. */
  followMinSilenceMs?: number
  /** The first delay of the re-ask backoff of an unreachable presentity's neighbours (tests). */
  followMinReaskMs?: number
  /** The backoff cap of a quiet presentity (nothing heard of it since the follow began, or for followQuietAfterMs). */
  followQuietMaxRetryMs?: number
  followQuietAfterMs?: number
}

export interface DiscoveryComponents {
  peerId: PeerId
  peerStore: Pick<PeerStore, 'get' | 'merge'>
  connectionManager: Pick<ConnectionManager, 'getConnections' | 'getConnectionsMap' | 'openConnection' | 'closeConnections'>
  events: TypedEventTarget<Libp2pEvents>
  logger: ComponentLogger
  /** Tells which connected peers serve the DHT: only they are asked for a peer's addresses (dht-neighbours.ts). */
  registrar: Pick<Registrar, 'register' | 'unregister'>
  /** routingTable: kad-dht's (a runtime field); an empty one makes a DHT query wait for a peer. */
  dht: Pick<KadDHT, 'findPeer'> & { routingTable?: RoutingTableView }
  presence: FollowComponents['presence']
  roster: Pick<Roster, 'watchList' | 'isContact' | 'addEventListener' | 'removeEventListener'>
  /** Optional: without it a connection counts as a gossip link (and a locate asks no watcher of the peer first). */
  pubsub?: GossipLinks & Partial<Pick<PubSub, 'getSubscribers'>>
  /** Optional: runs identify again on a connection whose gossip link stays incomplete. */
  identify?: Pick<Identify, 'identify'>
  /** Optional: how a contact that is not public is found (its sealed locator record). */
  locator?: Pick<Locator, 'lookup'>
  /** Optional: mDNS seeing a followed presentity is news of it (the factory adds mDNS conditionally). */
  mdns?: Pick<PeerDiscovery, 'addEventListener' | 'removeEventListener'>
}

export interface LocateOptions {
  signal?: AbortSignal
  /** false: ignore addresses already in the peer store, and the neighbours' (node/discovery/neighbour-lookup.ts), and ask the DHT (benchmarks, tests). */
  useCache?: boolean
  /** false: do not ask the neighbours this time (a follow asks them again only as its re-ask backoff allows). Default true. */
  neighbours?: boolean
  /**
   * false: with no peer in the DHT's routing table, skip the locator record
   * and the walk (kad-dht would wait for a peer until the signal ends) and
   * fail at once: for a follow, which tries again on its own schedule, so
   * that 950 offline contacts do not each hold a lookup open. Default true.
   */
  waitForDht?: boolean
}

export interface LocateResult {
  peerId: string
  /** The remote addresses of the connection now open to the peer. */
  addresses: string[]
  /** How the peer was reached: already connected, from the peer store, a contact's locator record, a neighbour's answer, or a DHT lookup. */
  via: 'connected' | 'peer-store' | 'locator' | 'neighbour' | 'dht'
  ms: number
}

/** Finds peers by id and keeps watched ones reachable. */
export interface DiscoveryService {
  /**
   * Resolves a peer id to addresses and connects: an open connection, else
   * the peer store's addresses, else a DHT lookup.
   */
  locate: (peer: PeerId | string, options?: LocateOptions) => Promise<LocateResult>
  /** Keeps a watched presentity reachable until unfollow (no-op while stopped or already followed). */
  follow: (peer: PeerId | string) => void
  unfollow: (peer: PeerId | string) => void
  /** Peer ids this node keeps reachable. */
  following: () => string[]
  /** Where keeping one of them reachable stands (undefined: not followed). */
  followStatus: (peer: PeerId | string) => FollowStatus | undefined
}

export class PeerNotFoundError extends Error {
  static override name = 'PeerNotFoundError'
  constructor (readonly peer: string, why?: string) {
    super(`peer ${peer} was not found in the DHT${why != null ? ` (${why})` : ''}`)
    this.name = 'PeerNotFoundError'
  }
}

export class DefaultDiscovery implements DiscoveryService, Startable {
  readonly [Symbol.toStringTag] = 'presence-mesh:discovery'
  readonly [serviceCapabilities] = ['@presence-mesh/discovery']
  readonly [serviceDependencies] = ['@libp2p/kad-dht', ROSTER_CAPABILITY]

  private readonly log: Logger
  private readonly init: Required<Pick<DiscoveryInit, 'locateTimeoutMs' | 'cachedDialTimeoutMs'>>
  private readonly follows: Follows
  private controller = sharedController()
  private started = false
  /** Connected peers that serve the DHT (undefined: a DHT without a network to ask them on). */
  private dhtNeighbours?: DhtNeighbours
  /** Peers whose addresses a lookup of ours is adding to the peer store right now (it dials them next). */
  private readonly merging = new Map<string, number>()

  constructor (private readonly components: DiscoveryComponents, init: DiscoveryInit = {}) {
    this.log = components.logger.forComponent('presence-mesh:discovery')
    this.init = {
      locateTimeoutMs: init.locateTimeoutMs ?? LOCATE_TIMEOUT_MS,
      cachedDialTimeoutMs: init.cachedDialTimeoutMs ?? CACHED_DIAL_TIMEOUT_MS
    }
    this.follows = new Follows({
      connectionManager: components.connectionManager,
      canAskNeighbours: () => (this.dhtNeighbours?.size ?? 0) > 0,
      lookupCanAsk: () => !this.dhtKnowsNobody() || (this.dhtNeighbours?.size ?? 0) > 0,
      ownLookupMerging: (peer) => this.merging.has(peer.toString()),
      events: components.events,
      presence: components.presence,
      gossip: () => optional(() => components.pubsub),
      identify: () => optional(() => components.identify),
      mdns: () => optional(() => components.mdns)
    }, async (peer, signal, { full, neighbours, noAddresses }) => {
      if (this.components.connectionManager.getConnections(peer).length > 0) return 'connected'
      // with no address to dial, no DHT peer to ask and no neighbour ask due, a locate would fail
      // without a packet sent: say so before making a deadline (a timer, signals) and an Error for it.
      // The peer store is read only when the follow may not know: a LevelDB read, a lock and a decode
      // each, for every attempt of 950 offline contacts (2,400 in a minute of the presence.scale bench)
      if ((!full || (!neighbours && this.dhtKnowsNobody())) && (noAddresses === true || !await this.hasAddresses(peer))) return 'nothing to try'
      const sig = sharedSignal(anySignal([signal, AbortSignal.timeout(full ? this.init.locateTimeoutMs : this.init.cachedDialTimeoutMs)]))
      if (full) await this.find(peer, { signal: sig, neighbours, waitForDht: false })
      else await this.components.connectionManager.openConnection(peer, { signal: sig })
      return 'connected'
    }, {
      checkMs: init.followCheckMs ?? FOLLOW_CHECK_MS,
      minRetryMs: init.followMinRetryMs ?? FOLLOW_MIN_RETRY_MS,
      maxRetryMs: init.followMaxRetryMs ?? FOLLOW_MAX_RETRY_MS,
      quietMaxRetryMs: init.followQuietMaxRetryMs ?? FOLLOW_QUIET_MAX_RETRY_MS,
      quietAfterMs: init.followQuietAfterMs ?? FOLLOW_QUIET_AFTER_MS,
      jitter: FOLLOW_RETRY_JITTER,
      attachGraceMs: init.followAttachGraceMs ?? FOLLOW_ATTACH_GRACE_MS,
      relinkGraceMs: Math.min(init.followAttachGraceMs ?? FOLLOW_ATTACH_GRACE_MS, FOLLOW_RELINK_GRACE_MS),
      attachPollMs: Math.min(init.followCheckMs ?? FOLLOW_CHECK_MS, FOLLOW_ATTACH_POLL_MS),
      silenceLifetimes: FOLLOW_SILENCE_LIFETIMES,
      minSilenceMs: init.followMinSilenceMs ?? FOLLOW_MIN_SILENCE_MS,
      networkWakeMs: init.followNetworkWakeMs ?? FOLLOW_NETWORK_WAKE_MS,
      parkedCheckMs: FOLLOW_PARKED_CHECK_MS,
      minReaskMs: init.followMinReaskMs ?? FOLLOW_MIN_REASK_MS,
      maxReaskMs: FOLLOW_MAX_REASK_MS
    }, this.log)
    this.onRosterChange = this.onRosterChange.bind(this)
    this.onLookupPossible = this.onLookupPossible.bind(this)
  }

  isStarted (): boolean {
    return this.started
  }

  start (): void {
    this.controller = sharedController()
    const protocol = kadProtocol(optional(() => this.components.dht))
    if (protocol != null) this.dhtNeighbours ??= new DhtNeighbours(this.components, protocol, this.onLookupPossible)
    this.dhtNeighbours?.start()
    // the routing table's first peer: a DHT server to ask (kad-dht's own event)
    this.components.dht.routingTable?.addEventListener?.('peer:add', this.onLookupPossible)
    this.follows.start()
    this.started = true
  }

  /** Presentities the roster watches are kept reachable, also those watched before a restart. */
  afterStart (): void {
    this.components.roster.addEventListener('roster:change', this.onRosterChange)
    for (const p of this.components.roster.watchList()) for (const d of devicesOf(p)) this.follow(d)
  }

  stop (): void {
    this.components.roster.removeEventListener('roster:change', this.onRosterChange)
    this.started = false
    this.controller.abort()
    this.follows.stop()
    this.dhtNeighbours?.stop()
    this.components.dht.routingTable?.removeEventListener?.('peer:add', this.onLookupPossible)
  }

  /** Someone a lookup can ask came (a DHT server in the routing table, a connected neighbour that serves the DHT). */
  private onLookupPossible (): void {
    this.follows.lookupPossible()
  }

  private onRosterChange (evt: CustomEvent<RosterChangeEvent>): void {
    // every device of a watched person is kept reachable: each publishes its own presence (docs/protocol.md §15)
    const watching = new Set(this.components.roster.watchList().map(p => p.id))
    for (const { id, before, after } of evt.detail.people) {
      const now = watching.has(id) && after != null ? devicesOf(after) : []
      for (const d of before == null ? [id] : devicesOf(before)) if (!now.includes(d)) this.unfollow(d)
      for (const d of now) this.follow(d)
    }
  }

  /**
   * A locate asked for (by hand, or by the node for a contact it needs) is
   * news for the follow of the peer: whatever came of it, the follow tries
   * again now, its backoff started over.
   */
  async locate (peer: PeerId | string, options: LocateOptions = {}): Promise<LocateResult> {
    const peerId = toPeerId(peer)
    try {
      return await this.find(peerId, options)
    } finally {
      this.follows.news(peerId.toString())
    }
  }

  /** kad-dht waits for its routing table to have a peer before querying. */
  private async find (peerId: PeerId, options: LocateOptions): Promise<LocateResult> {
    if (peerId.equals(this.components.peerId)) throw new SelfReferenceError('locate')
    const started = Date.now()
    const done = (conn: Connection, via: LocateResult['via']): LocateResult =>
      ({ peerId: peerId.toString(), addresses: [conn.remoteAddr.toString()], via, ms: Date.now() - started })
    const { connectionManager } = this.components

    const open = connectionManager.getConnections(peerId).find(c => c.status === 'open')
    if (open != null) return done(open, 'connected')
    const signal = sharedSignal(anySignal([this.controller.signal, options.signal ?? AbortSignal.timeout(this.init.locateTimeoutMs)]))

    const dialCached = async (): Promise<Connection | undefined> => {
      if (!await this.hasAddresses(peerId)) return undefined
      try {
        return await connectionManager.openConnection(peerId, { signal: sharedSignal(anySignal([signal, AbortSignal.timeout(this.init.cachedDialTimeoutMs)])) })
      } catch (err) {
        signal.throwIfAborted()
        this.log('cached addresses of %p failed - %e', peerId, err)
      }
    }
    if (options.useCache !== false) {
      const conn = await dialCached()
      if (conn != null) return done(conn, 'peer-store')
    }
    const dhtKnowsNobody = options.waitForDht === false && this.dhtKnowsNobody()
    // a contact that is not public left us a sealed locator record in the DHT (its addresses go to the peer store)
    const locator = optional(() => this.components.locator)
    const located = !dhtKnowsNobody && locator != null && this.components.roster.isContact(peerId.toString()) ? await locator.lookup(peerId, signal).catch(() => []) : []
    if (located.length > 0) {
      await this.mergeFound(peerId, located)
      const conn = await dialCached()
      if (conn != null) return done(conn, 'locator')
    }

    // one hop first: the peers that relay its records know where it is, when the walk may not find it
    // (their peer stores are caches too: useCache false asks the walk only)
    const near = options.useCache === false || options.neighbours === false ? [] : await this.askNeighbours(peerId, signal)
    if (near.length > 0) {
      await this.mergeFound(peerId, near)
      const conn = await dialCached()
      if (conn != null) return done(conn, 'neighbour')
    }

    if (dhtKnowsNobody) throw new PeerNotFoundError(peerId.toString(), 'the DHT knows no peer yet')
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
    if (found == null) throw new PeerNotFoundError(peerId.toString())
    await this.mergeFound(peerId, found.multiaddrs)
    const conn = await connectionManager.openConnection(peerId, { signal })
    return done(conn, 'dht')
  }

  /**
   * Adds addresses a lookup found to the peer store, which it dials next. libp2p's peer:update for them
   * is the lookup's own news: the peer's follow neither cuts the attempt short nor starts its backoff over.
   */
  private async mergeFound (peerId: PeerId, multiaddrs: Multiaddr[]): Promise<void> {
    const id = peerId.toString()
    this.merging.set(id, (this.merging.get(id) ?? 0) + 1)
    try {
      await this.components.peerStore.merge(peerId, { multiaddrs })
    } finally {
      const n = (this.merging.get(id) ?? 1) - 1
      if (n === 0) this.merging.delete(id)
      else this.merging.set(id, n)
    }
  }

  follow (peer: PeerId | string): void {
    const peerId = toPeerId(peer)
    if (!this.started || !this.follows.add(peerId)) return
    void this.components.peerStore.merge(peerId, { tags: { [WATCH_TAG]: { value: WATCH_TAG_VALUE } } })
      .catch(err => { this.log('could not tag %p - %e', peerId, err) })
  }

  unfollow (peer: PeerId | string): void {
    const id = peer.toString()
    if (!this.follows.remove(id)) return
    void this.components.peerStore.merge(peerIdFromString(id), { tags: { [WATCH_TAG]: undefined } })
      .catch(err => { this.log('could not untag %s - %e', id, err) })
  }

  following (): string[] {
    return this.follows.list()
  }

  followStatus (peer: PeerId | string): FollowStatus | undefined {
    return this.follows.status(peer.toString())
  }

  /**
   * Addresses of the peer named by a connected peer that serves the DHT, its watchers asked first; none if
   * nobody named it. A neighbour in DHT client mode (any contact that is not public) refuses the stream.
   */
  private async askNeighbours (peerId: PeerId, signal: AbortSignal): Promise<Multiaddr[]> {
    const ask = kadFindNode(optional(() => this.components.dht))
    const servers = this.dhtNeighbours
    if (ask == null || servers == null || servers.size === 0) return []
    const pubsub = optional(() => this.components.pubsub)
    const watchers = pubsub?.getSubscribers?.(presenceTopic(peerId)) ?? []
    const connected = this.components.connectionManager.getConnections().filter(c => c.status === 'open' && servers.has(c.remotePeer)).map(c => c.remotePeer)
    const neighbours = [...watchers.filter(w => connected.some(c => c.equals(w))), ...connected]
    const addrs = await askNeighbours(peerId, neighbours, ask, {
      signal: anySignal([signal, AbortSignal.timeout(NEIGHBOUR_ASK_TIMEOUT_MS)]), max: NEIGHBOUR_ASKS_MAX
    }).catch(() => { signal.throwIfAborted(); return [] })
    if (addrs.length > 0) this.log('%p named by a neighbour: %s', peerId, addrs.map(String).join(', '))
    return addrs
  }

  /** kad-dht's routing table is empty: a query would wait for a peer. */
  private dhtKnowsNobody (): boolean {
    return this.components.dht.routingTable?.size === 0
  }

  private async hasAddresses (peerId: PeerId): Promise<boolean> {
    try {
      return (await this.components.peerStore.get(peerId)).addresses.length > 0
    } catch {
      return false
    }
  }
}

/** A component the node may not have: libp2p's components throw on a missing one. */
function optional<T> (get: () => T | undefined): T | undefined {
  try {
    return get()
  } catch {
    return undefined
  }
}
