/**
 * The reach service with a stubbed DHT and a real roster on an in-memory
 * datastore: addresses that change while the intake record is being put (a
 * relay slot that came a moment later) are put again at once, not at the
 * next interval.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { TypedEventEmitter } from '@libp2p/interface'
import { defaultLogger } from '@libp2p/logger'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { MemoryDatastore } from 'datastore-core'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { reach, ReachPolicy } from '../../../node/reach/index.js'
import { roster, RosterStore } from '../../../node/roster/index.js'
import { waitFor } from '../../helpers.js'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { Reach } from '../../../node/reach/index.js'
import type { PeerId, PrivateKey, Startable } from '@libp2p/interface'

const started: Startable[] = []
const realSetTimeout = globalThis.setTimeout
afterEach(async () => {
  vi.useRealTimers()
  for (const s of started.splice(0).reverse()) { await (s as any).beforeStop?.(); await s.stop() }
})

/** A started reach service (intake records live 10 min: the interval is 200 s) over `dht`, with the addresses `addresses()` gives. */
async function startReach (self: PeerId, privateKey: PrivateKey, dht: unknown, addresses: () => Multiaddr[], events = new TypedEventEmitter<any>()): Promise<Reach & Startable> {
  const ds = new MemoryDatastore()
  const base = { peerId: self, privateKey, datastore: ds, logger: defaultLogger() }
  const connectionManager = { closeConnections: async () => {}, openConnection: async () => {}, getConnections: () => [] }
  const r = roster({ store: await RosterStore.open(ds) })({ ...base, connectionManager } as any)
  const service = reach({ policy: new ReachPolicy(), createIntakeNode: async () => { throw new Error('not in this test') }, intakeTtlMs: 600_000 })({
    ...base,
    events,
    addressManager: { getAddresses: addresses },
    peerStore: { merge: async () => {} },
    connectionManager,
    dht,
    roster: r
  } as any)
  for (const s of [r, service] as unknown as Startable[]) {
    await s.start()
    started.push(s)
  }
  for (const s of [r, service] as unknown as Startable[]) await s.afterStart?.()
  return service as Reach & Startable
}

it('addresses that change while the intake record is put are put again at once', async () => {
  const privateKey = await generateKeyPair('Ed25519')
  const self = peerIdFromPrivateKey(privateKey)
  let addrs: Multiaddr[] = [multiaddr(`/ip4/10.0.0.7/tcp/4001/p2p/${self.toString()}`)]
  const puts: Array<{ at: number, addrs: string[] }> = []
  let begun = 0
  // each put takes 300 ms and records which addresses the node had when it began
  const dht = {
    routingTable: { size: 1 },
    async * put (_key: Uint8Array, _value: Uint8Array, options: { signal?: AbortSignal } = {}) {
      const had = addrs.map(a => a.toString())
      begun++
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, 300)
        options.signal?.addEventListener('abort', () => { clearTimeout(timer); reject(new Error('aborted')) }, { once: true })
      })
      puts.push({ at: Date.now(), addrs: had })
      yield { name: 'PEER_RESPONSE', messageName: 'PUT_VALUE' }
    },
    async * get () {}
  }
  const events = new TypedEventEmitter<any>()
  await startReach(self, privateKey, dht, () => addrs, events)

  // the first put is under way when the relay slot comes
  await waitFor(() => begun >= 1, 'the first put to begin', 30_000)
  expect(puts).toHaveLength(0)
  const relayed = `/ip4/16.0.0.1/tcp/4791/p2p/${self.toString()}/p2p-circuit/p2p/${self.toString()}`
  addrs = [...addrs, multiaddr(relayed)]
  events.dispatchEvent(new CustomEvent('self:peer:update'))
  // the next put carries the relayed address, well before the interval (200 s here)
  await waitFor(() => puts.some(p => p.addrs.includes(relayed)), 'a put with the relayed address', 30_000)
  expect(puts.at(-1)!.addrs).toContain(relayed)
})

