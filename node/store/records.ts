/**
 * Typed records over the node's one datastore. A record set is a key prefix
 * and a codec: `get` of a missing record is undefined, never an exception.
 * Writes go through transactions: one datastore batch, committed whole or
 * not at all, with hooks that run (in order) only after the commit, which is
 * where an owner updates its memory and emits its events. Every Store on
 * one datastore commits its transactions one at a time, in the order they
 * were opened, so two changes to one record land in the order they were made.
 */
import { LevelDatastore } from 'datastore-level'
import { Key } from 'interface-datastore'
import { fromString as uint8ArrayFromString } from 'uint8arrays/from-string'
import { toString as uint8ArrayToString } from 'uint8arrays/to-string'
import { GroupCommit } from './group-commit.js'
import type { Transaction } from './group-commit.js'
import type { Datastore, KeyQueryOrder, QueryOrder } from 'interface-datastore'

export type { Transaction } from './group-commit.js'

export interface Codec<T> {
  encode: (value: T) => Uint8Array
  /** Throws on bytes that are not a valid T. */
  decode: (bytes: Uint8Array) => T
}

/** A stored record its codec cannot read. */
export class RecordDecodeError extends Error {
  override name = 'RecordDecodeError'
  constructor (readonly key: string, options: { cause: unknown }) {
    super(`unreadable record ${key}: ${(options.cause as Error)?.message ?? String(options.cause)}`, options)
  }
}

const utf8Encoder = new TextEncoder()
const utf8Decoder = new TextDecoder()

/**
 * JSON of an object. The named `bigints` fields are held as bigints in memory
 * and as decimal strings on disk (sequence numbers exceed 2^53); the named
 * `bytes` fields as Uint8Arrays in memory and as base64 (RFC 4648, no
 * padding) on disk.
 */
export function jsonCodec<T extends object> (bigints: ReadonlyArray<keyof T & string> = [], bytes: ReadonlyArray<keyof T & string> = []): Codec<T> {
  return {
    encode: (value) => {
      const out: Record<string, unknown> = { ...(value as Record<string, unknown>) }
      for (const f of bigints) if (typeof out[f] === 'bigint') out[f] = (out[f] as bigint).toString()
      for (const f of bytes) if (out[f] instanceof Uint8Array) out[f] = uint8ArrayToString(out[f] as Uint8Array, 'base64')
      return utf8Encoder.encode(JSON.stringify(out))
    },
    decode: (raw) => {
      const obj: unknown = JSON.parse(utf8Decoder.decode(raw))
      if (typeof obj !== 'object' || obj == null || Array.isArray(obj)) throw new Error('not a JSON object')
      const fields = obj as Record<string, unknown>
      for (const f of bigints) if (fields[f] != null) fields[f] = parseBigInt(fields[f], f)
      for (const f of bytes) {
        if (fields[f] == null) continue
        if (typeof fields[f] !== 'string') throw new Error(`${f} is not base64`)
        fields[f] = uint8ArrayFromString(fields[f] as string, 'base64')
      }
      return obj as T
    }
  }
}

function parseBigInt (v: unknown, what: string): bigint {
  if (typeof v !== 'string' || !/^-?\d+$/.test(v)) throw new Error(`${what} is not a decimal integer`)
  return BigInt(v)
}

/** Raw bytes, as they are. */
export const bytesCodec: Codec<Uint8Array> = { encode: (b) => b, decode: (b) => b }

/** A UTF-8 string. */
export const stringCodec: Codec<string> = { encode: (s) => utf8Encoder.encode(s), decode: (b) => utf8Decoder.decode(b) }

/** A bigint as decimal text. */
export const bigintCodec: Codec<bigint> = {
  encode: (n) => utf8Encoder.encode(n.toString()),
  decode: (b) => parseBigInt(utf8Decoder.decode(b), 'value')
}

