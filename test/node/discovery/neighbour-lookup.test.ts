import { getEventListeners } from 'node:events'
import { multiaddr } from '@multiformats/multiaddr'
import { describe, expect, it } from 'vitest'
import { DefaultDiscovery, PeerNotFoundError } from '../../../node/discovery/discovery-service.js'
import { askNeighbours, kadFindNode } from '../../../node/discovery/neighbour-lookup.js'
import { presenceTopic } from '../../../protocol/topics.js'
import { connection, libp2pEvents, logger, peer, peerIds, StubRegistrar } from './stubs.js'
import type { DiscoveryComponents } from '../../../node/discovery/discovery-service.js'
import type { Connection, Peer, PeerId, PeerInfo } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

const addr = (port: number): Multiaddr => multiaddr(`/ip4/127.0.0.1/tcp/${port}`)
const never = new AbortController().signal

describe('askNeighbours', () => {
  it('gives the first answer that names the target; failures and empty answers count as none', async () => {
    const [target, a, b, c] = await peerIds(4)
    const got = await askNeighbours(target, [a, b, c], async (n) => {
      if (n.equals(a)) throw new Error('no kad protocol')
      if (n.equals(b)) return []
      return [addr(4001)]
    }, { signal: never, max: 8 })
    expect(got.map(String)).toEqual(['/ip4/127.0.0.1/tcp/4001'])
  })

  it('asks at most max neighbours, each once, never the target itself, and none when nobody is connected', async () => {
    const [target, ...others] = await peerIds(6)
    const asked: string[] = []
    const got = await askNeighbours(target, [target, others[0], others[0], ...others], async (n) => { asked.push(n.toString()); return [] }, { signal: never, max: 3 })
    expect(got).toEqual([])
    expect(asked).toEqual(others.slice(0, 3).map(String))
    expect(await askNeighbours(target, [], async () => [addr(1)], { signal: never, max: 3 })).toEqual([])
  })

  it('gives each ask its own signal: eight asks that each listen three times put no more than one listener on any signal they share', async () => {
    const [target, ...others] = await peerIds(9)
    const caller = new AbortController()
    const signals: AbortSignal[] = []
    const warnings: Error[] = []
    const onWarning = (w: Error): void => { if (w.name === 'MaxListenersExceededWarning') warnings.push(w) }
    process.on('warning', onWarning)
    try {
      let listening = 0
      const all = new Promise<void>(resolve => {
        void askNeighbours(target, others, async (_n, _t, signal) => {
          // a stream open and the reads of its protocol negotiation each listen for the abort
          for (let i = 0; i < 3; i++) signal.addEventListener('abort', () => {})
          signals.push(signal)
          if (++listening === others.length) resolve()
          return await new Promise<Multiaddr[]>(() => {})
        }, { signal: caller.signal, max: 8 }).catch(() => {})
      })
      await all
      expect(new Set(signals).size).toBe(8)
      for (const s of signals) expect(getEventListeners(s, 'abort')).toHaveLength(3)
      expect(getEventListeners(caller.signal, 'abort')).toHaveLength(1)
      caller.abort()
      await new Promise(resolve => setImmediate(resolve))
      expect(signals.every(s => s.aborted)).toBe(true)
      expect(getEventListeners(caller.signal, 'abort')).toHaveLength(0)
      expect(warnings).toEqual([])
    } finally {
      process.off('warning', onWarning)
    }
  })

  it('ends with the signal although an ask never answers', async () => {
    const [target, a] = await peerIds(2)
    const got = askNeighbours(target, [a], async () => await new Promise<Multiaddr[]>(() => {}), { signal: AbortSignal.timeout(50), max: 3 })
    await expect(got).rejects.toThrow()
  })
})

describe('kadFindNode', () => {
  it('sends one FIND_NODE of the target and reads its addresses from the answer', async () => {
    const [target, other, neighbour] = await peerIds(3)
    const sent: Array<{ to: PeerId, type: string, key: Uint8Array }> = []
    const dht = {
      network: {
        async * sendRequest (to: PeerId, msg: { type: string, key: Uint8Array }) {
          sent.push({ to, ...msg })
          yield { name: 'SEND_QUERY' }
          const closer: PeerInfo[] = [{ id: other, multiaddrs: [addr(1)] }, { id: target, multiaddrs: [addr(2)] }]
          yield { name: 'PEER_RESPONSE', closer }
        }
      }
    }
    const ask = kadFindNode(dht)!
    expect((await ask(neighbour, target, never)).map(String)).toEqual(['/ip4/127.0.0.1/tcp/2'])
    expect(sent).toHaveLength(1)
    expect(sent[0].to.equals(neighbour)).toBe(true)
    expect(sent[0].type).toBe('FIND_NODE')
    expect(sent[0].key).toEqual(target.toMultihash().bytes)
    expect(kadFindNode({ findPeer: () => {} })).toBeUndefined()
  })
})

