/** The conformance adapters of group conversations (docs/protocol.md §12, docs/vectors/group.json). */
import { privateKeyFromRaw } from '@libp2p/crypto/keys'
import { ed25519 } from '@noble/curves/ed25519.js'
import { groupTopic } from '../../../protocol/group-crypto.js'
import { openEntryContent, openGroupEntry, openKeyEntry, sealContentEntry, sealKeyEntry } from '../../../protocol/group-entry.js'
import { MembershipLog } from '../../../protocol/group-log.js'
import { openGroupOp, peerOfMultihash, sealGroupOp } from '../../../protocol/group-op.js'
import { derivePairKeys, pairSharedSecret } from '../../../protocol/pair-keys.js'
import type { Adapter, Expect, VectorFile } from './adapters.js'
import type { GroupContent } from '../../../protocol/group-entry.js'
import type { GroupOp } from '../../../protocol/group-op.js'
import type { PrivateKey } from '@libp2p/interface'

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const unhex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'))
const fail = (reason: string): Expect => ({ ok: false, reason })
const okay = (decoded: unknown): Expect => ({ ok: true, decoded })

interface Id { seed: Uint8Array, key: PrivateKey, peer: string, multihash: Uint8Array }
function identity (file: VectorFile, name: string): Id {
  const id: any = file.identities?.[name]
  if (id == null) throw new Error(`${file.type}: no identity ${name}`)
  const seed = unhex(id.seed)
  const key = privateKeyFromRaw(Uint8Array.from([...seed, ...ed25519.getPublicKey(seed)]))
  return { seed, key, peer: id.peerId, multihash: unhex(id.multihash) }
}
const peerName = (file: VectorFile, name: string): string => identity(file, name).peer

function pairGroupKey (me: Id, author: Uint8Array): Uint8Array {
  return derivePairKeys(pairSharedSecret(me.seed, author.subarray(6)), me.multihash, author).group
}

function opJson (op: GroupOp): Record<string, unknown> {
  return {
    kind: op.kind,
    author: op.author,
    id: op.id,
    parents: op.parents,
    createdAt: op.createdAt,
    ...(op.target != null ? { target: op.target } : {}),
    ...(op.name != null ? { name: op.name } : {}),
    ...(op.upTo != null ? { upTo: op.upTo } : {}),
    ...(op.rules != null ? { rules: op.rules } : {}),
    ...(op.answers != null ? { answers: op.answers } : {})
  }
}

const ops: Adapter = async (c, file) => {
  let encoded: string | undefined
  if (c.encode != null) {
    const o = c.encode.op
    const target = o.target == null ? undefined : peerName(file, o.target)
    encoded = hex(sealGroupOp({ group: unhex(c.context.group), kind: o.kind, parents: o.parents, createdAt: o.createdAt, target, name: o.name, upTo: o.upTo, rules: o.rules, answers: o.answers }, identity(file, o.signer).key).envelope)
  }
  const res = openGroupOp(unhex(c.bytes!), unhex(c.context.group))
  return { encoded, outcome: res.ok ? okay(opJson(res.op)) : fail(res.reason) }
}

function contentJson (c: GroupContent | undefined): unknown {
  if (c == null) return null
  return c.kind === 'text' ? { kind: 'text', text: c.text } : { kind: 'op', op: hex(c.op) }
}

const entries: Adapter = async (c, file) => {
  const group = unhex(c.context.group)
  let encoded: string | undefined
  if (c.encode != null) {
    const e = c.encode
    const author = identity(file, e.signer)
    const h = { group, seq: e.header.seq, lamport: e.header.lamport, sentAt: e.header.sentAt, prev: unhex(e.header.prev) }
    encoded = e.kind === 'key'
      ? hex(sealKeyEntry(h, author.multihash, unhex(e.keyId), unhex(e.senderKey),
        e.recipients.map((r: string) => ({ multihash: identity(file, r).multihash, pairGroupKey: pairGroupKey(author, identity(file, r).multihash) })), author.key, e.nonces.map(unhex)))
      : hex(sealContentEntry(h, author.multihash, unhex(e.keyId), unhex(e.senderKey),
        e.content.kind === 'text' ? { kind: 'text', text: e.content.text } : { kind: 'op', op: unhex(e.content.op) }, author.key, unhex(e.nonce)))
  }
  const res = openGroupEntry(unhex(c.bytes!), group)
  if (!res.ok) return { encoded, outcome: fail(res.reason) }
  const e = res.entry
  const common = { author: e.author, seq: e.seq, lamport: e.lamport, sentAt: e.sentAt, prev: hex(e.prev), kind: e.kind, keyId: hex(e.keyId) }
  if (e.kind === 'key') {
    const reader = identity(file, c.context.reader)
    const key = openKeyEntry(e, reader.multihash, pairGroupKey(reader, e.authorMultihash))
    return { encoded, outcome: okay({ ...common, slots: e.slots.map(s => peerOfMultihash(s.member)), senderKey: key == null ? null : hex(key) }) }
  }
  return { encoded, outcome: okay({ ...common, content: contentJson(openEntryContent(e, unhex(c.context.senderKey))) }) }
}

const membership: Adapter = async (c) => {
  const group = unhex(c.context.group)
  const log = new MembershipLog()
  for (const bytes of c.context.ops as string[]) {
    const res = openGroupOp(unhex(bytes), group)
    if (!res.ok) throw new Error(`${c.name}: an op does not open: ${res.reason}`)
    log.add(res.op)
  }
  const s = log.state()
  const sorted = <V>(m: Map<string, V>, f: (v: V) => unknown): Record<string, unknown> => Object.fromEntries([...m].map(([k, v]) => [k, f(v)]).sort())
  return {
    outcome: okay({
      name: s.name,
      members: sorted(s.members, m => m.role),
      invited: sorted(s.invited, i => i.by),
      gone: sorted(s.gone, g => ({ how: g.how, upTo: g.upTo })),
      heads: log.heads(),
      missing: log.missing()
    })
  }
}

const keys: Adapter = async (c) => {
  const ctx = c.context
  const key = derivePairKeys(pairSharedSecret(unhex(ctx.mySeed), unhex(ctx.theirPublicKey)), unhex(ctx.myMultihash), unhex(ctx.theirMultihash)).group
  return { outcome: okay({ pairGroupKey: hex(key), topic: groupTopic(unhex(ctx.group)) }) }
}

export const GROUP_ADAPTERS: Record<string, Adapter> = {
  'group/ops': ops,
  'group/entries': entries,
  'group/membership': membership,
  'group/keys': keys
}
