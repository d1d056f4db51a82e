/**
 * Re-encoded copies of ops and entries at the node (§12.2, §12.3 "Copies"): what catch-up brings is stored and
 * passed on as the original; a store written by a node from before session 21, which took copies as ops, opens
 * whole: the copies are vertices that apply nothing, so what was built on them completes and counts. (Session 20's
 * first fix refused copies: an upgraded node then refused the copies it had stored, every op on top of them waited
 * for ever, and a removal built on one no longer counted.)
 */
import { MemoryDatastore } from 'datastore-core'
import { expect, it } from 'vitest'
import { readSyncResponse } from '../../../node/groups/catch-up.js'
import { writeEntries } from '../../../node/groups/feed-writer.js'
import { GroupRuntime } from '../../../node/groups/group.js'
import { GroupStore } from '../../../node/groups/group-store.js'
import { Membership } from '../../../node/groups/membership.js'
import { logger } from '@libp2p/logger'
import { MAX_GROUP_OPS, MembershipLog } from '../../../protocol/group-log.js'
import { hex, openGroupOp, sealGroupOp } from '../../../protocol/group-op.js'
import { reencode } from '../../protocol/group-log-helpers.js'
import { A, B, groupOfAAndB, identity, offlineEngineOfB } from './fixtures.js'
import type { GroupOp, GroupOpFields } from '../../../protocol/group-op.js'
import type { Roster } from '../../../node/roster/index.js'
import type { GroupEngine } from '../../../node/groups/group-engine.js'

const GROUP = new Uint8Array(16).fill(6)

it('a log from envelopes (a store, an invitation) whose CREATE came as a copy roots at the original', () => {
  const ops = groupOfAAndB(GROUP)
  const log = GroupRuntime.logFrom([reencode(ops[0].envelope, 'reordered'), ...ops.slice(1).map(o => o.envelope)], GROUP)
  expect(log.rootId).toBe(ops[0].id)
  expect(log.missing()).toEqual([])
  expect([...log.state().members.keys()].sort()).toEqual([A.peer.toString(), B.peer.toString()].sort())
})

it('copies that catch-up brings are stored, and passed on to the topic, as their originals', async () => {
  const ops = groupOfAAndB(GROUP)
  const runtime = (): GroupRuntime => {
    const log = new MembershipLog(ops[0].id)
    for (const o of ops) log.add(o)
    return new GroupRuntime({ id: hex(GROUP), root: ops[0].id, lamport: 0, delivered: 0, joinedAt: 0 }, log)
  }
  const a = runtime()
  const aStore = new GroupStore(new MemoryDatastore())
  const frames = writeEntries(a, [() => ({ kind: 'text' as const, text: 'hi' })], { me: A.peer.toString(), meMultihash: A.peer.toMultihash().bytes, privateKey: A.key, store: aStore, pairGroupKey: p => A.keyring.keysFor(p).group }).frames
  const invite = sealGroupOp({ group: GROUP, kind: 'invite', target: identity(3).peer.toString(), parents: a.log.heads(), createdAt: 2 }, A.key)
  // a member answers B's catch-up with copies of A's INVITE and of A's entries
  const copyOp = reencode(invite.envelope, 'long-length')
  const b = runtime()
  const store = new GroupStore(new MemoryDatastore())
  const ctx = { me: B.peer.toString(), meMultihash: B.peer.toMultihash().bytes, store, pairGroupKey: (p: string) => B.keyring.keysFor(p).group, maxWaiting: 8 }
  const { batch, fresh } = readSyncResponse(b, { ops: [copyOp], entries: frames.map(f => reencode(f.bytes, 'unknown-inside', 1)), tips: [], more: false }, ctx, 60_000)
  await store.store.change((tx) => { for (const w of batch.writes) w(tx); return () => {} })
  expect(b.log.has(invite.id)).toBe(true)
  expect(b.standing(identity(3).peer.toString())).toBe('invited')
  const stored = await store.ops.within(hex(GROUP)).all()
  expect(stored.get(invite.id)).toEqual(invite.envelope)
  expect(stored.size).toBe(2)
  expect(fresh).toEqual(frames.map(f => f.bytes))
})