describe('locate asks the neighbours before the DHT walk', () => {
  /** A discovery whose DHT walk never finds the target; `named` is who of the neighbours knows it. */
  const KAD = '/test/kad/1.0.0'
  /** `clients`: neighbours in DHT client mode (identify does not list the DHT protocol for them). */
  async function setup (named: (neighbour: PeerId) => boolean, clients: (neighbour: PeerId) => boolean = () => false): Promise<{ discovery: DefaultDiscovery, target: PeerId, watcher: PeerId, asked: string[], dials: string[], others: PeerId[], events: ReturnType<typeof libp2pEvents>, peers: Map<string, Peer> }> {
    const [self, target, watcher, other1, other2] = await peerIds(5)
    const registrar = new StubRegistrar()
    const peers = new Map<string, Peer>()
    const asked: string[] = []
    const dials: string[] = []
    const connected = [other1, other2, watcher]
    const events = libp2pEvents()
    const components = {
      peerId: self,
      logger,
      registrar,
      events,
      presence: libp2pEvents() as unknown as DiscoveryComponents['presence'],
      roster: { watchList: () => [], isContact: () => false, addEventListener: () => {}, removeEventListener: () => {} },
      peerStore: {
        get: async (id: PeerId) => {
          const p = peers.get(id.toString())
          if (p == null) throw Object.assign(new Error('not found'), { name: 'NotFoundError' })
          return p
        },
        merge: async (id: PeerId, data: { multiaddrs?: Multiaddr[] }) => {
          const p = peer(id, { addresses: (data.multiaddrs ?? []).map(String) })
          peers.set(id.toString(), p)
          return p
        }
      },
      connectionManager: {
        getConnections: (p?: PeerId): Connection[] => p == null ? connected.map(c => connection(c)) : [],
        getConnectionsMap: () => new Map(connected.map(c => [c.toString(), [connection(c)]])),
        openConnection: async (p: PeerId) => { dials.push(p.toString()); return connection(p) },
        closeConnections: async () => {}
      },
      pubsub: {
        protocols: ['/meshsub/1.2.0'],
        getPeers: () => connected,
        getSubscribers: (topic: string) => topic === presenceTopic(target) ? [watcher] : []
      },
      dht: {
        // the walk finds nothing
        async * findPeer () { throw Object.assign(new Error('Not found'), { name: 'NotFoundError' }) },
        network: {
          protocol: KAD,
          async * sendRequest (to: PeerId) {
            asked.push(to.toString())
            yield { name: 'PEER_RESPONSE', closer: named(to) ? [{ id: target, multiaddrs: [addr(4242)] }] : [] }
          }
        }
      }
    } as unknown as DiscoveryComponents
    const discovery = new DefaultDiscovery(components)
    discovery.start()
    for (const c of connected) registrar.identified(c, clients(c) ? ['/meshsub/1.2.0'] : ['/meshsub/1.2.0', KAD])
    return { discovery, target, watcher, asked, dials, others: [other1, other2], events, peers }
  }

  it('finds a peer the walk does not through a watcher of it that knows where it is', async () => {
    const { discovery, target, watcher, asked, dials } = await setup(n => n.equals(watcher))
    const res = await discovery.locate(target)
    expect(res.via).toBe('neighbour')
    expect(dials).toEqual([target.toString()])
    // the peer's watchers are asked first
    expect(asked[0]).toBe(watcher.toString())
    discovery.stop()
  })

  it('asks no neighbour when told to ignore caches (useCache false: the walk only)', async () => {
    const { discovery, target, watcher, asked } = await setup(n => n.equals(watcher))
    await expect(discovery.locate(target, { useCache: false })).rejects.toThrow(PeerNotFoundError)
    expect(asked).toEqual([])
    discovery.stop()
  })

  it('asks only the neighbours that serve the DHT: one in client mode (any contact that is not public) refuses the stream', async () => {
    // the watcher would name it, but it runs the DHT as a client; of the other two only one serves it
    let server = ''
    const { discovery, target, others, asked } = await setup(() => true, n => { if (server === '') server = n.toString(); return n.toString() !== server })
    await expect(discovery.locate(target)).resolves.toMatchObject({ via: 'neighbour' })
    expect(asked).toEqual([server])
    expect(others.map(String)).toContain(server)
    discovery.stop()
  })

  it('asks nobody when no connected peer serves the DHT', async () => {
    const { discovery, target, asked } = await setup(() => true, () => true)
    await expect(discovery.locate(target)).rejects.toThrow(PeerNotFoundError)
    expect(asked).toEqual([])
    discovery.stop()
  })

  it('asks a neighbour the peer store knows serves the DHT (an earlier identify) when this connection\'s identify did not say', async () => {
    const { discovery, target, others, asked, events, peers } = await setup(() => true, () => true)
    peers.set(others[0].toString(), { ...peer(others[0]), protocols: ['/meshsub/1.2.0', KAD] })
    events.safeDispatchEvent('peer:connect', { detail: others[0] })
    // the peer store answers within the turn
    await new Promise(resolve => setImmediate(resolve))
    await expect(discovery.locate(target)).resolves.toMatchObject({ via: 'neighbour' })
    expect(asked).toEqual([others[0].toString()])
    discovery.stop()
  })

  it('does not ask a neighbour that disconnected, whatever the registrar has not told yet', async () => {
    const { discovery, target, others, asked, events } = await setup(() => false)
    events.safeDispatchEvent('peer:disconnect', { detail: others[0] })
    await expect(discovery.locate(target)).rejects.toThrow(PeerNotFoundError)
    expect(asked).toHaveLength(2)
    expect(asked).not.toContain(others[0].toString())
    discovery.stop()
  })

  it('falls back to the walk when no neighbour names it', async () => {
    const { discovery, target, asked } = await setup(() => false)
    await expect(discovery.locate(target)).rejects.toThrow(PeerNotFoundError)
    expect(asked).toHaveLength(3)
    discovery.stop()
  })
})
