/**
 * The connected peers that serve the DHT: the only neighbours a neighbour
 * ask (neighbour-lookup.ts, a kad-dht FIND_NODE) can get an answer from.
 *
 * A node in DHT client mode does not handle the DHT protocol, and every
 * node that is neither public nor a relay runs in client mode (node/libp2p.ts):
 * in a contacts-mode mesh most neighbours are contacts that refuse the
 * stream. Asking one costs a stream, a protocol negotiation and a reset at
 * both ends, and can never name anybody: at start-up a node with 950 offline
 * contacts asked 8 such neighbours about each (7,600 refused streams within
 * the first minute, the bulk of presence.scale's idle CPU in session 10).
 *
 * Identify tells which peers handle the protocol; libp2p's registrar passes
 * that on to a topology (as it does for kad-dht's own routing table), and
 * tells it when the peer disconnects or stops listing the protocol. Under
 * load identify can fail or come late, so a peer that connects is also taken
 * when the peer store lists the protocol for it from an earlier identify
 * (a restart, a healed link); and a peer goes when libp2p says it
 * disconnected, without waiting for the registrar's peer-store read.
 */
import type { Libp2pEvents, PeerId, PeerStore, TypedEventTarget } from '@libp2p/interface'
import type { Registrar } from '@libp2p/interface-internal'

export interface DhtNeighboursComponents {
  registrar: Pick<Registrar, 'register' | 'unregister'>
  events?: Pick<TypedEventTarget<Libp2pEvents>, 'addEventListener' | 'removeEventListener'>
  peerStore?: Pick<PeerStore, 'get'>
}

export class DhtNeighbours {
  private readonly peers = new Set<string>()
  /** Peers connected now, as libp2p's connect and disconnect events tell (a peer-store answer for one that went meanwhile is dropped). */
  private readonly connected = new Set<string>()
  private topology?: Promise<string>

  /** `added`: a peer that serves the DHT was added (follows parked for want of anyone to ask try again). */
  constructor (private readonly components: DhtNeighboursComponents, private readonly protocol: string, private readonly added: () => void = () => {}) {
    this.onConnect = this.onConnect.bind(this)
    this.onDisconnect = this.onDisconnect.bind(this)
  }

  start (): void {
    if (this.topology != null) return
    // the registrar adds the topology before its promise settles: no identify is missed in between
    this.topology = this.components.registrar.register(this.protocol, {
      onConnect: (peer) => { this.add(peer.toString()) },
      onDisconnect: (peer) => { this.peers.delete(peer.toString()) }
    })
    this.topology.catch(() => {})
    this.components.events?.addEventListener('peer:connect', this.onConnect)
    this.components.events?.addEventListener('peer:disconnect', this.onDisconnect)
  }

  stop (): void {
    const topology = this.topology
    this.topology = undefined
    this.peers.clear()
    this.connected.clear()
    this.components.events?.removeEventListener('peer:connect', this.onConnect)
    this.components.events?.removeEventListener('peer:disconnect', this.onDisconnect)
    void topology?.then(id => { this.components.registrar.unregister(id) }, () => {})
  }

  private onConnect (evt: CustomEvent<PeerId>): void {
    const id = evt.detail.toString()
    const started = this.topology
    this.components.peerStore?.get(evt.detail).then((p) => {
      // still connected (no disconnect since) and this instance still running
      if (started != null && this.topology === started && p.protocols.includes(this.protocol) && this.connected.has(id)) this.add(id)
    }, () => {})
    this.connected.add(id)
  }

  private add (id: string): void {
    if (this.peers.has(id)) return
    this.peers.add(id)
    this.added()
  }

  private onDisconnect (evt: CustomEvent<PeerId>): void {
    const id = evt.detail.toString()
    this.connected.delete(id)
    this.peers.delete(id)
  }

  /** Whether the peer was identified as serving the DHT and is still connected. */
  has (peer: PeerId): boolean {
    return this.peers.has(peer.toString())
  }

  get size (): number {
    return this.peers.size
  }
}
