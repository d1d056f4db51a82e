/**
 * Typed records over the node's one datastore. A record set is a key prefix
 * and a codec: `get` of a missing record is undefined, never an exception.
 * Writes go through transactions: one datastore batch, committed whole or
 * not at all, with hooks that run (in order) only after the commit, which is
 * where an owner updates its memory and emits its events. A Store commits
 * its transactions one at a time, in the order they were opened, so two
 * changes to one record land in the order they were made.
 */
import { Key } from 'interface-datastore'
import type { Datastore } from 'interface-datastore'

export interface Codec<T> {
  encode: (value: T) => Uint8Array
  decode: (bytes: Uint8Array) => T
}

const utf8Encoder = new TextEncoder()
const utf8Decoder = new TextDecoder()

/**
 * JSON, with the named top-level fields held as bigints in memory and as
 * decimal strings on disk (sequence numbers exceed 2^53).
 */
export function jsonCodec<T extends object> (bigints: ReadonlyArray<keyof T & string> = []): Codec<T> {
  return {
    encode: (value) => {
      const out: Record<string, unknown> = { ...(value as Record<string, unknown>) }
      for (const f of bigints) if (typeof out[f] === 'bigint') out[f] = (out[f] as bigint).toString()
      return utf8Encoder.encode(JSON.stringify(out))
    },
    decode: (bytes) => {
      const obj = JSON.parse(utf8Decoder.decode(bytes)) as Record<string, unknown>
      for (const f of bigints) if (typeof obj[f] === 'string') obj[f] = BigInt(obj[f] as string)
      return obj as T
    }
  }
}

/** Raw bytes, as they are. */
export const bytesCodec: Codec<Uint8Array> = { encode: (b) => b, decode: (b) => b }

/** A UTF-8 string. */
export const stringCodec: Codec<string> = { encode: (s) => utf8Encoder.encode(s), decode: (b) => utf8Decoder.decode(b) }

/** A presence-only record: the key is what matters. */
export const EMPTY = new Uint8Array(0)

/** One atomic write: everything staged in it commits together, or nothing does. */
export class Transaction {
  private readonly batch
  private readonly hooks: Array<() => void> = []
  private readonly work: Array<Promise<unknown>> = []
  private committed = false

  constructor (datastore: Datastore) {
    this.batch = datastore.batch()
  }

  put (key: Key, value: Uint8Array): void {
    this.batch.put(key, value)
  }

  delete (key: Key): void {
    this.batch.delete(key)
  }

  /** Runs after the commit succeeded, in the order added (never if it failed). */
  afterCommit (hook: () => void): void {
    this.hooks.push(hook)
  }

  /**
   * Work started by the after-commit hooks (reactions to the change) that
   * the writer waits for; it does not hold up later transactions.
   */
  waitUntil (work: Promise<unknown>): void {
    this.work.push(work)
  }

  async commit (): Promise<void> {
    if (this.committed) throw new Error('transaction already committed')
    this.committed = true
    await this.batch.commit()
    for (const hook of this.hooks) hook()
  }

  /** Settles once every waitUntil promise has (a failed reaction is the reactor's to report). */
  async settled (): Promise<void> {
    await Promise.allSettled(this.work)
  }
}

/** Commits of every Store on one datastore, chained: they land in the order they were opened. */
const tails = new WeakMap<Datastore, Promise<void>>()

export class Store {
  constructor (readonly datastore: Datastore) {}

  /** A set of records of one type under `prefix` (e.g. '/presence-mesh/roster/person'). */
  records<T> (prefix: string, codec: Codec<T>): RecordSet<T> {
    return new RecordSet(this.datastore, prefix, codec)
  }

  /**
   * Stages what `fn` writes into one transaction and commits it after every
   * transaction opened before it on this datastore. Resolves with fn's
   * result once committed, the after-commit hooks ran and the work they
   * started settled; a failed commit rejects and leaves nothing of it stored.
   */
  async write<R> (fn: (tx: Transaction) => R | Promise<R>): Promise<R> {
    const tail = tails.get(this.datastore) ?? Promise.resolve()
    const run = tail.then(async () => {
      const tx = new Transaction(this.datastore)
      const result = await fn(tx)
      await tx.commit()
      return { tx, result }
    })
    tails.set(this.datastore, run.then(() => {}, () => {}))
    const { tx, result } = await run
    await tx.settled()
    return result
  }
}

export class RecordSet<T> {
  readonly prefix: string

  constructor (private readonly datastore: Datastore, prefix: string, private readonly codec: Codec<T>) {
    this.prefix = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix
  }

  key (id: string): Key {
    if (id === '' || id.includes('/')) throw new Error(`invalid record id ${JSON.stringify(id)}`)
    return new Key(`${this.prefix}/${id}`)
  }

  async get (id: string): Promise<T | undefined> {
    let bytes: Uint8Array
    try {
      bytes = await this.datastore.get(this.key(id))
    } catch (err: any) {
      if (err.name === 'NotFoundError') return undefined
      throw err
    }
    return this.codec.decode(bytes)
  }

  async has (id: string): Promise<boolean> {
    return await this.datastore.has(this.key(id))
  }

  /** Every record, in key order (ids of equal length sort as strings). */
  async * entries (options: { limit?: number } = {}): AsyncGenerator<[string, T]> {
    for await (const { key, value } of this.datastore.query({ prefix: `${this.prefix}/`, limit: options.limit })) {
      yield [key.toString().slice(this.prefix.length + 1), this.codec.decode(value)]
    }
  }

  /** Every id, in key order, without reading the values. */
  async * ids (options: { limit?: number } = {}): AsyncGenerator<string> {
    for await (const key of this.datastore.queryKeys({ prefix: `${this.prefix}/`, limit: options.limit })) {
      yield key.toString().slice(this.prefix.length + 1)
    }
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
}
