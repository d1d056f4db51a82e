/**
 * Locating a peer id (an open connection, the peer store, else a DHT lookup)
 * and following watched presentities: keeping each one reachable while it is
 * watched, with bounded backoff while it is not.
 */
import { serviceCapabilities, serviceDependencies } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { SelfReferenceError } from '../roster/errors.js'
import { toPeerId } from '../peer-ids.js'
import { sharedController, sharedSignal } from '../signals.js'
import { Backoff, Wakeup } from '../util/wait.js'
import {
  CACHED_DIAL_TIMEOUT_MS, FOLLOW_CHECK_MS, FOLLOW_MAX_RETRY_MS, FOLLOW_MIN_RETRY_MS, FOLLOW_RETRY_JITTER, LOCATE_TIMEOUT_MS,
  WATCH_TAG, WATCH_TAG_VALUE
} from './constants.js'
import { ROSTER_CAPABILITY } from '../roster/constants.js'
import type { PresenceService } from '../presence/index.js'
import type { Roster, RosterChangeEvent } from '../roster/index.js'
import type { ComponentLogger, Connection, Libp2pEvents, Logger, PeerId, PeerInfo, PeerStore, Startable, TypedEventTarget } from '@libp2p/interface'
import type { ConnectionManager } from '@libp2p/interface-internal'
import type { KadDHT } from '@libp2p/kad-dht'

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
}

export interface DiscoveryComponents {
  peerId: PeerId
  peerStore: Pick<PeerStore, 'get' | 'merge'>
  connectionManager: Pick<ConnectionManager, 'getConnections' | 'openConnection'>
  events: TypedEventTarget<Libp2pEvents>
  logger: ComponentLogger
  dht: Pick<KadDHT, 'findPeer'>
  presence: Pick<PresenceService, 'get'>
  roster: Pick<Roster, 'watchList' | 'addEventListener' | 'removeEventListener'>
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
}

export class PeerNotFoundError extends Error {
  static override name = 'PeerNotFoundError'
  constructor (readonly peer: string) {
    super(`peer ${peer} was not found in the DHT`)
    this.name = 'PeerNotFoundError'
  }
}

interface Follow {
  controller: AbortController
  wakeup: Wakeup
  /** Our last connection to the peer closed: reconnect now, even if its presence is still fresh. */
  lost?: boolean
}

export class DefaultDiscovery implements DiscoveryService, Startable {
  readonly [Symbol.toStringTag] = 'presence-mesh:discovery'
  readonly [serviceCapabilities] = ['@presence-mesh/discovery']
  readonly [serviceDependencies] = ['@libp2p/kad-dht', ROSTER_CAPABILITY]

  private readonly log: Logger
  private readonly init: Required<DiscoveryInit>
  private readonly follows = new Map<string, Follow>()
  private controller = sharedController()
  private started = false

  constructor (private readonly components: DiscoveryComponents, init: DiscoveryInit = {}) {
    this.log = components.logger.forComponent('presence-mesh:discovery')
    this.init = {
      locateTimeoutMs: init.locateTimeoutMs ?? LOCATE_TIMEOUT_MS,
      cachedDialTimeoutMs: init.cachedDialTimeoutMs ?? CACHED_DIAL_TIMEOUT_MS,
      followCheckMs: init.followCheckMs ?? FOLLOW_CHECK_MS,
      followMinRetryMs: init.followMinRetryMs ?? FOLLOW_MIN_RETRY_MS,
      followMaxRetryMs: init.followMaxRetryMs ?? FOLLOW_MAX_RETRY_MS
    }
    this.onPeerDisconnect = this.onPeerDisconnect.bind(this)
    this.onRosterChange = this.onRosterChange.bind(this)
  }

  isStarted (): boolean {
    return this.started
  }

  start (): void {
    this.controller = sharedController()
    this.components.events.addEventListener('peer:disconnect', this.onPeerDisconnect)
    this.started = true
  }

  /** Presentities the roster watches are kept reachable, also those watched before a restart. */
  afterStart (): void {
    this.components.roster.addEventListener('roster:change', this.onRosterChange)
    for (const p of this.components.roster.watchList()) this.follow(p.id)
  }

  stop (): void {
    this.components.roster.removeEventListener('roster:change', this.onRosterChange)
    this.started = false
    this.controller.abort()
    for (const f of this.follows.values()) f.controller.abort()
    this.follows.clear()
    this.components.events.removeEventListener('peer:disconnect', this.onPeerDisconnect)
  }

