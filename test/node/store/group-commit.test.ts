import { Key } from 'interface-datastore'
import { describe, expect, it } from 'vitest'
import { ChainFailedError, GroupCommit } from '../../../node/store/group-commit.js'
import { GatedDatastore } from './test-datastores.js'
import type { ChangeChain, ChangeOptions } from '../../../node/store/group-commit.js'

const k = (name: string): Key => new Key(`/test/${name}`)
const v = (s: string): Uint8Array => new TextEncoder().encode(s)
const flushed = async (): Promise<void> => { await new Promise(resolve => setImmediate(resolve)) }

/**
 * An engine over a datastore whose commits are held until ds.release(), and
 * put(name): a change that puts /test/<name> and resolves with name;
 * `settled` lists the callers in the order they settled.
 */
function held (): { ds: GatedDatastore, engine: GroupCommit, settled: string[], put: (name: string, options?: ChangeOptions<undefined>) => Promise<string> } {
  const ds = new GatedDatastore()
  ds.hold = true
  const engine = new GroupCommit(ds)
  const settled: string[] = []
  const put = async (name: string, options: ChangeOptions<undefined> = {}): Promise<string> => {
    try {
      const r = await engine.change((tx) => {
        tx.put(k(name), v(name))
        return () => name
      }, options)
      settled.push(r)
      return r
    } catch (err) {
      settled.push(`${name} failed`)
      throw err
    }
  }
  return { ds, engine, settled, put }
}

