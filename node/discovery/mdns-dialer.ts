/**
 * Dials the peers mDNS finds on the LAN (the mdns service only reports
 * them), while the node has room for more connections.
 *
 * It listens to the mdns service itself, a component the factory places
 * before it. libp2p's `peer:discovery` event would not do: libp2p 3 emits it
 * from `peer:update` the first time any peer enters the peer store, whatever
 * put it there (a DHT lookup, identify, an inbound connection), and never
 * again for a peer already stored, so it would dial DHT strangers and miss a
 * LAN peer remembered from an earlier run.
 *
 * It dials only once the node has started (afterStart): mDNS answers come
 * while the other services still start, and a connection made then is
 * identified by neither side (the peer's identify request meets no handler
 * yet, and ours is not yet listening for new connections), so gossipsub
 * learned of it only at the next identify, about 20 s later, and a watcher
 * on the LAN saw the other node online only then. A peer found earlier is
 * dialed at afterStart.
 *
 * Anyone on the LAN can answer mDNS, naming made-up peers by the thousand, so
 * nothing it reports stays in the peer store (persisted, kept 30 days) unless
 * a connection proved the peer real: the factory hides the mdns service from
 * libp2p's discovery handling (lanOnly below), this dials the answer's
 * addresses themselves (libp2p stores the peer once the dial succeeds), and
 * forgets a peer it did not know when the dial fails (libp2p records the
 * failure in the peer store). What the answers said stays in memory for a
 * while, bounded (lanAddresses): a contact request by code to a LAN peer that
 * refuses strangers' connections needs its addresses (docs/protocol.md §8.7).
 */
import { InvalidParametersError, peerDiscoverySymbol, serviceCapabilities } from '@libp2p/interface'
import { CODE_P2P } from '@multiformats/multiaddr'
import { sharedController } from '../signals.js'
import { MDNS_DIAL_BELOW_CONNECTIONS, MDNS_SIGHTING_ADDRESSES, MDNS_SIGHTING_MS, MDNS_SIGHTINGS_MAX } from './constants.js'
import type { ComponentLogger, Logger, PeerDiscovery, PeerId, PeerInfo, PeerStore, Startable } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { ConnectionManager } from '@libp2p/interface-internal'

export interface MdnsDialerInit {
  /** Dial only while the node has fewer connections than this (default MDNS_DIAL_BELOW_CONNECTIONS). */
  dialBelowConnections?: number
}

export interface MdnsDialerComponents {
  peerId: PeerId
  /**
   * The @libp2p/mdns service, configured under the name `mdns` before this
   * one (optional only in type: the factory adds mDNS conditionally).
   */
  mdns?: PeerDiscovery
  peerStore: Pick<PeerStore, 'has' | 'delete'>
  connectionManager: Pick<ConnectionManager, 'getConnections' | 'openConnection'>
  logger: ComponentLogger
}

/** It dials what mDNS finds, and tells what mDNS said of a peer lately. */
export interface MdnsDialer {
  /** Dials it has begun that have not ended yet. */
  dialsUnderWay: () => number
  /**
   * The addresses mDNS answers gave for the peer in the last MDNS_SIGHTING_MS
   * (newest first, each ending in /p2p/<peer>), whether or not a dial
   * worked: a closed LAN peer refuses our connection but takes a contact
   * request through its code's intake. Unverified: anyone on the LAN can
   * answer in any peer's name, so only a dial that checks the peer's key may use them.
   */
  lanAddresses: (peer: PeerId) => Multiaddr[]
}

export class DefaultMdnsDialer implements MdnsDialer, Startable {
  readonly [Symbol.toStringTag] = 'presence-mesh:mdns-dialer'
  readonly [serviceCapabilities] = ['@presence-mesh/mdns-dialer']

  private readonly log: Logger
  private readonly mdns: PeerDiscovery
  private readonly dialBelowConnections: number
  /** Peers being dialed now: mDNS repeats its answers, one dial per peer is enough. */
  private readonly dialing = new Set<string>()
  private controller = sharedController()
  private started = false
  /** Set from afterStart to stop: until then what mDNS finds is kept here (latest answer per peer). */
  private dialingStarted = false
  private readonly foundEarly = new Map<string, PeerInfo>()
  /** Per peer, the addresses of its recent answers and when the last came; oldest answer first (a bounded map in insertion order). */
  private readonly sightings = new Map<string, { addresses: Multiaddr[], at: number }>()

