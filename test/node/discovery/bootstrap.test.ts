/** The bootstrap dialer with stubbed components and a fake clock. */
import { afterEach, beforeEach, expect, it, vi } from 'vitest'
import { DefaultBootstrapDialer } from '../../../node/discovery/bootstrap.js'
import { logger, peerIds, StubConnectionManager, StubPeerStore } from './stubs.js'
import type { PeerId } from '@libp2p/interface'

let id: PeerId
const addr = (p: PeerId): string => `/ip4/127.0.0.1/tcp/4001/p2p/${p.toString()}`
const RETRY = { minRetryMs: 100, maxRetryMs: 400, maxAttempts: 6 }

beforeEach(async () => {
  [id] = await peerIds(1)
  vi.useFakeTimers()
})
afterEach(() => { vi.useRealTimers() })

function dialer (cm: StubConnectionManager, ps = new StubPeerStore(), init = {}): DefaultBootstrapDialer {
  const d = new DefaultBootstrapDialer({ connectionManager: cm, peerStore: ps, logger }, { list: [addr(id)], ...RETRY, ...init })
  d.start()
  d.afterStart()
  return d
}

it('a peer that stays down is dialed maxAttempts times, waits doubling up to the cap, then left alone', async () => {
  const cm = new StubConnectionManager()
  const at: number[] = []
  cm.dial = async () => { at.push(Date.now()); throw new Error('connection refused') }
  const ps = new StubPeerStore()
  dialer(cm, ps)
  await vi.runAllTimersAsync()

  expect(cm.dials.length).toBe(RETRY.maxAttempts)
  expect(cm.dials.every(p => p.equals(id))).toBe(true)
  expect(vi.getTimerCount()).toBe(0)
  // each wait is base * 2^n capped, less at most half of it (jitter)
  const waits = at.slice(1).map((t, i) => t - at[i])
  const full = [100, 200, 400, 400, 400]
  waits.forEach((w, i) => {
    expect(w).toBeLessThanOrEqual(full[i])
    expect(w).toBeGreaterThanOrEqual(full[i] / 2)
  })
  // tagged keep-alive with its address, so libp2p redials it after a later disconnect
  expect(ps.merges).toHaveLength(1)
  expect(ps.merges[0].data.multiaddrs.map(String)).toEqual([addr(id)])
  expect(Object.keys(ps.merges[0].data.tags)).toEqual(['keep-alive-bootstrap'])
})

it('retries stop at the first successful dial', async () => {
  const cm = new StubConnectionManager()
  let failures = 2
  const real = cm.dial
  cm.dial = async (p) => { if (failures-- > 0) throw new Error('connection refused'); return await real(p) }
  dialer(cm)
  await vi.runAllTimersAsync()
  expect(cm.dials.length).toBe(3)
})

it('a peer connected meanwhile is not dialed again', async () => {
  const cm = new StubConnectionManager()
  cm.dial = async () => { cm.connected.add(id.toString()); throw new Error('simultaneous dial lost') }
  dialer(cm)
  await vi.runAllTimersAsync()
  expect(cm.dials.length).toBe(1)
})

it('stop ends the retries', async () => {
  const cm = new StubConnectionManager()
  cm.dial = async () => { throw new Error('connection refused') }
  const d = dialer(cm)
  await vi.advanceTimersByTimeAsync(0)
  expect(cm.dials.length).toBe(1)
  d.stop()
  await vi.runAllTimersAsync()
  expect(cm.dials.length).toBe(1)
})

it('a bad address fails construction with a clear error', () => {
  const components = { connectionManager: new StubConnectionManager(), peerStore: new StubPeerStore(), logger }
  expect(() => new DefaultBootstrapDialer(components, { list: ['/ip4/127.0.0.1/tcp/1'] })).toThrow(/must end in \/p2p\/<peer id>/)
  expect(() => new DefaultBootstrapDialer(components, { list: ['not a multiaddr'] })).toThrow(/not a multiaddr/)
  expect(() => new DefaultBootstrapDialer(components, { list: ['/ip4/127.0.0.1/tcp/1/p2p/nope'] })).toThrow(/not a peer id/)
})
