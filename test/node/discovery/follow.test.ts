/** Following a watched presentity, with stubbed components and a fake clock. */
import { AsyncLocalStorage } from 'node:async_hooks'
import { TypedEventEmitter } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import { afterEach, beforeEach, expect, it, vi } from 'vitest'
import { DefaultDiscovery } from '../../../node/discovery/discovery-service.js'
import { NOTHING_TO_TRY } from '../../../node/discovery/follow.js'
import { connection, libp2pEvents, logger, peer, peerIds, StubConnectionManager, StubPeerStore, StubRegistrar } from './stubs.js'
import type { DiscoveryInit } from '../../../node/discovery/discovery-service.js'
import type { PresenceEvents } from '../../../node/presence/index.js'
import type { Connection, PeerId } from '@libp2p/interface'

// a presentity never heard of backs off as far as one heard of lately here (the tests of the quiet backoff set their own)
const INIT: DiscoveryInit = { followCheckMs: 1_000, followMinRetryMs: 100, followMaxRetryMs: 400, followQuietMaxRetryMs: 400, followAttachGraceMs: 2_000, followNetworkWakeMs: 500, followMinSilenceMs: 1_000 }
const GOSSIP = '/meshsub/1.2.0'
/** The async context a test's follow loop runs in (what its own code does, told apart from other files' work in the worker). */
const followLoop = new AsyncLocalStorage<true>()
const KAD = '/test/kad/1.0.0'

let self: PeerId
let watched: PeerId
let other: PeerId
beforeEach(async () => {
  [self, watched, other] = await peerIds(3)
  vi.useFakeTimers()
})
afterEach(() => { vi.useRealTimers() })

interface Setup {
  discovery: DefaultDiscovery
  cm: StubConnectionManager
  ps: StubPeerStore
  lookups: number[]
  events: ReturnType<typeof libp2pEvents>
  presence: TypedEventEmitter<PresenceEvents>
  /** Peers gossipsub is attached to. */
  gossipPeers: PeerId[]
  identified: Connection[]
  /** When each neighbour ask (a FIND_NODE to a connected peer) was sent. */
  asks: number[]
  /** The routing table's size (0 with emptyDht), for a test to change; it dispatches 'peer:add' as kad-dht's does when a test says so. */
  routingTable: EventTarget & { size: number }
  /** Tells the discovery which peers serve the DHT (setup's neighbours do, unless clientNeighbours). */
  registrar: StubRegistrar
}

/**
 * neighbours: connected peers a locate may ask (none of them knows the peer), identified as serving the DHT
 * unless clientNeighbours; emptyDht: the routing table knows no peer; mdns: the mDNS service.
 */
function setup (opts: { gossip?: boolean, locator?: (peer: string) => number, contact?: boolean, init?: DiscoveryInit, slowDht?: boolean, neighbours?: PeerId[], clientNeighbours?: boolean, emptyDht?: boolean, mdns?: EventTarget } = {}): Setup {
  const cm = new StubConnectionManager()
  const events = libp2pEvents()
  const ps = new StubPeerStore([], events)
  const lookups: number[] = []
  const asks: number[] = []
  if (opts.neighbours != null) {
    const own = cm.getConnections
    cm.getConnections = (p) => p == null ? [...own(), ...opts.neighbours!.map(n => connection(n))] : own(p)
  }
  // the DHT never finds the peer
  // (slowDht: each lookup runs until it is aborted, as one through a DHT that cannot answer)
  const dht = {
    findPeer: async function * (_peer: PeerId, options: { signal?: AbortSignal } = {}) {
      lookups.push(Date.now())
      if (opts.slowDht === true) await new Promise((_resolve, reject) => options.signal?.addEventListener('abort', () => { reject(options.signal?.reason) }))
    },
    routingTable: Object.assign(new EventTarget(), { size: opts.emptyDht === true ? 0 : 1 }),
    ...(opts.neighbours != null
      ? { network: { protocol: KAD, async * sendRequest () { asks.push(Date.now()); yield { name: 'PEER_RESPONSE', closer: [] } } } }
      : {})
  }
  const presence = new TypedEventEmitter<PresenceEvents>()
  const roster = Object.assign(new EventTarget(), { watchList: () => [], isContact: () => opts.contact === true })
  const gossipPeers: PeerId[] = []
  const identified: Connection[] = []
  const registrar = new StubRegistrar()
  const discovery = new DefaultDiscovery({
    peerId: self,
    peerStore: ps,
    connectionManager: cm,
    registrar,
    events,
    logger,
    dht,
    presence,
    roster,
    ...(opts.mdns != null ? { mdns: opts.mdns } : {}),
    ...(opts.gossip === true
      ? {
          pubsub: { protocols: [GOSSIP], getPeers: () => gossipPeers },
          identify: { identify: async (c: Connection) => { identified.push(c); return {} as any } }
        }
      : {}),
    ...(opts.locator != null
      ? {
          locator: {
            // a locator record names n addresses
            lookup: async (p: PeerId | string) => Array.from({ length: opts.locator!(p.toString()) }, (_, i) => multiaddr(`/ip4/127.0.0.1/tcp/${4002 + i}`)),
          }
        }
      : {})
  }, { ...INIT, ...opts.init })
  discovery.start()
  if (opts.clientNeighbours !== true) for (const n of opts.neighbours ?? []) registrar.identified(n, [KAD])
  return { discovery, cm, ps, lookups, events, presence, gossipPeers, identified, asks, routingTable: dht.routingTable, registrar }
}

