/**
 * What one fold of a group's membership log costs when one member floods it
 * with concurrent ops (docs/benchmarks.md "Group membership fold"): A creates
 * the group, B and C join, A promotes B, then removes it; B, removed, signs
 * `k` ops on the heads from before its removal. Cases: `k` LEAVEs; LEAVEs,
 * REMOVEs of C and PROMOTEs of C by thirds; `k` RENAMEs (the plain case);
 * each under rules 2 and rules 1. Then two colluding admins X and Y, promoted
 * by A on the same heads, remove each other and flood the cycle with `k/2`
 * ops each: (a) Y's fan of REMOVEs of X, X's chain of RENAMEs; (b) X's fan
 * of LEAVEs and chain of RENAMEs; (c) Y's fan of REMOVEs of X, X's fan of
 * REMOVEs of D (review 15's p21). Prints the time to add them all,
 * state()'s median and minimum over 15 folds, and the cost of the next
 * honest op (its insert folds its past, then a state()). Pure protocol code,
 * no I/O: `npx tsx bench/group-fold.ts [k]` (default 900).
 */
import { privateKeyFromRaw } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { ed25519 } from '@noble/curves/ed25519.js'
import { MembershipLog } from '../protocol/group-log.js'
import { sealGroupOp } from '../protocol/group-op.js'
import type { GroupOp, GroupOpFields } from '../protocol/group-op.js'
import type { PrivateKey } from '@libp2p/interface'

type Fields = Omit<GroupOpFields, 'group' | 'parents' | 'createdAt'>
interface Actor { key: PrivateKey, id: string }

const GROUP = new Uint8Array(16).fill(7)
const FOLDS = 15
const k = Number(process.argv[2] ?? 900)

function actor (fill: number): Actor {
  const seed = new Uint8Array(32).fill(fill)
  const key = privateKeyFromRaw(Uint8Array.from([...seed, ...ed25519.getPublicKey(seed)]))
  return { key, id: peerIdFromPrivateKey(key).toString() }
}
const [A, B, C, D] = [1, 2, 3, 4].map(actor)
const seal = (who: Actor, parents: string[], f: Fields, t = 0): GroupOp => sealGroupOp({ group: GROUP, parents, createdAt: t, ...f }, who.key)

const MIXES: Record<string, (i: number) => Fields> = {
  leaves: i => ({ kind: 'leave', upTo: i }),
  'leaves+removes+promotes': i => [{ kind: 'leave', upTo: i }, { kind: 'remove', target: C.id, upTo: i }, { kind: 'promote', target: C.id }][i % 3] as Fields,
  renames: i => ({ kind: 'rename', name: `r${i}` })
}

for (const rules of [2, undefined] as const) {
  for (const [mix, flood] of Object.entries(MIXES)) {
    const log = new MembershipLog()
    const make = (who: Actor, f: Fields): void => { log.add(seal(who, f.kind === 'create' ? [] : log.heads(), f)) }
    make(A, { kind: 'create', name: 'g', rules })
    for (const p of [B, C]) make(A, { kind: 'invite', target: p.id })
    for (const p of [B, C]) make(p, { kind: 'join' })
    make(A, { kind: 'promote', target: B.id })
    const before = log.heads()
    make(A, { kind: 'remove', target: B.id, upTo: 1 })
    const ops = Array.from({ length: k }, (_, i) => seal(B, before, flood(i), i))
    const t = performance.now()
    for (const op of ops) log.add(op)
    const addMs = performance.now() - t
    console.log(`rules ${rules ?? 1} ${mix} k=${k}: add all ${addMs.toFixed(0)} ms; ${folds(log)}`)
  }
}

/** state()'s median and minimum over FOLDS folds, each of a fresh log holding `log`'s ops. */
function folds (log: MembershipLog): string {
  const times: number[] = []
  for (let r = 0; r < FOLDS; r++) {
    const fresh = new MembershipLog(log.rootId)
    for (const op of log.ops()) fresh.add(op)
    const t = performance.now()
    fresh.state()
    times.push(performance.now() - t)
  }
  times.sort((a, b) => a - b)
  return `state() median ${times[FOLDS >> 1].toFixed(1)} ms, min ${times[0].toFixed(1)} ms`
}

const half = k >> 1
const CYCLES: Record<string, (X: Actor, Y: Actor, pX: string, pY: string, rXY: string) => GroupOp[]> = {
  'a: Y REMOVEs X (fan), X RENAMEs (chain)': (X, Y, pX, pY, rXY) => [...fan(Y, pY, i => ({ kind: 'remove', target: X.id, upTo: i })), ...chain(X, rXY)],
  'b: X LEAVEs (fan) and RENAMEs (chain)': (X, Y, pX, pY, rXY) => [seal(Y, [pY], { kind: 'remove', target: X.id, upTo: 0 }), ...fan(X, pX, i => ({ kind: 'leave', upTo: i })), ...chain(X, rXY)],
  'c: Y REMOVEs X (fan), X REMOVEs D (fan)': (X, Y, pX, pY) => [...fan(Y, pY, i => ({ kind: 'remove', target: X.id, upTo: i })), ...fan(X, pX, i => ({ kind: 'remove', target: D.id, upTo: i }))]
}
function fan (who: Actor, parent: string, f: (i: number) => Fields): GroupOp[] {
  return Array.from({ length: half }, (_, i) => seal(who, [parent], f(i), i))
}
function chain (who: Actor, from: string): GroupOp[] {
  const out: GroupOp[] = []
  for (let i = 0, prev = from; i < half; i++, prev = out[out.length - 1].id) out.push(seal(who, [prev], { kind: 'rename', name: `x${i}` }, i))
  return out
}

for (const rules of [2, undefined] as const) {
  for (const [flood, ops] of Object.entries(CYCLES)) {
    const log = new MembershipLog()
    // at most 16 parents: a fan leaves hundreds of heads
    const make = (who: Actor, f: Fields): GroupOp => { const op = seal(who, f.kind === 'create' ? [] : log.heads().slice(-16), f); log.add(op); return op }
    make(A, { kind: 'create', name: 'g', rules })
    const [X, Y] = [B, C]
    for (const p of [X, Y, D]) make(A, { kind: 'invite', target: p.id })
    for (const p of [X, Y, D]) make(p, { kind: 'join' })
    const heads = log.heads()
    const pX = seal(A, heads, { kind: 'promote', target: X.id }, 1)
    const pY = seal(A, heads, { kind: 'promote', target: Y.id }, 2)
    const rXY = seal(X, [pX.id], { kind: 'remove', target: Y.id, upTo: 0 })
    const all = [pX, pY, rXY, ...ops(X, Y, pX.id, pY.id, rXY.id)]
    let t = performance.now()
    for (const op of all) log.add(op)
    const addMs = performance.now() - t
    const line = folds(log)
    t = performance.now()
    make(A, { kind: 'rename', name: 'honest' })
    log.state()
    console.log(`rules ${rules ?? 1} cycle ${flood} k=${half}+${half}: add all ${addMs.toFixed(0)} ms; ${line}; next honest op ${(performance.now() - t).toFixed(1)} ms`)
  }
}
