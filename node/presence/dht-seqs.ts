/**
 * The replay floor of the DHT validator: per presentity, the highest sequence
 * number of a presence record this node has validated, with that record's
 * expiry. Our own state, under /presence-mesh/presence/dht-seq/<peer id>, so
 * the rule does not depend on how kad-dht lays out its datastore, and on disk
 * so it holds across a restart for the records kad-dht kept.
 *
 * Anyone can mint identities and sign valid records for them. A flood of
 * fresh identities costs one small entry each on disk, deleted once every
 * older record of that presentity must have expired (prune), and evicts
 * other entries from the bounded memory cache: an evicted floor is read back
 * from disk, slower but never lower. Writes go through group commit, so a
 * burst of validations shares datastore batches.
 */
import { GroupCommit } from '../store/group-commit.js'
import { jsonCodec, RecordDecodeError, RecordSet } from '../store/records.js'
import { DHT_SEQ_CACHE_SIZE, DHT_SEQ_KEEP_MS, DHT_SEQ_PREFIX } from './constants.js'
import { trimOldest } from '../util/trim.js'
import type { AbortOptions, Logger } from '@libp2p/interface'
import type { Datastore } from 'interface-datastore'

/** The highest validated seq of a presentity and the expiry of the record that carried it. */
export interface SeqFloor {
  seq: bigint
  expiresAt: number
}

export interface ValidatedSeqsInit {
  cacheSize?: number
  log?: Logger
}

const codec = jsonCodec<SeqFloor>(['seq'])
/** Floors deleted per batch by prune. */
const PRUNE_BATCH = 256

/** The floor after validating `next`: a higher seq replaces it; the same seq keeps the later expiry. */
function merge (floor: SeqFloor | undefined, next: SeqFloor): SeqFloor {
  if (floor == null || next.seq > floor.seq) return next
  if (next.seq === floor.seq && next.expiresAt > floor.expiresAt) return { seq: floor.seq, expiresAt: next.expiresAt }
  return floor
}

const same = (a: SeqFloor | undefined, b: SeqFloor): boolean => a != null && a.seq === b.seq && a.expiresAt === b.expiresAt

/** The most recently used floors, at most `size` (a Map iterates oldest first). */
class FloorCache {
  private readonly map = new Map<string, SeqFloor>()

  constructor (private readonly size: number) {
    if (!Number.isInteger(size) || size < 1) throw new Error('the floor cache size must be a positive whole number')
  }

  get (id: string): SeqFloor | undefined {
    const floor = this.map.get(id)
    if (floor != null) {
      this.map.delete(id)
      this.map.set(id, floor)
    }
    return floor
  }

  set (id: string, floor: SeqFloor): void {
    this.map.delete(id)
    this.map.set(id, floor)
    trimOldest(this.map, this.size)
  }

  remove (id: string): void {
    this.map.delete(id)
  }
}

export class ValidatedSeqs {
  private readonly floors: RecordSet<SeqFloor>
  private readonly commits: GroupCommit
  private readonly cache: FloorCache
  private readonly log?: Logger

  constructor (datastore: Datastore, init: ValidatedSeqsInit = {}) {
    this.floors = new RecordSet(datastore, DHT_SEQ_PREFIX, codec)
    this.commits = new GroupCommit(datastore)
    this.cache = new FloorCache(init.cacheSize ?? DHT_SEQ_CACHE_SIZE)
    this.log = init.log
  }

  /** The highest seq validated for the presentity, if any is kept. */
  async highest (presentity: string): Promise<bigint | undefined> {
    const cached = this.cache.get(presentity)
    if (cached != null) return cached.seq
    const stored = await this.read(presentity)
    if (stored == null) return undefined
    const floor = merge(this.cache.get(presentity), stored)
    this.cache.set(presentity, floor)
    return floor.seq
  }

  /** Records a validated record; resolves once a higher floor is on disk. */
  async raise (presentity: string, seq: bigint, expiresAt: number): Promise<void> {
    const next = { seq, expiresAt }
    const cached = this.cache.get(presentity)
    if (cached != null) {
      const floor = merge(cached, next)
      if (same(cached, floor)) return
      // memory first: a validation running meanwhile compares against it
      this.cache.set(presentity, floor)
    }
    const key = this.floors.key(presentity)
    const written = await this.commits.change<SeqFloor, SeqFloor | undefined>((tx, stored) => {
      const staged = tx.staged(key)
      const before = staged != null ? codec.decode(staged) : stored
      const floor = merge(before, next)
      if (!same(before, floor)) this.floors.put(tx, presentity, floor)
      return () => floor
    }, { prepare: async () => await this.read(presentity) })
    this.cache.set(presentity, merge(this.cache.get(presentity), written))
  }

  /**
   * Deletes the floors whose record expired more than DHT_SEQ_KEEP_MS before
   * now (every older record of theirs has expired too), and unreadable ones.
   * Returns how many went.
   */
  async prune (now: number, options: AbortOptions = {}): Promise<number> {
    const stale = (floor: SeqFloor | undefined): boolean => floor == null || floor.expiresAt + DHT_SEQ_KEEP_MS < now
    let deleted = 0
    let ids: string[] = []
    const flush = async (): Promise<void> => {
      const batch = ids
      ids = []
      deleted += await this.commits.change(async (tx) => {
        const gone: string[] = []
        for (const id of batch) {
          // read again in this batch's turn: a raise since the scan keeps its floor
          if (!stale(await this.read(id))) continue
          this.floors.delete(tx, id)
          gone.push(id)
        }
        return () => {
          // a raise still committing holds its floor in memory: keep that one
          for (const id of gone) if (stale(this.cache.get(id))) this.cache.remove(id)
          return gone.length
        }
      }, { alone: true })
    }
    for await (const id of this.floors.ids()) {
      options.signal?.throwIfAborted()
      if (!stale(await this.read(id))) continue
      ids.push(id)
      if (ids.length >= PRUNE_BATCH) await flush()
    }
    if (ids.length > 0) await flush()
    return deleted
  }

  /** A stored floor; an unreadable one counts as none (the next raise or prune replaces it). */
  private async read (presentity: string): Promise<SeqFloor | undefined> {
    try {
      return await this.floors.get(presentity)
    } catch (err) {
      if (!(err instanceof RecordDecodeError)) throw err
      this.log?.error('ignoring the DHT replay floor of %s - %e', presentity, err)
      return undefined
    }
  }
}