/** The stream gossipsub keeps each way on a connection. */
const gossipStreams = (conn: Connection): void => {
  (conn as any).streams = [{ protocol: GOSSIP, direction: 'outbound', status: 'open' }, { protocol: GOSSIP, direction: 'inbound', status: 'open' }]
}

it('an unreachable presentity is looked up with backoff up to the cap', async () => {
  const { discovery, lookups, ps } = setup()
  discovery.follow(watched)
  await vi.advanceTimersByTimeAsync(3_000)
  const gaps = lookups.slice(1).map((t, i) => t - lookups[i])
  expect(gaps.length).toBeGreaterThanOrEqual(6)
  const full = (i: number): number => Math.min(400, 100 * 2 ** i)
  gaps.forEach((g, i) => {
    expect(g).toBeLessThanOrEqual(full(i))
    expect(g).toBeGreaterThanOrEqual(full(i) / 2)
  })
  // tagged so the connection manager keeps its connection
  expect(Object.keys(ps.merges[0].data.tags)).toEqual(['presence-mesh-watch'])
  expect(discovery.followStatus(watched)).toMatchObject({ state: 'unlinked', lastError: expect.stringContaining('not found') })
  discovery.stop()
})

it('a disconnect checks at once; unfollow and stop end the loop', async () => {
  const { discovery, lookups, events } = setup()
  discovery.follow(watched)
  await vi.advanceTimersByTimeAsync(2_000)
  const before = lookups.length
  // waiting up to 400 ms now; a disconnect of the presentity cuts the wait short
  events.safeDispatchEvent('peer:disconnect', { detail: watched })
  await vi.advanceTimersByTimeAsync(0)
  expect(lookups.length).toBe(before + 1)

  discovery.unfollow(watched)
  expect(discovery.following()).toEqual([])
  const after = lookups.length
  await vi.advanceTimersByTimeAsync(5_000)
  expect(lookups.length).toBe(after)

  discovery.follow(watched)
  await vi.advanceTimersByTimeAsync(0)
  expect(lookups.length).toBe(after + 1)
  discovery.stop()
  await vi.advanceTimersByTimeAsync(5_000)
  expect(lookups.length).toBe(after + 1)
  expect(vi.getTimerCount()).toBe(0)
})

it('a connected presentity is only checked, not looked up', async () => {
  const { discovery, lookups, cm } = setup()
  cm.connected.add(watched.toString())
  discovery.follow(watched)
  await vi.advanceTimersByTimeAsync(5_000)
  expect(lookups).toEqual([])
  expect(discovery.followStatus(watched)?.state).toBe('linked')
  // it goes away: the next check (within followCheckMs) looks it up
  cm.connected.clear()
  await vi.advanceTimersByTimeAsync(1_000)
  expect(lookups).toHaveLength(1)
  discovery.stop()
})

it('a record of the presentity heard through others ends the backoff: it is up, so connect to it now', async () => {
  const { discovery, lookups, presence } = setup()
  discovery.follow(watched)
  // the backoff has reached its cap (400 ms)
  await vi.advanceTimersByTimeAsync(2_000)
  const before = lookups.length
  presence.safeDispatchEvent('presence', { detail: { view: { peerId: watched.toString(), status: 'online' }, changed: true, cause: 'record' } })
  await vi.advanceTimersByTimeAsync(0)
  expect(lookups.length).toBe(before + 1)
  // and the backoff starts again from its base (100 ms at most), not the cap
  await vi.advanceTimersByTimeAsync(100)
  expect(lookups.length).toBe(before + 2)
  // expiry of another presentity's record says nothing
  presence.safeDispatchEvent('presence', { detail: { view: { peerId: other.toString(), status: 'offline' }, changed: true, cause: 'expired' } })
  const now = lookups.length
  await vi.advanceTimersByTimeAsync(0)
  expect(lookups.length).toBe(now)
  discovery.stop()
})

it('records of a presentity already known to be up keep the backoff: a busy presentity does not start a lookup after every failed one', async () => {
  const { discovery, lookups, presence } = setup()
  discovery.follow(watched)
  const record = (): void => {
    const now = Date.now()
    presence.safeDispatchEvent('presence', { detail: { view: { peerId: watched.toString(), status: 'online', lastSeen: now, expiresAt: now + 60_000 }, changed: true, cause: 'record' } })
  }
  // the first record is news (ends the backoff); the ones after it, every 20 ms for 4 s, are not
  record()
  const start = lookups.length
  for (let i = 0; i < 200; i++) {
    await vi.advanceTimersByTimeAsync(20)
    record()
  }
  // the backoff (100 ms doubling to a 400 ms cap, jitter taking up to half off) allows at most 4 s / 50 ms = 80
  // attempts; one after each record would be about 200
  expect(lookups.length - start).toBeLessThanOrEqual(80)
  expect(lookups.length - start).toBeGreaterThan(4)
  // a record after the last one expired (the presentity was gone) is news again: a lookup at once
  await vi.advanceTimersByTimeAsync(61_000)
  const before = lookups.length
  await vi.advanceTimersByTimeAsync(0)
  record()
  await vi.advanceTimersByTimeAsync(0)
  expect(lookups.length).toBe(before + 1)
  discovery.stop()
})

