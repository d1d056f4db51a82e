/**
 * The engine shows a text as soon as it is read, before its commit ends, yet
 * acknowledges only what is stored (a sync request's positions are receipts),
 * shows a text once even when its commit fails and it is read again, and
 * shows texts in the order read even when a topic read waits for its turn,
 * shows a topic read when gossipsub delivers its message (before it forwards
 * it), else at the end of its turn, and commits the topic's reads of one turn
 * together, and counts what it takes from each author without a timer;
 * and offers its own entry to a connected member when nobody heard it.
 */
import { logger } from '@libp2p/logger'
import { peerIdFromString } from '@libp2p/peer-id'
import { MemoryDatastore } from 'datastore-core'
import { describe, expect, it, vi } from 'vitest'
import { waitFor } from '../../helpers.js'
import { syncRequest } from '../../../node/groups/catch-up.js'
import { readEntry, ReadBatch } from '../../../node/groups/feed-reader.js'
import { writeEntries } from '../../../node/groups/feed-writer.js'
import { GroupEngine } from '../../../node/groups/group-engine.js'
import { GroupRuntime } from '../../../node/groups/group.js'
import { GroupStore } from '../../../node/groups/group-store.js'
import { openGroupEntry } from '../../../protocol/group-entry.js'
import { MembershipLog } from '../../../protocol/group-log.js'
import { hex } from '../../../protocol/group-op.js'
import { reencode } from '../../protocol/group-log-helpers.js'
import { A, B, GatedDatastore, groupOfAAndB, identity } from './fixtures.js'
import type { EngineComponents } from '../../../node/groups/group-engine.js'
import type { StoredMessage } from '../../../node/groups/group-store.js'
import type { GroupEntry } from '../../../protocol/group-entry.js'
import type { GroupOp } from '../../../protocol/group-op.js'

const GROUP = new Uint8Array(16).fill(7)

const ops = (): GroupOp[] => groupOfAAndB(GROUP)

async function setup (receivesPerWindow = 600): Promise<{ engine: GroupEngine, ds: GatedDatastore, shown: StoredMessage[], g: () => GroupRuntime, fromA: GroupEntry[], pubsub: EventTarget & { topicValidators: Map<string, (from: unknown, msg: unknown) => unknown> }, asked: string[] }> {
  const all = ops()
  const log = new MembershipLog(all[0].id)
  for (const o of all) log.add(o)
  // A writes a KEY entry and two texts
  const aStore = new GroupStore(new MemoryDatastore())
  const aRuntime = new GroupRuntime({ id: hex(GROUP), root: all[0].id, lamport: 0, delivered: 0, joinedAt: 0 }, log)
  const w = writeEntries(aRuntime, ['one', 'two'].map(t => () => ({ kind: 'text' as const, text: t })), {
    me: A.peer.toString(), meMultihash: A.peer.toMultihash().bytes, privateKey: A.key, store: aStore, pairGroupKey: p => A.keyring.keysFor(p).group
  })
  const fromA = w.frames.map(f => { const r = openGroupEntry(f.bytes, GROUP); if (!r.ok) throw new Error(r.reason); return r.entry })

  const ds = new GatedDatastore()
  const store = new GroupStore(ds)
  const shown: StoredMessage[] = []
  const pubsub = Object.assign(new EventTarget(), { topicValidators: new Map(), subscribe: () => {}, unsubscribe: () => {}, publish: async () => ({ recipients: [] }) })
  const asked: string[] = []
  const components = {
    peerId: B.peer,
    privateKey: B.key,
    pubsub,
    roster: { keysFor: (p: string) => B.keyring.keysFor(p), isBlocked: () => false },
    // A is connected; a sync stream to it is recorded, then fails (no network here)
    connectionManager: {
      getConnections: () => [{ remotePeer: A.peer }],
      openStream: async (peer: unknown) => { asked.push(String(peer)); throw new Error('no network') }
    }
  } as unknown as EngineComponents
  const engine = new GroupEngine(components, store, { messages: (_g, ms) => { shown.push(...ms) }, changes: () => {}, states: () => {} }, logger('test:groups'), receivesPerWindow)
  // B's group as joining stores it: the meta and the ops
  await store.store.change((tx) => {
    store.meta.put(tx, hex(GROUP), { id: hex(GROUP), root: all[0].id, lamport: 0, delivered: 0, joinedAt: 0 })
    for (const o of all) store.ops.within(hex(GROUP)).put(tx, o.id, o.envelope)
    return () => {}
  })
  await engine.load()
  return { engine, ds, shown, g: () => engine.groups.get(hex(GROUP))!, fromA, pubsub, asked }
}

