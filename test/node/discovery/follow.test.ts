/** Following a watched presentity, with stubbed components and a fake clock. */
import { afterEach, beforeEach, expect, it, vi } from 'vitest'
import { DefaultDiscovery } from '../../../node/discovery/discovery-service.js'
import { libp2pEvents, logger, peerIds, StubConnectionManager, StubPeerStore } from './stubs.js'
import type { PeerId } from '@libp2p/interface'

const INIT = { followCheckMs: 1_000, followMinRetryMs: 100, followMaxRetryMs: 400 }

let self: PeerId
let watched: PeerId
beforeEach(async () => {
  [self, watched] = await peerIds(2)
  vi.useFakeTimers()
})
afterEach(() => { vi.useRealTimers() })

function setup (): { discovery: DefaultDiscovery, cm: StubConnectionManager, ps: StubPeerStore, lookups: number[], events: ReturnType<typeof libp2pEvents> } {
  const cm = new StubConnectionManager()
  const ps = new StubPeerStore()
  const events = libp2pEvents()
  const lookups: number[] = []
  // the DHT never finds the peer
  const dht = { findPeer: async function * () { lookups.push(Date.now()) } }
  const presence = { get: () => undefined }
  const roster = Object.assign(new EventTarget(), { watchList: () => [] })
  const discovery = new DefaultDiscovery({ peerId: self, peerStore: ps, connectionManager: cm, events, logger, dht, presence, roster }, INIT)
  discovery.start()
  return { discovery, cm, ps, lookups, events }
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
  // it goes away: the next check (within followCheckMs) looks it up
  cm.connected.clear()
  await vi.advanceTimersByTimeAsync(1_000)
  expect(lookups).toHaveLength(1)
  discovery.stop()
})