it('new addresses of the presentity retry at once; a new connection elsewhere (a healed network) dials its known addresses', async () => {
  // a long backoff, so only the news can explain an attempt; no jitter (it takes up to half off)
  const random = vi.spyOn(Math, 'random').mockReturnValue(0)
  const { discovery, lookups, events, cm, ps } = setup({ init: { followMinRetryMs: 10_000, followMaxRetryMs: 10_000 } })
  ps.peers.push(peer(watched, { addresses: ['/ip4/127.0.0.1/tcp/4002'] }))
  cm.dial = async () => { throw new Error('connection refused') }
  discovery.follow(watched)
  await vi.advanceTimersByTimeAsync(0)
  expect([cm.dials.length, lookups.length]).toEqual([1, 1])
  events.safeDispatchEvent('peer:update', { detail: { peer: peer(watched, { addresses: ['/ip4/127.0.0.1/tcp/4003'] }), previous: peer(watched) } })
  await vi.advanceTimersByTimeAsync(0)
  expect([cm.dials.length, lookups.length]).toEqual([2, 2])
  // the same addresses again are no news
  events.safeDispatchEvent('peer:update', { detail: { peer: peer(watched, { addresses: ['/ip4/127.0.0.1/tcp/4003'] }), previous: peer(watched, { addresses: ['/ip4/127.0.0.1/tcp/4003'] }) } })
  await vi.advanceTimersByTimeAsync(0)
  expect([cm.dials.length, lookups.length]).toEqual([2, 2])

  // a connection to some other peer dials the known addresses again (no lookup: that waits for its backoff),
  // but not within followNetworkWakeMs (500 ms) of the last attempt
  await vi.advanceTimersByTimeAsync(300)
  events.safeDispatchEvent('peer:connect', { detail: other })
  await vi.advanceTimersByTimeAsync(0)
  expect([cm.dials.length, lookups.length]).toEqual([2, 2])
  await vi.advanceTimersByTimeAsync(300)
  events.safeDispatchEvent('peer:connect', { detail: other })
  await vi.advanceTimersByTimeAsync(0)
  expect([cm.dials.length, lookups.length]).toEqual([3, 2])
  // and so do new addresses of our own
  await vi.advanceTimersByTimeAsync(600)
  events.safeDispatchEvent('self:peer:update', { detail: { peer: peer(self) } })
  await vi.advanceTimersByTimeAsync(0)
  expect([cm.dials.length, lookups.length]).toEqual([4, 2])
  // the lookup comes when its backoff ran out
  await vi.advanceTimersByTimeAsync(10_000)
  expect(lookups).toHaveLength(3)
  discovery.stop()
  random.mockRestore()
})

it('a connection without a gossip link is identified again after the grace, then redialled; a complete link is left alone', async () => {
  const { discovery, cm, ps, gossipPeers, identified, lookups } = setup({ gossip: true })
  ps.peers.push(peer(watched, { addresses: ['/ip4/127.0.0.1/tcp/4002'] }))
  cm.connected.add(watched.toString())
  discovery.follow(watched)
  await vi.advanceTimersByTimeAsync(0)
  expect(discovery.followStatus(watched)?.state).toBe('attaching')
  // within the grace nothing happens
  await vi.advanceTimersByTimeAsync(1_900)
  expect(identified).toHaveLength(0)
  // past it: identify again (what makes gossipsub attach)
  await vi.advanceTimersByTimeAsync(200)
  expect(identified).toHaveLength(1)
  expect(discovery.followStatus(watched)).toMatchObject({ state: 'attaching', repairs: 1 })
  // still no link a grace later: the connection goes and is dialled again
  cm.dial = async (p) => { cm.connected.add(p.toString()); return cm.getConnections(p)[0] }
  await vi.advanceTimersByTimeAsync(2_100)
  expect(cm.closed.map(p => p.toString())).toEqual([watched.toString()])
  expect(cm.dials.map(p => p.toString())).toContain(watched.toString())
  expect(lookups).toEqual([])
  // the new connection gets its gossip streams: linked, left alone from then on
  gossipPeers.push(watched)
  gossipStreams(cm.getConnections(watched)[0])
  await vi.advanceTimersByTimeAsync(2_000)
  expect(discovery.followStatus(watched)).toMatchObject({ state: 'linked', failures: 0, repairs: 2 })
  await vi.advanceTimersByTimeAsync(10_000)
  expect(identified).toHaveLength(1)
  expect(cm.closed).toHaveLength(1)
  discovery.stop()
})

it('a contact that is not public is found through its locator record', async () => {
  const { discovery, cm, lookups } = setup({ contact: true, locator: () => 1 })
  const found = await discovery.locate(watched)
  expect(found.via).toBe('locator')
  expect(cm.dials.map(p => p.toString())).toEqual([watched.toString()])
  expect(lookups).toEqual([])
  discovery.stop()
})

it('addresses the follow\'s own lookup adds to the peer store are dialled by that attempt: no second lookup, not news (the backoff goes on)', async () => {
  // no jitter: the next attempt is 100 ms away, not 50-100 (at 50 it came within the window below: 1 run in 100)
  const random = vi.spyOn(Math, 'random').mockReturnValue(0)
  let records = 0
  const { discovery, cm, ps } = setup({ contact: true, locator: () => { records++; return 1 } })
  cm.dial = async () => { throw new Error('connection refused') }
  discovery.follow(watched)
  await vi.advanceTimersByTimeAsync(50)
  // the locator record's address went to the peer store (libp2p's peer:update fired) and was dialled once
  expect(ps.peers.map(p => p.addresses.length)).toEqual([1])
  expect(records).toBe(1)
  expect(cm.dials).toHaveLength(1)
  expect(discovery.followStatus(watched)).toMatchObject({ state: 'unlinked', failures: 1 })
  // an address that is news (someone else's lookup, identify) still starts over at once
  await ps.merge(watched, { multiaddrs: [multiaddr('/ip4/127.0.0.1/tcp/5000')] })
  await vi.advanceTimersByTimeAsync(0)
  expect(records).toBe(2)
  expect(discovery.followStatus(watched)).toMatchObject({ failures: 1 })
  discovery.stop()
  random.mockRestore()
})