describe('group commit', () => {
  it('changes that arrive during a commit share the next batch; callers resolve after it, in order', async () => {
    const { ds, engine, settled, put } = held()
    const first = put('a')
    await flushed()
    expect(ds.log.held).toBe(1)
    const rest = ['b', 'c', 'd', 'e'].map(async name => await put(name))
    await flushed()
    expect(engine.pending).toBe(4)
    // nothing is acknowledged before its batch committed
    expect(settled).toEqual([])
    expect(await ds.has(k('a'))).toBe(false)
    ds.release()
    expect(await Promise.all([first, ...rest])).toEqual(['a', 'b', 'c', 'd', 'e'])
    expect(settled).toEqual(['a', 'b', 'c', 'd', 'e'])
    expect(ds.log.batches).toEqual([['/test/a'], ['/test/b', '/test/c', '/test/d', '/test/e']])
    expect(engine.pending).toBe(0)
  })

  it('an alone change gets a batch of its own, in its place in the order', async () => {
    const { ds, settled, put } = held()
    const all = [put('a'), put('b'), put('c'), put('d', { alone: true }), put('e'), put('f')]
    await flushed()
    ds.release()
    await Promise.all(all)
    expect(ds.log.batches).toEqual([['/test/a'], ['/test/b', '/test/c'], ['/test/d'], ['/test/e', '/test/f']])
    expect(settled).toEqual(['a', 'b', 'c', 'd', 'e', 'f'])
  })

  it('a failed batch rejects every caller of its group and stores nothing of it; the next group commits', async () => {
    const { ds, settled, put } = held()
    const a = put('a')
    await flushed()
    const group = [put('b'), put('c'), put('d')]
    const after = put('e', { alone: true })
    await flushed()
    ds.failNext = 0
    ds.release()
    await a
    // fail the group of b, c, d (a committed already)
    ds.failNext = 1
    const results = await Promise.allSettled([...group, after])
    expect(results.map(r => r.status)).toEqual(['rejected', 'rejected', 'rejected', 'fulfilled'])
    for (const r of results.slice(0, 3)) expect((r as PromiseRejectedResult).reason.message).toMatch(/disk full/)
    for (const name of ['b', 'c', 'd']) expect(await ds.has(k(name))).toBe(false)
    expect(await ds.has(k('e'))).toBe(true)
    expect(settled).toEqual(['a', 'b failed', 'c failed', 'd failed', 'e'])
  })

  it('a failed change fails the later changes of its chain, not the others', async () => {
    const { ds, settled, put } = held()
    const chain: ChangeChain = { failed: false }
    const first = put('first')
    await flushed()
    // group 2: s1 (chained) fails with its batch; group 3 (after an alone change): s2, s3 of the chain and x
    const s1 = put('s1', { chain })
    const barrier = put('barrier', { alone: true })
    const s2 = put('s2', { chain })
    const x = put('x')
    const s3 = put('s3', { chain })
    await flushed()
    ds.release()
    await first
    ds.failNext = 1
    const results = await Promise.allSettled([s1, barrier, s2, x, s3])
    expect(results.map(r => r.status)).toEqual(['rejected', 'fulfilled', 'rejected', 'fulfilled', 'rejected'])
    expect((results[2] as PromiseRejectedResult).reason).toBeInstanceOf(ChainFailedError)
    expect((results[4] as PromiseRejectedResult).reason).toBeInstanceOf(ChainFailedError)
    expect(chain.failed).toBe(true)
    for (const name of ['s1', 's2', 's3']) expect(await ds.has(k(name))).toBe(false)
    for (const name of ['barrier', 'x']) expect(await ds.has(k(name))).toBe(true)
    // a chain stays failed: a change added later fails too
    await expect(put('s4', { chain })).rejects.toBeInstanceOf(ChainFailedError)
  })

  it('prepare reads committed state for the whole group at once; staged shows earlier changes of the group', async () => {
    const ds = new GatedDatastore()
    const engine = new GroupCommit(ds)
    await ds.put(k('seen-before'), v(''))
    /** Stores id once: known if committed (prepare) or staged earlier in the same batch. */
    const dedup = async (id: string): Promise<boolean> => await engine.change<boolean, boolean>((tx, stored) => {
      const duplicate = stored || tx.staged(k(id)) !== undefined
      if (!duplicate) tx.put(k(id), v(''))
      return () => duplicate
    }, { prepare: async () => await ds.has(k(id)) })
    ds.hold = true
    const first = dedup('one')
    await flushed()
    const group = ['two', 'two', 'seen-before', 'one', 'three'].map(dedup)
    await flushed()
    ds.release()
    await first
    // 'one' was committed when the second group formed, so its prepare saw it
    expect(await Promise.all(group)).toEqual([false, true, true, true, false])
    expect(ds.log.batches).toEqual([['/test/one'], ['/test/two', '/test/three']])
  })

  it('a result function that throws rejects its caller only; the batch stays stored', async () => {
    const { ds, engine, put } = held()
    const first = put('a')
    await flushed()
    const bad = engine.change((tx) => { tx.put(k('b'), v('b')); return () => { throw new Error('bug after commit') } })
    const good = engine.change((tx) => { tx.put(k('c'), v('c')); return () => 'c' })
    await flushed()
    ds.release()
    await first
    await expect(bad).rejects.toThrow(/bug after commit/)
    expect(await good).toBe('c')
    expect(await ds.has(k('b'))).toBe(true)
  })

  it('a build that throws fails its whole group, which stores nothing', async () => {
    const { ds, engine, put } = held()
    const first = put('a')
    await flushed()
    const ok = put('b')
    const broken = engine.change(async () => { throw new Error('read failed') })
    await flushed()
    ds.release()
    await first
    await expect(ok).rejects.toThrow(/read failed/)
    await expect(broken).rejects.toThrow(/read failed/)
    expect(await ds.has(k('b'))).toBe(false)
  })

  it('a datastore that cannot start a batch fails the callers instead of leaving them waiting', async () => {
    const ds = new GatedDatastore()
    const engine = new GroupCommit(ds)
    ds.failBatch = true
    await expect(engine.change((tx) => { tx.put(k('a'), v('a')); return () => 'a' })).rejects.toThrow(/cannot start a batch/)
    ds.failBatch = false
    expect(await engine.change((tx) => { tx.put(k('a'), v('a')); return () => 'a' })).toBe('a')
  })

  it('a group that staged nothing resolves without a datastore commit', async () => {
    const ds = new GatedDatastore()
    const engine = new GroupCommit(ds)
    ds.hold = true
    expect(await engine.change(() => () => 'nothing to write')).toBe('nothing to write')
    expect(ds.log.held).toBe(0)
    expect(ds.log.batches).toEqual([])
  })
})
