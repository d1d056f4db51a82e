/**
 * Feed reading and writing without a network: one member's writer, another's
 * reader, an in-memory datastore, entries handed over in any order.
 */
import { privateKeyFromRaw } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { ed25519 } from '@noble/curves/ed25519.js'
import { MemoryDatastore } from 'datastore-core'
import { describe, expect, it } from 'vitest'
import { syncResponse } from '../../../node/groups/catch-up.js'
import { readEntry, ReadBatch } from '../../../node/groups/feed-reader.js'
import { writeEntries } from '../../../node/groups/feed-writer.js'
import { GroupRuntime } from '../../../node/groups/group.js'
import { GroupStore } from '../../../node/groups/group-store.js'
import { PairKeyring } from '../../../node/roster/pair-keyring.js'
import { openGroupEntry } from '../../../protocol/group-entry.js'
import { MembershipLog } from '../../../protocol/group-log.js'
import { hex, sealGroupOp } from '../../../protocol/group-op.js'
import { REENCODINGS, reencode } from '../../protocol/group-log-helpers.js'
import type { GroupOpFields } from '../../../protocol/group-op.js'
import type { FeedContext } from '../../../node/groups/feed-reader.js'
import type { WriterContext } from '../../../node/groups/feed-writer.js'
import type { GroupEntry } from '../../../protocol/group-entry.js'
import type { PrivateKey } from '@libp2p/interface'

const GROUP = new Uint8Array(16).fill(4)

interface Person { key: PrivateKey, id: string, ctx: FeedContext & WriterContext, store: GroupStore }
function person (fill: number): Person {
  const seed = new Uint8Array(32).fill(fill)
  const key = privateKeyFromRaw(Uint8Array.from([...seed, ...ed25519.getPublicKey(seed)]))
  const peer = peerIdFromPrivateKey(key)
  const keyring = new PairKeyring(peer, key)
  const store = new GroupStore(new MemoryDatastore())
  return { key, id: peer.toString(), store, ctx: { me: peer.toString(), meMultihash: peer.toMultihash().bytes, privateKey: key, store, pairGroupKey: p => keyring.keysFor(p).group, maxWaiting: 8 } }
}
const [A, B, C] = [person(1), person(2), person(3)]

/** A log where A created the group and B and C joined (or C is only invited); each person gets its own runtime of it. */
function setup (cJoins = true): { log: (p: Person) => GroupRuntime, op: (g: GroupRuntime[], by: Person, f: Omit<GroupOpFields, 'group' | 'parents' | 'createdAt'>) => void } {
  const ops = [sealGroupOp({ group: GROUP, kind: 'create', name: 'g', parents: [], createdAt: 1 }, A.key)]
  const add = (by: Person, f: Omit<GroupOpFields, 'group' | 'parents' | 'createdAt'>): void => {
    const l = new MembershipLog(ops[0].id)
    for (const o of ops) l.add(o)
    ops.push(sealGroupOp({ ...f, group: GROUP, parents: l.heads(), createdAt: 1 }, by.key))
  }
  add(A, { kind: 'invite', target: B.id })
  add(A, { kind: 'invite', target: C.id })
  add(B, { kind: 'join' })
  if (cJoins) add(C, { kind: 'join' })
  return {
    log: (p) => {
      const l = new MembershipLog(ops[0].id)
      for (const o of ops) l.add(o)
      return new GroupRuntime({ id: hex(GROUP), root: ops[0].id, lamport: 0, delivered: 0, joinedAt: 0 }, l)
    },
    op: (gs, by, f) => {
      const op = sealGroupOp({ ...f, group: GROUP, parents: gs[0].log.heads(), createdAt: 2 }, by.key)
      for (const g of gs) g.log.add(op)
    }
  }
}

const text = (t: string) => () => ({ kind: 'text' as const, text: t })
const entries = (frames: Array<{ bytes: Uint8Array }>): GroupEntry[] => frames.map(f => {
  const r = openGroupEntry(f.bytes, GROUP)
  if (!r.ok) throw new Error(r.reason)
  return r.entry
})

