/** What the membership log's tests share: five fixed actors, making ops on a log's heads, forks and merges, a readable state. */
import { privateKeyFromRaw } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { ed25519 } from '@noble/curves/ed25519.js'
import { expect } from 'vitest'
import { MembershipLog } from '../../protocol/group-log.js'
import { openGroupOp, originalOf, sealGroupOp } from '../../protocol/group-op.js'
import type { GroupState } from '../../protocol/group-log.js'
import type { GroupOp, GroupOpFields } from '../../protocol/group-op.js'
import type { PrivateKey } from '@libp2p/interface'

export const GROUP = new Uint8Array(16).fill(7)

export interface Actor { name: string, key: PrivateKey, id: string }
/** A fixed key made from `fill`. */
export function actor (name: string, fill: number): Actor {
  const seed = new Uint8Array(32).fill(fill)
  const key = privateKeyFromRaw(Uint8Array.from([...seed, ...ed25519.getPublicKey(seed)]))
  return { name, key, id: peerIdFromPrivateKey(key).toString() }
}
export const [A, B, C, D, E] = ['A', 'B', 'C', 'D', 'E'].map((n, i) => actor(n, i + 1))
export const ACTORS = [A, B, C, D, E]
/** A sixth key, kept out of ACTORS: a puppet an attacker controls. */
export const P = actor('P', 16)
const nameOf = (id: string): string => [...ACTORS, P].find(a => a.id === id)?.name ?? id

type Fields = Omit<GroupOpFields, 'group' | 'parents' | 'createdAt'>

/** An op by `who` on the given parents (not added anywhere). */
export const seal = (who: Actor, parents: string[], fields: Fields, t = 0): GroupOp =>
  sealGroupOp({ group: GROUP, parents, createdAt: t, ...fields }, who.key)

/** Makes an op by `who` on top of `log`'s heads and adds it there. */
export function make (log: MembershipLog, who: Actor, fields: Fields, t = 0): GroupOp {
  const op = seal(who, fields.kind === 'create' ? [] : log.heads(), fields, t)
  expect(log.add(op)).toBe('added')
  return op
}

/** A readable summary of a state. */
export function summary (s: GroupState): { name: string, members: string[], invited: string[], gone: string[] } {
  return {
    name: s.name,
    members: [...s.members].map(([p, m]) => `${nameOf(p)}${m.role === 'admin' ? '*' : ''}`).sort(),
    invited: [...s.invited.keys()].map(nameOf).sort(),
    gone: [...s.gone].map(([p, g]) => `${nameOf(p)}:${g.how}:${g.upTo}`).sort()
  }
}

/** A group A created with B and C as members (B promoted to admin when `adminB`), under `rules` (absent: 1). */
export function threeMembers (adminB = false, rules?: 2): MembershipLog {
  const log = new MembershipLog()
  make(log, A, { kind: 'create', name: 'friends', rules })
  make(log, A, { kind: 'invite', target: B.id })
  make(log, A, { kind: 'invite', target: C.id })
  make(log, B, { kind: 'join' })
  make(log, C, { kind: 'join' })
  if (adminB) make(log, A, { kind: 'promote', target: B.id })
  return log
}

export function fork (log: MembershipLog): MembershipLog {
  const copy = new MembershipLog(log.rootId)
  for (const op of log.ops()) copy.add(op)
  return copy
}

export function merge (into: MembershipLog, from: MembershipLog): void {
  for (const op of from.ops()) into.add(op)
}

/** `list` in the order a seeded linear congruential shuffle gives: one delivery order per seed. */
export function shuffled<T> (list: T[], seed: number): T[] {
  const out = [...list]
  let x = seed + 1
  for (let i = out.length - 1; i > 0; i--) {
    x = (x * 1103515245 + 12345) % 2147483648
    const j = x % (i + 1);
    [out[i], out[j]] = [out[j], out[i]]
  }
  return out
}

/** `log`'s ops added in a few other delivery orders give the same membership. */
export function expectOrderFree (log: MembershipLog): void {
  for (const seed of [1, 2, 3]) {
    const other = new MembershipLog(log.rootId)
    for (const op of shuffled(log.ops(), seed)) other.add(op)
    expect(summary(other.state())).toEqual(summary(log.state()))
  }
}

/** How an attacker re-encodes an envelope around its signed payload (§0.3 decoders take all of these). */
export const REENCODINGS = ['unknown-field', 'reordered', 'long-length', 'unknown-inside'] as const
export type Reencoding = typeof REENCODINGS[number]

/**
 * `envelope` re-encoded `how`, by hand (what any holder can do with protobuf alone: no project code): the same
 * key, payload type, payload and signature; `salt` varies the unknown field's value, so copies differ.
 */
