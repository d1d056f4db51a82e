/**
 * A member that fills its group's op log through its feed can still be removed (§12.2 "A full log"): before, the
 * log refused every op past 1,000, the admin's REMOVE included, so the member stayed in for good and got every
 * sender key made afterwards.
 */
import { logger } from '@libp2p/logger'
import { MemoryDatastore } from 'datastore-core'
import { expect, it } from 'vitest'
import { readEntry, ReadBatch } from '../../../node/groups/feed-reader.js'
import { writeEntries } from '../../../node/groups/feed-writer.js'
import { GroupRuntime } from '../../../node/groups/group.js'
import { GroupStore } from '../../../node/groups/group-store.js'
import { Membership } from '../../../node/groups/membership.js'
import { openGroupEntry } from '../../../protocol/group-entry.js'
import { MAX_GROUP_OPS, MembershipLog } from '../../../protocol/group-log.js'
import { hex, sealGroupOp } from '../../../protocol/group-op.js'
import { A, B, identity, offlineEngineOfB } from './fixtures.js'
import type { FeedContext } from '../../../node/groups/feed-reader.js'
import type { GroupContent } from '../../../protocol/group-entry.js'
import type { GroupOp, GroupOpFields } from '../../../protocol/group-op.js'
import type { Roster } from '../../../node/roster/index.js'

const GROUP = new Uint8Array(16).fill(8)
const ID = hex(GROUP)
const M = identity(7)
/** Whom M invites (any member may): keys M holds, which get every sender key while invited. */
const PUPPETS = [identity(11), identity(12)]
/** Keys nobody invited, which sign most of M's filler. */
const SYBILS = Array.from({ length: 8 }, (_, i) => identity(20 + i))
const [a, b, m] = [A, B, M].map(x => x.peer.toString())

/** A (rules 2) creates the group, invites B and M, who join; A makes B an admin. */
function history (): GroupOp[] {
  const log = new MembershipLog()
  const make = (by: typeof A, f: Omit<GroupOpFields, 'group' | 'createdAt' | 'parents'>): void => {
    expect(log.add(sealGroupOp({ ...f, group: GROUP, parents: log.heads(), createdAt: 1 }, by.key))).toBe('added')
  }
  make(A, { kind: 'create', name: 'g', rules: 2 })
  make(A, { kind: 'invite', target: b })
  make(A, { kind: 'invite', target: m })
  make(B, { kind: 'join' })
  make(M, { kind: 'join' })
  make(A, { kind: 'promote', target: b })
  return log.ops()
}

/** M's node: its runtime of the group and what it reads with. */
function nodeOfM (ops: GroupOp[]): { g: GroupRuntime, ctx: FeedContext & { privateKey: typeof M.key } } {
  const log = new MembershipLog(ops[0].id)
  for (const o of ops) log.add(o)
  const g = new GroupRuntime({ id: ID, root: ops[0].id, lamport: 0, delivered: 0, joinedAt: 0 }, log)
  const store = new GroupStore(new MemoryDatastore())
  return { g, ctx: { me: m, meMultihash: M.peer.toMultihash().bytes, privateKey: M.key, store, pairGroupKey: p => M.keyring.keysFor(p).group, maxWaiting: 8 } }
}

/** The texts M opens in B's feed from where M stands. */
async function textsMReads (mNode: ReturnType<typeof nodeOfM>, store: GroupStore): Promise<string[]> {
  const batch = new ReadBatch(mNode.g.state)
  for await (const { bytes } of store.entriesFrom(ID, b, mNode.g.positions.get(b) ?? 1)) {
    const e = openGroupEntry(bytes, GROUP)
    if (!e.ok) throw new Error(e.reason)
    readEntry(mNode.g, e.entry, mNode.ctx, batch)
  }
  return batch.messages.map(x => x.text)
}

it('a member that fills the log through its feed is still removed by an admin, with those it invited, and opens nothing written after; the admin can still leave', async () => {
  const ops = history()
  const store = new GroupStore(new MemoryDatastore())
  await store.store.change((tx) => {
    store.meta.put(tx, ID, { id: ID, root: ops[0].id, lamport: 0, delivered: 0, joinedAt: 0 })
    for (const o of ops) store.ops.within(ID).put(tx, o.id, o.envelope)
    return () => {}
  })
  const engine = await offlineEngineOfB(store)
  const g = engine.groups.get(ID)!
  const membership = new Membership(engine, {} as unknown as Roster, { invitation: () => {} }, logger('test:groups'))
  const mNode = nodeOfM(ops)

  // B writes; M, a member, opens it
  await engine.write(g, [() => ({ kind: 'text', text: 'before' })])
  expect(await textsMReads(mNode, store)).toEqual(['before'])

  // M's feed: INVITEs of its puppets, then ops signed by keys nobody invited, on each other, until B's log is full
  const filler: GroupOp[] = PUPPETS.map(p => sealGroupOp({ group: GROUP, kind: 'invite', target: p.peer.toString(), parents: [ops[ops.length - 1].id], createdAt: 2 }, M.key))
  for (let i = 0; ops.length + filler.length < MAX_GROUP_OPS; i++) {
    filler.push(sealGroupOp({ group: GROUP, kind: 'rename', name: `junk ${i}`, parents: [filler[filler.length - 1].id], createdAt: 3 + i }, SYBILS[i % SYBILS.length].key))
  }
  const frames = writeEntries(mNode.g, filler.map(op => (): GroupContent => ({ kind: 'op', op: op.envelope })), mNode.ctx).frames
  const batch = new ReadBatch(g.state)
  for (const f of frames) {
    const e = openGroupEntry(f.bytes, GROUP)
    if (!e.ok) throw new Error(e.reason)
    expect(readEntry(g, e.entry, engine.ctx, batch)).toBe('applied')
  }
  await engine.commitRead(g, batch)
  expect(g.log.held).toBe(MAX_GROUP_OPS)
  expect(g.standing(PUPPETS[0].peer.toString())).toBe('invited')
  await expect(membership.rename(ID, 'mine')).rejects.toMatchObject({ name: 'GroupFullError', what: 'ops', limit: MAX_GROUP_OPS, message: expect.stringContaining('past 1000 only an admin\'s removal') })

  // B removes M (before: GroupFullError, for good), then takes back the puppets' invitations
  await membership.remove(ID, m)
  expect(g.standing(m)).toBe('removed')
  for (const p of PUPPETS) await membership.remove(ID, p.peer.toString())
  expect(g.recipients(b)).toEqual([a])
  expect(g.log.held).toBe(MAX_GROUP_OPS + 1 + PUPPETS.length)

  // what B writes now goes under a key M was not given
  await engine.write(g, [() => ({ kind: 'text', text: 'after' })])
  expect(await textsMReads(mNode, store)).toEqual([])
  // (it read every entry B wrote: none of them opens for it)
  expect(mNode.g.positions.get(b)).toBe(g.lastOwnSeq(b) + 1)

  // and so it stays after a restart: the store holds what the log took past the cap
  const restarted = await offlineEngineOfB(store)
  const again = restarted.groups.get(ID)!
  expect(again.log.held).toBe(g.log.held)
  expect(again.standing(m)).toBe('removed')
  expect(again.recipients(b)).toEqual([a])

  // and B can still leave (before: GroupFullError as well)
  await new Membership(restarted, {} as unknown as Roster, { invitation: () => {} }, logger('test:groups')).leave(ID)
  expect(again.standing(b)).toBe('left')
})
