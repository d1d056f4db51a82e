/**
 * The locator service with a stubbed DHT and a real roster on an in-memory
 * datastore: a contact that loses sight of this node is left an empty
 * record, and no republish that was under way puts its address back.
 */
import { getEventListeners } from 'node:events'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { TypedEventEmitter } from '@libp2p/interface'
import { defaultLogger } from '@libp2p/logger'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { MemoryDatastore } from 'datastore-core'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { locator } from '../../../node/locator/index.js'
import { LOCATOR_WITHDRAW_RETRY_MAX_TRIES } from '../../../node/locator/constants.js'
import { roster, RosterStore } from '../../../node/roster/index.js'
import { openLocator } from '../../../protocol/locator-record.js'
import { locatorDhtKey } from '../../../protocol/pair-keys.js'
import { waitFor } from '../../helpers.js'
import type { Roster } from '../../../node/roster/index.js'
import type { PeerId, Startable } from '@libp2p/interface'

const started: Startable[] = []
afterEach(async () => {
  vi.useRealTimers()
  for (const s of started.splice(0).reverse()) await s.stop()
})
const realSetTimeout = globalThis.setTimeout

/** A DHT whose puts take `delayMs` each, or what `delay.ms` says from then on (and end early on abort); it keeps every value in put order. */
function slowDht (delayMs: number): { dht: any, puts: Array<{ key: string, value: Uint8Array }>, delay: { ms: number } } {
  const puts: Array<{ key: string, value: Uint8Array }> = []
  const delay = { ms: delayMs }
  const dht = {
    routingTable: { size: 1 },
    async * put (key: Uint8Array, value: Uint8Array, options: { signal?: AbortSignal } = {}) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, delay.ms)
        options.signal?.addEventListener('abort', () => { clearTimeout(timer); reject(new Error('aborted')) }, { once: true })
      })
      puts.push({ key: Buffer.from(key).toString('hex'), value })
      yield { name: 'PEER_RESPONSE', messageName: 'PUT_VALUE' }
    },
    async * get () {}
  }
  return { dht, puts, delay }
}

async function node (dht: any): Promise<{ self: PeerId, r: Roster, start: () => Promise<void> }> {
  const privateKey = await generateKeyPair('Ed25519')
  const self = peerIdFromPrivateKey(privateKey)
  const ds = new MemoryDatastore()
  const connectionManager = { closeConnections: async () => {}, openConnection: async () => {} }
  const base = { peerId: self, privateKey, datastore: ds, logger: defaultLogger() }
  const r = roster({ store: await RosterStore.open(ds) })({ ...base, connectionManager } as any)
  const l = locator({ ttlMs: 600_000 })({
    ...base,
    events: new TypedEventEmitter(),
    addressManager: { getAddresses: () => [multiaddr(`/ip4/16.0.0.7/tcp/4001/p2p/${self.toString()}`)] },
    peerStore: { merge: async () => {} },
    dht,
    roster: r
  } as any)
  const start = async (): Promise<void> => {
    for (const s of [r, l] as unknown as Startable[]) {
      await s.start()
      started.push(s)
    }
    for (const s of [r, l] as unknown as Startable[]) await s.afterStart?.()
  }
  return { self, r, start }
}

it('a contact blocked while every locator is being republished ends with an empty record', async () => {
  const { dht, puts } = slowDht(150)
  const { self, r, start } = await node(dht)
  const contacts = await Promise.all(Array.from({ length: 4 }, async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()))
  for (const c of contacts) await r.addContact(c)
  await start()
  const blocked = contacts[3]
  const keyOf = (peer: string): string => Buffer.from(locatorDhtKey(r.keysFor(peer), self.toMultihash().bytes)).toString('hex')
  // the first republish is under way (it puts one contact after the other)
  await waitFor(() => puts.length >= 1, 'the republish to start')
  await r.block(blocked)
  // by the time block() returns, the blocked contact's newest record is the empty one...
  const addrsIn = async (value: Uint8Array): Promise<number> => {
    const res = await openLocator(value, r.keysFor(blocked).locator, locatorDhtKey(r.keysFor(blocked), self.toMultihash().bytes), { now: Date.now(), publisher: self, audience: peerIdFromString(blocked) })
    if (!res.ok) throw new Error(`locator does not open: ${res.reason}`)
    return res.locator.addrs.length
  }
  const forBlocked = (): Array<{ value: Uint8Array }> => puts.filter(p => p.key === keyOf(blocked))
  expect(forBlocked().length).toBeGreaterThan(0)
  expect(await addrsIn(forBlocked().at(-1)!.value)).toBe(0)
  // ...and stays so while the others are republished at once, not at the next interval (200 s here)
  await waitFor(() => contacts.slice(0, 3).every(c => puts.some(p => p.key === keyOf(c))), 'the other contacts to get their locators', 30_000)
  const after = forBlocked()
  expect(await addrsIn(after.at(-1)!.value)).toBe(0)
})

