/** Stubbed libp2p components for unit tests of the discovery services. */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { TypedEventEmitter } from '@libp2p/interface'
import { defaultLogger } from '@libp2p/logger'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { ConnectionManager } from '@libp2p/interface-internal'
import type { Connection, Libp2pEvents, Peer, PeerId, PeerQuery } from '@libp2p/interface'

export const logger = defaultLogger()

export async function peerIds (n: number): Promise<PeerId[]> {
  return await Promise.all(Array.from({ length: n }, async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519'))))
}

export function libp2pEvents (): TypedEventEmitter<Libp2pEvents> {
  return new TypedEventEmitter<Libp2pEvents>()
}

/** A stream as far as the services look at one. */
export interface StubStream { protocol: string, direction: 'inbound' | 'outbound', status: 'open' }

/** A connection as far as the services look at one. */
export function connection (remotePeer: PeerId, opts: { limited?: boolean, streams?: StubStream[] } = {}): Connection {
  return {
    remotePeer,
    status: 'open',
    remoteAddr: multiaddr(`/ip4/127.0.0.1/tcp/4001/p2p/${remotePeer.toString()}`),
    limits: opts.limited === true ? { bytes: 1n << 20n } : undefined,
    timeline: { open: Date.now() },
    streams: opts.streams ?? []
  } as unknown as Connection
}

/** A connection manager whose dials the test decides; it records every dial. */
export class StubConnectionManager {
  readonly dials: PeerId[] = []
  /** Peers with an open connection. */
  readonly connected = new Set<string>()
  /** Extra connections to unnamed peers, for the connection count. */
  others = 0
  dial: (peer: PeerId) => Promise<Connection> = async (peer) => connection(peer)

  /** The connection each connected peer has (made when first asked for, so it keeps its opening time and streams). */
  private readonly open = new Map<string, Connection>()

  getConnections = (peer?: PeerId): Connection[] => {
    if (peer == null) return Array.from({ length: this.connected.size + this.others }, () => ({}) as unknown as Connection)
    const id = peer.toString()
    if (!this.connected.has(id)) {
      this.open.delete(id)
      return []
    }
    let conn = this.open.get(id)
    if (conn == null) {
      conn = connection(peer)
      this.open.set(id, conn)
    }
    return [conn]
  }

  /** Only its size: how many peers have a connection (as getConnections() counts them, overridden or not). */
  getConnectionsMap = (): ReturnType<ConnectionManager['getConnectionsMap']> => ({ size: this.getConnections().length }) as unknown as ReturnType<ConnectionManager['getConnectionsMap']>

  openConnection = async (peer: PeerId | unknown): Promise<Connection> => {
    this.dials.push(peer as PeerId)
    return await this.dial(peer as PeerId)
  }

  readonly closed: PeerId[] = []

  closeConnections = async (peer: PeerId): Promise<void> => {
    this.closed.push(peer)
    this.connected.delete(peer.toString())
  }
}

export function peer (id: PeerId, opts: { addresses?: string[], metadata?: Record<string, Uint8Array> } = {}): Peer {
  return {
    id,
    addresses: (opts.addresses ?? []).map(a => ({ multiaddr: multiaddr(a), isCertified: false })),
    protocols: [],
    metadata: new Map(Object.entries(opts.metadata ?? {})),
    tags: new Map()
  }
}

/**
 * A peer store over a list of peers: all() applies the query's filters; merges are recorded, and
 * addresses merged are added, with libp2p's peer:update on `events` when given.
 */
export class StubPeerStore {
  readonly merges: Array<{ peer: PeerId, data: any }> = []

  constructor (readonly peers: Peer[] = [], private readonly events?: TypedEventEmitter<Libp2pEvents>) {}

  all = async (query: PeerQuery = {}): Promise<Peer[]> => {
    return this.peers.filter(p => (query.filters ?? []).every(f => f(p)))
  }

  get = async (id: PeerId): Promise<Peer> => {
    const found = this.peers.find(p => p.id.equals(id))
    if (found == null) throw Object.assign(new Error('not found'), { name: 'NotFoundError' })
    return found
  }

  readonly deleted: PeerId[] = []

  has = async (id: PeerId): Promise<boolean> => this.peers.some(p => p.id.equals(id))

  delete = async (id: PeerId): Promise<void> => {
    this.deleted.push(id)
    const i = this.peers.findIndex(p => p.id.equals(id))
    if (i >= 0) this.peers.splice(i, 1)
  }

  merge = async (id: PeerId, data: any): Promise<Peer> => {
    this.merges.push({ peer: id, data })
    const previous = this.peers.find(p => p.id.equals(id))
    const added = ((data.multiaddrs ?? []) as Multiaddr[]).map(String).filter(a => previous?.addresses.some(b => b.multiaddr.toString() === a) !== true)
    if (added.length === 0) return previous ?? peer(id)
    const updated = peer(id, { addresses: [...(previous?.addresses ?? []).map(a => a.multiaddr.toString()), ...added] })
    if (previous == null) this.peers.push(updated)
    else this.peers[this.peers.indexOf(previous)] = updated
    this.events?.safeDispatchEvent('peer:update', { detail: { peer: updated, previous } })
    return updated
  }
}

/** A registrar whose topologies the test notifies: `identified` as libp2p does after identify lists the protocol, `disconnected` after the peer left. */
export class StubRegistrar {
  readonly topologies = new Map<string, { protocol: string, onConnect?: (peer: PeerId, conn: Connection) => void | Promise<void>, onDisconnect?: (peer: PeerId) => void | Promise<void> }>()

  register = async (protocol: string, topology: { onConnect?: (peer: PeerId, conn: Connection) => void | Promise<void>, onDisconnect?: (peer: PeerId) => void | Promise<void> }): Promise<string> => {
    const id = String(this.topologies.size + 1)
    this.topologies.set(id, { protocol, ...topology })
    return id
  }

  unregister = (id: string): void => { this.topologies.delete(id) }

  identified (peer: PeerId, protocols: string[]): void {
    for (const t of this.topologies.values()) if (protocols.includes(t.protocol)) void t.onConnect?.(peer, connection(peer))
  }

  disconnected (peer: PeerId): void {
    for (const t of this.topologies.values()) void t.onDisconnect?.(peer)
  }
}