it('a stranger is not looked up by locator: the DHT is asked', async () => {
  let asked = 0
  const { discovery, lookups } = setup({ contact: false, locator: () => { asked++; return 1 } })
  await expect(discovery.locate(watched)).rejects.toThrow('not found')
  expect(asked).toBe(0)
  expect(lookups).toHaveLength(1)
  discovery.stop()
})

/** A follow linked on one connection for `linkedMs`; then the peer's gossip stream to us closes (ours stays). Redials reconnect. */
async function linkThenLosePeerStream (linkedMs: number): Promise<Setup & { conn: Connection }> {
  const s = setup({ gossip: true })
  s.ps.peers.push(peer(watched, { addresses: ['/ip4/127.0.0.1/tcp/4002'] }))
  s.cm.connected.add(watched.toString())
  s.gossipPeers.push(watched)
  const conn = s.cm.getConnections(watched)[0]
  gossipStreams(conn)
  s.discovery.follow(watched)
  await vi.advanceTimersByTimeAsync(linkedMs)
  expect(s.discovery.followStatus(watched)?.state).toBe('linked')
  ;(conn as any).streams = [{ protocol: GOSSIP, direction: 'outbound', status: 'open' }]
  s.cm.dial = async (p) => { s.cm.connected.add(p.toString()); return s.cm.getConnections(p)[0] }
  return { ...s, conn }
}

it('a link that breaks on an open connection (the peer\'s stream went) is redialled after a short grace, without waiting for identify', async () => {
  // the peer's stream to us closes; ours is fine
  const { discovery, cm, identified } = await linkThenLosePeerStream(0)
  // seen at the next check (followCheckMs), repaired a relink grace (min(attach grace, 4 s)) later
  await vi.advanceTimersByTimeAsync(1_000)
  expect(discovery.followStatus(watched)?.state).toBe('attaching')
  await vi.advanceTimersByTimeAsync(2_100)
  expect(cm.closed.map(p => p.toString())).toEqual([watched.toString()])
  expect(cm.dials.map(p => p.toString())).toEqual([watched.toString()])
  // identify cannot bring back the peer's half: not tried
  expect(identified).toEqual([])
  discovery.stop()
})

it('a link on which records stop for two lifetimes is redialled; silence after a goodbye is not', async () => {
  const { discovery, cm, ps, presence } = setup()
  ps.peers.push(peer(watched, { addresses: ['/ip4/127.0.0.1/tcp/4002'] }))
  cm.connected.add(watched.toString())
  cm.dial = async (p) => { cm.connected.add(p.toString()); return cm.getConnections(p)[0] }
  const record = (status: 'online' | 'offline'): void => {
    const now = Date.now()
    presence.safeDispatchEvent('presence', { detail: { view: { peerId: watched.toString(), status, lastSeen: now, expiresAt: status === 'online' ? now + 1_000 : undefined }, changed: false, cause: 'record' } })
  }
  discovery.follow(watched)
  await vi.advanceTimersByTimeAsync(0)
  // heartbeats every 300 ms of records that live 1 s: fine
  for (let i = 0; i < 10; i++) {
    record('online')
    await vi.advanceTimersByTimeAsync(300)
  }
  expect(cm.closed).toEqual([])
  // they stop: two lifetimes later the link is torn down and dialled again
  await vi.advanceTimersByTimeAsync(2_100)
  expect(cm.closed.map(p => p.toString())).toEqual([watched.toString()])
  expect(cm.dials.map(p => p.toString())).toEqual([watched.toString()])
  expect(discovery.followStatus(watched)?.repairs).toBe(1)
  // the peer said goodbye (an OFFLINE record): its silence is expected
  record('offline')
  await vi.advanceTimersByTimeAsync(10_000)
  expect(cm.closed).toHaveLength(1)
  discovery.stop()
})

it('the relink grace of a link that broke on an old connection runs from when the break was seen, not from the connection\'s opening', async () => {
  // linked for a minute on the same connection; then the peer's stream to us closes (its keeper reopens it within about 3 s)
  const { discovery, cm, conn } = await linkThenLosePeerStream(60_000)
  await vi.advanceTimersByTimeAsync(1_000)
  expect(discovery.followStatus(watched)?.state).toBe('attaching')
  // within the grace (2 s here) from the break, the connection stays
  await vi.advanceTimersByTimeAsync(1_900)
  expect(cm.closed).toEqual([])
  // the peer's stream came back: nothing to repair
  gossipStreams(conn)
  await vi.advanceTimersByTimeAsync(10_000)
  expect(cm.closed).toEqual([])
  expect(discovery.followStatus(watched)).toMatchObject({ state: 'linked', repairs: 0 })
  discovery.stop()
})