  constructor (private readonly components: MdnsDialerComponents, init: MdnsDialerInit = {}) {
    this.log = components.logger.forComponent('presence-mesh:mdns-dialer')
    // read now: without an mdns service this fails at construction, not silently later
    const mdns = components.mdns
    if (mdns == null) throw new InvalidParametersError('the mDNS dialer needs an mdns service configured before it')
    this.mdns = mdns
    this.dialBelowConnections = init.dialBelowConnections ?? MDNS_DIAL_BELOW_CONNECTIONS
    this.onPeer = this.onPeer.bind(this)
  }

  dialsUnderWay (): number {
    return this.dialing.size
  }

  lanAddresses (peer: PeerId): Multiaddr[] {
    const seen = this.sightings.get(peer.toString())
    if (seen == null || Date.now() - seen.at > MDNS_SIGHTING_MS) return []
    return [...seen.addresses]
  }

  isStarted (): boolean {
    return this.started
  }

  start (): void {
    this.controller = sharedController()
    this.mdns.addEventListener('peer', this.onPeer)
    this.started = true
  }

  afterStart (): void {
    this.dialingStarted = true
    const early = [...this.foundEarly.values()]
    this.foundEarly.clear()
    for (const peer of early) this.dial(peer)
  }

  stop (): void {
    this.started = false
    this.dialingStarted = false
    this.foundEarly.clear()
    this.sightings.clear()
    this.mdns.removeEventListener('peer', this.onPeer)
    this.controller.abort()
  }

  private onPeer (evt: CustomEvent<PeerInfo>): void {
    this.remember(evt.detail)
    if (this.dialingStarted) this.dial(evt.detail)
    else if (!evt.detail.id.equals(this.components.peerId) && (this.foundEarly.size < this.dialBelowConnections || this.foundEarly.has(evt.detail.id.toString()))) {
      // no more than it may dial: answers naming made-up peers cannot grow this while the node starts
      this.foundEarly.set(evt.detail.id.toString(), evt.detail)
    }
  }

  /** Keeps the answer's addresses (newest first) as the peer's latest sighting; the oldest sighting goes beyond the bound. */
  private remember ({ id, multiaddrs }: PeerInfo): void {
    if (id.equals(this.components.peerId)) return
    const addresses = ofPeer(id, multiaddrs)
    if (addresses.length === 0) return
    const key = id.toString()
    const before = this.sightings.get(key)?.addresses ?? []
    const merged = [...addresses, ...before.filter(a => !addresses.some(b => b.equals(a)))].slice(0, MDNS_SIGHTING_ADDRESSES)
    this.sightings.delete(key)
    this.sightings.set(key, { addresses: merged, at: Date.now() })
    if (this.sightings.size > MDNS_SIGHTINGS_MAX) this.sightings.delete(this.sightings.keys().next().value!)
  }

  private dial ({ id, multiaddrs }: PeerInfo): void {
    const key = id.toString()
    const { connectionManager, peerStore } = this.components
    if (id.equals(this.components.peerId) || this.dialing.has(key) || connectionManager.getConnections(id).length > 0) return
    const addresses = ofPeer(id, multiaddrs)
    if (addresses.length === 0) return
    // dials under way count: the peers found while the node started are dialed all at once
    if (connectionManager.getConnections().length + this.dialing.size >= this.dialBelowConnections) return
    this.dialing.add(key)
    void (async () => {
      let known = true
      try {
        known = await peerStore.has(id)
        await connectionManager.openConnection(addresses, { signal: this.controller.signal })
        this.log('connected to mDNS peer %p', id)
      } catch (err) {
        this.log('could not dial mDNS peer %p - %e', id, err)
        if (!known && connectionManager.getConnections(id).length === 0) await peerStore.delete(id).catch(() => {})
      } finally {
        this.dialing.delete(key)
      }
    })()
  }
}

/**
 * The answer's addresses, each ending in the peer's id (so the dial checks
 * whom it reached); an address naming another peer is dropped.
 */
function ofPeer (id: PeerId, multiaddrs: Multiaddr[]): Multiaddr[] {
  const out: Multiaddr[] = []
  for (const ma of multiaddrs) {
    const named = ma.getComponents().findLast(c => c.code === CODE_P2P)?.value
    if (named == null) out.push(ma.encapsulate(`/p2p/${id.toString()}`))
    else if (named === id.toString()) out.push(ma)
  }
  return out
}

/**
 * The mdns service as a plain component: libp2p merges whatever a peer
 * discovery service reports into the peer store, and mDNS answers come from
 * anyone on the LAN. The mDNS dialer listens to it instead.
 */
export function lanOnly<C, T extends object> (factory: (components: C) => T): (components: C) => T {
  return (components) => {
    const service = factory(components)
    Reflect.deleteProperty(service, peerDiscoverySymbol)
    if (peerDiscoverySymbol in service) throw new InvalidParametersError('the mdns service still offers itself for peer discovery')
    return service
  }
}
