import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { MembershipLog } from '../../protocol/group-log.js'
import { MAX_OP_PARENTS, sealGroupOp } from '../../protocol/group-op.js'
import { A, ACTORS, B, C, copyStep, D, E, expectCopiesInert, fork, GROUP, make, merge, REENCODINGS, shuffled, summary, threeMembers } from './group-log-helpers.js'
import type { GroupOp, GroupOpFields } from '../../protocol/group-op.js'

describe('membership log', () => {
  it('applies create, invite, join, decline, rename, promote, leave and remove', () => {
    const log = threeMembers()
    make(log, A, { kind: 'invite', target: D.id })
    make(log, D, { kind: 'decline' })
    make(log, A, { kind: 'rename', name: 'old friends' })
    make(log, A, { kind: 'promote', target: B.id })
    make(log, C, { kind: 'leave', upTo: 4 })
    make(log, B, { kind: 'invite', target: E.id })
    make(log, B, { kind: 'remove', target: E.id, upTo: 0 })
    expect(summary(log.state())).toEqual({ name: 'old friends', members: ['A*', 'B*'], invited: [], gone: ['C:left:4', 'E:removed:0'] })
    expect(log.acceptsFeed(C.id, 4)).toBe(true)
    expect(log.acceptsFeed(C.id, 5)).toBe(false)
    expect(log.acceptsFeed(D.id, 1)).toBe(false)
    expect(log.acceptsFeed(A.id, 99)).toBe(true)
  })

  it('gives ops without authority no effect', () => {
    const log = threeMembers()
    make(log, C, { kind: 'remove', target: B.id, upTo: 0 }) // C is no admin
    make(log, C, { kind: 'rename', name: 'mine' })
    make(log, D, { kind: 'join' }) // never invited
    make(log, D, { kind: 'invite', target: E.id }) // not a member
    expect(summary(log.state())).toEqual({ name: 'friends', members: ['A*', 'B', 'C'], invited: [], gone: [] })
  })

  it('refuses a second CREATE and an op log beyond its limit is refused, not grown', () => {
    const log = threeMembers()
    const other = sealGroupOp({ group: GROUP, kind: 'create', name: 'usurper', parents: [], createdAt: 1 }, B.key)
    expect(log.add(other)).toBe('refused')
    expect(log.add(log.ops()[2])).toBe('duplicate')
  })

  it('waits for missing parents and names them', () => {
    const source = threeMembers()
    const ops = source.ops()
    const log = new MembershipLog()
    for (const op of ops.slice(0, 2)) log.add(op)
    const late = ops[2]
    for (const op of ops.slice(3)) expect(log.add(op)).toBe('pending')
    expect(log.missing()).toEqual([late.id])
    expect(summary(log.state()).members).toEqual(['A*'])
    expect(log.add(late)).toBe('added')
    expect(log.missing()).toEqual([])
    expect(summary(log.state())).toEqual(summary(source.state()))
    expect(log.heads()).toEqual(source.heads())
  })

  it('lists what a node with given heads lacks, and what a member gone by a removal may learn', () => {
    const log = threeMembers()
    const heads = log.heads()
    const more = [make(log, A, { kind: 'rename', name: 'x' }), make(log, A, { kind: 'remove', target: C.id, upTo: 2 })]
    make(log, A, { kind: 'rename', name: 'after' })
    expect(log.opsMissingFrom(heads).map(o => o.id)).toEqual([...more.map(o => o.id), log.heads()[0]])
    expect(log.upTo(more[1].id).map(o => o.id)).toEqual(log.ops().slice(0, -1).map(o => o.id))
    expect(log.removalOf(C.id)?.id).toBe(more[1].id)
  })

  it('concurrent removals both count: two admins removing each other both leave, the eldest member becomes admin', () => {
    const base = threeMembers(true)
    const a = fork(base)
    const b = fork(base)
    make(a, A, { kind: 'remove', target: B.id, upTo: 1 })
    make(b, B, { kind: 'remove', target: A.id, upTo: 0 })
    merge(a, b)
    merge(b, a)
    expect(summary(a.state())).toEqual({ name: 'friends', members: ['C*'], invited: [], gone: ['A:removed:0', 'B:removed:1'] })
    expect(summary(b.state())).toEqual(summary(a.state()))
  })

  it('a group whose last admin left while everyone else was only invited gets an admin when one joins', () => {
    const log = new MembershipLog()
    make(log, A, { kind: 'create', name: 'friends' })
    make(log, A, { kind: 'invite', target: B.id })
    make(log, A, { kind: 'invite', target: C.id })
    make(log, A, { kind: 'leave', upTo: 0 })
    make(log, B, { kind: 'join' })
    make(log, C, { kind: 'join' })
    expect(summary(log.state())).toEqual({ name: 'friends', members: ['B*', 'C'], invited: [], gone: ['A:left:0'] })
  })

  it('a removed admin cannot act "before" its removal: its concurrent invite and rename are void', () => {
    const base = threeMembers(true)
    const a = fork(base)
    const b = fork(base)
    make(a, A, { kind: 'remove', target: B.id, upTo: 0 })
    // B, removed, answers with ops on its old heads, as if made earlier
    make(b, B, { kind: 'invite', target: D.id })
    make(b, B, { kind: 'rename', name: 'hijacked' })
    make(b, D, { kind: 'join' })
    merge(a, b)
    expect(summary(a.state())).toEqual({ name: 'friends', members: ['A*', 'C'], invited: [], gone: ['B:removed:0'] })
  })

  it('removal wins over a concurrent join', () => {
    const log = threeMembers()
    make(log, A, { kind: 'invite', target: D.id })
    const a = fork(log)
    const d = fork(log)
    make(a, A, { kind: 'remove', target: D.id, upTo: 0 })
    make(d, D, { kind: 'join' })
    merge(a, d)
    expect(summary(a.state()).members).toEqual(['A*', 'B', 'C'])
    expect(a.acceptsFeed(D.id, 1)).toBe(false)
  })

  it('every delivery order of the same ops gives the same membership and heads; re-encoded copies among them apply nothing (random histories)', () => {
    const action = fc.record({
      who: fc.integer({ min: 0, max: 4 }),
      what: fc.constantFrom('invite', 'join', 'decline', 'leave', 'remove', 'rename', 'rename', 'promote', 'sync', 'copy', 'copy', 'cycle', 'cycle'),
      target: fc.integer({ min: 0, max: 4 }),
      other: fc.integer({ min: 0, max: 4 }),
      // a copy: of which op the actor holds, re-encoded how (any member can, §12.2 "Copies"); it spreads by sync and is built on
      pick: fc.nat(),
      how: fc.constantFrom(...REENCODINGS)
    })
    fc.assert(fc.property(fc.array(action, { minLength: 1, maxLength: 30 }), fc.array(fc.nat(), { minLength: 3, maxLength: 3 }), (steps, seeds) => {
      // every actor holds its own log; ops are made on what it knows, synced pairwise now and then
      // everyone starts from the same group: A (admin), B (admin), C and D members, E outside
      const start = threeMembers(true)
      make(start, A, { kind: 'invite', target: D.id })
      make(start, D, { kind: 'join' })
      const create = start.ops()[0]
      const all: GroupOp[] = start.ops()
      const copies: GroupOp[] = []
      const logs = ACTORS.map(() => fork(start))
      steps.forEach((s, t) => {
        const log = logs[s.who]
        if (s.what === 'sync') { merge(log, logs[s.other]); return }
        if (copyStep(s, t, log, all, copies)) return
        const target = ACTORS[s.target].id
        const fields: GroupOpFields = { group: GROUP, kind: s.what as GroupOpFields['kind'], parents: log.heads(), createdAt: t + 1 }
        if (fields.parents.length > MAX_OP_PARENTS) return
        if (s.what === 'invite' || s.what === 'remove' || s.what === 'promote') {
          if (s.target === s.who) return
          fields.target = target
        }
        if (s.what === 'rename') fields.name = `n${t}`
        const op = sealGroupOp(fields, ACTORS[s.who].key)
        all.push(op)
        log.add(op)
      })
      const results = seeds.map(seed => {
        const log = new MembershipLog(create.id)
        for (const op of shuffled(all, seed)) log.add(op)
        expect(log.missing()).toEqual([])
        return { state: summary(log.state()), heads: log.heads() }
      })
      const everything = new MembershipLog()
      for (const op of all) everything.add(op)
      for (const r of results) expect(r).toEqual({ state: summary(everything.state()), heads: everything.heads() })
      expectCopiesInert(all, copies)
      // a state always has an admin while it has members
      const s = everything.state()
      if (s.members.size > 0) expect([...s.members.values()].some(m => m.role === 'admin')).toBe(true)
    }), { numRuns: 200 })
  })
})
