/**
 * The own-entry journal: a text goes out once journaled, before its commit
 * ends; a process that ends before that commit stores the text at its next
 * start, and its feed goes on from there (no position is used twice). New
 * keys still go out only once committed. And the journal file itself: what
 * it holds comes back, a torn last record is dropped.
 */
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { logger } from '@libp2p/logger'
import { MemoryDatastore } from 'datastore-core'
import { afterEach, describe, expect, it } from 'vitest'
import { waitFor } from '../../helpers.js'
import { GroupEngine } from '../../../node/groups/group-engine.js'
import { GroupStore } from '../../../node/groups/group-store.js'
import { OwnEntryJournal } from '../../../node/groups/own-journal.js'
import { entryHash, openGroupEntry } from '../../../protocol/group-entry.js'
import { hex } from '../../../protocol/group-op.js'
import { A, B, GatedDatastore, groupOfAAndB } from './fixtures.js'
import type { EngineComponents } from '../../../node/groups/group-engine.js'
import type { GroupOp } from '../../../protocol/group-op.js'

const GROUP = new Uint8Array(16).fill(9)

const ops = (): GroupOp[] => groupOfAAndB(GROUP)

const dirs: string[] = []
afterEach(async () => { await Promise.all(dirs.splice(0).map(async d => fs.rm(d, { recursive: true, force: true }))) })
async function tmpFile (): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pm-journal-'))
  dirs.push(dir)
  return path.join(dir, 'group-journal')
}

/** A's engine over `ds`, with the journal at `file` (none: undefined); `beforeSend` runs in pubsub's publish() before it sends the entry `seq`. */
async function startA (ds: MemoryDatastore, file: string | undefined, seed = false, beforeSend?: (seq: number) => Promise<void>): Promise<{ engine: GroupEngine, store: GroupStore, published: number[], journal?: OwnEntryJournal }> {
  const store = new GroupStore(ds)
  const published: number[] = []
  const pubsub = {
    topicValidators: new Map(),
    subscribe: () => {},
    unsubscribe: () => {},
    publish: async (_topic: string, bytes: Uint8Array) => {
      const r = openGroupEntry(bytes, GROUP)
      if (r.ok && beforeSend != null) await beforeSend(r.entry.seq)
      if (r.ok) published.push(r.entry.seq)
      return { recipients: [B.peer] }
    }
  }
  const components = {
    peerId: A.peer,
    privateKey: A.key,
    pubsub,
    roster: { keysFor: (p: string) => A.keyring.keysFor(p), isBlocked: () => false },
    connectionManager: { getConnections: () => [], openStream: async () => { throw new Error('no network') } }
  } as unknown as EngineComponents
  const engine = new GroupEngine(components, store, { messages: () => {}, changes: () => {}, states: () => {} }, logger('test:groups'), 600)
  if (seed) {
    const all = ops()
    await store.store.change((tx) => {
      store.meta.put(tx, hex(GROUP), { id: hex(GROUP), root: all[0].id, lamport: 0, delivered: 0, joinedAt: 0 })
      for (const o of all) store.ops.within(hex(GROUP)).put(tx, o.id, o.envelope)
      return () => {}
    })
  }
  const opened = file == null ? undefined : await OwnEntryJournal.open(file)
  await engine.load(opened)
  return { engine, store, published, journal: opened?.journal }
}

const text = (t: string) => [() => ({ kind: 'text' as const, text: t })]