/** A safe integer as decimal text. */
export const integerCodec: Codec<number> = {
  encode: (n) => {
    if (!Number.isSafeInteger(n)) throw new Error(`${n} is not a safe integer`)
    return utf8Encoder.encode(n.toString())
  },
  decode: (b) => {
    const n = Number(parseBigInt(utf8Decoder.decode(b), 'value'))
    if (!Number.isSafeInteger(n)) throw new Error('value is not a safe integer')
    return n
  }
}

/** A presence-only record: the key is what matters. */
export const EMPTY = new Uint8Array(0)

/** One engine per datastore, shared by its Stores: their transactions land in the order they were opened. */
const engines = new WeakMap<Datastore, GroupCommit>()

export class Store {
  private readonly commits: GroupCommit

  constructor (readonly datastore: Datastore) {
    let engine = engines.get(datastore)
    if (engine == null) {
      engine = new GroupCommit(datastore)
      engines.set(datastore, engine)
    }
    this.commits = engine
  }

  /** A set of records of one type under `prefix` (e.g. '/presence-mesh/roster/person'). */
  records<T> (prefix: string, codec: Codec<T>): RecordSet<T> {
    return new RecordSet(this.datastore, prefix, codec)
  }

  /**
   * Stages what `fn` writes into one transaction and commits it after every
   * transaction opened before it on this datastore. Resolves with fn's
   * result once committed, the after-commit hooks ran and the work they
   * handed to waitUntil settled (which does not hold up later
   * transactions); a failed commit rejects and leaves nothing of it stored.
   * Never call write from inside fn: it would wait for itself.
   */
  async write<R> (fn: (tx: Transaction) => R | Promise<R>): Promise<R> {
    let staged: Transaction | undefined
    const result = await this.commits.change(async (tx) => {
      staged = tx
      const r = await fn(tx)
      return () => r
    }, { alone: true })
    await staged?.settled()
    return result
  }

  /**
   * A change that may share its batch with the changes made meanwhile (group
   * commit), for frequent small writes that query no key ranges. `build`
   * runs once every earlier change committed; resolves, once the batch
   * holding this change committed, with what build's returned function gives.
   * An asynchronous build holds the later changes until it has staged.
   */
  async change<T> (build: (tx: Transaction) => (() => T) | Promise<() => T>): Promise<T> {
    return await this.commits.change(build)
  }
}

/**
 * LevelDB reads ranges itself, in key order; other datastores (a
 * MemoryDatastore in an application's own node, say) are asked to filter and
 * sort, or a newest-first query with a limit would return the wrong records.
 */
const byKey = (a: Key, b: Key): -1 | 0 | 1 => { const x = a.toString(); const y = b.toString(); return x < y ? -1 : x > y ? 1 : 0 }

export interface RangeOptions {
  limit?: number
  /** Only ids that sort after this one. */
  after?: string
  /** Only ids that sort before this one. */
  before?: string
  /** Newest (greatest id) first. */
  reverse?: boolean
}

export class RecordSet<T> {
  readonly prefix: string

  constructor (private readonly datastore: Datastore, prefix: string, private readonly codec: Codec<T>) {
    this.prefix = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix
    if (!this.prefix.startsWith('/') || this.prefix.length < 2) throw new Error(`invalid record prefix ${JSON.stringify(prefix)}`)
  }

  key (id: string): Key {
    if (id === '' || id.includes('/')) throw new Error(`invalid record id ${JSON.stringify(id)}`)
    return new Key(`${this.prefix}/${id}`)
  }

  /**
   * The records of the same type one level down, under `<prefix>/<id>` (e.g.
   * one conversation's messages). The parent's entries and ids include
   * theirs, as `<id>/<their id>`.
   */
  within (id: string): RecordSet<T> {
    return new RecordSet(this.datastore, this.key(id).toString(), this.codec)
  }

  async get (id: string): Promise<T | undefined> {
    const key = this.key(id)
    let bytes: Uint8Array
    try {
      bytes = await this.datastore.get(key)
    } catch (err: any) {
      if (err.name === 'NotFoundError') return undefined
      throw err
    }
    return this.decode(key.toString(), bytes)
  }

  async has (id: string): Promise<boolean> {
    return await this.datastore.has(this.key(id))
  }