it('new addresses of the presentity cut a lookup under way short and are dialled at once', async () => {
  const { discovery, cm, ps, events, lookups } = setup({ slowDht: true })
  cm.dial = async (p) => { cm.connected.add(p.toString()); return cm.getConnections(p)[0] }
  discovery.follow(watched)
  await vi.advanceTimersByTimeAsync(100)
  // a lookup runs (up to 30 s through a DHT that cannot answer); the peer store knows nothing yet
  expect(lookups).toHaveLength(1)
  expect(cm.dials).toEqual([])
  // identify of someone, a DHT answer to another query: the presentity's addresses arrive
  ps.peers.push(peer(watched, { addresses: ['/ip4/127.0.0.1/tcp/4002'] }))
  events.safeDispatchEvent('peer:update', { detail: { peer: ps.peers[0], previous: peer(watched) } })
  await vi.advanceTimersByTimeAsync(10)
  expect(cm.dials.map(p => p.toString())).toEqual([watched.toString()])
  expect(discovery.followStatus(watched)).toMatchObject({ failures: 0 })
  discovery.stop()
})

it('the neighbours of an unreachable presentity are asked on its first lookup, then on a backoff of their own; news asks them again', async () => {
  const { discovery, lookups, asks, presence } = setup({ neighbours: [other], init: { followMinReaskMs: 1_000 } })
  discovery.follow(watched)
  await vi.advanceTimersByTimeAsync(0)
  expect(asks).toEqual([lookups[0]])
  await vi.advanceTimersByTimeAsync(3_000)
  // lookups every 100-400 ms; asks 500-1,000 ms after the first, then 1-2 s after that
  expect(lookups.length).toBeGreaterThanOrEqual(8)
  expect(asks.length).toBeGreaterThanOrEqual(2)
  expect(asks.length).toBeLessThanOrEqual(3)
  expect(asks[1] - asks[0]).toBeGreaterThanOrEqual(500)
  // a record of it heard through others: ask now
  const before = asks.length
  presence.safeDispatchEvent('presence', { detail: { view: { peerId: watched.toString(), status: 'online' }, changed: true, cause: 'record' } })
  await vi.advanceTimersByTimeAsync(0)
  expect(asks.length).toBe(before + 1)
  discovery.stop()
})

it('a lookup with nobody connected asks nobody and leaves the asks due for when someone is', async () => {
  const neighbours: PeerId[] = []
  const { discovery, asks, registrar } = setup({ neighbours, init: { followMinReaskMs: 60_000 } })
  discovery.follow(watched)
  await vi.advanceTimersByTimeAsync(1_000)
  expect(asks).toEqual([])
  neighbours.push(other)
  registrar.identified(other, [KAD])
  await vi.advanceTimersByTimeAsync(1_000)
  expect(asks).toHaveLength(1)
  discovery.stop()
})

it('neighbours in DHT client mode are not asked (they refuse the stream): with a DHT that knows no peer the attempt has nothing to try; the asks stay due for a neighbour that serves it', async () => {
  const { discovery, asks, registrar, cm } = setup({ neighbours: [other], clientNeighbours: true, emptyDht: true, init: { followMinReaskMs: 60_000 } })
  discovery.follow(watched)
  await vi.advanceTimersByTimeAsync(3_000)
  expect(asks).toEqual([])
  expect(cm.dials).toEqual([])
  expect(discovery.followStatus(watched)).toMatchObject({ state: 'unlinked', lastError: NOTHING_TO_TRY })
  // a neighbour identified as serving the DHT: asked on the next full attempt (within the 400 ms cap)
  registrar.identified(other, [KAD])
  await vi.advanceTimersByTimeAsync(1_000)
  expect(asks).toHaveLength(1)
  // it left (the connection stays in the stub's list, as a client's would): news makes an ask due, and nobody is asked
  registrar.disconnected(other)
  discovery.locate(watched, { signal: AbortSignal.timeout(100) }).catch(() => {})
  await vi.advanceTimersByTimeAsync(1_000)
  expect(asks).toHaveLength(1)
  discovery.stop()
})

it('with a DHT that knows no peer, a follow\'s lookup fails at once (no locator record, no walk); a locate by hand still waits for the DHT', async () => {
  let records = 0
  const { discovery, lookups } = setup({ contact: true, locator: () => { records++; return 0 }, slowDht: true, emptyDht: true })
  discovery.follow(watched)
  await vi.advanceTimersByTimeAsync(3_000)
  expect(records).toBe(0)
  expect(lookups).toEqual([])
  // one full attempt, then it waits for news or a DHT server (no timer): see the parking test below
  expect(discovery.followStatus(watched)).toMatchObject({ state: 'unlinked', failures: 1, lastError: NOTHING_TO_TRY })
  const byHand = discovery.locate(other, { signal: AbortSignal.timeout(500) })
  byHand.catch(() => {})
  await vi.advanceTimersByTimeAsync(0)
  expect(lookups).toHaveLength(1)
  await vi.advanceTimersByTimeAsync(600)
  await expect(byHand).rejects.toThrow()
  discovery.stop()
})

/** Gaps between successive lookups. */
const gaps = (times: number[]): number[] => times.slice(1).map((t, i) => t - times[i])

