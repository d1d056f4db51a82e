/**
 * What one fold of a group's membership log costs when one member floods it
 * with concurrent ops (docs/benchmarks.md "Group membership fold"): A creates
 * the group, B and C join, A promotes B, then removes it; B, removed, signs
 * `k` ops on the heads from before its removal. Cases: `k` LEAVEs; LEAVEs,
 * REMOVEs of C and PROMOTEs of C by thirds; `k` RENAMEs (the plain case);
 * each under rules 2 and rules 1. Prints the time to add them all and
 * state()'s median and minimum over 15 folds. Pure protocol code, no I/O:
 * `npx tsx bench/group-fold.ts [k]` (default 900).
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
const [A, B, C] = [1, 2, 3].map(actor)
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
    let t = performance.now()
    for (const op of ops) log.add(op)
    const addMs = performance.now() - t
    const folds: number[] = []
    for (let r = 0; r < FOLDS; r++) {
      const fresh = new MembershipLog(log.rootId)
      for (const op of log.ops()) fresh.add(op)
      t = performance.now()
      fresh.state()
      folds.push(performance.now() - t)
    }
    folds.sort((a, b) => a - b)
    console.log(`rules ${rules ?? 1} ${mix} k=${k}: add all ${addMs.toFixed(0)} ms; state() median ${folds[FOLDS >> 1].toFixed(1)} ms, min ${folds[0].toFixed(1)} ms`)
  }
}