describe('own-entry journal', () => {
  it('publishes a text once journaled, before its commit ends; a new key only once committed', async () => {
    const ds = new GatedDatastore()
    const { engine, published, journal } = await startA(ds, await tmpFile(), true)
    const g = engine.groups.get(hex(GROUP))!
    let release!: () => void
    ds.gate = new Promise(resolve => { release = resolve })
    // the first text needs a new key (B is a member): KEY entry and text wait for the commit
    const first = engine.write(g, text('one'))
    await new Promise(resolve => setTimeout(resolve, 20))
    expect(published).toEqual([])
    release()
    await first
    await new Promise(resolve => setImmediate(resolve))
    expect(published).toEqual([1, 2])
    // under the stored key: out before the commit ends
    ds.gate = new Promise(resolve => { release = resolve })
    const second = engine.write(g, text('two'))
    await new Promise(resolve => setTimeout(resolve, 20))
    expect(published).toEqual([1, 2, 3])
    release()
    await second
    journal?.close()
  })

  it('stages a journaled text\'s commit only once its publish has sent, however many promise jobs publish() takes before sending', async () => {
    const events: string[] = []
    const ds = new (class extends MemoryDatastore {
      override batch (): ReturnType<MemoryDatastore['batch']> {
        events.push('datastore batch')
        return super.batch()
      }
    })()
    // as gossipsub's publish(): it awaits building the message and its id before it sends
    const { engine, journal } = await startA(ds, await tmpFile(), true, async (seq) => {
      for (let i = 0; i < 8; i++) await Promise.resolve()
      events.push(`sent ${seq}`)
    })
    const g = engine.groups.get(hex(GROUP))!
    await engine.write(g, text('one'))
    await waitFor(() => events.includes('sent 2'), 'the KEY entry and the first text to be sent', 5_000)
    events.length = 0
    await engine.write(g, text('two'))
    events.push('written')
    expect(events).toEqual(['sent 3', 'datastore batch', 'written'])
    journal?.close()
  })

  it('own commits stay in the order written when their publishes end out of order, and one whose publish waits is committed all the same', async () => {
    const ds = new GatedDatastore()
    const sends = new Map<number, () => void>()
    const { engine, store, journal } = await startA(ds, await tmpFile(), true, async (seq) => {
      if (seq >= 3) await new Promise<void>(resolve => sends.set(seq, resolve))
    })
    const g = engine.groups.get(hex(GROUP))!
    await engine.write(g, text('one'))
    const two = engine.write(g, text('two'))
    const three = engine.write(g, text('three'))
    await waitFor(() => sends.size === 2, 'both publishes to start', 5_000)
    // 'three' is sent first; 'two' not until both are stored
    sends.get(4)!()
    await Promise.all([two, three])
    expect(await store.positions.within(hex(GROUP)).get(A.peer.toString())).toBe(5)
    expect((await store.meta.get(hex(GROUP)))?.lamport).toBe(g.meta.lamport)
    expect((await store.messages(hex(GROUP))).map(m => m.text)).toEqual(['one', 'two', 'three'])
    sends.get(3)!()
    journal?.close()
  })

  it('a text written while an earlier own entry is still only committing waits for that commit (no hole if the process ends)', async () => {
    const file = await tmpFile()
    const ds = new GatedDatastore()
    const { engine, published, journal } = await startA(ds, file, true)
    const g = engine.groups.get(hex(GROUP))!
    let release!: () => void
    ds.gate = new Promise(resolve => { release = resolve })
    const first = engine.write(g, text('one'))
    const second = engine.write(g, text('two'))
    await new Promise(resolve => setTimeout(resolve, 20))
    // 'two' is sealed under the new key, whose KEY entry is not stored yet: nothing may go out
    expect(published).toEqual([])
    expect((await OwnEntryJournal.open(file)).records).toEqual([])
    release()
    await Promise.all([first, second])
    await new Promise(resolve => setImmediate(resolve))
    expect(published).toEqual([1, 2, 3])
    journal?.close()
  })

  it('without a journal a text is published only once committed', async () => {
    const ds = new GatedDatastore()
    const { engine, published } = await startA(ds, undefined, true)
    const g = engine.groups.get(hex(GROUP))!
    await engine.write(g, text('one'))
    await new Promise(resolve => setImmediate(resolve))
    let release!: () => void
    ds.gate = new Promise(resolve => { release = resolve })
    const second = engine.write(g, text('two'))
    await new Promise(resolve => setTimeout(resolve, 20))
    expect(published).toEqual([1, 2])
    release()
    await second
    await new Promise(resolve => setImmediate(resolve))
    expect(published).toEqual([1, 2, 3])
  })

  it('a text published whose commit never ended is stored at the next start, and the feed goes on after it', async () => {
    const file = await tmpFile()
    const ds = new GatedDatastore()
    const first = await startA(ds, file, true)
    const g1 = first.engine.groups.get(hex(GROUP))!
    await first.engine.write(g1, text('one'))
    // the process ends while 'two' is committing: it was published, the store never got it
    ds.gate = new Promise(() => {})
    void first.engine.write(g1, text('two'))
    await new Promise(resolve => setTimeout(resolve, 20))
    expect(first.published).toEqual([1, 2, 3])
    first.journal?.close()

    // the next start, on what the store holds
    const committed = new MemoryDatastore()
    for await (const { key, value } of ds.query({})) await committed.put(key, value)
    const second = await startA(committed, file)
    const g2 = second.engine.groups.get(hex(GROUP))!
    expect(g2.lastOwnSeq(A.peer.toString())).toBe(3)
    expect((await second.store.messages(hex(GROUP))).map(m => [m.seq, m.text, m.direction])).toEqual([[2, 'one', 'out'], [3, 'two', 'out']])
    // everything it held is stored: emptied
    expect((await fs.stat(file)).size).toBe(0)
    const w = await second.engine.write(g2, text('three'))
    expect(w.frames.map(f => f.seq)).toEqual([4])
    const four = openGroupEntry(w.frames[0].bytes, GROUP)
    const three = await second.store.feeds.within(hex(GROUP)).within(A.peer.toString()).get('000000000000003')
    expect(four.ok && three != null && hex(four.entry.prev) === hex(entryHash(three))).toBe(true)
    second.journal?.close()
  })

  it('gives back what it holds and drops a torn last record', async () => {
    const file = await tmpFile()
    const { journal } = await OwnEntryJournal.open(file)
    journal.append(GROUP, [Uint8Array.of(1, 2, 3), Uint8Array.of(4)])
    journal.close()
    await fs.appendFile(file, Buffer.from([0, 0, 0, 40, 9, 9]))
    const again = await OwnEntryJournal.open(file)
    expect(again.records).toEqual([{ group: hex(GROUP), bytes: Uint8Array.of(1, 2, 3) }, { group: hex(GROUP), bytes: Uint8Array.of(4) }])
    again.journal.append(GROUP, [Uint8Array.of(5)])
    again.journal.close()
    const third = await OwnEntryJournal.open(file)
    expect(third.records.map(r => [...r.bytes])).toEqual([[1, 2, 3], [4], [5]])
    third.journal.close()
    // closed: nothing is written through a descriptor number the process may have given to another file
    expect(() => { third.journal.append(GROUP, [Uint8Array.of(6)]) }).toThrow('closed')
    const fourth = await OwnEntryJournal.open(file)
    expect(fourth.records).toHaveLength(3)
    fourth.journal.close()
  })
})