it('a store holding copies and ops built on them opens whole: nothing waits, the removal of the member that planted them counts, and the copies void nothing', async () => {
  const [C, M] = [identity(3), identity(4)]
  const log = new MembershipLog()
  const seal = (by: typeof A, f: Omit<GroupOpFields, 'group' | 'createdAt'>, t = 1): GroupOp => sealGroupOp({ ...f, group: GROUP, createdAt: t }, by.key)
  const add = (op: GroupOp): GroupOp => { expect(log.add(op)).toBe('added'); return op }
  const make = (by: typeof A, f: Omit<GroupOpFields, 'group' | 'createdAt' | 'parents'>): GroupOp => add(seal(by, { ...f, parents: log.heads() }))
  const copy = (op: GroupOp, salt: number): GroupOp => {
    const res = openGroupOp(reencode(op.envelope, 'unknown-field', salt), GROUP)
    if (!res.ok) throw new Error(res.reason)
    return add(res.op)
  }
  const [a, b, c, m] = [A, B, C, M].map(x => x.peer.toString())
  make(A, { kind: 'create', name: 'g', rules: 2 })
  for (const x of [b, c, m]) make(A, { kind: 'invite', target: x })
  for (const x of [B, C, M]) make(x, { kind: 'join' })
  const promote = make(A, { kind: 'promote', target: b })
  const removeC = make(A, { kind: 'remove', target: c, upTo: 0 })
  make(A, { kind: 'invite', target: c })
  make(C, { kind: 'join' })
  // M plants a copy of the old REMOVE of C (a node from before session 21 took it: C's JOIN void there) and one of B's
  // PROMOTE; B's node, which had that copy before the PROMOTE itself, renamed the group on it alone
  copy(removeC, 1)
  const promoteCopy = copy(promote, 2)
  add(seal(B, { kind: 'rename', name: 'by B', parents: [promoteCopy.id] }))
  // A removes M on heads that hold both copies
  const removeM = make(A, { kind: 'remove', target: m, upTo: 0 })
  expect(removeM.parents.length).toBeGreaterThan(1)

  // B's store, as that older node wrote it: every op as received, copies included
  const store = new GroupStore(new MemoryDatastore())
  const stored = log.ops()
  await store.store.change((tx) => {
    store.meta.put(tx, hex(GROUP), { id: hex(GROUP), root: stored[0].id, lamport: 0, delivered: 0, joinedAt: 0 })
    for (const o of stored) store.ops.within(hex(GROUP)).put(tx, o.id, o.envelope)
    return () => {}
  })
  const engine = await offlineEngineOfB(store)
  const g = engine.groups.get(hex(GROUP))!
  // nothing waits: every stored op is complete
  expect(g.log.missing()).toEqual([])
  expect(g.log.ops().map(o => o.id).sort()).toEqual(stored.map(o => o.id).sort())
  // the removal counts, C's second membership stands, B is an admin and its rename on the copy alone counts
  expect(g.standing(m)).toBe('removed')
  expect(g.state.gone.get(m)?.op).toBe(removeM.id)
  expect(g.standing(c)).toBe('member')
  expect(g.state.members.get(b)?.role).toBe('admin')
  expect(g.name).toBe('by B')
  expect(g.recipients(b).sort()).toEqual([a, c].sort())
  // and the next op is made on them, and counts
  const next = await engine.act(g, { kind: 'rename', name: 'after' })
  expect(next.parents).toContain(removeM.id)
  expect(g.name).toBe('after')
})

/** B's node, offline, in the group of A and B, where B invited V; and B's side of the invite protocol. */
async function invitedByB (): Promise<{ V: ReturnType<typeof identity>, invite: GroupOp, membership: Membership, g: GroupRuntime, engine: GroupEngine }> {
  const ops = groupOfAAndB(GROUP)
  const V = identity(5)
  const invite = sealGroupOp({ group: GROUP, kind: 'invite', target: V.peer.toString(), parents: [ops[ops.length - 1].id], createdAt: 3 }, B.key)
  const store = new GroupStore(new MemoryDatastore())
  await store.store.change((tx) => {
    store.meta.put(tx, hex(GROUP), { id: hex(GROUP), root: ops[0].id, lamport: 0, delivered: 0, joinedAt: 0 })
    for (const o of [...ops, invite]) store.ops.within(hex(GROUP)).put(tx, o.id, o.envelope)
    return () => {}
  })
  const engine = await offlineEngineOfB(store)
  const membership = new Membership(engine, {} as unknown as Roster, { invitation: () => {} }, logger('test:groups'))
  return { V, invite, membership, g: engine.groups.get(hex(GROUP))!, engine }
}

