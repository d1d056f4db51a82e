/** The mDNS dialer with a stubbed mdns service and connection manager. */
import { TypedEventEmitter } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import { expect, it } from 'vitest'
import { DefaultMdnsDialer } from '../../../node/discovery/mdns-dialer.js'
import { waitFor } from '../../helpers.js'
import { connection, logger, peerIds, StubConnectionManager, StubPeerStore } from './stubs.js'
import type { PeerDiscoveryEvents, PeerId } from '@libp2p/interface'

const found = (mdns: TypedEventEmitter<PeerDiscoveryEvents>, id: PeerId): void => {
  mdns.safeDispatchEvent('peer', { detail: { id, multiaddrs: [multiaddr(`/ip4/127.0.0.1/tcp/4001/p2p/${id.toString()}`)] } })
}

async function setup (dialBelowConnections = 4): Promise<{ ids: PeerId[], mdns: TypedEventEmitter<PeerDiscoveryEvents>, cm: StubConnectionManager, ps: StubPeerStore, dialer: DefaultMdnsDialer }> {
  const ids = await peerIds(4)
  const mdns = new TypedEventEmitter<PeerDiscoveryEvents>()
  const cm = new StubConnectionManager()
  const ps = new StubPeerStore()
  const dialer = new DefaultMdnsDialer({ peerId: ids[0], mdns, peerStore: ps, connectionManager: cm, logger }, { dialBelowConnections })
  dialer.start()
  dialer.afterStart()
  return { ids, mdns, cm, ps, dialer }
}

it('stores and dials a peer mDNS finds', async () => {
  const { ids, mdns, cm, ps, dialer } = await setup()
  found(mdns, ids[1])
  await waitFor(() => cm.dials.length === 1, 'the dial')
  expect(cm.dials[0].equals(ids[1])).toBe(true)
  expect(ps.merges[0].peer.equals(ids[1])).toBe(true)
  expect(ps.merges[0].data.multiaddrs.map(String)).toEqual([`/ip4/127.0.0.1/tcp/4001/p2p/${ids[1].toString()}`])
  dialer.stop()
})

it('dials nothing while the node starts; what mDNS found meanwhile is dialed once it has started', async () => {
  const ids = await peerIds(3)
  const mdns = new TypedEventEmitter<PeerDiscoveryEvents>()
  const cm = new StubConnectionManager()
  const dialer = new DefaultMdnsDialer({ peerId: ids[0], mdns, peerStore: new StubPeerStore(), connectionManager: cm, logger })
  dialer.start()
  // the other services still start: a connection now would be identified by neither side
  found(mdns, ids[1])
  found(mdns, ids[1])
  found(mdns, ids[0])
  await new Promise(resolve => setImmediate(resolve))
  expect(cm.dials).toEqual([])
  dialer.afterStart()
  await waitFor(() => cm.dials.length === 1, 'the dial once started')
  expect(cm.dials[0].equals(ids[1])).toBe(true)
  dialer.stop()
})

it('dials under way count toward the connection limit: of three peers found while starting, two are dialed below a limit of two', async () => {
  const ids = await peerIds(4)
  const mdns = new TypedEventEmitter<PeerDiscoveryEvents>()
  const cm = new StubConnectionManager()
  let release = (): void => {}
  const gate = new Promise<void>(resolve => { release = resolve })
  cm.dial = async (p) => { await gate; return connection(p) }
  const dialer = new DefaultMdnsDialer({ peerId: ids[0], mdns, peerStore: new StubPeerStore(), connectionManager: cm, logger }, { dialBelowConnections: 2 })
  dialer.start()
  for (const id of ids.slice(1)) found(mdns, id)
  dialer.afterStart()
  await waitFor(() => cm.dials.length >= 2, 'two dials')
  await new Promise(resolve => setImmediate(resolve))
  expect(cm.dials).toHaveLength(2)
  release()
  dialer.stop()
})

it('holds no more peers found while starting than it may dial: made-up answers cannot grow it', async () => {
  const ids = await peerIds(40)
  const mdns = new TypedEventEmitter<PeerDiscoveryEvents>()
  const dialer = new DefaultMdnsDialer({ peerId: ids[0], mdns, peerStore: new StubPeerStore(), connectionManager: new StubConnectionManager(), logger }, { dialBelowConnections: 4 })
  dialer.start()
  for (const id of ids.slice(1)) found(mdns, id)
  // a memory bound: what it holds is private, read here on purpose
  expect((dialer as unknown as { foundEarly: Map<string, unknown> }).foundEarly.size).toBe(4)
  dialer.stop()
})

it('one dial per peer while it is under way, none to itself or a connected peer', async () => {
  const { ids, mdns, cm, dialer } = await setup()
  let release = (): void => {}
  const gate = new Promise<void>(resolve => { release = resolve })
  cm.dial = async (p) => { await gate; return connection(p) }
  cm.connected.add(ids[2].toString())
  found(mdns, ids[0])
  found(mdns, ids[2])
  found(mdns, ids[1])
  found(mdns, ids[1])
  await waitFor(() => cm.dials.length === 1, 'the dial')
  found(mdns, ids[1])
  release()
  // once the dial ended (here: it failed to stick), a later answer dials again
  await waitFor(async () => { found(mdns, ids[1]); return cm.dials.length === 2 }, 'a second dial after the first ended')
  expect(cm.dials.every(p => p.equals(ids[1]))).toBe(true)
  dialer.stop()
})

it('dials only while below the connection limit', async () => {
  const { ids, mdns, cm, dialer } = await setup(3)
  cm.others = 3
  found(mdns, ids[1])
  cm.others = 2
  found(mdns, ids[2])
  await waitFor(() => cm.dials.length === 1, 'the dial')
  expect(cm.dials[0].equals(ids[2])).toBe(true)
  dialer.stop()
})

it('stops listening on stop', async () => {
  const { ids, mdns, cm, ps, dialer } = await setup()
  dialer.stop()
  found(mdns, ids[1])
  expect(ps.merges).toEqual([])
  expect(cm.dials).toEqual([])
})

it('without an mdns service it fails at construction', async () => {
  const [id] = await peerIds(1)
  expect(() => new DefaultMdnsDialer({ peerId: id, peerStore: new StubPeerStore(), connectionManager: new StubConnectionManager(), logger }))
    .toThrow(expect.objectContaining({ name: 'InvalidParametersError' }))
})
