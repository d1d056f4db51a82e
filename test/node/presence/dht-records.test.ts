/**
 * The DHT validator's rules on their own: a clock the test sets, records it
 * signs, an in-memory datastore that refuses any key outside presence-mesh's
 * own prefix (so nothing is read from kad-dht's layout).
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { MemoryDatastore } from 'datastore-core'
import { Key } from 'interface-datastore'
import { describe, expect, it } from 'vitest'
import { DHT_SEQ_KEEP_MS } from '../../../node/presence/constants.js'
import { PresenceDhtRules, PresenceRecordRejectedError } from '../../../node/presence/dht-records.js'
import { presenceDhtKey } from '../../../protocol/dht-presence.js'
import { sealPresence } from '../../../protocol/presence-record.js'
import { GatedDatastore } from '../store/test-datastores.js'
import type { AbortOptions, PrivateKey } from '@libp2p/interface'
import type { KeyQuery, Pair, Query } from 'interface-datastore'

const NOW = 1_700_000_000_000
const TTL = 60_000

/** Refuses every key outside /presence-mesh/; counts reads of its own. */
class OwnKeysOnly extends GatedDatastore {
  reads = 0
  private check (key: Key | string): void {
    if (!key.toString().startsWith('/presence-mesh/')) throw new Error(`read outside presence-mesh: ${key.toString()}`)
  }

  override get (key: Key, options?: AbortOptions): Uint8Array | Promise<Uint8Array> {
    this.check(key)
    this.reads++
    return super.get(key, options)
  }

  override has (key: Key, options?: AbortOptions): boolean | Promise<boolean> {
    this.check(key)
    this.reads++
    return super.has(key, options)
  }

  override query (q: Query, options?: AbortOptions): Generator<Pair> | AsyncGenerator<Pair> {
    this.check(q.prefix ?? '/')
    return super.query(q, options)
  }

  override queryKeys (q: KeyQuery, options?: AbortOptions): Generator<Key> | AsyncGenerator<Key> {
    this.check(q.prefix ?? '/')
    return super.queryKeys(q, options)
  }
}

interface Identity { key: PrivateKey, id: string, dhtKey: Uint8Array }

async function identity (): Promise<Identity> {
  const key = await generateKeyPair('Ed25519')
  const peerId = peerIdFromPrivateKey(key)
  return { key, id: peerId.toString(), dhtKey: presenceDhtKey(peerId) }
}

async function record (who: Identity, seq: bigint, issuedAt = NOW, signer = who.key): Promise<Uint8Array> {
  return await sealPresence({
    presentity: peerIdFromPrivateKey(who.key), status: 'online', seq, issuedAt, expiresAt: issuedAt + TTL
  }, signer)
}

function rules (ds: MemoryDatastore, clock = { now: NOW }, cacheSize?: number): PresenceDhtRules {
  return new PresenceDhtRules(ds, undefined, { now: () => clock.now, cacheSize })
}

const rejection = async (p: Promise<void>): Promise<string> => {
  const err = await p.then(() => undefined, e => e)
  if (!(err instanceof PresenceRecordRejectedError)) throw new Error(`expected a rejection, got ${String(err)}`)
  return err.reason
}

