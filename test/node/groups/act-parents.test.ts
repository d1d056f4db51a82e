/**
 * The engine's ops stand in their causal past: with more heads than an op
 * may name, the parents it picks still hold what the op is judged by (here
 * the INVITE an accepting JOIN names), so the op counts.
 */
import { MemoryDatastore } from 'datastore-core'
import { expect, it } from 'vitest'
import { GroupStore } from '../../../node/groups/group-store.js'
import { MembershipLog } from '../../../protocol/group-log.js'
import { hex, MAX_OP_PARENTS, sealGroupOp } from '../../../protocol/group-op.js'
import { A, B, identity, offlineEngineOfB } from './fixtures.js'
import type { GroupOp, GroupOpFields } from '../../../protocol/group-op.js'

const GROUP = new Uint8Array(16).fill(5)

it('with more than 16 heads, the JOIN the engine makes has the INVITE it names in its past: the invitee is in', async () => {
  // A invites 20 people, who all join on the same heads (20 heads), then invites B on those heads, its INVITE sorting
  // before every JOIN (21 heads): on the last 16 by id the JOIN would not see it, and be unauthorized
  const log = new MembershipLog()
  const seal = (by: typeof A, f: Omit<GroupOpFields, 'group' | 'createdAt'>, t = 1): GroupOp => sealGroupOp({ ...f, group: GROUP, createdAt: t }, by.key)
  const add = (op: GroupOp): GroupOp => { expect(log.add(op)).toBe('added'); return op }
  add(seal(A, { kind: 'create', name: 'many', rules: 2, parents: [] }))
  const qs = Array.from({ length: 20 }, (_, i) => identity(40 + i))
  for (const q of qs) add(seal(A, { kind: 'invite', target: q.peer.toString(), parents: log.heads() }))
  const base = log.heads()
  const lowest = qs.map(q => add(seal(q, { kind: 'join', parents: base }))).reduce((a, b) => a.id < b.id ? a : b)
  let inviteB: GroupOp | undefined
  for (let t = 0; t < 4000 && inviteB == null; t++) {
    const op = seal(A, { kind: 'invite', target: B.peer.toString(), parents: base }, t)
    if (op.id < lowest.id) inviteB = add(op)
  }
  expect(log.heads().length).toBeGreaterThan(MAX_OP_PARENTS)

  const store = new GroupStore(new MemoryDatastore())
  await store.store.change((tx) => {
    store.meta.put(tx, hex(GROUP), { id: hex(GROUP), root: log.rootId!, lamport: 0, delivered: 0, joinedAt: 0 })
    for (const o of log.ops()) store.ops.within(hex(GROUP)).put(tx, o.id, o.envelope)
    return () => {}
  })
  const engine = await offlineEngineOfB(store)
  const g = engine.groups.get(hex(GROUP))!
  expect(g.standing(B.peer.toString())).toBe('invited')

  const join = await engine.act(g, { kind: 'join', answers: inviteB!.id })
  expect(join.parents.length).toBeLessThanOrEqual(MAX_OP_PARENTS)
  expect(g.state.members.get(B.peer.toString())?.period).toBe(inviteB!.id)
})