it('a presentity not heard of since the follow began backs off past the usual cap, up to the quiet one; news starts over with the usual cap; silence makes it quiet again', async () => {
  // no jitter: delays of 100 ms doubling, capped at 400 ms for a presentity heard of in the last 10 s, else at 3.2 s
  const random = vi.spyOn(Math, 'random').mockReturnValue(0)
  const { discovery, lookups, presence } = setup({ init: { followQuietMaxRetryMs: 3_200, followQuietAfterMs: 10_000 } })
  discovery.follow(watched)
  await vi.advanceTimersByTimeAsync(10_000)
  expect(gaps(lookups)).toEqual([100, 200, 400, 800, 1_600, 3_200, 3_200])
  expect(discovery.followStatus(watched)).toMatchObject({ state: 'unlinked', quiet: true })

  // a record of it heard through others: looked up at once, the backoff from its base, capped at 400 ms
  presence.safeDispatchEvent('presence', { detail: { view: { peerId: watched.toString(), status: 'online' }, changed: true, cause: 'record' } })
  await vi.advanceTimersByTimeAsync(0)
  const heard = lookups.length
  expect(lookups[heard - 1]).toBe(Date.now())
  expect(discovery.followStatus(watched)?.quiet).toBe(false)
  await vi.advanceTimersByTimeAsync(3_000)
  expect(gaps(lookups.slice(heard - 1))).toEqual([100, 200, 400, 400, 400, 400, 400, 400])

  // nothing more of it for 10 s: quiet again, the gaps grow past 400 ms
  await vi.advanceTimersByTimeAsync(12_000)
  expect(discovery.followStatus(watched)?.quiet).toBe(true)
  expect(Math.max(...gaps(lookups.slice(heard - 1)))).toBe(3_200)
  discovery.stop()
  random.mockRestore()
})

it('a quiet presentity is tried at once when located by hand, when mDNS sees it, and linked at once when it dials us', async () => {
  const random = vi.spyOn(Math, 'random').mockReturnValue(0)
  const mdns = new EventTarget()
  const { discovery, lookups, cm, events } = setup({ mdns, init: { followMinRetryMs: 10_000, followMaxRetryMs: 10_000, followQuietMaxRetryMs: 60_000 } })
  discovery.follow(watched)
  await vi.advanceTimersByTimeAsync(1_000)
  expect(lookups).toHaveLength(1)

  // the user locates it (the DHT does not find it either): the follow tries again now, not in 10 s
  // (the locate's lookup and the follow's: which comes first is microtask order)
  await expect(discovery.locate(watched)).rejects.toThrow('not found')
  await vi.advanceTimersByTimeAsync(0)
  expect(lookups).toHaveLength(3)

  // mDNS answers for it on the LAN
  await vi.advanceTimersByTimeAsync(1_000)
  mdns.dispatchEvent(new CustomEvent('peer', { detail: { id: watched, multiaddrs: [] } }))
  await vi.advanceTimersByTimeAsync(0)
  expect(lookups).toHaveLength(4)
  // mDNS answers for someone else: nothing
  mdns.dispatchEvent(new CustomEvent('peer', { detail: { id: other, multiaddrs: [] } }))
  await vi.advanceTimersByTimeAsync(0)
  expect(lookups).toHaveLength(4)
  // its next answers, seconds later: news at most once per maxRetryMs (10 s here), not a full attempt each
  for (let i = 0; i < 3; i++) {
    await vi.advanceTimersByTimeAsync(2_000)
    mdns.dispatchEvent(new CustomEvent('peer', { detail: { id: watched, multiaddrs: [] } }))
    await vi.advanceTimersByTimeAsync(0)
  }
  expect(lookups).toHaveLength(4)

  // it comes online and dials us: linked now, not at the next attempt
  await vi.advanceTimersByTimeAsync(1_000)
  cm.connected.add(watched.toString())
  events.safeDispatchEvent('peer:connect', { detail: watched })
  await vi.advanceTimersByTimeAsync(0)
  expect(discovery.followStatus(watched)).toMatchObject({ state: 'linked', failures: 0, quiet: false })
  expect(lookups).toHaveLength(4)
  discovery.stop()
  expect(vi.getTimerCount()).toBe(0)
  random.mockRestore()
})

it('an attempt with nothing to try (no known address, a DHT that knows no peer, no neighbour ask due) makes no deadline and reads the peer store only until it knows there is no address; a network change leaves it alone until it has addresses', async () => {
  const random = vi.spyOn(Math, 'random').mockReturnValue(0)
  const { discovery, events, cm, ps } = setup({ emptyDht: true, init: { followMinRetryMs: 10_000, followMaxRetryMs: 10_000, followQuietMaxRetryMs: 10_000 } })
  let reads = 0
  const get = ps.get
  ps.get = async (id) => { reads++; return await get(id) }
  cm.dial = async () => { throw new Error('connection refused') }
  // deadlines made by this follow's loop: the spy is global, and in a shared worker (isolate: false) work
  // another file left running (a node's discovery code too) may make its own meanwhile (seen once in CI);
  // the loop runs in this async context, which its awaits keep and other files' work is not in
  const deadlines: string[] = []
  const timeout = AbortSignal.timeout.bind(AbortSignal)
  const timeouts = vi.spyOn(AbortSignal, 'timeout').mockImplementation((ms: number) => {
    if (followLoop.getStore() === true) deadlines.push(new Error().stack ?? '')
    return timeout(ms)
  })
  followLoop.run(true, () => { discovery.follow(watched) })
  await vi.advanceTimersByTimeAsync(60_000)
  // one attempt: with no lookup able to ask anyone it waits for news (the parking test below)
  expect(discovery.followStatus(watched)).toMatchObject({ state: 'unlinked', failures: 1, lastError: NOTHING_TO_TRY })
  // the first attempt found no address; new ones would be news (peer:update), so no attempt reads again
  expect(reads).toBe(1)
  expect(deadlines).toEqual([])

  // a connection to someone else dials known addresses: it has none, so it is not even looked up in the peer store
  events.safeDispatchEvent('peer:connect', { detail: other })
  await vi.advanceTimersByTimeAsync(0)
  expect(reads).toBe(1)

  // its addresses arrive: dialled at once, and from then on a network change dials them again
  ps.peers.push(peer(watched, { addresses: ['/ip4/127.0.0.1/tcp/4002'] }))
  events.safeDispatchEvent('peer:update', { detail: { peer: ps.peers[0], previous: peer(watched) } })
  await vi.advanceTimersByTimeAsync(0)
  expect(cm.dials).toHaveLength(1)
  await vi.advanceTimersByTimeAsync(600)
  events.safeDispatchEvent('peer:connect', { detail: other })
  await vi.advanceTimersByTimeAsync(0)
  expect(cm.dials).toHaveLength(2)
  discovery.stop()
  timeouts.mockRestore()
  random.mockRestore()
})

