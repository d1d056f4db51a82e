/**
 * Group commit over one datastore. A change stages its writes into a
 * transaction; changes commit in the order they were made, each group of them
 * in one datastore batch, committed whole or not at all. Changes that arrive
 * while a batch is committing share the next batch, so a burst of small
 * changes costs one commit, not one each. Every caller resolves only after
 * the batch holding its change committed, in the order the changes were made,
 * with what its change returned; a batch that fails rejects every caller of
 * its group and stores nothing of it.
 */
import type { Datastore, Key } from 'interface-datastore'

/** The writes of one change, and what runs once they are stored. */
export interface Transaction {
  put: (key: Key, value: Uint8Array) => void
  delete: (key: Key) => void
  /**
   * What the batch holds for key so far (this change's writes and those of
   * the earlier changes of its group): the value, null for a delete,
   * undefined when untouched. Reads of committed state do not see it.
   */
  staged: (key: Key) => Uint8Array | null | undefined
  /**
   * Runs once the batch committed, in the order added, before the caller
   * resolves; never if it failed. A hook that throws does not stop the
   * others; the change's caller is rejected with its error, though what it
   * staged is stored.
   */
  afterCommit: (hook: () => void) => void
  /**
   * Work started by the after-commit hooks (reactions to the change) that
   * the writer waits for; it does not hold up later changes.
   */
  waitUntil: (work: Promise<unknown>) => void
  /** Settles once every waitUntil promise has (a failed reaction is the reactor's to report). */
  settled: () => Promise<void>
}

/**
 * Links changes that must commit in order, all or a prefix: once one of
 * them failed, the later ones fail without being stored (a receiver's stream).
 */
export interface ChangeChain {
  failed: boolean
}

export interface ChangeOptions<P> {
  /**
   * A batch of its own. For changes that query key ranges, which the staged
   * writes of other changes in a group would not show.
   */
  alone?: boolean
  chain?: ChangeChain
  /**
   * A read of committed state, started for every change of a group at once
   * when the group forms (reads overlap instead of queueing one by one);
   * build gets its result.
   */
  prepare?: () => Promise<P>
}

/**
 * Stages a change. Runs after every earlier group committed; returns what
 * runs once its batch committed, whose result the caller gets.
 */
export type BuildChange<T, P> = (tx: Transaction, prepared: P) => (() => T) | Promise<() => T>

/** A change not stored because an earlier change of its chain failed. */
export class ChainFailedError extends Error {
  override name = 'ChainFailedError'
  constructor () {
    super('an earlier change of its chain failed')
  }
}

interface Change {
  build: BuildChange<unknown, unknown>
  prepare?: () => Promise<unknown>
  alone: boolean
  chain?: ChangeChain
  resolve: (value: any) => void
  reject: (err: unknown) => void
}

/** One group's writes; for one key, the last write wins whatever the datastore's batch does with repeats. */
class Staging {
  readonly writes = new Map<string, { key: Key, value: Uint8Array | null }>()
  closed = false

  stage (key: Key, value: Uint8Array | null): void {
    if (this.closed) throw new Error('write to a transaction that was already committed')
    this.writes.set(key.toString(), { key, value })
  }

  async commit (datastore: Datastore): Promise<void> {
    this.closed = true
    if (this.writes.size === 0) return
    const batch = datastore.batch()
    for (const { key, value } of this.writes.values()) {
      if (value == null) batch.delete(key)
      else batch.put(key, value)
    }
    await batch.commit()
  }
}

class ChangeTransaction implements Transaction {
  readonly hooks: Array<() => void> = []
  private readonly work: Array<Promise<unknown>> = []

  constructor (private readonly staging: Staging) {}

  put (key: Key, value: Uint8Array): void {
    this.staging.stage(key, value)
  }

  delete (key: Key): void {
    this.staging.stage(key, null)
  }

  staged (key: Key): Uint8Array | null | undefined {
    return this.staging.writes.get(key.toString())?.value
  }

  afterCommit (hook: () => void): void {
    if (this.staging.closed) throw new Error('hook added to a transaction that was already committed')
    this.hooks.push(hook)
  }

  waitUntil (work: Promise<unknown>): void {
    this.work.push(work)
  }

  async settled (): Promise<void> {
    await Promise.allSettled(this.work)
  }
}

export class GroupCommit {
  private readonly queue: Change[] = []
  private flushing = false

  constructor (readonly datastore: Datastore) {}

  /** Changes waiting for the batch in progress to commit before they form the next group. */
  get pending (): number {
    return this.queue.length
  }

  /**
   * Stages build's writes in the next group's batch, after every change made
   * before it, and resolves with what build's returned function gives once
   * that batch committed.
   */
  async change<T, P = undefined> (build: BuildChange<T, P>, options: ChangeOptions<P> = {}): Promise<T> {
    return await new Promise<T>((resolve, reject) => {
      this.queue.push({
        build: build as BuildChange<unknown, unknown>,
        prepare: options.prepare,
        alone: options.alone ?? false,
        chain: options.chain,
        resolve,
        reject
      })
      if (!this.flushing) void this.flush()
    })
  }

  private async flush (): Promise<void> {
    this.flushing = true
    try {
      while (this.queue.length > 0) {
        const nextAlone = this.queue.findIndex(c => c.alone)
        const n = this.queue[0].alone ? 1 : nextAlone < 0 ? this.queue.length : nextAlone
        await this.commitGroup(this.queue.splice(0, n))
      }
    } finally {
      this.flushing = false
    }
  }

  private async commitGroup (all: Change[]): Promise<void> {
    const group: Change[] = []
    for (const c of all) {
      if (c.chain?.failed === true) c.reject(new ChainFailedError())
      else group.push(c)
    }
    if (group.length === 0) return
    const staging = new Staging()
    const txs: ChangeTransaction[] = []
    const done: Array<() => unknown> = []
    try {
      const prepared = group.map(c => c.prepare?.())
      for (const p of prepared) p?.catch(() => {})
      for (let i = 0; i < group.length; i++) {
        const tx = new ChangeTransaction(staging)
        txs.push(tx)
        done.push(await group[i].build(tx, await prepared[i]))
      }
      await staging.commit(this.datastore)
    } catch (err) {
      staging.closed = true
      // nothing of the group was stored: every caller fails, and so do the later changes of their chains
      for (const c of group) {
        if (c.chain != null) c.chain.failed = true
        c.reject(err)
      }
      return
    }
    // in order and synchronously: callers see their changes in commit order
    group.forEach((c, i) => {
      let failure: { err: unknown } | undefined
      for (const hook of txs[i].hooks) {
        try {
          hook()
        } catch (err) {
          failure ??= { err }
        }
      }
      try {
        const result = done[i]()
        if (failure == null) c.resolve(result)
      } catch (err) {
        failure ??= { err }
      }
      if (failure != null) c.reject(failure.err)
    })
  }
}