export function reencode (envelope: Uint8Array, how: Reencoding, salt = 0): Uint8Array<ArrayBuffer> {
  const varint = (n: number): number[] => {
    const out: number[] = []
    for (; n >= 0x80; n = Math.floor(n / 0x80)) out.push((n % 0x80) | 0x80)
    return [...out, n]
  }
  const fields = new Map<number, Uint8Array>()
  for (let at = 0; at < envelope.length;) {
    const tag = envelope[at++]
    let len = 0
    for (let shift = 1; ; shift *= 0x80) {
      const b = envelope[at++]
      len += (b & 0x7f) * shift
      if (b < 0x80) break
    }
    fields.set(tag >> 3, envelope.subarray(at, at + len))
    at += len
  }
  const field = (n: number, lengthBytes?: number[]): number[] => [(n << 3) | 2, ...(lengthBytes ?? varint(fields.get(n)!.length)), ...fields.get(n)!]
  const longer = (n: number): number[] => { const v = varint(n); return [...v.slice(0, -1), v[v.length - 1] | 0x80, 0x00] }
  switch (how) {
    case 'unknown-field': return Uint8Array.from([...envelope, 0x30, ...varint(salt)])
    case 'reordered': return Uint8Array.from([...field(5), ...field(1), ...field(2), ...field(3), ...(salt > 0 ? [0x30, ...varint(salt)] : [])])
    case 'long-length': return Uint8Array.from([...field(1), ...field(2), ...field(3, longer(fields.get(3)!.length)), ...field(5), ...(salt > 0 ? [0x30, ...varint(salt)] : [])])
    case 'unknown-inside': return Uint8Array.from([...field(1), ...field(2), ...field(3), 0x22, ...varint(varint(salt).length), ...varint(salt), ...field(5)])
  }
}

/** A re-encoded copy of `op` as a receiver holds it (openGroupOp takes it: it is valid). */
export function copyOf (op: GroupOp, how: Reencoding = 'unknown-field', salt = 0): GroupOp {
  const res = openGroupOp(reencode(op.envelope, how, salt), GROUP)
  if (!res.ok) throw new Error(`the copy is refused: ${res.reason}`)
  expect(res.op.id).not.toBe(op.id)
  return res.op
}

/**
 * What copies among `all` (a history's ops, copies included) must come to: the membership of the same history in
 * which each copy is a vertex that applies nothing (an op of a stranger at its place: same id, same parents), and
 * the same again when the ops they copy are not delivered at all (each copy brings its own).
 */
export function expectCopiesInert (all: GroupOp[], copies: GroupOp[]): void {
  const everything = new MembershipLog()
  for (const op of all) everything.add(op)
  const copyIds = new Set(copies.map(c => c.id))
  const inert = new MembershipLog()
  for (const op of all) {
    if (!copyIds.has(op.id)) inert.add(op)
    // a copy of the CREATE is no vertex (a group has one CREATE)
    else if (op.kind !== 'create') inert.add({ ...op, kind: 'rename', author: P.id, name: 'copy', target: undefined, upTo: undefined, rules: undefined, answers: undefined, original: undefined })
  }
  expect(inert.missing()).toEqual([])
  expect(summary(everything.state())).toEqual(summary(inert.state()))
  const originals = new Set(copies.map(c => originalOf(c).id))
  const copiesOnly = new MembershipLog()
  for (const op of all) if (!originals.has(op.id)) copiesOnly.add(op)
  expect(copiesOnly.missing()).toEqual([])
  for (const id of originals) expect(copiesOnly.has(id)).toBe(true)
  expect(summary(copiesOnly.state())).toEqual(summary(everything.state()))
}

/** A step of the convergence fuzzes that involves copies. */
export interface CopyStep { who: number, what: string, target: number, pick: number, how: Reencoding }

/**
 * Runs `s` on `log` (the log of actor `s.who`) when it is one of the fuzzes' copy steps, and says whether it was:
 * 'cycle', a member removed and invited again, which it accepts (on the remover's log, as if synced), so a copy
 * of the removal is then concurrent with the new membership; 'copy', a copy of an op the actor holds, mostly of an
 * ending (concurrent with what its subject did after it: a re-join, say), which then spreads by sync and is built on.
 */
export function copyStep (s: CopyStep, t: number, log: MembershipLog, all: GroupOp[], copies: GroupOp[]): boolean {
  if (s.what === 'cycle') {
    if (s.target === s.who) return true
    for (const [by, f] of [[s.who, { kind: 'remove', target: ACTORS[s.target].id, upTo: 0 }], [s.who, { kind: 'invite', target: ACTORS[s.target].id }], [s.target, { kind: 'join' }]] as const) {
      const op = sealGroupOp({ ...f, group: GROUP, parents: log.heads(), createdAt: t + 1 }, ACTORS[by].key)
      all.push(op)
      log.add(op)
    }
    return true
  }
  if (s.what !== 'copy') return false
  const ops = log.ops()
  const endings = ops.filter(o => o.kind === 'remove' || o.kind === 'leave')
  const from = endings.length > 0 && s.pick % 4 !== 0 ? endings : ops
  const copy = copyOf(from[s.pick % from.length], s.how, t + 1)
  copies.push(copy)
  all.push(copy)
  log.add(copy)
  return true
}