const claimed = (g: GroupRuntime, peer: string): bigint | undefined =>
  syncRequest(g).feeds.find(f => hex(f.author) === hex(peerIdFromString(peer).toMultihash().bytes))?.next

describe('showing before the commit ends', () => {
  it('shows a text at once but claims it in sync requests only once stored', async () => {
    const { engine, ds, shown, g, fromA } = await setup()
    let release!: () => void
    ds.gate = new Promise(resolve => { release = resolve })
    const batch = new ReadBatch(g().state)
    for (const e of fromA) readEntry(g(), e, engine.ctx, batch)
    const committing = engine.commitRead(g(), batch)
    expect(shown.map(m => m.text)).toEqual(['one', 'two'])
    // read, not stored: the receipt still says "from seq 1"
    expect(claimed(g(), A.peer.toString())).toBe(1n)
    release()
    await committing
    expect(claimed(g(), A.peer.toString())).toBe(4n)
    expect(shown).toHaveLength(2)
  })

  it('a text whose commit failed is read again after the reload and shown once', async () => {
    const { engine, ds, shown, g, fromA } = await setup()
    ds.failing = true
    const first = new ReadBatch(g().state)
    for (const e of fromA) readEntry(g(), e, engine.ctx, first)
    await expect(engine.commitRead(g(), first)).rejects.toThrow('disk full')
    expect(shown.map(m => m.text)).toEqual(['one', 'two'])
    // the reload put the group back to what the store holds: the entries are read again
    expect(g().positions.get(A.peer.toString()) ?? 1).toBe(1)
    ds.failing = false
    const again = new ReadBatch(g().state)
    for (const e of fromA) readEntry(g(), e, engine.ctx, again)
    expect(again.messages).toHaveLength(2)
    await engine.commitRead(g(), again)
    expect(shown.map(m => m.text)).toEqual(['one', 'two'])
    expect(claimed(g(), A.peer.toString())).toBe(4n)
  })

  it('a read from the topic is shown after the validator returned, yet before anything read after it', async () => {
    const { engine, shown, g, fromA, pubsub } = await setup()
    engine.start()
    const validate = pubsub.topicValidators.get(g().topic)!
    // the KEY entry and 'one' come on the topic: accepted now, shown after the validator returned
    for (const e of fromA.slice(0, 2)) expect(validate(A.peer, { topic: g().topic, data: e.bytes })).toBe('accept')
    expect(shown).toEqual([])
    // 'two' comes by catch-up before that turn: 'one' is still shown first
    const batch = new ReadBatch(g().state)
    readEntry(g(), fromA[2], engine.ctx, batch)
    await engine.commitRead(g(), batch)
    expect(shown.map(m => m.text)).toEqual(['one', 'two'])
    engine.stop()
  })

  it('a re-encoded copy from the topic is read as the entry it copies and not passed on; the entry itself and the next one are', async () => {
    const { engine, shown, g, fromA, pubsub } = await setup()
    engine.start()
    const validate = pubsub.topicValidators.get(g().topic)!
    expect(validate(A.peer, { topic: g().topic, data: fromA[0].bytes })).toBe('accept')
    // a member relays its copy of A's 'one' first (re-encoded by hand, §12.3 "Copies"): read, shown, ignored by gossipsub
    const relay = identity(3).peer
    expect(validate(relay, { topic: g().topic, data: reencode(fromA[1].bytes, 'reordered') })).toBe('ignore')
    await new Promise(resolve => process.nextTick(resolve))
    expect(shown.map(m => m.text)).toEqual(['one'])
    // A's own 'one' is a duplicate of what was read, and 'two', naming it, follows (no fork)
    expect(validate(A.peer, { topic: g().topic, data: fromA[1].bytes })).toBe('accept')
    expect(validate(relay, { topic: g().topic, data: fromA[2].bytes })).toBe('accept')
    await new Promise(resolve => process.nextTick(resolve))
    expect(shown.map(m => m.text)).toEqual(['one', 'two'])
    await waitFor(() => claimed(g(), A.peer.toString()) === 4n, 'the reads to be stored', 5_000)
    expect(await engine.store.feedOf(g().id, A.peer.toString()).get('000000000000002')).toEqual(fromA[1].bytes)
    // a copy of an entry read already is ignored before its signature is checked: one with a broken signature is
    // ignored too, where a failed check would refuse it (the reordered copy starts with the signature's field)
    const broken = (b: Uint8Array): Uint8Array => { const c = reencode(b, 'reordered'); c[10] ^= 1; return c }
    expect(validate(relay, { topic: g().topic, data: broken(fromA[1].bytes) })).toBe('ignore')
    expect(validate(relay, { topic: g().topic, data: broken(fromA[2].bytes) })).toBe('ignore')
    expect(openGroupEntry(broken(fromA[2].bytes), GROUP)).toMatchObject({ ok: false, reason: 'bad-signature' })
    engine.stop()
  })

  it('a read from the topic is shown at the end of its turn, before its commit starts, not at the next turn', async () => {
    const { engine, ds, shown, g, fromA, pubsub } = await setup()
    engine.start()
    let release!: () => void
    ds.gate = new Promise(resolve => { release = resolve })
    const validate = pubsub.topicValidators.get(g().topic)!
    for (const e of fromA.slice(0, 2)) expect(validate(A.peer, { topic: g().topic, data: e.bytes })).toBe('accept')
    // not inside the validator: gossipsub forwards the entry first
    expect(shown).toEqual([])
    // gossipsub's dispatch and forward are promise jobs of this turn; the text follows them, before any I/O of the next turn
    await new Promise(resolve => process.nextTick(resolve))
    expect(shown.map(m => m.text)).toEqual(['one'])
    expect(claimed(g(), A.peer.toString())).toBe(1n)
    release()
    await waitFor(() => claimed(g(), A.peer.toString()) === 3n, 'the read to be stored', 5_000)
    expect(shown.map(m => m.text)).toEqual(['one'])
    engine.stop()
  })

  it('a read from the topic is shown when gossipsub delivers its message, after the reads before it, before the end of the turn', async () => {
    const { engine, shown, g, fromA, pubsub } = await setup()
    engine.start()
    const validate = pubsub.topicValidators.get(g().topic)!
    const msgs = fromA.map(e => ({ topic: g().topic, data: e.bytes }))
    for (const m of msgs) expect(validate(A.peer, m)).toBe('accept')
    expect(shown).toEqual([])
    // gossipsub dispatches 'message' for 'two' (then forwards it): 'one', read before it, comes first
    pubsub.dispatchEvent(new CustomEvent('message', { detail: msgs[2] }))
    expect(shown.map(m => m.text)).toEqual(['one', 'two'])
    // the same message delivered again, or another group's, shows nothing more
    pubsub.dispatchEvent(new CustomEvent('message', { detail: msgs[2] }))
    pubsub.dispatchEvent(new CustomEvent('message', { detail: { topic: 'other', data: msgs[1].data } }))
    await new Promise(resolve => process.nextTick(resolve))
    expect(shown.map(m => m.text)).toEqual(['one', 'two'])
    engine.stop()
  })

  it('the reads from the topic of one turn share one commit, started at the next turn, and are claimed only once stored', async () => {
    const { engine, ds, shown, g, fromA, pubsub } = await setup()
    engine.start()
    let batches = 0
    const batch = ds.batch.bind(ds)
    ds.batch = () => { batches++; return batch() }
    const validate = pubsub.topicValidators.get(g().topic)!
    // one RPC with three messages (or three peers' RPCs read in one poll phase)
    for (const e of fromA) expect(validate(A.peer, { topic: g().topic, data: e.bytes })).toBe('accept')
    await new Promise(resolve => process.nextTick(resolve))
    expect(shown.map(m => m.text)).toEqual(['one', 'two'])
    expect(batches).toBe(0)
    expect(claimed(g(), A.peer.toString())).toBe(1n)
    await waitFor(() => claimed(g(), A.peer.toString()) === 4n, 'the reads to be stored', 5_000)
    expect(batches).toBe(1)
    engine.stop()
  })

  it('takes at most the receive limit of entries per author and window from the topic, and schedules no timer for it', async () => {
    const { engine, g, fromA, pubsub } = await setup(2)
    engine.start()
    const validate = pubsub.topicValidators.get(g().topic)!
    // the read path runs for every entry: @libp2p/utils' RateLimiter set a timer per author and window here
    vi.useFakeTimers({ toFake: ['setTimeout'] })
    try {
      expect(fromA.map(e => validate(A.peer, { topic: g().topic, data: e.bytes }))).toEqual(['accept', 'accept', 'ignore'])
      expect(vi.getTimerCount()).toBe(0)
    } finally {
      vi.useRealTimers()
    }
    engine.stop()
  })

  it('an own entry nobody on the topic heard is offered to a connected member soon, not at the next anti-entropy round', async () => {
    const { engine, g, asked } = await setup()
    engine.start()
    await engine.write(g(), [() => ({ kind: 'text', text: 'anyone?' })])
    await waitFor(() => asked.length > 0, 'a sync request to A', 5_000)
    expect(asked).toEqual([A.peer.toString()])
    engine.stop()
  })
})
