/**
 * A full log (§12.2 "A full log"): a member M fills the 1,000 ops with junk (its own unauthorized INVITEs, ops
 * signed by made-up keys, ops waiting for parents nobody has); past the cap only a complete LEAVE or REMOVE that
 * ends a current membership is taken, up to GROUP_OPS_CEILING, so M can still be removed and anyone can still leave.
 */
import { describe, expect, it } from 'vitest'
import { GROUP_OPS_CEILING, MAX_GROUP_OPS, MembershipLog } from '../../protocol/group-log.js'
import { MAX_OP_PARENTS } from '../../protocol/group-op.js'
import { A, actor, B, C, copyOf, D, E, make, seal, shuffled, summary, threeMembers } from './group-log-helpers.js'
import type { Actor } from './group-log-helpers.js'
import type { AddResult } from '../../protocol/group-log.js'
import type { GroupOp, GroupOpFields } from '../../protocol/group-op.js'

/** M, the member that fills the log (D's key: a fixed actor the summaries name). */
const M = D
/** Keys nobody invited: what M signs its filler with when it does not sign it itself. */
const SYBILS = Array.from({ length: 8 }, (_, i) => actor(`S${i}`, 40 + i))

type Fields = Omit<GroupOpFields, 'group' | 'parents' | 'createdAt'>

/** An op by `who` on the parents its node would pick (parentsFor: at most 16 of the heads), and what adding it gives. */
function act (log: MembershipLog, who: Actor, fields: Fields, t = 9): { op: GroupOp, res: AddResult } {
  const op = seal(who, log.parentsFor(who.id, fields), fields, t)
  return { op, res: log.add(op) }
}

/** A rules-2 group: A (creator) and B admins, C and M members. */
function groupWithM (): MembershipLog {
  const log = threeMembers(true, 2)
  make(log, A, { kind: 'invite', target: M.id })
  make(log, M, { kind: 'join' })
  return log
}

const FILLERS: Record<string, (log: MembershipLog, i: number) => GroupOp> = {
  // a fan of M's own INVITEs on its JOIN (M is no admin: none counts), each a head
  'M\'s own INVITEs': (log, i) => seal(M, [log.ops()[7].id], { kind: 'invite', target: SYBILS[i % SYBILS.length].id }, i + 10),
  // a chain of RENAMEs signed by keys nobody invited
  'made-up keys\' ops': (log, i) => seal(SYBILS[i % SYBILS.length], log.heads(), { kind: 'rename', name: `junk ${i}` }, i + 10),
  // LEAVEs of made-up keys on parents nobody holds: they wait for ever
  'ops waiting for parents nobody has': (_log, i) => seal(SYBILS[i % SYBILS.length], [i.toString(16).padStart(64, '0')], { kind: 'leave', upTo: 0 }, i + 10)
}

/** Fills `log` with `filler` up to the cap, as M's feed would bring it. */
function fill (log: MembershipLog, filler: (log: MembershipLog, i: number) => GroupOp): void {
  for (let i = 0; log.held < MAX_GROUP_OPS; i++) expect(log.add(filler(log, i))).not.toBe('refused')
  expect(log.held).toBe(MAX_GROUP_OPS)
}