it('a put that only the closest-peers query answered is not taken as stored: it is tried again', async () => {
  const privateKey = await generateKeyPair('Ed25519')
  const self = peerIdFromPrivateKey(privateKey)
  let attempts = 0
  // kad-dht's put yields the FIND_NODE answers of its closest-peers query before any PUT_VALUE answer
  const dht = {
    routingTable: { size: 1 },
    async * put () {
      attempts++
      yield { name: 'PEER_RESPONSE', messageName: 'FIND_NODE' }
      yield { name: 'QUERY_ERROR' }
    },
    async * get () {}
  }
  await startReach(self, privateKey, dht, () => [multiaddr(`/ip4/10.0.0.7/tcp/4001/p2p/${self.toString()}`)])
  // the retry comes after the backoff's base (2 s, with jitter), far before the interval (200 s here)
  await waitFor(() => attempts >= 2, 'the intake record to be put again', 30_000)
})

describe('the old intake record emptied at a rotation, when no DHT peer took the empty one', () => {
  /** A routing table that says 'peer:add'; puts recorded with their key, stored by one peer unless `store.nothing`. */
  async function rotatedWhileDhtDropsPuts (): Promise<{ service: Reach & Startable, oldKey: string, forOld: () => number, store: { nothing: boolean }, table: EventTarget & { size: number } }> {
    const privateKey = await generateKeyPair('Ed25519')
    const self = peerIdFromPrivateKey(privateKey)
    const keys: string[] = []
    const store = { nothing: false }
    const table = Object.assign(new EventTarget(), { size: 1 })
    const dht = {
      routingTable: table,
      async * put (key: Uint8Array) {
        keys.push(Buffer.from(key).toString('hex'))
        if (!store.nothing) yield { name: 'PEER_RESPONSE', messageName: 'PUT_VALUE' }
      },
      async * get () {}
    }
    const service = await startReach(self, privateKey, dht, () => [multiaddr(`/ip4/10.0.0.7/tcp/4001/p2p/${self.toString()}`)])
    // the current code's record, with the address, taken by a DHT peer
    await waitFor(() => keys.length >= 1, 'the intake record to be put', 30_000)
    const oldKey = keys[0]
    const forOld = (): number => keys.filter(k => k === oldKey).length
    store.nothing = true
    // from here the retries' timers run when the test says (crypto and the clock stay real)
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    await service.rotateContactCode()
    await waitFor(() => forOld() >= 2, 'the old intake record to be emptied', 10_000)
    return { service, oldKey, forOld, store, table }
  }

  it('is put again with backoff until a peer takes it, then never again', async () => {
    const { forOld, store } = await rotatedWhileDhtDropsPuts()
    // the first retry within the base delay (2 s, less up to half)
    await vi.advanceTimersByTimeAsync(2_000)
    await waitFor(() => forOld() >= 3, 'the empty intake record to be put again', 10_000)
    store.nothing = false
    await vi.advanceTimersByTimeAsync(4_000)
    await waitFor(() => forOld() >= 4, 'the next retry', 10_000)
    await vi.advanceTimersByTimeAsync(20 * 60_000)
    await new Promise(resolve => realSetTimeout(resolve, 200))
    expect(forOld()).toBe(4)
  })

  it('with no DHT server known waits for the first one, then goes at once', async () => {
    const { forOld, store, table } = await rotatedWhileDhtDropsPuts()
    table.size = 0
    await vi.advanceTimersByTimeAsync(10 * 60_000)
    await new Promise(resolve => realSetTimeout(resolve, 200))
    expect(forOld()).toBe(2)
    store.nothing = false
    table.size = 1
    table.dispatchEvent(new Event('peer:add'))
    await waitFor(() => forOld() >= 3, 'the retry once a server is known', 1_000)
  })

  it('a stop puts it at once with the current code\'s empty record, and nothing after the stop', async () => {
    const { service, forOld } = await rotatedWhileDhtDropsPuts()
    const t0 = Date.now()
    await (service as any).beforeStop()
    expect(Date.now() - t0).toBeLessThan(1_000)
    expect(forOld()).toBe(3)
    await service.stop()
    await vi.advanceTimersByTimeAsync(20 * 60_000)
    await new Promise(resolve => realSetTimeout(resolve, 200))
    expect(forOld()).toBe(3)
  })
})