it('with no DHT server known nothing is sealed or put; the first server gets every contact its locator', async () => {
  // kad-dht's put waits for a peer until its deadline when the routing table is empty
  const table = Object.assign(new EventTarget(), { size: 0 })
  // what the table holds, not how often it was asked (a listener added twice is held once; `once` removes itself)
  const listening = (): boolean => getEventListeners(table, 'peer:add').length > 0
  const { dht, puts } = slowDht(10)
  let tried = 0
  const put = dht.put
  dht.routingTable = table
  dht.put = async function * (key: Uint8Array, value: Uint8Array, options: { signal?: AbortSignal } = {}) {
    tried++
    if (table.size === 0) {
      await new Promise<void>(resolve => { options.signal?.addEventListener('abort', () => { resolve() }, { once: true }) })
      throw new Error('no peers to put to before the deadline')
    }
    yield * put(key, value, options)
  }
  const { self, r, start } = await node(dht)
  const contacts = await Promise.all(Array.from({ length: 3 }, async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()))
  for (const c of contacts) await r.addContact(c)
  await start()
  await waitFor(listening, 'the locator to wait for the first DHT server', 10_000)
  expect(tried).toBe(0)
  table.size = 1
  table.dispatchEvent(new CustomEvent('peer:add'))
  const keyOf = (peer: string): string => Buffer.from(locatorDhtKey(r.keysFor(peer), self.toMultihash().bytes)).toString('hex')
  await waitFor(() => contacts.every(c => puts.some(p => p.key === keyOf(c))), 'every contact to get its locator', 30_000)
  expect(listening()).toBe(false)
})

it('a block waits for the blocked contact\'s empty record at most as long as a clean stop does; the put goes on', async () => {
  const { dht, puts, delay } = slowDht(50)
  const { self, r, start } = await node(dht)
  const contact = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
  await r.addContact(contact)
  await start()
  await waitFor(() => puts.length >= 1, 'the first locator to be put', 30_000)
  const keyOf = Buffer.from(locatorDhtKey(r.keysFor(contact), self.toMultihash().bytes)).toString('hex')
  const before = puts.length
  // a put that finds no server to store it runs until its deadline (5 s): the block would wait as long
  delay.ms = 3_000
  await r.block(contact)
  // block() returned before the empty record was stored...
  expect(puts.length).toBe(before)
  // ...which is stored all the same
  await waitFor(() => puts.length > before, 'the empty record to be put', 30_000)
  expect(puts.at(-1)?.key).toBe(keyOf)
})