describe('a full membership log', () => {
  for (const [name, filler] of Object.entries(FILLERS)) {
    it(`filled with ${name}: an admin's REMOVE of M and a member's LEAVE are still taken and apply; nothing else is`, () => {
      const log = groupWithM()
      fill(log, filler)
      // nothing that is not an end of a membership
      expect(act(log, A, { kind: 'invite', target: E.id }).res).toBe('refused')
      expect(act(log, A, { kind: 'rename', name: 'still mine' }).res).toBe('refused')
      expect(act(log, A, { kind: 'promote', target: C.id }).res).toBe('refused')
      expect(log.held).toBe(MAX_GROUP_OPS)
      // the admin removes M (before: refused too, and M stayed a member for good)
      const removal = act(log, B, { kind: 'remove', target: M.id, upTo: 3 })
      expect(removal.op.parents.length).toBeLessThanOrEqual(MAX_OP_PARENTS)
      expect(removal.res).toBe('added')
      expect(log.state().gone.get(M.id)).toMatchObject({ how: 'removed', upTo: 3, op: removal.op.id })
      // a member leaves
      expect(act(log, C, { kind: 'leave', upTo: 2 }).res).toBe('added')
      // M's INVITEs of its puppets count (any member may invite): an admin takes the invitations back, one op each
      // (invitees get every sender key)
      const invited = [...log.state().invited.keys()]
      if (name === 'M\'s own INVITEs') expect(invited.length).toBeGreaterThan(0)
      else expect(invited).toEqual([])
      for (const peer of invited) expect(act(log, A, { kind: 'remove', target: peer, upTo: 0 }).res).toBe('added')
      expect(summary(log.state())).toMatchObject({ members: ['A*', 'B*'], invited: [], gone: expect.arrayContaining(['C:left:2', 'D:removed:3']) })
      expect(log.held).toBe(MAX_GROUP_OPS + 2 + invited.length)
      // and still nothing else: no invitation of M back, no join
      expect(act(log, A, { kind: 'invite', target: M.id }).res).toBe('refused')
      expect(log.add(seal(M, log.heads().slice(0, 1), { kind: 'join' }, 99))).toBe('refused')
    })
  }

  it('past the cap refuses endings that end no current membership, leaving the log as it was; the admin\'s REMOVE of M is taken after them', () => {
    const log = groupWithM()
    fill(log, FILLERS['M\'s own INVITEs'])
    const before = { heads: log.heads(), ops: log.ops().map(o => o.id), state: summary(log.state()) }
    const [S] = SYBILS
    const refused: Array<[string, GroupOp]> = [
      ['a made-up key\'s LEAVE', seal(S, log.heads().slice(0, 2), { kind: 'leave', upTo: 0 }, 50)],
      ['a made-up key\'s REMOVE of M', seal(S, log.heads().slice(0, 2), { kind: 'remove', target: M.id, upTo: 0 }, 51)],
      ['a plain member\'s REMOVE of M', seal(C, log.parentsFor(C.id, { kind: 'remove', target: M.id }), { kind: 'remove', target: M.id, upTo: 0 }, 52)],
      ['a junior admin\'s REMOVE of the creator (rules 2)', seal(B, log.parentsFor(B.id, { kind: 'remove', target: A.id }), { kind: 'remove', target: A.id, upTo: 0 }, 53)],
      ['M\'s LEAVE on parents from before its JOIN', seal(M, [log.ops()[5].id], { kind: 'leave', upTo: 0 }, 54)],
      ['an admin\'s REMOVE of someone never in', seal(A, log.parentsFor(A.id, { kind: 'remove', target: E.id }), { kind: 'remove', target: E.id, upTo: 0 }, 55)],
      ['a REMOVE on a parent not held', seal(A, ['ff'.repeat(32)], { kind: 'remove', target: M.id, upTo: 0 }, 56)]
    ]
    for (const [what, op] of refused) {
      expect(log.add(op), what).toBe('refused')
      expect(log.has(op.id), what).toBe(false)
    }
    expect({ heads: log.heads(), ops: log.ops().map(o => o.id), state: summary(log.state()) }).toEqual(before)
    expect(log.missing()).toEqual([])
    const removal = act(log, A, { kind: 'remove', target: M.id, upTo: 0 })
    expect(removal.res).toBe('added')
    expect(log.heads()).toContain(removal.op.id)
    // once M is out: its LEAVE, a second REMOVE of it, a copy of the REMOVE: nothing more to end
    expect(act(log, M, { kind: 'leave', upTo: 0 }).res).toBe('refused')
    expect(act(log, B, { kind: 'remove', target: M.id, upTo: 0 }).res).toBe('refused')
    expect(log.add(copyOf(removal.op))).toBe('refused')
    expect(log.held).toBe(MAX_GROUP_OPS + 1)
  })

  it('takes past the cap at most one ending per member there, and never more than GROUP_OPS_CEILING ops', () => {
    const log = groupWithM()
    fill(log, FILLERS['made-up keys\' ops'])
    // four members: each ending taken leaves one fewer; then nobody is left to end
    expect(act(log, M, { kind: 'leave', upTo: 0 }).res).toBe('added')
    expect(act(log, A, { kind: 'remove', target: C.id, upTo: 0 }).res).toBe('added')
    expect(act(log, B, { kind: 'leave', upTo: 0 }).res).toBe('added')
    expect(act(log, A, { kind: 'leave', upTo: 0 }).res).toBe('added')
    expect(log.state().members.size).toBe(0)
    for (const who of [A, B, C, M]) expect(act(log, who, { kind: 'leave', upTo: 1 }, 70).res).toBe('refused')
    expect(log.held).toBe(MAX_GROUP_OPS + 4)

    // a log restored at the ceiling (a store or invitation holding that much) takes no ending either
    const full = groupWithM()
    const ops = full.ops()
    for (let i = 0; ops.length < GROUP_OPS_CEILING + 10; i++) ops.push(FILLERS['M\'s own INVITEs'](full, i))
    const restored = MembershipLog.restored(ops)
    expect(restored.held).toBe(GROUP_OPS_CEILING)
    expect(act(restored, A, { kind: 'remove', target: M.id, upTo: 0 }).res).toBe('refused')
    expect(restored.state().members.has(M.id)).toBe(true)
  })

  it('a log restored from its ops in any order (a store keeps no order) holds what it took past the cap', () => {
    const log = groupWithM()
    fill(log, FILLERS['made-up keys\' ops'])
    const endings = [act(log, A, { kind: 'remove', target: M.id, upTo: 0 }).op, act(log, C, { kind: 'leave', upTo: 1 }).op]
    expect(log.held).toBe(MAX_GROUP_OPS + 2)
    // the endings first: added one by one in that order, each would wait, hold a slot of the 1,000, and push out
    // ops the log held (before: two of them refused)
    for (const order of [[...endings, ...log.ops().filter(o => !endings.includes(o))], shuffled(log.ops(), 1)]) {
      const restored = MembershipLog.restored(order)
      expect(restored.ops().map(o => o.id)).toEqual(log.ops().map(o => o.id))
      expect(restored.missing()).toEqual([])
      expect(summary(restored.state())).toEqual(summary(log.state()))
    }
  })
})
