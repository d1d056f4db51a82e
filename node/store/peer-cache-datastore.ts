/**
 * The node's LevelDB datastore with libp2p's peer-store entries (`/peers/...`)
 * also kept in memory for reading. libp2p's peer store has no cache of its
 * own: every get reads LevelDB, and every stream opened on either side first
 * merges the stream's protocol into the remote peer's entry (a read under
 * that peer's write lock, a write only when something changed). Under load
 * those reads queue on libuv's thread pool and the per-peer locks queue
 * behind them: the chaos diagnostic (docs/benchmarks.md, session 19) measured
 * a peer-store get at 3.3 s mean and kad-dht answering FIND_NODE in 19-27 s.
 *
 * Writes go to LevelDB first and to the cache once LevelDB has them (write
 * through), so what the cache holds is always on disk; queries (the peer
 * store's listing) still read LevelDB. Bounded: the least recently read
 * entries are dropped from memory (never from disk).
 */
import { LevelDatastore } from 'datastore-level'
import type { AbortOptions } from '@libp2p/interface'
import type { Batch, Key } from 'interface-datastore'

/** libp2p's peer store keeps each peer under this prefix (@libp2p/peer-store's NAMESPACE_COMMON). */
export const PEER_STORE_PREFIX = '/peers/'
/** Peer entries held in memory at most; a few hundred bytes each. */
export const PEER_CACHE_ENTRIES = 4096

export class PeerCacheDatastore extends LevelDatastore {
  private readonly cache = new Map<string, Uint8Array>()
  /** Reads of LevelDB in flight, per key: a write meanwhile makes what they read too old to cache. */
  private readonly reading = new Map<string, Set<{ stale: boolean }>>()

  constructor (location: string, private readonly maxEntries = PEER_CACHE_ENTRIES) {
    super(location)
  }

  override async get (key: Key, options?: AbortOptions): Promise<Uint8Array> {
    const k = key.toString()
    if (!k.startsWith(PEER_STORE_PREFIX)) return await super.get(key, options)
    options?.signal?.throwIfAborted()
    const cached = this.cache.get(k)
    if (cached != null) {
      // most recently read last: the first entry is the one to drop
      this.cache.delete(k)
      this.cache.set(k, cached)
      return cached
    }
    const read = { stale: false }
    const reads = this.reading.get(k) ?? new Set()
    reads.add(read)
    this.reading.set(k, reads)
    try {
      const value = await super.get(key, options)
      if (!read.stale) this.remember(k, value)
      return value
    } finally {
      reads.delete(read)
      if (reads.size === 0 && this.reading.get(k) === reads) this.reading.delete(k)
    }
  }

  override async has (key: Key, options?: AbortOptions): Promise<boolean> {
    if (this.cache.has(key.toString())) return true
    return await super.has(key, options)
  }

  override async put (key: Key, value: Uint8Array, options?: AbortOptions): Promise<Key> {
    const k = key.toString()
    if (!k.startsWith(PEER_STORE_PREFIX)) return await super.put(key, value, options)
    this.forget(k)
    const out = await super.put(key, value, options)
    this.forget(k)
    this.remember(k, value)
    return out
  }

  override async delete (key: Key, options?: AbortOptions): Promise<void> {
    const k = key.toString()
    this.forget(k)
    await super.delete(key, options)
    this.forget(k)
  }

  override batch (): Batch {
    const batch = super.batch()
    const touched: string[] = []
    return {
      put: (key, value) => {
        if (key.toString().startsWith(PEER_STORE_PREFIX)) touched.push(key.toString())
        batch.put(key, value)
      },
      delete: (key) => {
        if (key.toString().startsWith(PEER_STORE_PREFIX)) touched.push(key.toString())
        batch.delete(key)
      },
      commit: async (options) => {
        for (const k of touched) this.forget(k)
        await batch.commit(options)
        for (const k of touched) this.forget(k)
      }
    }
  }

  /** Entries held in memory now (for tests and diagnostics). */
  get cachedEntries (): number {
    return this.cache.size
  }

  private remember (k: string, value: Uint8Array): void {
    this.cache.delete(k)
    this.cache.set(k, value)
    if (this.cache.size > this.maxEntries) this.cache.delete(this.cache.keys().next().value as string)
  }

  private forget (k: string): void {
    this.cache.delete(k)
    for (const read of this.reading.get(k) ?? []) read.stale = true
  }
}
