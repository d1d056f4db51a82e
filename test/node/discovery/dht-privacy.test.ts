import { NotFoundError } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import { describe, expect, it } from 'vitest'
import { DhtAddressPolicy, DhtPrivacyUnavailableError, dhtPrivacy } from '../../../node/discovery/dht-privacy.js'
import { libp2pEvents, logger, peerIds } from './stubs.js'
import type { Peer, PeerId, Startable } from '@libp2p/interface'
import type { KadDHT } from '@libp2p/kad-dht'

const PROTOCOL = '/presence-mesh/kad/1.0.0'
const addr = multiaddr('/ip4/10.0.0.1/tcp/4001')

/** A routing table holding exactly `servers`. */
const table = (servers: PeerId[]): { closestPeers: (kadId: Uint8Array, o?: { count?: number }) => PeerId[] } => ({
  // the policy asks for the one closest peer to a peer's own kad id: in the table, that is the peer itself
  closestPeers: () => servers
})

describe('DhtAddressPolicy', () => {
  it('names itself and DHT servers; nobody else, and nobody before it is attached', async () => {
    const [self, server, client] = await peerIds(3)
    const policy = new DhtAddressPolicy(self, PROTOCOL)
    expect(policy.names(self)).toBe(true)
    expect(policy.names(server)).toBe(false)
    policy.attach({ closestPeers: (_k, _o) => [server] })
    expect(policy.names(server)).toBe(true)
    expect(policy.names(client)).toBe(false)
    expect(policy.map({ id: client, multiaddrs: [addr] }).multiaddrs).toEqual([])
    // identify's new-peer path: a peer known to speak the DHT protocol keeps its addresses
    expect(policy.map({ id: client, multiaddrs: [addr], protocols: [PROTOCOL] } as any).multiaddrs).toEqual([addr])
  })

  it('names a peer whose identify listed the DHT protocol, although not in the routing table, until an identify without it', async () => {
    const [self, server, other] = await peerIds(3)
    const policy = new DhtAddressPolicy(self, PROTOCOL)
    policy.learn(server, ['/ipfs/id/1.0.0', PROTOCOL])
    // nobody before the policy is attached
    expect(policy.names(server)).toBe(false)
    policy.attach({ closestPeers: (_k, _o) => [other] })
    expect(policy.names(server)).toBe(true)
    // kad-dht's FIND_NODE puts the peer-store entry of the peer asked for through the mapper, without protocols
    expect(policy.map({ id: server, multiaddrs: [addr] }).multiaddrs).toEqual([addr])
    const wire = { id: server.toMultihash().bytes, multiaddrs: [addr.bytes] }
    expect(policy.filterAnswer({ type: 'FIND_NODE', closer: [wire], providers: [] }).closer).toEqual([wire])
    // it went private (no DHT protocol any more): no longer named
    policy.learn(server, ['/ipfs/id/1.0.0'])
    expect(policy.names(server)).toBe(false)
    expect(policy.map({ id: server, multiaddrs: [addr] }).multiaddrs).toEqual([])
  })

  it('filters the peers of any answer and hides others from the public-key branch', async () => {
    const [self, server, client] = await peerIds(3)
    const policy = new DhtAddressPolicy(self, PROTOCOL)
    policy.attach({ closestPeers: (_k, _o) => [server] })
    const wire = (p: PeerId): { id: Uint8Array, multiaddrs: Uint8Array[] } => ({ id: p.toMultihash().bytes, multiaddrs: [addr.bytes] })
    const answer = policy.filterAnswer({ type: 'GET_VALUE', closer: [wire(client), wire(server), { id: new Uint8Array([1, 2]), multiaddrs: [] }], providers: [wire(client)] })
    expect(answer.closer.map(p => p.id)).toEqual([server.toMultihash().bytes])
    expect(answer.providers).toEqual([])
    const view = policy.peerStoreView({ get: async (id) => ({ id } as unknown as Peer) })
    await expect(view.get(client)).rejects.toThrow(NotFoundError)
    expect((await view.get(server)).id).toBe(server)
  })
})

describe('the dhtPrivacy service', () => {
  it('installs its filter before start and takes it away at stop', async () => {
    const [self, server, client] = await peerIds(3)
    const getValue = { peerStore: { get: async (id: PeerId) => ({ id } as unknown as Peer) } }
    const rpc = {
      handlers: { GET_VALUE: getValue },
      handleMessage: async () => ({ type: 'FIND_NODE', closer: [{ id: client.toMultihash().bytes, multiaddrs: [] }, { id: server.toMultihash().bytes, multiaddrs: [] }], providers: [] })
    }
    const original = rpc.handleMessage
    const dht = { routingTable: table([server]), rpc } as unknown as KadDHT
    const policy = new DhtAddressPolicy(self, PROTOCOL)
    const events = libp2pEvents()
    const service = dhtPrivacy({ policy })({ dht, peerStore: getValue.peerStore as any, logger, events }) as Startable
    await service.beforeStart?.()
    const answer = await (rpc.handleMessage as any)(client, { type: 'FIND_NODE' })
    expect(answer.closer).toHaveLength(1)
    await expect(getValue.peerStore.get(client)).rejects.toThrow(NotFoundError)
    // a connected DHT server kad-dht left out of its table: its identify says it serves, so it is named
    events.safeDispatchEvent('peer:identify', { detail: { peerId: client, protocols: [PROTOCOL] } as any })
    expect((await (rpc.handleMessage as any)(server, { type: 'FIND_NODE' })).closer).toHaveLength(2)
    await service.stop()
    expect(rpc.handleMessage).toBe(original)
    // stopped: no longer listening
    events.safeDispatchEvent('peer:identify', { detail: { peerId: server, protocols: [] } as any })
    expect(policy.names(server)).toBe(false)
    expect((await getValue.peerStore.get(client)).id).toBe(client)
  })

  it('refuses to start when kad-dht\'s internals moved, instead of leaking', async () => {
    const [self] = await peerIds(1)
    const service = dhtPrivacy({ policy: new DhtAddressPolicy(self, PROTOCOL) })({ dht: { routingTable: table([]) } as unknown as KadDHT, peerStore: {} as any, logger, events: libp2pEvents() }) as Startable
    expect(() => service.beforeStart?.()).toThrow(DhtPrivacyUnavailableError)
  })
})
