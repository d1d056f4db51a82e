/**
 * Asking the neighbours: a DHT lookup of one hop. A watched peer's records
 * can reach us through other watchers while the DHT walk finds it nowhere
 * (routing tables of a few peers on a loaded mesh, a node restarted moments
 * ago that few tables hold yet: the chaos run saw lookups fail for a minute
 * between two running contacts, each connected to 8-20 peers). The peers that
 * relay its records watch it too, and their follow keeps a connection to it,
 * so they know where it is. Each neighbour is asked directly with one
 * FIND_NODE of the peer (kad-dht's own request; a DHT server answers from its
 * peer store, under its own address policy, node/discovery/dht-privacy.ts):
 * the subscribers of the peer's presence topic first, then other connected
 * peers, all at once, bounded in number and time. It asks nothing a DHT walk
 * would not ask: the peer id being looked for.
 */
import type { Multiaddr } from '@multiformats/multiaddr'
import type { PeerId, PeerInfo } from '@libp2p/interface'

/** Asks one connected peer for a target's addresses (empty: it named none). */
export type FindNodeAsk = (neighbour: PeerId, target: PeerId, signal: AbortSignal) => Promise<Multiaddr[]>

export interface NeighbourLookupOptions {
  signal: AbortSignal
  /** Neighbours asked at most (the first ones of the list). */
  max: number
}

/**
 * The addresses the first neighbour to name the target gave (the others'
 * asks are ended), or none when nobody did. Never throws but for the
 * caller's signal: a neighbour that fails counts as one that named nobody.
 */
export async function askNeighbours (target: PeerId, neighbours: PeerId[], ask: FindNodeAsk, opts: NeighbourLookupOptions): Promise<Multiaddr[]> {
  const asked = dedupe(neighbours.filter(p => !p.equals(target))).slice(0, opts.max)
  if (asked.length === 0) return []
  opts.signal.throwIfAborted()
  // each ask its own signal: a stream open and read add several abort listeners each, which on one
  // shared signal passed Node's limit of 10 (MaxListenersExceededWarning); the caller's signal gets one
  const asks = asked.map(() => new AbortController())
  let finish = (_addrs: Multiaddr[]): void => {}
  const end = (): void => {
    finish([])
    for (const c of asks) c.abort()
  }
  opts.signal.addEventListener('abort', end, { once: true })
  try {
    return await new Promise<Multiaddr[]>((resolve) => {
      // an ask that ignores its signal holds nobody up
      finish = resolve
      let left = asked.length
      asked.forEach((n, i) => {
        ask(n, target, asks[i].signal).then(addrs => {
          if (addrs.length > 0) resolve(addrs)
        }, () => {}).finally(() => {
          if (--left === 0) resolve([])
        })
      })
    })
  } finally {
    opts.signal.removeEventListener('abort', end)
    for (const c of asks) c.abort()
    opts.signal.throwIfAborted()
  }
}

/** What of kad-dht a FIND_NODE to one peer needs (its network, a runtime field of the service). */
interface KadNetwork {
  /** The protocol its requests go out on (what a neighbour must handle to answer). */
  protocol?: string
  sendRequest: (to: PeerId, msg: { type: string, key: Uint8Array }, options: { signal: AbortSignal, path: { index: number, queued: number, running: number, total: number } }) => AsyncIterable<{ name: string, closer?: PeerInfo[] }>
}

/** kad-dht's FIND_NODE to one peer, or undefined when the DHT given has no network to send it on. */
export function kadFindNode (dht: unknown): FindNodeAsk | undefined {
  const network = (dht as { network?: Partial<KadNetwork> } | undefined)?.network
  if (typeof network?.sendRequest !== 'function') return undefined
  const kad = network as KadNetwork
  return async (neighbour, target, signal) => {
    const msg = { type: 'FIND_NODE', key: target.toMultihash().bytes }
    for await (const event of kad.sendRequest(neighbour, msg, { signal, path: { index: -1, queued: 0, running: 0, total: 0 } })) {
      if (event.name !== 'PEER_RESPONSE') continue
      return event.closer?.find(p => p.id.equals(target))?.multiaddrs ?? []
    }
    return []
  }
}

/** The protocol kad-dht's FIND_NODE goes out on, when the DHT given has a network. */
export function kadProtocol (dht: unknown): string | undefined {
  const protocol = (dht as { network?: Partial<KadNetwork> } | undefined)?.network?.protocol
  return typeof protocol === 'string' ? protocol : undefined
}

function dedupe (peers: PeerId[]): PeerId[] {
  const seen = new Set<string>()
  return peers.filter(p => {
    const id = p.toString()
    if (seen.has(id)) return false
    seen.add(id)
    return true
  })
}