it('attempts that found nothing while this node was connected to nobody get a full one once it is connected again', async () => {
  const random = vi.spyOn(Math, 'random').mockReturnValue(0)
  const { discovery, events, cm, lookups, routingTable } = setup({ emptyDht: true, init: { followMinRetryMs: 10_000, followMaxRetryMs: 600_000, followQuietMaxRetryMs: 600_000 } })
  discovery.follow(watched)
  // offline: nothing to try, backing off towards ten minutes
  await vi.advanceTimersByTimeAsync(200_000)
  expect(discovery.followStatus(watched)).toMatchObject({ state: 'unlinked', lastError: NOTHING_TO_TRY })
  expect(lookups).toEqual([])
  // the laptop joins a network: a connection, and identify fills the routing table
  cm.others = 1
  events.safeDispatchEvent('peer:connect', { detail: other })
  routingTable.size = 1
  await vi.advanceTimersByTimeAsync(499)
  expect(lookups).toEqual([])
  await vi.advanceTimersByTimeAsync(1)
  expect(lookups).toHaveLength(1)
  // once, not on every connection after it
  events.safeDispatchEvent('peer:connect', { detail: other })
  await vi.advanceTimersByTimeAsync(1_000)
  expect(lookups).toHaveLength(1)
  discovery.stop()
  random.mockRestore()
})

it('attempts that failed while connected (peers that serve no DHT) are not retried on every new connection', async () => {
  const random = vi.spyOn(Math, 'random').mockReturnValue(0)
  const { discovery, events, cm, lookups, routingTable } = setup({ emptyDht: true, init: { followMinRetryMs: 10_000, followMaxRetryMs: 600_000, followQuietMaxRetryMs: 600_000 } })
  cm.others = 3
  discovery.follow(watched)
  // halfway between two looks of the parked follow at the DHT (every 5 s)
  await vi.advanceTimersByTimeAsync(202_500)
  const failures = discovery.followStatus(watched)?.failures
  routingTable.size = 1
  events.safeDispatchEvent('peer:connect', { detail: other })
  // the connection brings no attempt (a network-back round would come after 500 ms)
  await vi.advanceTimersByTimeAsync(1_000)
  expect(lookups).toEqual([])
  expect(discovery.followStatus(watched)?.failures).toBe(failures)
  // the DHT's server does, at the follow's next look
  await vi.advanceTimersByTimeAsync(5_000)
  expect(lookups).toHaveLength(1)
  discovery.stop()
  random.mockRestore()
})

it('the full attempts after the network came back are spread out, and a followed peer that connects brings them too', async () => {
  const random = vi.spyOn(Math, 'random').mockReturnValue(0.5)
  const [third] = await peerIds(1)
  const { discovery, events, cm, lookups, routingTable } = setup({ emptyDht: true, init: { followMinRetryMs: 10_000, followMaxRetryMs: 600_000, followQuietMaxRetryMs: 600_000 } })
  discovery.follow(watched)
  discovery.follow(third)
  await vi.advanceTimersByTimeAsync(200_000)
  expect(lookups).toEqual([])
  // a followed peer dials us: the others that found nothing while alone are due again
  cm.others = 1
  routingTable.size = 1
  events.safeDispatchEvent('peer:connect', { detail: third })
  await vi.advanceTimersByTimeAsync(500)
  // two follows: spread over 100 ms, each at half of it here
  expect(lookups).toEqual([])
  await vi.advanceTimersByTimeAsync(60)
  expect(lookups.length).toBeGreaterThanOrEqual(1)
  discovery.stop()
  random.mockRestore()
})

it('attempts that failed on stale addresses while this node was connected to nobody get a full attempt once it is connected again', async () => {
  const random = vi.spyOn(Math, 'random').mockReturnValue(0)
  const { discovery, events, cm, ps, lookups } = setup({ init: { followMinRetryMs: 10_000, followMaxRetryMs: 600_000, followQuietMaxRetryMs: 600_000 } })
  // the contact's address from last week, which no longer answers; this laptop is offline
  ps.peers.push(peer(watched, { addresses: ['/ip4/127.0.0.1/tcp/4002'] }))
  cm.dial = async () => { throw new Error('connection refused') }
  discovery.follow(watched)
  await vi.advanceTimersByTimeAsync(200_000)
  const before = lookups.length
  // back on a network: full attempts come back 0.5 s after the first connection, not at the end of a 10 min backoff
  cm.others = 1
  events.safeDispatchEvent('peer:connect', { detail: other })
  await vi.advanceTimersByTimeAsync(600)
  expect(lookups.length).toBe(before + 1)
  discovery.stop()
  random.mockRestore()
})