async function read (g: GroupRuntime, p: Person, es: GroupEntry[]): Promise<{ texts: string[], gap: boolean, results: string[] }> {
  const batch = new ReadBatch(g.state)
  const results = es.map(e => readEntry(g, e, p.ctx, batch))
  await p.store.store.change((tx) => { for (const w of batch.writes) w(tx); return () => {} })
  return { texts: batch.messages.map(m => m.text), gap: batch.gap, results }
}

describe('feeds', () => {
  it('a reader applies an author\'s entries once each, in order, whatever order they come in', async () => {
    const s = setup()
    const a = s.log(A)
    const b = s.log(B)
    const w = writeEntries(a, ['one', 'two', 'three', 'four'].map(text), A.ctx)
    // a KEY entry for B and C first, then the texts
    const es = entries(w.frames)
    expect(es.map(e => e.kind)).toEqual(['key', 'content', 'content', 'content', 'content'])
    expect(es[0].kind === 'key' && es[0].slots.length).toBe(2)
    const first = await read(b, B, [es[3], es[4], es[1]])
    expect(first).toMatchObject({ texts: [], gap: true, results: ['waiting', 'waiting', 'waiting'] })
    const second = await read(b, B, [es[0], es[2], es[1], es[3]])
    expect(second.texts).toEqual(['one', 'two', 'three', 'four'])
    expect(second.results).toEqual(['applied', 'applied', 'duplicate', 'duplicate'])
    expect(b.positions.get(A.id)).toBe(6)
    // stored: entries, position and the key, readable after a restart
    const loaded = await B.store.loadGroup(hex(GROUP))
    expect(loaded.positions.get(A.id)).toBe(6)
    expect(loaded.keys.size).toBe(1)
    expect((await B.store.messages(hex(GROUP))).map(m => m.text)).toEqual(['one', 'two', 'three', 'four'])
  })

  it('keys rotate when someone leaves: the one who left opens nothing written after, yet every feed stays whole for it to serve', async () => {
    const s = setup()
    const [a, b, c] = [s.log(A), s.log(B), s.log(C)]
    const before = entries(writeEntries(a, [text('before')], A.ctx).frames)
    expect((await read(c, C, before)).texts).toEqual(['before'])
    s.op([a, b, c], A, { kind: 'remove', target: C.id, upTo: 0 })
    const after = entries(writeEntries(a, [text('after')], A.ctx).frames)
    expect(after.map(e => e.kind)).toEqual(['key', 'content'])
    expect(after[0].kind === 'key' && after[0].slots.length).toBe(1)
    // C still holds the removal as gone-with-upTo 0: A's feed is A's; C reads on but opens nothing
    const res = await read(c, C, after)
    expect(res.texts).toEqual([])
    expect(res.results).toEqual(['applied', 'applied'])
    expect((await read(b, B, [...before, ...after])).texts).toEqual(['before', 'after'])
    // without another change, no new key
    expect(entries(writeEntries(a, [text('again')], A.ctx).frames).map(e => e.kind)).toEqual(['content'])
  })

  it('a member this node excludes (a revoked device, §12.8) gets no key from it: it opens nothing written after, the others all', async () => {
    const s = setup()
    const [a, b, c] = [s.log(A), s.log(B), s.log(C)]
    const revoked = new Set<string>()
    const ctx = { ...A.ctx, excluded: (p: string) => revoked.has(p) }
    const before = entries(writeEntries(a, [text('before')], ctx).frames)
    expect((await read(c, C, before)).texts).toEqual(['before'])
    revoked.add(C.id)
    const after = entries(writeEntries(a, [text('after')], ctx).frames)
    expect(after.map(e => e.kind)).toEqual(['key', 'content'])
    expect((await read(c, C, after)).texts).toEqual([])
    expect((await read(b, B, [...before, ...after])).texts).toEqual(['before', 'after'])
  })

  it('an invitee opens what a member wrote after learning of the invitation, even before it learned of the join', async () => {
    const s = setup(false)
    const [a, c] = [s.log(A), s.log(C)]
    // A writes while C is only invited (C's join has not reached A yet)
    const es = entries(writeEntries(a, [text('snacks?')], A.ctx).frames)
    expect(es[0].kind === 'key' && es[0].slots.length).toBe(2)
    s.op([c, a], C, { kind: 'join' })
    expect((await read(c, C, es)).texts).toEqual(['snacks?'])
    // the join changes nobody's recipients: no new key for it
    expect(entries(writeEntries(a, [text('again')], A.ctx).frames).map(e => e.kind)).toEqual(['content'])
  })

  it('refuses what a removed member writes beyond the point its removal names', async () => {
    const s = setup()
    const [a, c] = [s.log(A), s.log(C)]
    const mine = entries(writeEntries(c, [text('c1'), text('c2'), text('c3')], C.ctx).frames)
    // A saw C's feed up to its first text (seq 2) when it removed C
    const early = await read(a, A, mine.slice(0, 2))
    expect(early.texts).toEqual(['c1'])
    s.op([a], A, { kind: 'remove', target: C.id, upTo: 2 })
    const late = await read(a, A, mine.slice(2))
    expect(late).toMatchObject({ texts: [], results: ['refused', 'refused'] })
  })

  it('a feed is a hash chain: an author that writes two different entries at one position cannot be followed past it', async () => {
    const s = setup()
    const [b, c1, c2] = [s.log(B), s.log(C), s.log(C)]
    // C, malicious, keeps two copies of its feed and shows each to someone else
    const one = entries(writeEntries(c1, [text('to B'), text('more to B')], C.ctx).frames)
    const two = entries(writeEntries(c2, [text('to A'), text('more to A')], C.ctx).frames)
    expect((await read(b, B, one.slice(0, 2))).texts).toEqual(['to B'])
    const mixed = await read(b, B, [two[2]])
    expect(mixed).toMatchObject({ texts: [], results: ['forked'] })
    expect((await read(b, B, [one[2]])).texts).toEqual(['more to B'])
  })

  it('a re-encoded copy of an entry is the entry it copies: read first, it makes no fork and its author\'s next entry follows; stored by an older node, the next one follows after a restart', async () => {
    const s = setup()
    const frames = writeEntries(s.log(A), [text('one'), text('two'), text('three')], A.ctx).frames
    const es = entries(frames)
    for (const [i, how] of REENCODINGS.entries()) {
      // C, a member, re-encodes A's entry 2 around its signed payload and gets it to B first
      const copy = openGroupEntry(reencode(frames[1].bytes, how, i), GROUP)
      if (!copy.ok) throw new Error(copy.reason)
      expect(copy.entry).toMatchObject({ copy: true, seq: 2 })
      expect(copy.entry.bytes).toEqual(frames[1].bytes)
      const b = s.log(B)
      const got = await read(b, B, [es[0], copy.entry, es[1], es[2], es[3]])
      expect(got).toMatchObject({ texts: ['one', 'two', 'three'], results: ['applied', 'applied', 'duplicate', 'applied', 'applied'] })
      // what B stores, and serves in catch-up, is the entry itself
      expect(await B.store.feedOf(hex(GROUP), A.id).get('000000000000002')).toEqual(frames[1].bytes)
    }
    // a node before session 21 read the copy as an entry and stored it as A's last one: after the upgrade A's next
    // entry names the entry it copies, and follows
    const old = person(9)
    await old.store.store.change((tx) => {
      old.store.putEntry(tx, hex(GROUP), A.id, 1, frames[0].bytes)
      old.store.putEntry(tx, hex(GROUP), A.id, 2, reencode(frames[1].bytes, 'reordered'))
      return () => {}
    })
    const loaded = await old.store.loadGroup(hex(GROUP))
    const restarted = new GroupRuntime({ id: hex(GROUP), root: s.log(B).log.rootId!, lamport: 0, delivered: 0, joinedAt: 0 }, s.log(B).log, loaded)
    // and serves the entry itself in catch-up: a peer from before session 21 would read the stored copy as the entry,
    // then A's next entry as a fork
    const served = await syncResponse(restarted, old.store, old.id, B.id, { group: GROUP, heads: [], feeds: [] }, 1_000_000)
    expect(served.entries).toEqual([frames[0].bytes, frames[1].bytes])
    expect(await read(restarted, old, [es[2], es[3]])).toMatchObject({ results: ['applied', 'applied'] })
  })
})