it('an invitee\'s copies of its answer are passed on once: each copy is not another entry of the inviter\'s', async () => {
  const { V, invite, membership, g } = await invitedByB()
  const join = sealGroupOp({ group: GROUP, kind: 'join', parents: [invite.id], createdAt: 4 }, V.key)
  const copyOf = (i: number): Uint8Array => reencode(join.envelope, 'unknown-field', i)
  // the first answer B gets (a copy) is passed on in B's feed (with B's next key, V being in)
  expect(await membership.onAnswer(V.peer.toString(), GROUP, copyOf(0))).toBe(true)
  expect(g.standing(V.peer.toString())).toBe('member')
  expect(g.log.has(join.id)).toBe(true)
  const written = g.lastOwnSeq(B.peer.toString())
  expect(written).toBeGreaterThan(0)
  // V (or whoever holds its answer) sends it again, re-encoded, each a new id, then as made: B writes nothing more
  // (before the fix: one entry of B's feed per copy, stored by every member, without end)
  for (let i = 1; i < 10; i++) expect(await membership.onAnswer(V.peer.toString(), GROUP, copyOf(i))).toBe(true)
  expect(await membership.onAnswer(V.peer.toString(), GROUP, join.envelope)).toBe(true)
  expect(g.lastOwnSeq(B.peer.toString())).toBe(written)
})

it('an answer counts only from someone the log holds invited, on ops the inviter holds: nobody fills the log through answers', async () => {
  const { V, invite, membership, g } = await invitedByB()
  const S = identity(6)
  const size = (): number => g.log.size + g.log.missing().length
  const before = size()
  // S, never invited, on known parents and on made-up ones: refused (before: each added, the made-up ones waiting for ever)
  for (const parents of [[invite.id], [hex(new Uint8Array(32).fill(7))]]) {
    expect(await membership.onAnswer(S.peer.toString(), GROUP, sealGroupOp({ group: GROUP, kind: 'join', parents, createdAt: 5 }, S.key).envelope)).toBe(false)
  }
  // V, invited, on ops B does not hold, or holds waiting for theirs: not taken now (the stream fails, V's node tries
  // again later; else V, still invited while its answers wait, could fill the log with them)
  const waiting = sealGroupOp({ group: GROUP, kind: 'leave', parents: [hex(new Uint8Array(32).fill(9))], upTo: 0, createdAt: 5 }, S.key)
  expect(g.log.add(waiting)).toBe('pending')
  for (const parents of [[hex(new Uint8Array(32).fill(8))], [waiting.id]]) {
    await expect(membership.onAnswer(V.peer.toString(), GROUP, sealGroupOp({ group: GROUP, kind: 'decline', parents, createdAt: 5 }, V.key).envelope)).rejects.toThrow()
  }
  expect(size()).toBe(before + 1)
  expect(g.log.missing()).toEqual([hex(new Uint8Array(32).fill(9))])
  // V's answer on what B holds is taken; a second answer of V's, once it is in, is not
  expect(await membership.onAnswer(V.peer.toString(), GROUP, sealGroupOp({ group: GROUP, kind: 'join', parents: [invite.id], createdAt: 6 }, V.key).envelope)).toBe(true)
  expect(g.standing(V.peer.toString())).toBe('member')
  expect(await membership.onAnswer(V.peer.toString(), GROUP, sealGroupOp({ group: GROUP, kind: 'join', parents: [invite.id], createdAt: 7 }, V.key).envelope)).toBe(false)
  expect(g.log.ops().filter(o => o.author === V.peer.toString())).toHaveLength(1)
})

it('a log full of ops waiting for parents refuses this node\'s next op with the limit of the log, not its complete ops', async () => {
  const { g, engine } = await invitedByB()
  const M = identity(9)
  for (let i = 0; g.log.size + g.log.missing().length < MAX_GROUP_OPS && i < MAX_GROUP_OPS; i++) {
    g.log.add(sealGroupOp({ group: GROUP, kind: 'leave', parents: [hex(Uint8Array.from({ length: 32 }, (_, j) => j === 0 ? i >> 8 : j === 1 ? i & 255 : 3))], upTo: 0, createdAt: i + 1 }, M.key))
  }
  await expect(engine.act(g, { kind: 'rename', name: 'full' })).rejects.toMatchObject({ name: 'GroupFullError', what: 'ops', limit: MAX_GROUP_OPS })
})
