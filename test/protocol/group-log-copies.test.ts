/**
 * Re-encoded copies of ops (§12.2 "Copies"): the signature covers the payload alone and an op is named by the hash of
 * its envelope, so anyone holding an op can re-encode its envelope into a valid op with another id. A copy is a vertex
 * of the log (what names it completes) that applies nothing; the op it copies comes with it. The copies here are made
 * by hand (reencode: protobuf alone, no project code), as an attacker would.
 */
import { describe, expect, it } from 'vitest'
import { MembershipLog } from '../../protocol/group-log.js'
import { MAX_OP_PARENTS, originalOf } from '../../protocol/group-op.js'
import { A, B, C, D, E, copyOf, expectOrderFree, fork, make, REENCODINGS, seal, shuffled, summary, threeMembers } from './group-log-helpers.js'

describe('membership log, re-encoded copies', () => {
  for (const rules of [undefined, 2] as const) {
    it(`rules ${rules ?? 1}: a copy of an admin's old REMOVE of C, made after C was invited again and joined, voids nothing of C's (any re-encoding, any order)`, () => {
      const log = threeMembers(false, rules)
      const remove = make(log, A, { kind: 'remove', target: C.id, upTo: 0 })
      make(log, A, { kind: 'invite', target: C.id })
      make(log, C, { kind: 'join' })
      make(log, C, { kind: 'invite', target: D.id })
      make(log, D, { kind: 'join' })
      const before = summary(log.state())
      expect(before.members).toEqual(['A*', 'B', 'C', 'D'])
      for (const [i, how] of REENCODINGS.entries()) {
        // B, a plain member, keeps A's REMOVE and re-encodes it now: concurrent with C's JOIN and all C did since
        const attacked = fork(log)
        const copy = copyOf(remove, how, i)
        expect(copy.original).toEqual(remove.envelope)
        expect(attacked.add(copy)).toBe('added')
        expect(summary(attacked.state())).toEqual(before)
        // what is made on it completes and counts
        const next = make(attacked, A, { kind: 'invite', target: E.id })
        expect(next.parents).toContain(copy.id)
        expect(summary(attacked.state()).invited).toEqual(['E'])
        expect(attacked.removalOf(C.id)?.id).not.toBe(copy.id)
        expectOrderFree(attacked)
      }
    })
  }

  it('a log given only the copy holds the op it copies, which applies (a CREATE copy included: the group roots at the original)', () => {
    const log = threeMembers(true, 2)
    make(log, A, { kind: 'invite', target: D.id })
    const ops = log.ops()
    for (const [i, op] of ops.entries()) {
      const copy = copyOf(op, REENCODINGS[i % REENCODINGS.length], i)
      const other = new MembershipLog()
      for (const o of ops) other.add(o === op ? copy : o)
      expect(other.has(op.id)).toBe(true)
      expect(other.missing()).toEqual([])
      expect(other.rootId).toBe(ops[0].id)
      expect(summary(other.state())).toEqual(summary(log.state()))
      // a copy of the CREATE is no vertex at all (a group has one CREATE); any other is, beside its original
      expect(other.has(copy.id)).toBe(op.kind !== 'create')
    }
  })

  it('a copy grants nothing: a JOIN naming a copy of its INVITE is unauthorized; an op named on the copy alone (a node before session 21) stands on the op it copies', () => {
    const log = threeMembers(false, 2)
    const invite = make(log, A, { kind: 'invite', target: D.id })
    const copy = copyOf(invite, 'reordered')
    // D answers the copy: it is no INVITE, so D stays invited
    const named = fork(log)
    named.add(copy)
    expect(named.add(seal(D, named.heads(), { kind: 'join', answers: copy.id }))).toBe('added')
    expect(summary(named.state()).invited).toEqual(['D'])
    // D's node had the copy only when it joined (an old node takes it as an op): its JOIN names the copy, not the INVITE,
    // and stands on the INVITE all the same, which is its period (not the copy)
    const onCopy = fork(log)
    onCopy.add(copy)
    const join = seal(D, [copy.id], { kind: 'join' })
    expect(onCopy.add(join)).toBe('added')
    expect(onCopy.state().members.get(D.id)?.period).toBe(invite.id)
    expect(onCopy.upTo(join.id).map(o => o.id)).toContain(invite.id)
    expectOrderFree(onCopy)
  })

  it('copies of an author\'s ops are none of its ops: beyond 16 heads they do not crowd out what its next op is judged by', () => {
    // A renames on heads D's JOIN is not under; a holder of A's RENAME makes 17 copies of it; A then promotes D, whose
    // JOIN must be in the PROMOTE's past (else D is no member there: the PROMOTE counts for nothing)
    const log = threeMembers(false, 2)
    make(log, A, { kind: 'invite', target: D.id })
    const base = log.heads()
    const join = seal(D, base, { kind: 'join' })
    const rename = seal(A, base, { kind: 'rename', name: 'renamed' })
    expect(log.add(rename)).toBe('added')
    expect(log.add(join)).toBe('added')
    // the copies: at least one sorting after D's JOIN (the first head picked covers the CREATE, the last by id)
    for (let salt = 1; salt <= 17 || !log.heads().some(h => h > join.id && h !== rename.id); salt++) log.add(copyOf(rename, 'unknown-field', salt))
    expect(log.heads().length).toBeGreaterThan(MAX_OP_PARENTS + 1)
    const parents = log.parentsFor(A.id, { kind: 'promote', target: D.id })
    expect(parents).toContain(join.id)
    expect(log.add(seal(A, parents, { kind: 'promote', target: D.id }))).toBe('added')
    expect(log.state().members.get(D.id)?.role).toBe('admin')
  })

  it('originalOf gives back the op the copy re-encodes, byte for byte', () => {
    const log = threeMembers(true, 2)
    for (const op of log.ops()) {
      for (const [i, how] of REENCODINGS.entries()) {
        const back = originalOf(copyOf(op, how, i + 1))
        expect(back.id).toBe(op.id)
        expect(back.envelope).toEqual(op.envelope)
        expect(back.original).toBeUndefined()
      }
      expect(originalOf(op)).toBe(op)
    }
  })

  it('a copy in any delivery order: shuffled, the same membership and heads', () => {
    const log = threeMembers(true, 2)
    const remove = make(log, B, { kind: 'remove', target: C.id, upTo: 0 })
    make(log, A, { kind: 'invite', target: C.id })
    make(log, C, { kind: 'join' })
    const all = [...log.ops(), copyOf(remove, 'long-length'), copyOf(remove, 'unknown-inside', 3)]
    const results = [1, 2, 3, 4, 5].map(seed => {
      const other = new MembershipLog()
      for (const op of shuffled(all, seed)) other.add(op)
      return { state: summary(other.state()), heads: other.heads() }
    })
    for (const r of results) expect(r).toEqual(results[0])
    expect(results[0].state).toEqual(summary(log.state()))
  })
})
