import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { Key } from 'interface-datastore'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { PeerCacheDatastore } from '../../../node/store/peer-cache-datastore.js'

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s)
const text = (b: Uint8Array): string => new TextDecoder().decode(b)

describe('PeerCacheDatastore', () => {
  let dir: string
  let store: PeerCacheDatastore
  /** LevelDB reads made, by key. */
  let reads: string[]
  /** While set, LevelDB reads wait for it. */
  let gate: Promise<void> | undefined

  const open = async (maxEntries?: number): Promise<PeerCacheDatastore> => {
    const s = new PeerCacheDatastore(dir, maxEntries)
    await s.open()
    const db = (s as unknown as { db: { get: (k: string) => Promise<unknown> } }).db
    const get = db.get.bind(db)
    db.get = async (k: string) => {
      reads.push(k)
      const value = await get(k)
      await gate
      return value
    }
    return s
  }

  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pm-peer-cache-'))
    reads = []
    gate = undefined
    store = await open()
  })

  afterEach(async () => {
    await store.close()
    await fs.rm(dir, { recursive: true, force: true })
  })

  it('reads a peer entry from LevelDB once, then from memory; other keys every time', async () => {
    await store.put(new Key('/peers/a'), bytes('a1'))
    await store.put(new Key('/presence-mesh/x'), bytes('x1'))
    reads = []
    for (let i = 0; i < 3; i++) {
      expect(text(await store.get(new Key('/peers/a')))).toBe('a1')
      expect(text(await store.get(new Key('/presence-mesh/x')))).toBe('x1')
    }
    // the put left the entry cached: no LevelDB read of it at all
    expect(reads.filter(k => k === '/peers/a')).toHaveLength(0)
    expect(reads.filter(k => k === '/presence-mesh/x')).toHaveLength(3)
  })

  it('what was written, deleted or changed in a batch is what the next read sees, across a reopen', async () => {
    const k = new Key('/peers/b')
    await store.put(k, bytes('b1'))
    expect(text(await store.get(k))).toBe('b1')
    await store.put(k, bytes('b2'))
    expect(text(await store.get(k))).toBe('b2')
    await store.delete(k)
    await expect(store.get(k)).rejects.toThrow()
    expect(await store.has(k)).toBe(false)
    await store.put(k, bytes('b3'))
    const batch = store.batch()
    batch.put(k, bytes('b4'))
    await batch.commit()
    expect(text(await store.get(k))).toBe('b4')
    const del = store.batch()
    del.delete(k)
    await del.commit()
    await expect(store.get(k)).rejects.toThrow()
    await store.put(k, bytes('b5'))
    await store.close()
    store = await open()
    expect(text(await store.get(k))).toBe('b5')
  })

  it('a read that started before a write does not leave the old value in memory', async () => {
    const k = new Key('/peers/c')
    await store.put(k, bytes('c1'))
    await store.close()
    store = await open()
    let release!: () => void
    gate = new Promise(resolve => { release = resolve })
    const early = store.get(k)
    await new Promise<void>(resolve => { const poll = (): void => { reads.length > 0 ? resolve() : setImmediate(poll) }; poll() })
    await store.put(k, bytes('c2'))
    release()
    gate = undefined
    expect(text(await early)).toBe('c1')
    expect(text(await store.get(k))).toBe('c2')
  })

  it('holds at most its bound of entries, dropping the least recently read', async () => {
    await store.close()
    store = await open(2)
    for (const id of ['d', 'e', 'f']) await store.put(new Key(`/peers/${id}`), bytes(id))
    expect(store.cachedEntries).toBe(2)
    reads = []
    expect(text(await store.get(new Key('/peers/d')))).toBe('d')
    expect(reads).toEqual(['/peers/d'])
    expect(store.cachedEntries).toBe(2)
  })
})
