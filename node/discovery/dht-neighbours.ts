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
 * tells it when the peer disconnects or stops listing the protocol.
 */
import type { PeerId } from '@libp2p/interface'
import type { Registrar } from '@libp2p/interface-internal'

export class DhtNeighbours {
  private readonly peers = new Set<string>()
  private topology?: Promise<string>

  constructor (private readonly registrar: Pick<Registrar, 'register' | 'unregister'>, private readonly protocol: string) {}

  start (): void {
    if (this.topology != null) return
    // the registrar adds the topology before its promise settles: no identify is missed in between
    this.topology = this.registrar.register(this.protocol, {
      onConnect: (peer) => { this.peers.add(peer.toString()) },
      onDisconnect: (peer) => { this.peers.delete(peer.toString()) }
    })
    this.topology.catch(() => {})
  }

  stop (): void {
    const topology = this.topology
    this.topology = undefined
    this.peers.clear()
    void topology?.then(id => { this.registrar.unregister(id) }, () => {})
  }

  /** Whether the peer was identified as serving the DHT and is still connected. */
  has (peer: PeerId): boolean {
    return this.peers.has(peer.toString())
  }

  get size (): number {
    return this.peers.size
  }
}
