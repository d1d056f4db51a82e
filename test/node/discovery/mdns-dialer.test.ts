/** The mDNS dialer with a stubbed mdns service and connection manager. */
import { peerDiscoverySymbol, TypedEventEmitter } from '@libp2p/interface'
import { CODE_P2P, multiaddr } from '@multiformats/multiaddr'
import { expect, it, vi } from 'vitest'
import { MDNS_SIGHTING_ADDRESSES, MDNS_SIGHTING_MS, MDNS_SIGHTINGS_MAX } from '../../../node/discovery/constants.js'
import { DefaultMdnsDialer, lanOnly } from '../../../node/discovery/mdns-dialer.js'
import { waitFor } from '../../helpers.js'
import { connection, logger, peer, peerIds, StubConnectionManager, StubPeerStore } from './stubs.js'
import type { PeerDiscoveryEvents, PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

const found = (mdns: TypedEventEmitter<PeerDiscoveryEvents>, id: PeerId): void => {
  mdns.safeDispatchEvent('peer', { detail: { id, multiaddrs: [multiaddr(`/ip4/127.0.0.1/tcp/4001/p2p/${id.toString()}`)] } })
}

/** The peer each dial went to: the dialer dials an answer's addresses, each ending in the peer's id. */
const dialed = (cm: StubConnectionManager): string[] => cm.dials.map(d => String((d as unknown as Multiaddr[])[0].getComponents().findLast(c => c.code === CODE_P2P)?.value))

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

it('dials the addresses a peer mDNS finds gives, each naming that peer, and stores nothing itself', async () => {
  const { ids, mdns, cm, dialer } = await setup()
  mdns.safeDispatchEvent('peer', {
    detail: {
      id: ids[1],
      multiaddrs: [
        multiaddr(`/ip4/127.0.0.1/tcp/4001/p2p/${ids[1].toString()}`),
        multiaddr('/ip4/127.0.0.1/tcp/4002'),
        // an address of someone else in the same answer is not dialed as this peer
        multiaddr(`/ip4/127.0.0.1/tcp/4003/p2p/${ids[2].toString()}`)
      ]
    }
  })
  await waitFor(() => cm.dials.length === 1, 'the dial')
  expect((cm.dials[0] as unknown as Multiaddr[]).map(String)).toEqual([
    `/ip4/127.0.0.1/tcp/4001/p2p/${ids[1].toString()}`,
    `/ip4/127.0.0.1/tcp/4002/p2p/${ids[1].toString()}`
  ])
  dialer.stop()
})

it('forgets a peer it did not know when the dial fails (libp2p stored the failure); a known peer and a connected one stay', async () => {
  const { ids, mdns, cm, ps, dialer } = await setup()
  ps.peers.push(peer(ids[2]))
  cm.dial = async () => { throw new Error('ECONNREFUSED') }
  found(mdns, ids[1])
  found(mdns, ids[2])
  await waitFor(() => ps.deleted.length === 1 && cm.dials.length === 2, 'the failed dials')
  await new Promise(resolve => setImmediate(resolve))
  expect(ps.deleted.map(String)).toEqual([ids[1].toString()])
  expect(await ps.has(ids[2])).toBe(true)
  dialer.stop()
})

it('takes the mdns service away from libp2p\'s discovery handling, which would store every peer an answer names', () => {
  class Discovery extends TypedEventEmitter<PeerDiscoveryEvents> {
    readonly [peerDiscoverySymbol] = this
  }
  const service = lanOnly(() => new Discovery())({})
  expect(peerDiscoverySymbol in service).toBe(false)
  expect(service).toBeInstanceOf(Discovery)
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
  expect(dialed(cm)[0]).toBe(ids[1].toString())
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
  expect(new Set(dialed(cm))).toEqual(new Set([ids[1].toString()]))
  dialer.stop()
})

it('dials only while below the connection limit', async () => {
  const { ids, mdns, cm, dialer } = await setup(3)
  cm.others = 3
  found(mdns, ids[1])
  cm.others = 2
  found(mdns, ids[2])
  await waitFor(() => cm.dials.length === 1, 'the dial')
  expect(dialed(cm)).toEqual([ids[2].toString()])
  dialer.stop()
})

it('stops listening on stop', async () => {
  const { ids, mdns, cm, dialer } = await setup()
  dialer.stop()
  found(mdns, ids[1])
  expect(cm.dials).toEqual([])
})

it('without an mdns service it fails at construction', async () => {
  const [id] = await peerIds(1)
  expect(() => new DefaultMdnsDialer({ peerId: id, peerStore: new StubPeerStore(), connectionManager: new StubConnectionManager(), logger }))
    .toThrow(expect.objectContaining({ name: 'InvalidParametersError' }))
})

it('keeps, in memory, the addresses recent answers gave for a peer whose dial failed: a request by contact code reads them', async () => {
  const { ids, mdns, cm, ps, dialer } = await setup()
  cm.dial = async () => { throw new Error('refused: a closed node') }
  found(mdns, ids[1])
  await waitFor(() => ps.deleted.length === 1, 'the failed dial')
  expect(await ps.has(ids[1])).toBe(false)
  expect(dialer.lanAddresses(ids[1]).map(String)).toEqual([`/ip4/127.0.0.1/tcp/4001/p2p/${ids[1].toString()}`])
  // a later answer's addresses come first; nothing is kept for a peer no answer named
  mdns.safeDispatchEvent('peer', { detail: { id: ids[1], multiaddrs: [multiaddr('/ip4/127.0.0.2/tcp/4001')] } })
  expect(dialer.lanAddresses(ids[1]).map(String)).toEqual([`/ip4/127.0.0.2/tcp/4001/p2p/${ids[1].toString()}`, `/ip4/127.0.0.1/tcp/4001/p2p/${ids[1].toString()}`])
  expect(dialer.lanAddresses(ids[2])).toEqual([])
  dialer.stop()
  expect(dialer.lanAddresses(ids[1])).toEqual([])
})

it('sightings are bounded (answers are anyone\'s) and expire', async () => {
  const ids = await peerIds(2)
  const mdns = new TypedEventEmitter<PeerDiscoveryEvents>()
  const dialer = new DefaultMdnsDialer({ peerId: ids[0], mdns, peerStore: new StubPeerStore(), connectionManager: new StubConnectionManager(), logger })
  dialer.start()
  const many = Array.from({ length: 20 }, (_, i) => multiaddr(`/ip4/127.0.0.1/tcp/${5000 + i}`))
  mdns.safeDispatchEvent('peer', { detail: { id: ids[1], multiaddrs: many } })
  expect(dialer.lanAddresses(ids[1])).toHaveLength(MDNS_SIGHTING_ADDRESSES)
  // made-up peers push the oldest sighting out, and the map never grows past its bound
  const fakes = await peerIds(MDNS_SIGHTINGS_MAX)
  for (const id of fakes) found(mdns, id)
  expect(dialer.lanAddresses(ids[1])).toEqual([])
  expect(dialer.lanAddresses(fakes[0])).toHaveLength(1)
  expect((dialer as unknown as { sightings: Map<string, unknown> }).sightings.size).toBe(MDNS_SIGHTINGS_MAX)
  vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + MDNS_SIGHTING_MS + 1 })
  try {
    expect(dialer.lanAddresses(fakes[0])).toEqual([])
  } finally {
    vi.useRealTimers()
    dialer.stop()
  }
})
