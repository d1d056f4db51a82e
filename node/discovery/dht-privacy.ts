/**
 * Who a DHT answer may name. kad-dht gives out peer-store entries in its
 * answers: FIND_NODE and GET_PROVIDERS run them through the peerInfoMapper,
 * but 16.4.5's GET_VALUE does not (it calls getClosestPeersOffline, which puts
 * the peer-store entry of a key that decodes as a peer id into `closer`), and
 * its public-key branch (`/pk/<multihash>`) answers from the peer store for
 * any peer it ever met. So any DHT server a non-public node connected to
 * would resolve that node's peer id for anyone (docs/upstream/kad-dht-get-value.md
 * is the report for the library).
 *
 * The policy: an answer names a peer, with its addresses, only if it is this
 * node or a DHT server (in the routing table, or known to speak the DHT
 * protocol: its last identify listed it), which serves the DHT by choice.
 * Everything else is answered as for a peer this node never met. A server a
 * node is connected to but kad-dht left out of its routing table (its one
 * ping failed under load) is still named: it is often the only way its
 * contacts find it (a neighbour that relays its records knows where it is).
 *
 * It is enforced in this module only: DhtAddressPolicy is kad-dht's
 * peerInfoMapper (built with the DHT, which also uses it to admit peers to
 * its routing table), and the dhtPrivacy service owns its lifecycle: at
 * start it binds the policy to the routing table and puts a filter at the
 * one place every inbound RPC passes (the RPC dispatcher), covering every
 * message type; at stop it takes both away. kad-dht's internals it relies on
 * are checked at start: if they moved, the node refuses to start rather than
 * leak.
 */
import { NotFoundError, serviceCapabilities, serviceDependencies } from '@libp2p/interface'
import { passthroughMapper } from '@libp2p/kad-dht'
import { peerIdFromMultihash } from '@libp2p/peer-id'
import { sha256 } from '@noble/hashes/sha2.js'
import * as Digest from 'multiformats/hashes/digest'
import { trimOldest } from '../util/trim.js'
import type { ComponentLogger, IdentifyResult, Libp2pEvents, Logger, PeerId, PeerInfo, PeerStore, Startable, TypedEventTarget } from '@libp2p/interface'
import type { KadDHT } from '@libp2p/kad-dht'

/** kad-dht's name for the GET_VALUE message type (its handlers are keyed by it). */
const GET_VALUE = 'GET_VALUE'

interface RoutingTableView {
  closestPeers: (kadId: Uint8Array, options?: { count?: number }) => PeerId[]
}

/** A peer as kad-dht's handlers put it on the wire. */
interface WirePeer { id: Uint8Array, multiaddrs: Uint8Array[] }

interface WireMessage {
  type: string
  key?: Uint8Array
  closer: WirePeer[]
  providers: WirePeer[]
}

/** What of kad-dht this module touches (runtime fields, not its typed API). */
interface KadInternals {
  routingTable: RoutingTableView
  rpc: {
    handleMessage: (peer: PeerId, msg: WireMessage) => Promise<WireMessage | undefined>
    handlers: Record<string, { peerStore?: Pick<PeerStore, 'get'> } | undefined>
  }
}

export class DhtPrivacyUnavailableError extends Error {
  static override name = 'DhtPrivacyUnavailableError'
  constructor (readonly missing: string) {
    super(`kad-dht no longer has ${missing}: the DHT privacy filter cannot be installed`)
    this.name = 'DhtPrivacyUnavailableError'
  }
}

function peerOf (multihash: Uint8Array): PeerId | undefined {
  try {
    return peerIdFromMultihash(Digest.decode(multihash))
  } catch {
    return undefined
  }
}

/** Peers remembered as DHT servers from their identify (the oldest are forgotten beyond this). */
const MAX_KNOWN_SERVERS = 4096

/** The rule itself: this node and DHT servers are named; nobody else is. */
export class DhtAddressPolicy {
  private routingTable?: RoutingTableView
  /** Peers whose last identify listed the DHT protocol. */
  private readonly servers = new Set<string>()

  constructor (private readonly self: PeerId, private readonly dhtProtocol: string) {
    this.map = this.map.bind(this)
  }

  /** Until attached (the dhtPrivacy service does it) no peer but this node is named. */
  attach (routingTable: RoutingTableView | undefined): void {
    this.routingTable = routingTable
  }

  /**
   * kad-dht's peerInfoMapper. Its own new-peer path runs peers reported by
   * identify through it too: those carry their protocols, so a DHT server
   * may join the routing table.
   */
  map (info: PeerInfo & { protocols?: string[] }): PeerInfo {
    if (info.protocols?.includes(this.dhtProtocol) === true || this.names(info.id)) return passthroughMapper(info)
    return { id: info.id, multiaddrs: [] }
  }

