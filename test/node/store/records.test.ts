import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MemoryDatastore } from 'datastore-core'
import { LevelDatastore } from 'datastore-level'
import { Key } from 'interface-datastore'
import { toString as uint8ArrayToString } from 'uint8arrays/to-string'
import { describe, expect, it } from 'vitest'
import { bigintCodec, bytesCodec, EMPTY, integerCodec, jsonCodec, RecordDecodeError, Store, stringCodec } from '../../../node/store/records.js'
import { GatedDatastore } from './test-datastores.js'
import type { Transaction } from '../../../node/store/records.js'

interface Thing { name: string, seq?: bigint, blob?: Uint8Array, n?: number }

const text = (b: Uint8Array): string => new TextDecoder().decode(b)

describe('record sets', () => {
  it('list in key order on any datastore, so a limit takes the first keys (an in-memory one keeps insertion order)', async () => {
    const ds = new MemoryDatastore()
    const store = new Store(ds)
    const set = store.records('/t/order', stringCodec)
    await store.write((tx) => { for (const id of ['c', 'a', 'd', 'b']) set.put(tx, id, id.toUpperCase()) })
    const ids: string[] = []
    for await (const id of set.ids({ limit: 3 })) ids.push(id)
    expect(ids).toEqual(['a', 'b', 'c'])
    const entries: string[] = []
    for await (const [, v] of set.entries({ limit: 2 })) entries.push(v)
    expect(entries).toEqual(['A', 'B'])
  })

  it('read a range: after or before an id, newest first, with a limit, records or ids alone, the same on LevelDB and in memory', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pm-records-'))
    const level = new LevelDatastore(join(dir, 'ds'))
    await level.open()
    try {
      for (const ds of [new MemoryDatastore(), level]) {
        const store = new Store(ds)
        const log = store.records('/t/log', stringCodec)
        await store.write((tx) => {
          for (const id of ['005', '001', '010', '003']) log.within('bob').put(tx, id, `b${id}`)
          log.within('bo').put(tx, '002', 'neighbour')
          log.within('bobby').put(tx, '004', 'neighbour')
        })
        const read = async (options: Parameters<typeof log.entries>[0]): Promise<string[]> => {
          const out: string[] = []
          for await (const [id, v] of log.within('bob').entries(options)) out.push(`${id}=${v}`)
          return out
        }
        const name = ds.constructor.name
        expect(await read({ after: '003' }), name).toEqual(['005=b005', '010=b010'])
        expect(await read({ after: '010' }), name).toEqual([])
        expect(await read({ after: '000', limit: 2 }), name).toEqual(['001=b001', '003=b003'])
        expect(await read({ reverse: true, limit: 2 }), name).toEqual(['010=b010', '005=b005'])
        expect(await read({ reverse: true }), name).toEqual(['010=b010', '005=b005', '003=b003', '001=b001'])
        expect(await read({ before: '005' }), name).toEqual(['001=b001', '003=b003'])
        expect(await read({ after: '001', before: '010', reverse: true, limit: 1 }), name).toEqual(['005=b005'])
        const ids: string[] = []
        for await (const id of log.within('bob').ids({ after: '001', before: '010' })) ids.push(id)
        expect(ids, name).toEqual(['003', '005'])
        // ids of any characters are in the set (the range's end is not a character guess)
        await store.write((tx) => { for (const id of ['é', 'ÿ', 'ā', '😀', '！']) log.within('wide').put(tx, id, id) })
        const wide: string[] = []
        for await (const id of log.within('wide').ids()) wide.push(id)
        expect(wide.sort(), name).toEqual(['é', 'ÿ', 'ā', '😀', '！'].sort())
        // sub-sets, one seek each: ids that share a beginning, and a record of the set itself, are told apart
        const tree = store.records('/t/tree', stringCodec)
        await store.write((tx) => {
          for (const child of ['b', 'abc', 'a', 'ab-c', 'ab']) for (const id of ['1', '2']) tree.within(child).put(tx, id, id)
          tree.put(tx, 'a-direct', 'x')
        })
        const children: string[] = []
        for await (const c of tree.childIds()) children.push(c)
        // in key order ('-' sorts before '/': ab-c's keys before ab's)
        expect(children, name).toEqual(['a', 'ab-c', 'ab', 'abc', 'b'])
        const newest: string[] = []
        for await (const id of log.within('bob').ids({ reverse: true, limit: 1 })) newest.push(id)
        expect(newest, name).toEqual(['010'])
      }
    } finally {
      await level.close()
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('a missing record is undefined; a written one reads back', async () => {
    const store = new Store(new MemoryDatastore())
    const things = store.records('/test/thing', jsonCodec<Thing>())
    expect(await things.get('a')).toBeUndefined()
    expect(await things.has('a')).toBe(false)
    await store.write(tx => { things.put(tx, 'a', { name: 'A' }) })
    expect(await things.get('a')).toEqual({ name: 'A' })
    expect(await things.has('a')).toBe(true)
    await store.write(tx => { things.delete(tx, 'a') })
    expect(await things.get('a')).toBeUndefined()
  })

  it('refuses ids that would leave the set, and prefixes that are no keys', async () => {
    const store = new Store(new MemoryDatastore())
    const things = store.records('/test/thing', stringCodec)
    for (const id of ['', 'a/b', '/']) expect(() => things.key(id)).toThrow(/invalid record id/)
    expect(() => store.records('test', stringCodec)).toThrow(/invalid record prefix/)
    expect(things.key('x').toString()).toBe('/test/thing/x')
    expect(store.records('/test/thing/', stringCodec).key('x').toString()).toBe('/test/thing/x')
  })

  it('lists entries and ids in key order, sub-sets included as paths', async () => {
    const store = new Store(new MemoryDatastore())
    const msgs = store.records('/test/msg', stringCodec)
    await store.write(tx => {
      msgs.within('bob').put(tx, '002', 'b2')
      msgs.within('alice').put(tx, '001', 'a1')
      msgs.within('bob').put(tx, '001', 'b1')
    })
    // a neighbour prefix that merely starts with the same letters is not part of the set
    await store.datastore.put(new Key('/test/msgs/x'), EMPTY)
    const sorted = async <T>(it: AsyncIterable<T>): Promise<T[]> => {
      const out: T[] = []
      for await (const x of it) out.push(x)
      return out.sort()
    }
    expect(await sorted(msgs.within('bob').entries())).toEqual([['001', 'b1'], ['002', 'b2']])
    expect(await sorted(msgs.ids())).toEqual(['alice/001', 'bob/001', 'bob/002'])
    expect([...(await msgs.within('alice').all())]).toEqual([['001', 'a1']])
  })

  it('codecs: bigints beyond 2^53 and bytes survive, stored as decimal strings and unpadded base64', async () => {
    const store = new Store(new MemoryDatastore())
    const things = store.records('/test/thing', jsonCodec<Thing>(['seq'], ['blob']))
    const big = 2n ** 64n + 7n
    const blob = Uint8Array.from([0, 1, 2, 250, 251])
    await store.write(tx => { things.put(tx, 'a', { name: 'A', seq: big, blob, n: 3 }) })
    const back = await things.get('a')
    expect(back).toEqual({ name: 'A', seq: big, blob, n: 3 })
    expect(typeof back?.seq).toBe('bigint')
    const raw = JSON.parse(text(await store.datastore.get(things.key('a'))))
    expect(raw).toEqual({ name: 'A', seq: big.toString(), blob: uint8ArrayToString(blob, 'base64'), n: 3 })
    expect(raw.blob).not.toMatch(/=/)
    // absent optional fields stay absent
    await store.write(tx => { things.put(tx, 'b', { name: 'B', seq: undefined }) })
    expect(await things.get('b')).toEqual({ name: 'B' })
  })

  it('decimal codecs round-trip and refuse what is not a whole number', () => {
    expect(bigintCodec.decode(bigintCodec.encode(12345678901234567890n))).toBe(12345678901234567890n)
    expect(integerCodec.decode(integerCodec.encode(42))).toBe(42)
    expect(() => integerCodec.encode(1.5)).toThrow(/safe integer/)
    for (const bad of ['', 'abc', '1.5', '12 ']) {
      expect(() => bigintCodec.decode(new TextEncoder().encode(bad))).toThrow(/decimal integer/)
      expect(() => integerCodec.decode(new TextEncoder().encode(bad))).toThrow(/decimal integer/)
    }
    expect(() => integerCodec.decode(new TextEncoder().encode('99999999999999999999'))).toThrow(/safe integer/)
    expect(bytesCodec.decode(bytesCodec.encode(EMPTY))).toBe(EMPTY)
  })

  it('an unreadable record is a clear error naming its key', async () => {
    const store = new Store(new MemoryDatastore())
    const things = store.records('/test/thing', jsonCodec<Thing>(['seq']))
    for (const [id, bytes] of [['json', 'not json'], ['array', '[1]'], ['seq', '{"name":"x","seq":"1e3"}']] as const) {
      await store.datastore.put(things.key(id), new TextEncoder().encode(bytes))
      const err = await things.get(id).catch(e => e)
      expect(err).toBeInstanceOf(RecordDecodeError)
      expect(err.message).toContain(`/test/thing/${id}`)
    }
  })
})

describe('store transactions', () => {
  it('commit whole or not at all: a failed batch stores nothing and runs no hook', async () => {
    const ds = new GatedDatastore()
    const store = new Store(ds)
    const things = store.records('/test/thing', stringCodec)
    const hooks: string[] = []
    ds.failNext = 1
    await expect(store.write(tx => {
      things.put(tx, 'a', 'A')
      things.put(tx, 'b', 'B')
      tx.afterCommit(() => hooks.push('first'))
    })).rejects.toThrow(/disk full/)
    expect(await things.get('a')).toBeUndefined()
    expect(await things.get('b')).toBeUndefined()
    expect(hooks).toEqual([])
    // the store goes on with the next transaction
    await store.write(tx => {
      things.put(tx, 'a', 'A2')
      tx.afterCommit(() => hooks.push('second'))
    })
    expect(await things.get('a')).toBe('A2')
    expect(hooks).toEqual(['second'])
  })

  it('a transaction whose stager throws stores nothing of it', async () => {
    const store = new Store(new MemoryDatastore())
    const things = store.records('/test/thing', stringCodec)
    let hooked = false
    await expect(store.write(tx => {
      things.put(tx, 'a', 'A')
      tx.afterCommit(() => { hooked = true })
      throw new Error('changed my mind')
    })).rejects.toThrow(/changed my mind/)
    expect(await things.get('a')).toBeUndefined()
    expect(hooked).toBe(false)
  })

  it('a datastore that cannot start a batch fails the write instead of leaving it waiting', async () => {
    const ds = new GatedDatastore()
    const store = new Store(ds)
    const things = store.records('/test/thing', stringCodec)
    ds.failBatch = true
    await expect(store.write(tx => { things.put(tx, 'a', 'A') })).rejects.toThrow(/cannot start a batch/)
    ds.failBatch = false
    await store.write(tx => { things.put(tx, 'a', 'A') })
    expect(await things.get('a')).toBe('A')
  })

  it('commits in the order transactions were opened, each after the one before', async () => {
    const ds = new GatedDatastore()
    const store = new Store(ds)
    const things = store.records('/test/thing', integerCodec)
    const events: string[] = []
    let releaseFirst: () => void = () => {}
    const firstMayGoOn = new Promise<void>(resolve => { releaseFirst = resolve })
    const first = store.write(async tx => {
      events.push('stage 1')
      await firstMayGoOn
      things.put(tx, 'x', 1)
      tx.afterCommit(() => events.push('hook 1'))
      return 1
    })
    const second = store.write(async tx => {
      // runs only after the first committed: it sees the first one's value
      events.push(`stage 2 sees ${String(await things.get('x'))}`)
      things.put(tx, 'x', 2)
      tx.afterCommit(() => events.push('hook 2'))
      return 2
    })
    const third = store.write(tx => {
      events.push('stage 3')
      things.put(tx, 'x', 3)
      things.put(tx, 'y', 3)
    })
    await new Promise(resolve => setImmediate(resolve))
    expect(events).toEqual(['stage 1'])
    releaseFirst()
    expect(await Promise.all([first, second, third])).toEqual([1, 2, undefined])
    expect(events).toEqual(['stage 1', 'hook 1', 'stage 2 sees 1', 'hook 2', 'stage 3'])
    expect(await things.get('x')).toBe(3)
    expect(ds.log.batches).toEqual([['/test/thing/x'], ['/test/thing/x'], ['/test/thing/x', '/test/thing/y']])
  })

  it('for one key, the last write of a transaction wins, whatever the datastore batch does with repeats', async () => {
    // MemoryDatastore's batch applies every put before every delete
    const store = new Store(new MemoryDatastore())
    const things = store.records('/test/thing', stringCodec)
    await store.write(tx => { things.put(tx, 'a', 'old') })
    await store.write(tx => {
      things.delete(tx, 'a')
      things.put(tx, 'a', 'new')
      things.put(tx, 'b', 'gone')
      things.delete(tx, 'b')
      expect(tx.staged(things.key('a'))).toEqual(new TextEncoder().encode('new'))
      expect(tx.staged(things.key('b'))).toBeNull()
      expect(tx.staged(things.key('c'))).toBeUndefined()
    })
    expect(await things.get('a')).toBe('new')
    expect(await things.get('b')).toBeUndefined()
  })

  it('a throwing hook does not stop the others; the write rejects though it is stored', async () => {
    const store = new Store(new MemoryDatastore())
    const things = store.records('/test/thing', stringCodec)
    const ran: string[] = []
    await expect(store.write(tx => {
      things.put(tx, 'a', 'A')
      tx.afterCommit(() => { throw new Error('hook bug') })
      tx.afterCommit(() => ran.push('second'))
    })).rejects.toThrow(/hook bug/)
    expect(ran).toEqual(['second'])
    expect(await things.get('a')).toBe('A')
  })

  it('a transaction kept after its commit takes no more writes', async () => {
    const store = new Store(new MemoryDatastore())
    const things = store.records('/test/thing', stringCodec)
    let kept: Transaction | undefined
    await store.write(tx => { kept = tx })
    expect(() => { things.put(kept!, 'late', 'L') }).toThrow(/already committed/)
    expect(() => { kept!.afterCommit(() => {}) }).toThrow(/already committed/)
    expect(await things.get('late')).toBeUndefined()
  })
})