it('a follow whose full attempt had nothing to try while no lookup could ask anyone waits with no timer for news or the DHT\'s first server', async () => {
  const random = vi.spyOn(Math, 'random').mockReturnValue(0)
  const [third] = await peerIds(1)
  // connected to peers that serve no DHT, and a DHT that knows nobody: 950 offline contacts of the presence.scale bench
  const { discovery, cm, events, lookups, routingTable, ps } = setup({ emptyDht: true, init: { followMinRetryMs: 1_000, followMaxRetryMs: 600_000, followQuietMaxRetryMs: 600_000 } })
  cm.others = 3
  discovery.follow(watched)
  discovery.follow(third)
  await vi.advanceTimersByTimeAsync(600_000)
  // one attempt each in ten minutes (before: one every 1, 2, 4 ... s up to the cap, 10 each)
  expect(discovery.followStatus(watched)).toMatchObject({ state: 'unlinked', failures: 1, lastError: NOTHING_TO_TRY })
  expect(discovery.followStatus(third)).toMatchObject({ failures: 1 })
  // a connection elsewhere is no news: still nothing
  events.safeDispatchEvent('peer:connect', { detail: other })
  await vi.advanceTimersByTimeAsync(10_000)
  expect(discovery.followStatus(watched)?.failures).toBe(1)
  expect(lookups).toEqual([])
  // news of one (its addresses) ends its wait at once
  ps.peers.push(peer(third, { addresses: ['/ip4/127.0.0.1/tcp/4002'] }))
  events.safeDispatchEvent('peer:update', { detail: { peer: ps.peers[0], previous: peer(third) } })
  await vi.advanceTimersByTimeAsync(0)
  expect(cm.dials).toHaveLength(1)
  // a connection of the other that is gone by its attempt (no news): a cheap attempt, and it stays waiting for the DHT
  events.safeDispatchEvent('peer:connect', { detail: watched })
  await vi.advanceTimersByTimeAsync(10_000)
  expect(lookups).toEqual([])
  // the DHT's first server: the other gets its full attempt, not at once (the one server known then would
  // get the neighbour ask of the next minutes) but once identify had the network-wake time (500 ms here) to
  // fill the table (spread over 50 ms per follow, at 0 here)
  routingTable.size = 1
  routingTable.dispatchEvent(new Event('peer:add'))
  await vi.advanceTimersByTimeAsync(400)
  expect(lookups).toEqual([])
  await vi.advanceTimersByTimeAsync(100)
  expect(lookups).toHaveLength(1)
  discovery.stop()
  random.mockRestore()
})

it('a presentity that closes each connection before it carries a link (it blocked us) is redialled with backoff, not at once', async () => {
  const random = vi.spyOn(Math, 'random').mockReturnValue(0)
  const { discovery, events, cm, ps } = setup({ gossip: true, init: { followMinRetryMs: 1_000, followMaxRetryMs: 8_000, followQuietMaxRetryMs: 8_000 } })
  ps.peers.push(peer(watched, { addresses: ['/ip4/127.0.0.1/tcp/4002'] }))
  // each dial connects, and the peer closes the connection 20 ms later, before any gossip stream
  const dialledAt: number[] = []
  cm.dial = async (p) => {
    dialledAt.push(Date.now())
    cm.connected.add(p.toString())
    setTimeout(() => {
      cm.connected.delete(p.toString())
      events.safeDispatchEvent('peer:disconnect', { detail: p })
    }, 20)
    return cm.getConnections(p)[0]
  }
  discovery.follow(watched)
  await vi.advanceTimersByTimeAsync(30_000)
  // 1, 2, 4, 8, 8, 8 s apart (no jitter), not ten times a second
  expect(dialledAt.length).toBeGreaterThanOrEqual(4)
  expect(dialledAt.length).toBeLessThanOrEqual(8)
  const gaps = dialledAt.slice(1).map((t, i) => t - dialledAt[i])
  expect(gaps.slice(0, 3).every((g, i) => g >= 1_000 * 2 ** i)).toBe(true)
  expect(discovery.followStatus(watched)).toMatchObject({ state: 'unlinked', lastError: expect.stringContaining('closed before') })
  discovery.stop()
  random.mockRestore()
})

it('a parked follow gets its full attempt once the DHT knows a server that kad-dht did not announce (no peer:add after a failed tag write)', async () => {
  const random = vi.spyOn(Math, 'random').mockReturnValue(0)
  const { discovery, cm, lookups, routingTable } = setup({ emptyDht: true, init: { followMinRetryMs: 1_000, followMaxRetryMs: 600_000, followQuietMaxRetryMs: 600_000 } })
  cm.others = 3
  discovery.follow(watched)
  await vi.advanceTimersByTimeAsync(30_000)
  expect(discovery.followStatus(watched)).toMatchObject({ state: 'unlinked', failures: 1, lastError: NOTHING_TO_TRY })
  expect(lookups).toEqual([])
  // kad-dht's table took a server, and its 'peer:add' never came (the chaos run: parked for minutes beside a table of 5-7)
  routingTable.size = 1
  await vi.advanceTimersByTimeAsync(30_000)
  expect(lookups.length).toBeGreaterThanOrEqual(1)
  expect(discovery.followStatus(watched)?.lastError).toContain('not found')
  discovery.stop()
  random.mockRestore()
})