describe('presence DHT rules', () => {
  it('refuses a record older than the newest validated for the key, from its own state', async () => {
    const ds = new OwnKeysOnly()
    const r = rules(ds)
    const alice = await identity()
    const old = await record(alice, 5n)
    await r.validate(alice.dhtKey, old)
    await r.validate(alice.dhtKey, await record(alice, 7n))
    expect(await rejection(r.validate(alice.dhtKey, old))).toBe('replay')
    // the same record again is no replay
    await r.validate(alice.dhtKey, await record(alice, 7n))
    expect(r.getRejections().replay).toBe(1)
    // the floor lives under presence-mesh's prefix, as a decimal string
    const stored = JSON.parse(new TextDecoder().decode(await ds.get(new Key(`/presence-mesh/presence/dht-seq/${alice.id}`))))
    expect(stored).toEqual({ seq: '7', expiresAt: NOW + TTL })
  })

  it('keys are independent, and a refused record raises nothing', async () => {
    const r = rules(new OwnKeysOnly())
    const [alice, bob, mallory] = await Promise.all([identity(), identity(), identity()])
    // a forgery with a huge seq: signed by mallory, claiming to be alice's
    expect(await rejection(r.validate(alice.dhtKey, await record(alice, 10n ** 15n, NOW, mallory.key)))).toBe('signer-mismatch')
    // expired and malformed ones neither
    expect(await rejection(r.validate(alice.dhtKey, await record(alice, 10n ** 15n, NOW - 2 * TTL)))).toBe('expired')
    expect(await rejection(r.validate(alice.dhtKey, Uint8Array.from([1, 2, 3])))).toBe('malformed')
    await r.validate(alice.dhtKey, await record(alice, 3n))
    await r.validate(bob.dhtKey, await record(bob, 9n))
    await r.validate(alice.dhtKey, await record(alice, 4n))
    expect(await rejection(r.validate(bob.dhtKey, await record(bob, 8n)))).toBe('replay')
    // a key outside the namespace is refused before any state is read
    expect(await rejection(r.validate(new TextEncoder().encode('/pm-presence/xyz'), await record(alice, 5n)))).toBe('malformed')
  })

  it('holds across a restart', async () => {
    const ds = new OwnKeysOnly()
    const alice = await identity()
    const old = await record(alice, 5n)
    await rules(ds).validate(alice.dhtKey, old)
    await rules(ds).validate(alice.dhtKey, await record(alice, 6n))
    expect(await rejection(rules(ds).validate(alice.dhtKey, old))).toBe('replay')
  })

  it('validations that share a batch leave the highest seq, in memory and on disk', async () => {
    const ds = new OwnKeysOnly()
    const r = rules(ds)
    const alice = await identity()
    const seqs = [3n, 9n, 4n, 8n, 1n, 5n]
    const records = await Promise.all(seqs.map(async seq => await record(alice, seq)))
    // the first floor's commit is held; the other six validations read the old floor and queue behind it
    ds.hold = true
    const all = Promise.allSettled(records.map(async v => { await r.validate(alice.dhtKey, v) }))
    const queued = (): boolean => ds.log.held === 1 && ds.reads >= 1 + 1 + (seqs.length - 1)
    for (let i = 0; i < 1000 && !queued(); i++) await new Promise(resolve => setImmediate(resolve))
    expect(queued()).toBe(true)
    await new Promise(resolve => setImmediate(resolve))
    ds.release()
    expect((await all).every(x => x.status === 'fulfilled')).toBe(true)
    expect(ds.log.batches.length).toBe(2)
    const stored = JSON.parse(new TextDecoder().decode(await ds.get(new Key(`/presence-mesh/presence/dht-seq/${alice.id}`))))
    expect(stored.seq).toBe('9')
    expect(await rejection(r.validate(alice.dhtKey, await record(alice, 8n)))).toBe('replay')
    expect(await rejection(rules(ds).validate(alice.dhtKey, await record(alice, 8n)))).toBe('replay')
  })

  it('a flood of fresh identities keeps memory bounded and loses no floor', async () => {
    const ds = new OwnKeysOnly()
    const r = rules(ds, { now: NOW }, 4)
    const first = await identity()
    const firstOld = await record(first, 1n)
    await r.validate(first.dhtKey, await record(first, 2n))
    const flood = await Promise.all(Array.from({ length: 20 }, identity))
    for (const who of flood) await r.validate(who.dhtKey, await record(who, 1n))
    // a recent floor is answered from memory
    const last = flood[flood.length - 1]
    let before = ds.reads
    await r.validate(last.dhtKey, await record(last, 1n))
    expect(ds.reads).toBe(before)
    // the first one was evicted: it is read back from disk, and still refuses the replay
    before = ds.reads
    expect(await rejection(r.validate(first.dhtKey, firstOld))).toBe('replay')
    expect(ds.reads).toBeGreaterThan(before)
  })

  it('a floor is on disk before the record counts as valid', async () => {
    const ds = new OwnKeysOnly()
    const r = rules(ds)
    const alice = await identity()
    ds.failNext = 1
    const err = await r.validate(alice.dhtKey, await record(alice, 5n)).catch(e => e)
    expect(err).toBeInstanceOf(Error)
    expect(err).not.toBeInstanceOf(PresenceRecordRejectedError)
    expect(err.message).toMatch(/disk full/)
    await r.validate(alice.dhtKey, await record(alice, 5n))
    expect(await rejection(rules(ds).validate(alice.dhtKey, await record(alice, 4n)))).toBe('replay')
  })

  it('prune deletes the floors no unexpired record can be under, and keeps the others', async () => {
    const ds = new OwnKeysOnly()
    const clock = { now: NOW }
    const r = rules(ds, clock)
    const [gone, kept] = await Promise.all([identity(), identity()])
    await r.validate(gone.dhtKey, await record(gone, 5n))
    clock.now = NOW + 60_000
    await r.validate(kept.dhtKey, await record(kept, 5n, clock.now))
    // the older floor's record expired at NOW + TTL: gone once DHT_SEQ_KEEP_MS more have passed
    clock.now = NOW + TTL + DHT_SEQ_KEEP_MS
    expect(await r.prune()).toBe(0)
    clock.now += 1
    await ds.put(new Key('/presence-mesh/presence/dht-seq/12D3KooWCorrupt'), new TextEncoder().encode('{'))
    expect(await r.prune()).toBe(2)
    const left: string[] = []
    for await (const key of ds.queryKeys({ prefix: '/presence-mesh/presence/dht-seq/' })) left.push(key.toString())
    expect(left).toEqual([`/presence-mesh/presence/dht-seq/${kept.id}`])
    // a new record of the pruned presentity starts a new floor
    await r.validate(gone.dhtKey, await record(gone, 6n, clock.now))
    expect(await rejection(r.validate(gone.dhtKey, await record(gone, 5n, clock.now)))).toBe('replay')
  })

  it('prune stops when asked to', async () => {
    const ds = new OwnKeysOnly()
    const clock = { now: NOW }
    const r = rules(ds, clock)
    const alice = await identity()
    await r.validate(alice.dhtKey, await record(alice, 5n))
    clock.now = NOW + TTL + DHT_SEQ_KEEP_MS + 1
    const controller = new AbortController()
    controller.abort()
    await expect(r.prune({ signal: controller.signal })).rejects.toThrow()
    expect(await r.prune()).toBe(1)
  })
})

it('the in-memory helper datastore is what the tests think it is', async () => {
  const ds = new OwnKeysOnly()
  expect(() => ds.get(new Key('/dht/record/x'))).toThrow(/outside presence-mesh/)
  expect(ds).toBeInstanceOf(MemoryDatastore)
})
