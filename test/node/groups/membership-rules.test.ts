/**
 * The membership service under the group's rules version, with a stubbed
 * engine: new groups use rules 2, and asking to remove a senior admin of a
 * rules-2 group is a typed error before any op is made.
 */
import { describe, expect, it } from 'vitest'
import { GroupRuntime } from '../../../node/groups/group.js'
import { Membership } from '../../../node/groups/membership.js'
import { MembershipLog } from '../../../protocol/group-log.js'
import { hex, sealGroupOp } from '../../../protocol/group-op.js'
import { A, B, identity } from './fixtures.js'
import type { GroupEngine } from '../../../node/groups/group-engine.js'
import type { GroupOp, GroupOpFields } from '../../../protocol/group-op.js'
import type { Roster } from '../../../node/roster/index.js'
import type { Logger } from '@libp2p/interface'

const GROUP = new Uint8Array(16).fill(9)

/** A group A created (with `rules`), B a member promoted to admin, then `more` ops; the service as `me` sees it, and the ops it made. */
function setup (me: typeof A, rules?: 2, more: Array<{ by: typeof A } & Omit<GroupOpFields, 'group' | 'parents' | 'createdAt'>> = []): { membership: Membership, acted: unknown[], g: GroupRuntime } {
  const log = new MembershipLog()
  const add = (by: typeof A, f: Omit<GroupOpFields, 'group' | 'parents' | 'createdAt'>): void => {
    log.add(sealGroupOp({ ...f, group: GROUP, parents: f.kind === 'create' ? [] : log.heads(), createdAt: 1 }, by.key))
  }
  add(A, { kind: 'create', name: 'g', rules })
  add(A, { kind: 'invite', target: B.peer.toString() })
  add(B, { kind: 'join' })
  add(A, { kind: 'promote', target: B.peer.toString() })
  for (const { by, ...f } of more) add(by, f)
  const g = new GroupRuntime({ id: hex(GROUP), root: log.rootId!, lamport: 0, delivered: 0, joinedAt: 0 }, log)
  const acted: unknown[] = []
  const engine = {
    me: me.peer.toString(),
    groups: new Map([[g.meta.id, g]]),
    ctx: { privateKey: me.key },
    register: (x: GroupRuntime) => { engine.groups.set(x.meta.id, x) },
    unregister: () => {},
    write: async () => ({}),
    act: async (_: GroupRuntime, fields: unknown) => { acted.push(fields) },
    store: { ops: { within: () => ({ put: () => {} }) } }
  }
  const log2 = Object.assign(() => {}, { error: () => {}, trace: () => {} }) as unknown as Logger
  return { membership: new Membership(engine as unknown as GroupEngine, {} as Roster, { invitation: () => {} }, log2), acted, g }
}

describe('membership service and the rules version', () => {
  it('creates groups under rules 2', async () => {
    const { membership } = setup(A)
    const g = await membership.create('new', [])
    expect(g.log.rules).toBe(2)
  })

  it('refuses to remove a senior admin of a rules-2 group with SeniorAdminError, and removes a junior one', async () => {
    const junior = setup(B, 2)
    await expect(junior.membership.remove(hex(GROUP), A.peer.toString())).rejects.toMatchObject({ name: 'SeniorAdminError', peer: A.peer.toString() })
    expect(junior.acted).toEqual([])
    const senior = setup(A, 2)
    await senior.membership.remove(hex(GROUP), B.peer.toString())
    expect(senior.acted).toMatchObject([{ kind: 'remove', target: B.peer.toString() }])
    // a rules-1 group keeps today's rule: any admin may remove any admin
    const old = setup(B)
    await old.membership.remove(hex(GROUP), A.peer.toString())
    expect(old.acted).toMatchObject([{ kind: 'remove', target: A.peer.toString() }])
  })

  it('an admin\'s removal of a member that left, in a rules-2 group, clamps it to what this node has read of it', async () => {
    const { membership, acted, g } = setup(A, 2, [{ by: B, kind: 'leave', upTo: 2 ** 40 }])
    g.positions.set(B.peer.toString(), 8)
    await membership.remove(hex(GROUP), B.peer.toString())
    expect(acted).toMatchObject([{ kind: 'remove', target: B.peer.toString(), upTo: 7 }])
    const old = setup(A, undefined, [{ by: B, kind: 'leave', upTo: 2 ** 40 }])
    await expect(old.membership.remove(hex(GROUP), B.peer.toString())).rejects.toMatchObject({ name: 'GroupMembershipError' })
  })

  it('accepting an invitation that a concurrent INVITE sorting first shares, the JOIN names the inviter\'s INVITE (rules 2 only)', async () => {
    // A and admin B invite C on the same heads, B's INVITE sorting first (the invitation's period in the fold); C takes
    // A's invitation message (A invited it, though the fold's invitation is B's) and accepts it: the JOIN answers A's
    // INVITE (review 18's p60), so B's INVITE being void later cannot void C's membership
    const C = identity(3)
    for (const rules of [2, undefined] as const) {
      const { g } = setup(A, rules)
      const heads = g.log.heads()
      let byA: GroupOp
      let byB: GroupOp
      let t = 0
      do {
        byA = sealGroupOp({ group: GROUP, kind: 'invite', target: C.peer.toString(), parents: heads, createdAt: 1 }, A.key)
        byB = sealGroupOp({ group: GROUP, kind: 'invite', target: C.peer.toString(), parents: heads, createdAt: t++ }, B.key)
      } while (!(byB.id < byA.id))
      const ops = [...g.log.ops(), byA, byB].map(o => o.envelope)
      const acted: unknown[] = []
      const engine = {
        me: C.peer.toString(),
        groups: new Map<string, GroupRuntime>(),
        ctx: { privateKey: C.key },
        register: (x: GroupRuntime) => { engine.groups.set(x.meta.id, x) },
        act: async (_: GroupRuntime, fields: unknown) => { acted.push(fields) },
        catchUpSoon: () => {},
        store: { store: { write: async (fn: (tx: unknown) => void) => { fn({ afterCommit: (f: () => void) => { f() } }) } }, invitations: { put: () => {} } }
      }
      const log2 = Object.assign(() => {}, { error: () => {}, trace: () => {} }) as unknown as Logger
      const roster = { isContact: () => true, isBlocked: () => false } as unknown as Roster
      const membership = new Membership(engine as unknown as GroupEngine, roster, { invitation: () => {} }, log2)
      const accepted = await membership.onInvitation(A.peer.toString(), GROUP, ops)
      if (rules == null) {
        // rules 1 keeps the check as it was (the fold's invitation is B's, so A's message is refused) and JOINs as they were
        expect(accepted).toBe(false)
        expect(await membership.onInvitation(B.peer.toString(), GROUP, ops)).toBe(true)
        await membership.accept(hex(GROUP))
        expect(acted).toMatchObject([{ kind: 'join' }])
        expect((acted[0] as GroupOpFields).answers).toBeUndefined()
        continue
      }
      expect(accepted).toBe(true)
      await membership.accept(hex(GROUP))
      expect(acted).toEqual([{ kind: 'join', answers: byA.id }])
    }
  })
})
