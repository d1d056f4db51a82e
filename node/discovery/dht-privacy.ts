/**
 * kad-dht answers FIND_NODE for a peer id with that peer's addresses straight
 * from its peer store, whether or not the peer serves the DHT. So any DHT
 * server a non-public node ever connected to would resolve its peer id for
 * anyone. This mapper (kad-dht's peerInfoMapper) gives out addresses only of
 * DHT servers (in the routing table, or known to speak the DHT protocol),
 * which serve the DHT by choice; a DHT client's addresses never leave.
 */
import { passthroughMapper } from '@libp2p/kad-dht'
import { sha256 } from '@noble/hashes/sha2.js'
import type { PeerId, PeerInfo } from '@libp2p/interface'

interface RoutingTableView {
  closestPeers: (kadId: Uint8Array, options?: { count?: number }) => PeerId[]
}

export class ServerOnlyPeerInfoMapper {
  private routingTable?: RoutingTableView

  constructor (private readonly self: PeerId, private readonly dhtProtocol: string) {
    this.map = this.map.bind(this)
  }

  /** Call once the DHT exists; until then no peer's addresses are given out. */
  bind (dht: unknown): void {
    this.routingTable = (dht as { routingTable?: RoutingTableView }).routingTable
  }

  /**
   * kad-dht also runs its own new-peer path through the mapper: peers reported
   * by identify carry their protocols, and a DHT server may join the table.
   */
  map (info: PeerInfo & { protocols?: string[] }): PeerInfo {
    if (info.id.equals(this.self) || info.protocols?.includes(this.dhtProtocol) === true || this.isServer(info.id)) return passthroughMapper(info)
    return { id: info.id, multiaddrs: [] }
  }

  private isServer (peer: PeerId): boolean {
    const kadId = sha256(peer.toMultihash().bytes)
    return this.routingTable?.closestPeers(kadId, { count: 1 })[0]?.equals(peer) === true
  }
}