describe('an empty locator no DHT peer took (a block while the DHT drops puts)', () => {
  /** kad-dht: a routing table that says 'peer:add', puts recorded in order, stored by one peer unless `storeNothing`. */
  function flakyDht (): { dht: any, puts: Array<{ key: string, value: Uint8Array }>, table: EventTarget & { size: number }, store: { nothing: boolean } } {
    const puts: Array<{ key: string, value: Uint8Array }> = []
    const table = Object.assign(new EventTarget(), { size: 1 })
    const store = { nothing: false }
    const dht = {
      routingTable: table,
      async * put (key: Uint8Array, value: Uint8Array) {
        puts.push({ key: Buffer.from(key).toString('hex'), value })
        if (!store.nothing) yield { name: 'PEER_RESPONSE', messageName: 'PUT_VALUE' }
      },
      async * get () {}
    }
    return { dht, puts, table, store }
  }

  /** A node with one contact whose locator (with addresses) a DHT peer took; then the DHT takes nothing and the contact is blocked. */
  async function blockedWhileDhtDropsPuts (): Promise<{ r: Roster, contact: string, forContact: () => Uint8Array[], addrsIn: (v: Uint8Array) => Promise<number>, table: EventTarget & { size: number }, store: { nothing: boolean }, puts: Array<{ key: string }> }> {
    const { dht, puts, table, store } = flakyDht()
    const { self, r, start } = await node(dht)
    const contact = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
    await r.addContact(contact)
    await start()
    const keys = r.keysFor(contact)
    const key = locatorDhtKey(keys, self.toMultihash().bytes)
    const forContact = (): Uint8Array[] => puts.filter(p => p.key === Buffer.from(key).toString('hex')).map(p => p.value)
    const addrsIn = async (value: Uint8Array): Promise<number> => {
      const res = await openLocator(value, keys.locator, key, { now: Date.now(), publisher: self, audience: peerIdFromString(contact) })
      if (!res.ok) throw new Error(`locator does not open: ${res.reason}`)
      return res.locator.addrs.length
    }
    await waitFor(() => forContact().length >= 1, 'the contact\'s locator to be put', 30_000)
    expect(await addrsIn(forContact()[0])).toBeGreaterThan(0)
    store.nothing = true
    // from here the retries' timers run when the test says (crypto and the clock stay real)
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    await r.block(contact)
    expect(forContact()).toHaveLength(2)
    expect(await addrsIn(forContact()[1])).toBe(0)
    return { r, contact, forContact, addrsIn, table, store, puts }
  }

  it('is put again with backoff until a peer takes it, then never again', async () => {
    const { forContact, addrsIn, store } = await blockedWhileDhtDropsPuts()
    await vi.advanceTimersByTimeAsync(900)
    expect(forContact()).toHaveLength(2)
    // the first retry within the base delay (2 s, less up to half)
    await vi.advanceTimersByTimeAsync(1_100)
    await waitFor(() => forContact().length >= 3, 'the empty locator to be put again', 10_000)
    expect(await addrsIn(forContact()[2])).toBe(0)
    store.nothing = false
    // the next within twice that
    await vi.advanceTimersByTimeAsync(4_000)
    await waitFor(() => forContact().length >= 4, 'the next retry', 10_000)
    expect(await addrsIn(forContact()[3])).toBe(0)
    // taken: nothing more, however long the old record would have lived (10 min here)
    await vi.advanceTimersByTimeAsync(20 * 60_000)
    await new Promise(resolve => realSetTimeout(resolve, 200))
    expect(forContact()).toHaveLength(4)
  })

  it('with no DHT server known waits for the first one, then goes at once', async () => {
    const { forContact, table, store } = await blockedWhileDhtDropsPuts()
    table.size = 0
    const listening = (): boolean => getEventListeners(table, 'peer:add').length > 0
    await vi.advanceTimersByTimeAsync(2_000)
    await waitFor(listening, 'the retry to wait for a DHT server', 10_000)
    await vi.advanceTimersByTimeAsync(10 * 60_000)
    expect(forContact()).toHaveLength(2)
    store.nothing = false
    table.size = 1
    table.dispatchEvent(new Event('peer:add'))
    await waitFor(() => forContact().length >= 3, 'the retry once a server is known', 1_000)
  })

  it('unblocked while it waits for a retry: no more empty records, its locator gets the addresses again', async () => {
    const { r, contact, forContact, addrsIn, store } = await blockedWhileDhtDropsPuts()
    await vi.advanceTimersByTimeAsync(2_000)
    await waitFor(() => forContact().length >= 3, 'the empty locator to be put again', 10_000)
    store.nothing = false
    await r.unblock(contact)
    // the republish comes after its debounce (1 s); the next retry was due within 4 s
    await vi.advanceTimersByTimeAsync(4_000)
    await waitFor(() => forContact().length >= 4, 'the locator with addresses', 10_000)
    // from then on only its republishes (every 200 s here), each with the addresses
    await vi.advanceTimersByTimeAsync(10 * 60_000)
    await new Promise(resolve => realSetTimeout(resolve, 200))
    for (const value of forContact().slice(3)) expect(await addrsIn(value)).toBeGreaterThan(0)
  })

  it('is given up after LOCATOR_WITHDRAW_RETRY_MAX_TRIES retries no peer took (each tells the key\'s DHT servers that this node runs)', async () => {
    const { forContact } = await blockedWhileDhtDropsPuts()
    // every retry within 30 s of the last (2 s, 4 s, ... up to 30 s, less up to half)
    while (forContact().length < 2 + LOCATOR_WITHDRAW_RETRY_MAX_TRIES) {
      const before = forContact().length
      await vi.advanceTimersByTimeAsync(30_000)
      await waitFor(() => forContact().length > before, `retry ${before - 1}`, 10_000)
    }
    // none after the last, though the old record would be served for its 10 min; a stop puts none for it either
    await vi.advanceTimersByTimeAsync(20 * 60_000)
    const l = started.at(-1)! as Startable & { beforeStop: () => Promise<void> }
    await l.beforeStop()
    await new Promise(resolve => realSetTimeout(resolve, 200))
    expect(forContact()).toHaveLength(2 + LOCATOR_WITHDRAW_RETRY_MAX_TRIES)
  })

  it('a stop puts it at once, within the stop\'s bound, and nothing after the stop', async () => {
    const { forContact } = await blockedWhileDhtDropsPuts()
    const l = started.at(-1)! as Startable & { beforeStop: () => Promise<void> }
    const t0 = Date.now()
    await l.beforeStop()
    expect(Date.now() - t0).toBeLessThan(1_000)
    expect(forContact()).toHaveLength(3)
    await l.stop()
    await vi.advanceTimersByTimeAsync(20 * 60_000)
    await new Promise(resolve => realSetTimeout(resolve, 200))
    expect(forContact()).toHaveLength(3)
  })
})