  /**
   * Every record, in key order (ids of equal length sort as strings); with
   * `after` / `before`, only those whose id sorts after / before it;
   * `reverse`, newest first; at most `limit`.
   * On LevelDB the range is the iterator's own, so reading the tail of a long
   * log costs what the tail holds, not the log.
   */
  async * entries (options: RangeOptions = {}): AsyncGenerator<[string, T]> {
    const from = `${this.prefix}/`
    if (this.datastore instanceof LevelDatastore) {
      for await (const [k, value] of this.datastore.db.iterator(this.levelRange(options))) {
        yield [k.slice(from.length), this.decode(k, value)]
      }
      return
    }
    const orders: QueryOrder[] = [(a, b) => options.reverse === true ? byKey(b.key, a.key) : byKey(a.key, b.key)]
    const inRange = this.inRange(options)
    const filters = inRange == null ? undefined : [({ key }: { key: Key }) => inRange(key.toString())]
    for await (const { key, value } of this.datastore.query({ prefix: from, limit: options.limit, orders, filters })) {
      const k = key.toString()
      yield [k.slice(from.length), this.decode(k, value)]
    }
  }

  /** Every id, in key order (the range as for entries), without reading the values. */
  async * ids (options: RangeOptions = {}): AsyncGenerator<string> {
    const from = `${this.prefix}/`
    if (this.datastore instanceof LevelDatastore) {
      for await (const k of this.datastore.db.keys(this.levelRange(options))) yield k.slice(from.length)
      return
    }
    const orders: KeyQueryOrder[] = [(a, b) => options.reverse === true ? byKey(b, a) : byKey(a, b)]
    const inRange = this.inRange(options)
    const filters = inRange == null ? undefined : [(key: Key) => inRange(key.toString())]
    for await (const key of this.datastore.queryKeys({ prefix: from, limit: options.limit, orders, filters })) {
      yield key.toString().slice(from.length)
    }
  }

  /** The ids of the sub-sets holding records (see within), in key order: one seek past each, not a read of every record. */
  async * childIds (): AsyncGenerator<string> {
    let after: string | undefined
    for (;;) {
      let first: string | undefined
      for await (const id of this.ids({ after, limit: 1 })) first = id
      if (first == null) return
      const cut = first.indexOf('/')
      // a record of this set itself is no sub-set: step past it
      if (cut < 0) {
        after = first
        continue
      }
      const child = first.slice(0, cut)
      yield child
      // '0' follows '/': `<child>0` sorts after every `<child>/...`
      after = `${child}0`
    }
  }

  /** A LevelDB iterator's options for the range: its own bounds, so a read costs what the range holds. */
  private levelRange (options: RangeOptions): { gt?: string, gte?: string, lt: string, reverse: boolean, limit: number } {
    const from = `${this.prefix}/`
    return {
      ...(options.after != null ? { gt: from + options.after } : { gte: from }),
      // '0' follows '/': every key under `<prefix>/`, whatever its characters, sorts below `<prefix>0`
      lt: options.before != null ? from + options.before : `${this.prefix}0`,
      reverse: options.reverse === true,
      limit: options.limit ?? -1
    }
  }

  /** Whether a whole key lies in the range (a datastore that cannot read ranges filters with it); undefined: every key does. */
  private inRange ({ after, before }: RangeOptions): ((key: string) => boolean) | undefined {
    if (after == null && before == null) return undefined
    const from = `${this.prefix}/`
    return (k) => (after == null || k > from + after) && (before == null || k < from + before)
  }

  async all (): Promise<Map<string, T>> {
    const out = new Map<string, T>()
    for await (const [id, value] of this.entries()) out.set(id, value)
    return out
  }

  put (tx: Transaction, id: string, value: T): void {
    tx.put(this.key(id), this.codec.encode(value))
  }

  delete (tx: Transaction, id: string): void {
    tx.delete(this.key(id))
  }

  private decode (key: string, bytes: Uint8Array): T {
    try {
      return this.codec.decode(bytes)
    } catch (err) {
      throw new RecordDecodeError(key, { cause: err })
    }
  }
}
