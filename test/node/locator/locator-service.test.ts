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
import { afterEach, expect, it } from 'vitest'
import { locator } from '../../../node/locator/index.js'
import { roster, RosterStore } from '../../../node/roster/index.js'
import { openLocator } from '../../../protocol/locator-record.js'
import { locatorDhtKey } from '../../../protocol/pair-keys.js'
import { waitFor } from '../../helpers.js'
import type { Roster } from '../../../node/roster/index.js'
import type { PeerId, Startable } from '@libp2p/interface'

const started: Startable[] = []
afterEach(async () => { for (const s of started.splice(0).reverse()) await s.stop() })

/** A DHT whose puts take `delayMs` each (and end early on abort); it keeps every value in put order. */
function slowDht (delayMs: number): { dht: any, puts: Array<{ key: string, value: Uint8Array }> } {
  const puts: Array<{ key: string, value: Uint8Array }> = []
  const dht = {
    routingTable: { size: 1 },
    async * put (key: Uint8Array, value: Uint8Array, options: { signal?: AbortSignal } = {}) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, delayMs)
        options.signal?.addEventListener('abort', () => { clearTimeout(timer); reject(new Error('aborted')) }, { once: true })
      })
      puts.push({ key: Buffer.from(key).toString('hex'), value })
      yield { name: 'PEER_RESPONSE', messageName: 'PUT_VALUE' }
    },
    async * get () {}
  }
  return { dht, puts }
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