  /** What a peer's identify said it speaks: a DHT server is named from then on, until an identify without it. */
  learn (peer: PeerId, protocols: readonly string[]): void {
    const id = peer.toString()
    this.servers.delete(id)
    if (!protocols.includes(this.dhtProtocol)) return
    this.servers.add(id)
    trimOldest(this.servers, MAX_KNOWN_SERVERS)
  }

  /** Whether an answer may name `peer`. */
  names (peer: PeerId): boolean {
    if (peer.equals(this.self)) return true
    if (this.routingTable == null) return false
    if (this.servers.has(peer.toString())) return true
    const kadId = sha256(peer.toMultihash().bytes)
    return this.routingTable?.closestPeers(kadId, { count: 1 })[0]?.equals(peer) === true
  }

  /** Drops every peer of an answer the policy does not name, whatever the message type. */
  filterAnswer (msg: WireMessage): WireMessage {
    const keep = (p: WirePeer): boolean => {
      const peer = peerOf(p.id)
      return peer != null && this.names(peer)
    }
    return { ...msg, closer: msg.closer.filter(keep), providers: msg.providers.filter(keep) }
  }

  /**
   * The peer store as the public-key branch of GET_VALUE may see it: peers
   * the policy does not name are not found, so their key is answered as for
   * a peer this node never met (from the records stored under the key, and
   * the closest DHT servers).
   */
  peerStoreView (peerStore: Pick<PeerStore, 'get'>): Pick<PeerStore, 'get'> {
    return {
      get: async (peer, options) => {
        if (!this.names(peer)) throw new NotFoundError('Not found')
        return await peerStore.get(peer, options)
      }
    }
  }
}

export interface DhtPrivacyInit {
  /** The policy kad-dht was built with (its peerInfoMapper). */
  policy: DhtAddressPolicy
}

export interface DhtPrivacyComponents {
  dht: KadDHT
  peerStore: PeerStore
  logger: ComponentLogger
  /** peer:identify tells which peers speak the DHT protocol. */
  events: TypedEventTarget<Libp2pEvents>
}

class DhtPrivacy implements Startable {
  readonly [Symbol.toStringTag] = 'presence-mesh:dht-privacy'
  readonly [serviceCapabilities] = ['@presence-mesh/dht-privacy']
  readonly [serviceDependencies] = ['@libp2p/kad-dht']
  private readonly log: Logger
  private uninstall?: () => void

  constructor (private readonly components: DhtPrivacyComponents, private readonly init: DhtPrivacyInit) {
    this.log = components.logger.forComponent('presence-mesh:dht-privacy')
  }

  isStarted (): boolean {
    return this.uninstall != null
  }

  /** Before any service starts: kad-dht answers its first RPC already filtered. */
  beforeStart (): void {
    const kad = this.components.dht as unknown as Partial<KadInternals>
    if (typeof kad.routingTable?.closestPeers !== 'function') throw new DhtPrivacyUnavailableError('routingTable.closestPeers')
    const rpc = kad.rpc
    if (typeof rpc?.handleMessage !== 'function') throw new DhtPrivacyUnavailableError('rpc.handleMessage')
    const getValue = rpc.handlers?.[GET_VALUE]
    if (getValue?.peerStore == null) throw new DhtPrivacyUnavailableError('the GET_VALUE handler\'s peer store')

    const { policy } = this.init
    policy.attach(kad.routingTable)
    const original = rpc.handleMessage
    const originalPeerStore = getValue.peerStore
    getValue.peerStore = policy.peerStoreView(this.components.peerStore)
    // the dispatcher of every inbound RPC (kad-dht calls it as this.handleMessage)
    rpc.handleMessage = async (peer, msg) => {
      const answer = await original.call(rpc, peer, msg)
      if (answer == null) return answer
      const filtered = policy.filterAnswer(answer)
      const dropped = answer.closer.length + answer.providers.length - filtered.closer.length - filtered.providers.length
      if (dropped > 0) this.log('kept %d peers out of an answer to %p', dropped, peer)
      return filtered
    }
    const onIdentify = (evt: CustomEvent<IdentifyResult>): void => { policy.learn(evt.detail.peerId, evt.detail.protocols) }
    this.components.events.addEventListener('peer:identify', onIdentify)
    this.uninstall = () => {
      this.components.events.removeEventListener('peer:identify', onIdentify)
      rpc.handleMessage = original
      getValue.peerStore = originalPeerStore
      policy.attach(undefined)
    }
  }

  start (): void {}

  stop (): void {
    this.uninstall?.()
    this.uninstall = undefined
  }
}

export function dhtPrivacy (init: DhtPrivacyInit): (components: DhtPrivacyComponents) => Startable {
  return (components) => new DhtPrivacy(components, init)
}