  private onRosterChange (evt: CustomEvent<RosterChangeEvent>): void {
    const watching = new Set(this.components.roster.watchList().map(p => p.id))
    for (const { id } of evt.detail.people) {
      if (watching.has(id)) this.follow(id)
      else this.unfollow(id)
    }
  }

  /** kad-dht waits for its routing table to have a peer before querying. */
  async locate (peer: PeerId | string, options: LocateOptions = {}): Promise<LocateResult> {
    const peerId = toPeerId(peer)
    if (peerId.equals(this.components.peerId)) throw new SelfReferenceError('locate')
    const started = Date.now()
    const done = (conn: Connection, via: LocateResult['via']): LocateResult =>
      ({ peerId: peerId.toString(), addresses: [conn.remoteAddr.toString()], via, ms: Date.now() - started })
    const { connectionManager, peerStore } = this.components

    const open = connectionManager.getConnections(peerId).find(c => c.status === 'open')
    if (open != null) return done(open, 'connected')
    const signal = sharedSignal(AbortSignal.any([this.controller.signal, options.signal ?? AbortSignal.timeout(this.init.locateTimeoutMs)]))

    if (options.useCache !== false && await this.hasAddresses(peerId)) {
      try {
        const conn = await connectionManager.openConnection(peerId, { signal: sharedSignal(AbortSignal.any([signal, AbortSignal.timeout(this.init.cachedDialTimeoutMs)])) })
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
    if (found == null) throw new PeerNotFoundError(peerId.toString())
    await peerStore.merge(peerId, { multiaddrs: found.multiaddrs })
    const conn = await connectionManager.openConnection(peerId, { signal })
    return done(conn, 'dht')
  }

  follow (peer: PeerId | string): void {
    const peerId = toPeerId(peer)
    const id = peerId.toString()
    if (this.follows.has(id) || !this.started) return
    const f: Follow = { controller: sharedController(), wakeup: new Wakeup() }
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
    this.follows.delete(id)
    void this.components.peerStore.merge(peerIdFromString(id), { tags: { [WATCH_TAG]: undefined } })
      .catch(err => { this.log('could not untag %s - %e', id, err) })
  }

  following (): string[] {
    return [...this.follows.keys()]
  }

  private async hasAddresses (peerId: PeerId): Promise<boolean> {
    try {
      return (await this.components.peerStore.get(peerId)).addresses.length > 0
    } catch {
      return false
    }
  }

  private reachable (peerId: PeerId): boolean {
    if (this.components.connectionManager.getConnections(peerId).length > 0) return true
    const view = this.components.presence.get(peerId)
    // records still arrive through other subscribers of its topic
    return view?.expiresAt != null && view.expiresAt > Date.now()
  }

  /** While the presentity is neither connected nor sending fresh records, locate it; a disconnect checks at once. */
  private async runFollow (peerId: PeerId, f: Follow): Promise<void> {
    const { signal } = f.controller
    const backoff = new Backoff({ baseMs: this.init.followMinRetryMs, capMs: this.init.followMaxRetryMs, jitter: FOLLOW_RETRY_JITTER })
    while (!signal.aborted && this.started) {
      let wait = this.init.followCheckMs
      // a relay's limit (or a NAT forgetting the mapping) cut the only path
      // gossip has between two contacts: records would stop until the view
      // expired, so a cut link is redialed at once (and retried), not at expiry
      if (this.components.connectionManager.getConnections(peerId).length > 0) f.lost = false
      if (f.lost === true || !this.reachable(peerId)) {
        try {
          const res = await this.locate(peerId, { signal: sharedSignal(AbortSignal.any([signal, AbortSignal.timeout(this.init.locateTimeoutMs)])) })
          this.log('located watched %p via %s', peerId, res.via)
          f.lost = false
          backoff.reset()
        } catch (err) {
          if (signal.aborted) return
          wait = backoff.next()
          this.log('watched %p is unreachable, retry in %d ms - %e', peerId, wait, err)
        }
      }
      await f.wakeup.wait(wait, { signal })
    }
  }

  private onPeerDisconnect (evt: CustomEvent<PeerId>): void {
    const f = this.follows.get(evt.detail.toString())
    if (f == null) return
    f.lost = true
    f.wakeup.notify()
  }
}
