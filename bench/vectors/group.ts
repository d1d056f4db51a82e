/** Vectors of group conversations (docs/protocol.md §12): ops, feed entries, the membership rule, keys and topics. */
import { createHash, hkdfSync } from 'node:crypto'
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js'
import { base32 } from 'multiformats/bases/base32'
import { MAX_TIME_MS } from '../../protocol/limits.js'
import { pairSharedSecret } from '../../protocol/pair-keys.js'
import { A, accepted, B, byName, C, hex, identityJson, NOW, refused, utf8, verified } from './common.js'
import { encodeFields, envelope, signed } from './envelopes.js'
import { nonce } from './sealed-presence.js'
import type { Field } from './envelopes.js'
import type { Identity, VectorCase, VectorFile } from './common.js'

const OP_DOMAIN = 'presence-mesh-group-op'
const PG = Uint8Array.of(0x70, 0x67, 0x01)
const ENTRY_DOMAIN = 'presence-mesh-group-entry'
const PF = Uint8Array.of(0x70, 0x66, 0x01)
const GROUP = Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i)
const OTHER_GROUP = Uint8Array.from({ length: 16 }, (_, i) => 0xb0 + i)
const KINDS = { create: 1, invite: 2, join: 3, decline: 4, leave: 5, remove: 6, rename: 7, promote: 8 } as const
const WITH_TARGET = ['invite', 'remove', 'promote']
const WITH_NAME = ['create', 'rename']
const WITH_UP_TO = ['leave', 'remove']

const sha256 = (b: Uint8Array): Uint8Array => Uint8Array.from(createHash('sha256').update(b).digest())
const unhex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'))
const concat = (...parts: Uint8Array[]): Uint8Array => Uint8Array.from(parts.flatMap(p => [...p]))
const u64be = (n: number): Uint8Array => { const b = Buffer.alloc(8); b.writeBigUInt64BE(BigInt(n)); return Uint8Array.from(b) }

interface OpJson { signer: string, kind: keyof typeof KINDS, parents: string[], createdAt: number, target?: string, name?: string, upTo?: number, rules?: number, answers?: string }

function opFields (o: OpJson, group = GROUP): Field[] {
  return [
    { n: 1, bytes: group },
    { n: 2, varint: BigInt(KINDS[o.kind]) },
    ...o.parents.map(p => ({ n: 3, bytes: unhex(p) })),
    ...(o.createdAt !== 0 ? [{ n: 4, varint: BigInt(o.createdAt) }] : []),
    ...(o.target != null ? [{ n: 5, bytes: byName(o.target).multihash }] : []),
    ...(o.name != null && o.name !== '' ? [{ n: 6, bytes: utf8(o.name) }] : []),
    ...(o.upTo != null && o.upTo !== 0 ? [{ n: 7, varint: BigInt(o.upTo) }] : []),
    ...(o.rules != null ? [{ n: 8, varint: BigInt(o.rules) }] : []),
    ...(o.answers != null ? [{ n: 9, bytes: unhex(o.answers) }] : [])
  ]
}
const signOp = (f: Field[], by: Identity): Uint8Array => signed(by, OP_DOMAIN, PG, encodeFields(f))
const opBytes = (o: OpJson): Uint8Array => signOp(opFields(o), byName(o.signer))
const opId = (o: OpJson): string => hex(sha256(opBytes(o)))

/** What openGroupOp gives: the fields its kind carries, the author and the id. */
function decodedOp (o: OpJson): Record<string, unknown> {
  return {
    kind: o.kind,
    author: byName(o.signer).peerId.toString(),
    id: opId(o),
    parents: o.parents,
    createdAt: o.createdAt,
    ...(WITH_TARGET.includes(o.kind) ? { target: byName(o.target!).peerId.toString() } : {}),
    ...(WITH_NAME.includes(o.kind) ? { name: o.name } : {}),
    ...(WITH_UP_TO.includes(o.kind) ? { upTo: o.upTo ?? 0 } : {}),
    ...(o.rules != null ? { rules: o.rules } : {}),
    ...(o.answers != null ? { answers: o.answers } : {})
  }
}

/** HKDF-SHA256 of the pair's shared secret with the label `group` (docs/protocol.md §8.2), with node:crypto. */
function pairGroupKey (me: Identity, them: Identity): Uint8Array {
  const [lo, hi] = Buffer.compare(Buffer.from(me.multihash), Buffer.from(them.multihash)) <= 0 ? [me.multihash, them.multihash] : [them.multihash, me.multihash]
  return new Uint8Array(hkdfSync('sha256', pairSharedSecret(me.seed, them.publicKey), utf8('presence-mesh/pair/v1'), concat(utf8('group'), lo, hi), 32))
}

const SENDER_KEY = Uint8Array.from({ length: 32 }, (_, i) => 0x40 + i)
const KEY_ID = Uint8Array.from({ length: 16 }, (_, i) => 0x60 + i)

function slot (author: Identity, member: Identity, n: number, over: { key?: Uint8Array, aadMember?: Identity } = {}): Uint8Array {
  const aad = concat(utf8('presence-mesh/group-key/1'), GROUP, author.multihash, (over.aadMember ?? member).multihash, KEY_ID)
  return concat(nonce(n), xchacha20poly1305(over.key ?? pairGroupKey(author, member), nonce(n), aad).encrypt(SENDER_KEY))
}

/** uint16_be(len) || content || zero bytes up to a multiple of 64. */
const padded = (content: Uint8Array, size = Math.ceil((content.byteLength + 2) / 64) * 64): Uint8Array =>
  concat(Uint8Array.of(content.byteLength >> 8, content.byteLength & 0xff), content, new Uint8Array(size - content.byteLength - 2))

function sealed (author: Identity, seq: number, content: Uint8Array, n: number, plain = padded(content)): Uint8Array {
  const aad = concat(utf8('presence-mesh/group-content/1'), GROUP, author.multihash, u64be(seq), KEY_ID)
  return concat(nonce(n), xchacha20poly1305(SENDER_KEY, nonce(n), aad).encrypt(plain))
}

const text = (t: string): Uint8Array => encodeFields([{ n: 1, varint: 1n }, { n: 2, bytes: utf8(t) }])

interface Header { seq: number, lamport: number, sentAt: number, prev: string }
const header = (seq: number, over: Partial<Header> = {}): Header => ({ seq, lamport: seq + 100, sentAt: NOW, prev: seq === 1 ? '' : hex(new Uint8Array(32).fill(seq)), ...over })
const headerFields = (h: Header, group = GROUP): Field[] => [{ n: 1, bytes: group }, { n: 2, varint: BigInt(h.seq) }, { n: 3, varint: BigInt(h.lamport) }, ...(h.sentAt !== 0 ? [{ n: 4, varint: BigInt(h.sentAt) }] : [])]
const prevField = (h: Header): Field[] => h.prev === '' ? [] : [{ n: 9, bytes: unhex(h.prev) }]
const keyFields = (h: Header, slots: Array<[Identity, Uint8Array]>, group = GROUP): Field[] => [
  ...headerFields(h, group), { n: 5, varint: 1n }, { n: 6, bytes: KEY_ID },
  ...slots.map(([m, s]) => ({ n: 7, bytes: encodeFields([{ n: 1, bytes: m.multihash }, { n: 2, bytes: s }]) })), ...prevField(h)
]
const contentFields = (h: Header, box: Uint8Array): Field[] => [...headerFields(h), { n: 5, varint: 2n }, { n: 6, bytes: KEY_ID }, { n: 8, bytes: box }, ...prevField(h)]
const signEntry = (f: Field[], by: Identity = A): Uint8Array => signed(by, ENTRY_DOMAIN, PF, encodeFields(f))

export async function groupVectors (): Promise<VectorFile> {
  const ctx = (over: Record<string, unknown> = {}): Record<string, unknown> => ({ group: hex(GROUP), ...over })

  // ---- ops ----
  const create: OpJson = { signer: 'A', kind: 'create', parents: [], createdAt: NOW, name: 'friends' }
  const root = opId(create)
  const invite: OpJson = { signer: 'A', kind: 'invite', parents: [root], createdAt: NOW + 1, target: 'B' }
  const validOp = (name: string, o: OpJson, why?: string): VectorCase =>
    ({ name, why, encode: { op: o }, bytes: hex(opBytes(o)), context: ctx(), expect: accepted(decodedOp(o)) })
  const badOp = (name: string, why: string, bytes: Uint8Array, reason: string, context = ctx()): VectorCase => ({ name, why, bytes: hex(bytes), context, expect: refused(reason) })
  const fieldsWith = (o: OpJson, extra: Field[]): Uint8Array => signOp([...opFields(o), ...extra], byName(o.signer))
  const sixteen = Array.from({ length: 16 }, (_, i) => hex(new Uint8Array(32).fill(i + 1)))
  const flippedOp = opBytes(invite).slice()
  flippedOp[flippedOp.length - 1] ^= 1
  let pad = 0
  while (fieldsWith(create, [{ n: 15, bytes: new Uint8Array(pad) }]).byteLength < 2_049) pad++
  const ops: VectorCase[] = [
    validOp('create', create, 'the root: no parents'),
    validOp('invite', invite),
    validOp('join', { signer: 'B', kind: 'join', parents: [opId(invite)], createdAt: NOW + 2 }),
    validOp('decline', { signer: 'B', kind: 'decline', parents: [opId(invite)], createdAt: NOW + 2 }),
    validOp('leave, naming the last entry of its feed', { signer: 'B', kind: 'leave', parents: [root], createdAt: NOW + 3, upTo: 7 }),
    validOp('remove', { signer: 'A', kind: 'remove', parents: [root], createdAt: NOW + 3, target: 'C', upTo: 12 }),
    validOp('rename to 64 characters', { signer: 'A', kind: 'rename', parents: [root], createdAt: NOW + 4, name: '😀'.repeat(64) }),
    validOp('promote', { signer: 'A', kind: 'promote', parents: [root], createdAt: NOW + 5, target: 'B' }),
    validOp('16 parents', { signer: 'A', kind: 'rename', parents: sixteen, createdAt: NOW, name: 'x' }, 'at most 16'),
    validOp('created_at 0', { ...invite, createdAt: 0 }, 'the time is informational'),
    badOp('a 2,049-byte envelope', 'checked before decoding', fieldsWith(create, [{ n: 15, bytes: new Uint8Array(pad) }]), 'oversize'),
    badOp('kind 9', 'a closed enum', signOp(opFields(invite).map(f => f.n === 2 ? { n: 2, varint: 9n } : f), A), 'malformed'),
    badOp('target given twice', 'a singular field occurs at most once', fieldsWith(invite, [{ n: 5, bytes: C.multihash }]), 'malformed'),
    badOp('entry payload type', 'ops are 0x706701', signed(A, OP_DOMAIN, PF, encodeFields(opFields(invite))), 'wrong-payload-type'),
    badOp('secp256k1 key', 'only Ed25519', envelope(encodeFields([{ n: 1, varint: 2n }, { n: 2, bytes: new Uint8Array(33).fill(2) }]), PG, encodeFields(opFields(invite)), new Uint8Array(64)), 'unsupported-key'),
    badOp('another group', 'every op names its group', signOp(opFields(invite, OTHER_GROUP), A), 'wrong-group'),
    badOp('a group id of 15 bytes', 'group ids are 16 bytes', signOp(opFields(invite, GROUP.subarray(1)), A), 'invalid-field'),
    badOp('kind 0', 'unspecified', signOp(opFields(invite).filter(f => f.n !== 2), A), 'invalid-field'),
    badOp('parents not sorted', 'sorted bytewise, no repeats', opBytes({ ...invite, parents: [sixteen[1], sixteen[0]] }), 'invalid-field'),
    badOp('a parent repeated', 'sorted bytewise, no repeats', opBytes({ ...invite, parents: [sixteen[0], sixteen[0]] }), 'invalid-field'),
    badOp('17 parents', 'at most 16', opBytes({ ...invite, parents: [...sixteen, hex(new Uint8Array(32).fill(0xee))] }), 'invalid-field'),
    badOp('a parent id of 31 bytes', 'op ids are 32 bytes', opBytes({ ...invite, parents: [sixteen[0].slice(2)] }), 'invalid-field'),
    badOp('create with a parent', 'the root has none', opBytes({ ...create, parents: [sixteen[0]] }), 'invalid-field'),
    badOp('invite without parents', 'every other op names its heads', opBytes({ ...invite, parents: [] }), 'invalid-field'),
    badOp('invite without a target', 'invite, remove and promote name one', opBytes({ ...invite, target: undefined }), 'invalid-field'),
    badOp('a target that is not an Ed25519 multihash', 'members are Ed25519 peers', signOp([...opFields({ ...invite, target: undefined }), { n: 5, bytes: new Uint8Array(38) }], A), 'invalid-field'),
    badOp('join with a target', 'only invite, remove and promote have one', opBytes({ signer: 'B', kind: 'join', parents: [root], createdAt: NOW, target: 'C' }), 'invalid-field'),
    badOp('a rename to a name with a control character', 'no control characters', opBytes({ signer: 'A', kind: 'rename', parents: [root], createdAt: NOW, name: 'a\u0007b' }), 'invalid-field'),
    badOp('a rename to 65 characters', 'at most 64', opBytes({ signer: 'A', kind: 'rename', parents: [root], createdAt: NOW, name: 'x'.repeat(65) }), 'invalid-field'),
    badOp('create without a name', 'a group has a name', opBytes({ ...create, name: '' }), 'invalid-field'),
    badOp('up_to on an invite', 'only leave and remove carry it', fieldsWith(invite, [{ n: 7, varint: 3n }]), 'invalid-field'),
    badOp('created_at 2^53', 'times are at most 2^53 - 1', opBytes({ ...invite, createdAt: MAX_TIME_MS + 1 }), 'invalid-field'),
    badOp('A removes A', 'the target is never the author: leave instead', opBytes({ signer: 'A', kind: 'remove', parents: [root], createdAt: NOW, target: 'A' }), 'invalid-field'),
    badOp('one bit of the signature flipped', 'checked last', flippedOp, 'bad-signature'),
    validOp('create under rules 2', { ...create, rules: 2 }, 'the version of the membership rule: only CREATE names it, absent is 1'),
    badOp('create naming rules 1', 'absent is 1: one encoding per meaning', opBytes({ ...create, rules: 1 }), 'invalid-field'),
    badOp('create naming rules 3', 'a rule this node does not know it cannot fold', opBytes({ ...create, rules: 3 }), 'invalid-field'),
    badOp('a rename naming rules', 'only CREATE names the version', opBytes({ signer: 'A', kind: 'rename', parents: [root], createdAt: NOW, name: 'x', rules: 2 }), 'invalid-field'),
    validOp('join naming the invite it answers', { signer: 'B', kind: 'join', parents: [opId(invite)], createdAt: NOW + 2, answers: opId(invite) }, 'rules 2 takes the period from it (session 19)'),
    badOp('a decline naming an invite', 'only JOIN names the INVITE it answers', opBytes({ signer: 'B', kind: 'decline', parents: [opId(invite)], createdAt: NOW + 2, answers: opId(invite) }), 'invalid-field'),
    badOp('a join naming 31 bytes', 'op ids are 32 bytes', opBytes({ signer: 'B', kind: 'join', parents: [opId(invite)], createdAt: NOW + 2, answers: opId(invite).slice(2) }), 'invalid-field')
  ]

  // ---- entries ----
  const keyEntry = (h: Header, members: Identity[], by = A): Uint8Array => signEntry(keyFields(h, members.map((m, i) => [m, slot(by, m, 40 + i)])), by)
  const contentEntry = (h: Header, content: Uint8Array, n: number, by = A): Uint8Array => signEntry(contentFields(h, sealed(by, h.seq, content, n)), by)
  const decodedEntry = (h: Header, kind: 'key' | 'content', over: Record<string, unknown>): Record<string, unknown> =>
    ({ author: A.peerId.toString(), seq: h.seq, lamport: h.lamport, sentAt: h.sentAt, prev: h.prev, kind, keyId: hex(KEY_ID), ...over })
  const h1 = header(1)
  const h2 = header(2)
  const opJoin = opBytes({ signer: 'A', kind: 'rename', parents: [root], createdAt: NOW, name: 'trip' })
  const validEntry = (name: string, bytes: Uint8Array, context: Record<string, unknown>, decoded: Record<string, unknown>, encode?: Record<string, unknown>, why?: string): VectorCase =>
    ({ name, why, encode, bytes: hex(bytes), context: ctx(context), expect: accepted(decoded) })
  const badEntry = (name: string, why: string, bytes: Uint8Array, reason: string): VectorCase => ({ name, why, bytes: hex(bytes), context: ctx(), expect: refused(reason) })
  const keyForB = keyEntry(h1, [B, C])
  const text2 = contentEntry(h2, text('hello group 👋'), 50)
  const flippedEntry = text2.slice()
  flippedEntry[flippedEntry.length - 1] ^= 1
  const encodeContent = (h: Header, n: number, content: Record<string, unknown>): Record<string, unknown> =>
    ({ signer: 'A', header: h, kind: 'content', keyId: hex(KEY_ID), senderKey: hex(SENDER_KEY), nonce: hex(nonce(n)), content })
  const entries: VectorCase[] = [
    validEntry('a new sender key for B and C, read by B', keyForB, { reader: 'B' },
      decodedEntry(h1, 'key', { slots: [B, C].map(m => m.peerId.toString()), senderKey: hex(SENDER_KEY) }),
      { signer: 'A', header: h1, kind: 'key', keyId: hex(KEY_ID), senderKey: hex(SENDER_KEY), recipients: ['B', 'C'], nonces: [hex(nonce(40)), hex(nonce(41))] }),
    validEntry('the same key entry, read by C', keyForB, { reader: 'C' }, decodedEntry(h1, 'key', { slots: [B, C].map(m => m.peerId.toString()), senderKey: hex(SENDER_KEY) })),
    validEntry('a key entry without a slot for the reader', keyEntry(h1, [C]), { reader: 'B' }, decodedEntry(h1, 'key', { slots: [C.peerId.toString()], senderKey: null }), undefined, 'valid: B keeps and serves it, it opens nothing for B'),
    validEntry('a slot sealed for C under B\'s name', signEntry(keyFields(h1, [[B, slot(A, C, 42, { aadMember: B })]])), { reader: 'B' }, decodedEntry(h1, 'key', { slots: [B.peerId.toString()], senderKey: null }), undefined, 'the slot is bound to its member: it does not open for B'),
    validEntry('a text', text2, { senderKey: hex(SENDER_KEY) }, decodedEntry(h2, 'content', { content: { kind: 'text', text: 'hello group 👋' } }), encodeContent(h2, 50, { kind: 'text', text: 'hello group 👋' })),
    validEntry('a text of 4,000 bytes', contentEntry(h2, text('😀'.repeat(1_000)), 51), { senderKey: hex(SENDER_KEY) }, decodedEntry(h2, 'content', { content: { kind: 'text', text: '😀'.repeat(1_000) } }), encodeContent(h2, 51, { kind: 'text', text: '😀'.repeat(1_000) })),
    validEntry('an op', contentEntry(h2, encodeFields([{ n: 1, varint: 2n }, { n: 3, bytes: opJoin }]), 52), { senderKey: hex(SENDER_KEY) }, decodedEntry(h2, 'content', { content: { kind: 'op', op: hex(opJoin) } }), encodeContent(h2, 52, { kind: 'op', op: hex(opJoin) })),
    validEntry('a text under a key the reader lacks', text2, { senderKey: hex(new Uint8Array(32).fill(9)) }, decodedEntry(h2, 'content', { content: null }), undefined, 'valid: the reader only moves past it'),
    validEntry('a text sealed for seq 3, carried at seq 2', signEntry(contentFields(h2, sealed(A, 3, text('x'), 53)), A), { senderKey: hex(SENDER_KEY) }, decodedEntry(h2, 'content', { content: null }), undefined, 'the seq is in the associated data'),
    validEntry('an empty text', contentEntry(h2, encodeFields([{ n: 1, varint: 1n }]), 54), { senderKey: hex(SENDER_KEY) }, decodedEntry(h2, 'content', { content: null }), undefined, 'signed, so valid; what it holds breaks the content rules: nothing to show'),
    validEntry('a text of 4,001 bytes', contentEntry(h2, text('x'.repeat(4_001)), 55), { senderKey: hex(SENDER_KEY) }, decodedEntry(h2, 'content', { content: null }), undefined, 'over the text limit: nothing to show'),
    validEntry('padding that is not zero', signEntry(contentFields(h2, sealed(A, 2, text('x'), 56, (() => { const p = padded(text('x')); p[63] = 1; return p })())), A), { senderKey: hex(SENDER_KEY) }, decodedEntry(h2, 'content', { content: null }), undefined, 'only what the sealing makes opens'),
    badEntry('kind 3', 'a closed enum', signEntry(contentFields(h2, sealed(A, 2, text('x'), 57)).map(f => f.n === 5 ? { n: 5, varint: 3n } : f)), 'malformed'),
    badEntry('a slot with a field given twice', 'the slots follow the rules too', signEntry([...headerFields(h1), { n: 5, varint: 1n }, { n: 6, bytes: KEY_ID }, { n: 7, bytes: encodeFields([{ n: 1, bytes: B.multihash }, { n: 1, bytes: B.multihash }, { n: 2, bytes: slot(A, B, 58) }]) }]), 'malformed'),
    badEntry('op payload type', 'entries are 0x706601', signed(A, ENTRY_DOMAIN, PG, encodeFields(contentFields(h2, sealed(A, 2, text('x'), 59)))), 'wrong-payload-type'),
    badEntry('secp256k1 key', 'only Ed25519', envelope(encodeFields([{ n: 1, varint: 2n }, { n: 2, bytes: new Uint8Array(33).fill(2) }]), PF, encodeFields(contentFields(h2, sealed(A, 2, text('x'), 60))), new Uint8Array(64)), 'unsupported-key'),
    badEntry('another group', 'every entry names its group', signEntry(keyFields(h1, [[B, slot(A, B, 61)]], OTHER_GROUP)), 'wrong-group'),
    badEntry('seq 0', 'feeds start at 1', signEntry(contentFields(header(2, { seq: 0 }), sealed(A, 0, text('x'), 62))), 'invalid-field'),
    badEntry('lamport 0', 'Lamport times start at 1', signEntry(contentFields(header(2, { lamport: 0 }), sealed(A, 2, text('x'), 63))), 'invalid-field'),
    badEntry('seq 2 without prev', 'every entry after the first names the one before', signEntry(contentFields(header(2, { prev: '' }), sealed(A, 2, text('x'), 64))), 'invalid-field'),
    badEntry('seq 1 with a prev', 'the first names none', signEntry(contentFields(header(1, { prev: hex(new Uint8Array(32)) }), sealed(A, 1, text('x'), 65))), 'invalid-field'),
    badEntry('a key entry without slots', 'a key is for somebody', signEntry(keyFields(h1, [])), 'invalid-field'),
    badEntry('a slot for its own author', 'authors keep their own keys', signEntry(keyFields(h1, [[A, slot(A, B, 66)]])), 'invalid-field'),
    badEntry('two slots for one member', 'one slot per member', signEntry(keyFields(h1, [[B, slot(A, B, 67)], [B, slot(A, B, 68)]])), 'invalid-field'),
    badEntry('a slot of 71 bytes', 'nonce, key and tag: 72 bytes', signEntry(keyFields(h1, [[B, slot(A, B, 69).subarray(1)]])), 'invalid-field'),
    badEntry('content that is not whole 64-byte blocks', 'padded to a multiple of 64', signEntry(contentFields(h2, sealed(A, 2, text('x'), 70).subarray(0, 103))), 'invalid-field'),
    badEntry('a key id of 15 bytes', 'key ids are 16 bytes', signEntry(contentFields(h2, sealed(A, 2, text('x'), 71)).map(f => f.n === 6 ? { n: 6, bytes: KEY_ID.subarray(1) } : f)), 'invalid-field'),
    badEntry('sent_at 2^53', 'times are at most 2^53 - 1', signEntry(contentFields(header(2, { sentAt: MAX_TIME_MS + 1 }), sealed(A, 2, text('x'), 72))), 'invalid-field'),
    badEntry('one bit of the signature flipped', 'checked last', flippedEntry, 'bad-signature')
  ]

  // ---- the membership rule ----
  const ids = new Map<OpJson, string>()
  const op = (o: OpJson): OpJson => { ids.set(o, opId(o)); return o }
  const id = (o: OpJson): string => ids.get(o)!
  const c0 = op(create)
  const i1 = op({ signer: 'A', kind: 'invite', parents: [id(c0)], createdAt: NOW, target: 'B' })
  const i2 = op({ signer: 'A', kind: 'invite', parents: [id(i1)], createdAt: NOW, target: 'C' })
  const jB = op({ signer: 'B', kind: 'join', parents: [id(i2)], createdAt: NOW })
  const jC = op({ signer: 'C', kind: 'join', parents: [id(jB)], createdAt: NOW })
  const pB = op({ signer: 'A', kind: 'promote', parents: [id(jC)], createdAt: NOW, target: 'B' })
  const base = [c0, i1, i2, jB, jC]
  const aRemovesB = op({ signer: 'A', kind: 'remove', parents: [id(pB)], createdAt: NOW, target: 'B', upTo: 4 })
  const bRemovesA = op({ signer: 'B', kind: 'remove', parents: [id(pB)], createdAt: NOW, target: 'A', upTo: 9 })
  const bRenames = op({ signer: 'B', kind: 'rename', parents: [id(pB)], createdAt: NOW, name: 'hijacked' })
  const bPromotesC = op({ signer: 'B', kind: 'promote', parents: [id(pB)], createdAt: NOW, target: 'C' })
  const cRemovesB = op({ signer: 'C', kind: 'remove', parents: [id(jC)], createdAt: NOW, target: 'B', upTo: 0 })
  const aLeaves = op({ signer: 'A', kind: 'leave', parents: [id(jC)], createdAt: NOW, upTo: 3 })
  const cDeclines = op({ signer: 'C', kind: 'decline', parents: [id(i2)], createdAt: NOW })
  const renameA = op({ signer: 'A', kind: 'rename', parents: [id(pB)], createdAt: NOW, name: 'alpha' })
  const renameB = op({ signer: 'B', kind: 'rename', parents: [id(pB)], createdAt: NOW, name: 'beta' })
  // at one depth the larger id applies last: its name stays
  const lastRename = id(renameA) > id(renameB) ? 'alpha' : 'beta'
  const peer = (n: string): string => byName(n).peerId.toString()
  const membership = (name: string, why: string, list: OpJson[], state: { name: string, members: Record<string, string>, invited?: Record<string, string>, gone?: Record<string, { how: string, upTo: number }>, missing?: string[] }): VectorCase => {
    // complete: every ancestor is in the list; heads: complete ops no complete op names as a parent
    const complete = new Set<string>()
    for (let grew = true; grew;) {
      grew = false
      for (const o of list) {
        if (!complete.has(id(o)) && o.parents.every(p => complete.has(p))) { complete.add(id(o)); grew = true }
      }
    }
    const heads = [...complete].filter(x => !list.some(o => complete.has(id(o)) && o.parents.includes(x)))
    return {
      name,
      why,
      context: ctx({ ops: list.map(o => hex(opBytes(o))) }),
      expect: accepted({
        name: state.name,
        members: Object.fromEntries(Object.entries(state.members).map(([k, v]) => [peer(k), v]).sort()),
        invited: Object.fromEntries(Object.entries(state.invited ?? {}).map(([k, v]) => [peer(k), peer(v)]).sort()),
        gone: Object.fromEntries(Object.entries(state.gone ?? {}).map(([k, v]) => [peer(k), v]).sort()),
        heads: heads.sort(),
        missing: state.missing ?? []
      })
    }
  }
  const membershipCases: VectorCase[] = [
    membership('created, two invited, both joined', 'the creator is the admin', base, { name: 'friends', members: { A: 'admin', B: 'member', C: 'member' } }),
    membership('the same ops, children first', 'an op counts once all its ancestors are here, whatever the order', [...base].reverse(), { name: 'friends', members: { A: 'admin', B: 'member', C: 'member' } }),
    membership('an invitation declined', 'decline ends an invitation', [c0, i1, i2, cDeclines], { name: 'friends', members: { A: 'admin' }, invited: { B: 'A' } }),
    membership('a removal by a member who is no admin', 'authority is judged in the op\'s causal past: nothing happens', [...base, cRemovesB], { name: 'friends', members: { A: 'admin', B: 'member', C: 'member' } }),
    membership('two admins remove each other at once', 'concurrent removals all count; a group without admin makes its longest-standing member one', [...base, pB, aRemovesB, bRemovesA],
      { name: 'friends', members: { C: 'admin' }, gone: { A: { how: 'removed', upTo: 9 }, B: { how: 'removed', upTo: 4 } } }),
    membership('a removed admin\'s concurrent rename and promotion are void', 'removal wins over what the removed author did concurrently', [...base, pB, aRemovesB, bRenames, bPromotesC],
      { name: 'friends', members: { A: 'admin', C: 'member' }, gone: { B: { how: 'removed', upTo: 4 } } }),
    membership('the last admin leaves', 'the longest-standing member becomes admin', [...base, aLeaves], { name: 'friends', members: { B: 'admin', C: 'member' }, gone: { A: { how: 'left', upTo: 3 } } }),
    membership('two admins rename at once', 'at equal depth the op with the larger id applies last', [...base, pB, renameA, renameB], { name: lastRename, members: { A: 'admin', B: 'admin', C: 'member' } }),
    membership('an op whose parent is missing', 'it waits: the state is that of the ops before it; its parent is named as missing', [c0, i1, jB, jC],
      { name: 'friends', members: { A: 'admin' }, invited: { B: 'A' }, missing: [id(i2)] }),
    ...rules2Cases(op, id, membership)
  ]

  // ---- keys and names ----
  const keys: VectorCase[] = [[A, B], [B, A], [A, C]].map(([me, them]) => ({
    name: `the group key of ${me.name} and ${them.name}, derived by ${me.name}`,
    context: { mySeed: hex(me.seed), theirPublicKey: hex(them.publicKey), myMultihash: hex(me.multihash), theirMultihash: hex(them.multihash), group: hex(GROUP) },
    expect: accepted({ pairGroupKey: hex(pairGroupKey(me, them)), topic: `/presence-mesh/group/1/${base32.baseEncode(sha256(concat(utf8('presence-mesh/group-topic/1'), GROUP)).subarray(0, 16))}` })
  }))

  return await verified({
    type: 'group',
    spec: 'docs/protocol.md §12',
    description: 'ops: sealGroupOp(encode.op, key of encode.op.signer) must give bytes; openGroupOp(bytes, context.group) the decoded op or the reason. entries: sealKeyEntry / sealContentEntry (with the given nonces) must give bytes; openGroupEntry(bytes, context.group), then for a key entry the sender key in context.reader\'s slot (null: none opens), for a content entry its content under context.senderKey (null: it does not open, or breaks the content rules). membership: context.ops (op envelopes, in the order given) added to an empty membership log; the state the rule of §12.2 gives (rules 1, or rules 2 where the CREATE names it). keys: the pair\'s group key (HKDF label "group") and the group topic of context.group.',
    identities: { A: identityJson(A), B: identityJson(B), C: identityJson(C) },
    pair: { group: hex(GROUP), senderKey: hex(SENDER_KEY), keyId: hex(KEY_ID), groupKeyAB: hex(pairGroupKey(A, B)) },
    sections: { ops, entries, membership: membershipCases, keys }
  })
}

type Membership = (name: string, why: string, list: OpJson[], state: { name: string, members: Record<string, string>, invited?: Record<string, string>, gone?: Record<string, { how: string, upTo: number }> }) => VectorCase

/** Membership cases of a group whose CREATE names rules 2 (docs/protocol.md §12.2). */
function rules2Cases (op: (o: OpJson) => OpJson, id: (o: OpJson) => string, membership: Membership): VectorCase[] {
  const c0 = op({ signer: 'A', kind: 'create', parents: [], createdAt: NOW, name: 'friends', rules: 2 })
  const i1 = op({ signer: 'A', kind: 'invite', parents: [id(c0)], createdAt: NOW, target: 'B' })
  const i2 = op({ signer: 'A', kind: 'invite', parents: [id(i1)], createdAt: NOW, target: 'C' })
  const jB = op({ signer: 'B', kind: 'join', parents: [id(i2)], createdAt: NOW })
  const jC = op({ signer: 'C', kind: 'join', parents: [id(jB)], createdAt: NOW })
  const pB = op({ signer: 'A', kind: 'promote', parents: [id(jC)], createdAt: NOW, target: 'B' })
  const base = [c0, i1, i2, jB, jC, pB]
  const aRemovesB = op({ signer: 'A', kind: 'remove', parents: [id(pB)], createdAt: NOW, target: 'B', upTo: 4 })
  const bRemovesA = op({ signer: 'B', kind: 'remove', parents: [id(pB)], createdAt: NOW, target: 'A', upTo: 9 })
  const bRemovesC = op({ signer: 'B', kind: 'remove', parents: [id(pB)], createdAt: NOW, target: 'C', upTo: 0 })
  const aRenames = op({ signer: 'A', kind: 'rename', parents: [id(jC)], createdAt: NOW, name: 'later' })
  const aRemovesC = op({ signer: 'A', kind: 'remove', parents: [id(aRenames)], createdAt: NOW, target: 'C', upTo: 2 })
  const cLeaves = op({ signer: 'C', kind: 'leave', parents: [id(jC)], createdAt: NOW, upTo: 999_999 })
  const aClampsC = op({ signer: 'A', kind: 'remove', parents: [id(cLeaves)], createdAt: NOW, target: 'C', upTo: 2 })
  // A promotes B and C on the same heads: the one that sorts first is the senior; the junior backdates a removal of it
  const pB2 = op({ signer: 'A', kind: 'promote', parents: [id(jC)], createdAt: NOW + 1, target: 'B' })
  const pC2 = op({ signer: 'A', kind: 'promote', parents: [id(jC)], createdAt: NOW + 1, target: 'C' })
  const [senior, junior, juniorPromotion] = id(pB2) < id(pC2) ? ['B', 'C', pC2] as const : ['C', 'B', pB2] as const
  const juniorRemovesSenior = op({ signer: junior, kind: 'remove', parents: [id(juniorPromotion)], createdAt: NOW, target: senior, upTo: 0 })
  // A invites C back and clamps C's first membership on the same heads; C joins again
  const aInvitesCBack = op({ signer: 'A', kind: 'invite', parents: [id(cLeaves)], createdAt: NOW + 1, target: 'C' })
  const cJoinsAgain = op({ signer: 'C', kind: 'join', parents: [id(aInvitesCBack)], createdAt: NOW + 1 })
  // A invites C; B, a plain member, invites C on the same heads, sorting first; C's JOIN sees both and names A's; B then
  // leaves on those heads, so B's INVITE is void (review 18's p60)
  const bJoinsFirst = op({ signer: 'B', kind: 'join', parents: [id(i1)], createdAt: NOW })
  const iAC = op({ signer: 'A', kind: 'invite', parents: [id(bJoinsFirst)], createdAt: NOW + 2, target: 'C' })
  let t = NOW
  while (id(op({ signer: 'B', kind: 'invite', parents: [id(bJoinsFirst)], createdAt: t, target: 'C' })) > id(iAC)) t++
  const iBC = op({ signer: 'B', kind: 'invite', parents: [id(bJoinsFirst)], createdAt: t, target: 'C' })
  const cJoinsOnA = op({ signer: 'C', kind: 'join', parents: [id(iAC), id(iBC)].sort(), createdAt: NOW + 3, answers: id(iAC) })
  const bLeavesBack = op({ signer: 'B', kind: 'leave', parents: [id(bJoinsFirst)], createdAt: NOW + 4, upTo: 0 })
  const members = { A: 'admin', B: 'admin', C: 'member' }
  return [
    membership('rules 2: a join names the invite it answers; a concurrent one sorting first is void', 'the member\'s period is the INVITE its JOIN names: B\'s INVITE, void by B\'s leave, voids nothing of C\'s',
      [c0, i1, bJoinsFirst, iAC, iBC, cJoinsOnA, bLeavesBack], { name: 'friends', members: { A: 'admin', C: 'member' }, gone: { B: { how: 'left', upTo: 0 } } }),
    membership('rules 2: created, two invited, both joined, one promoted', 'the CREATE names rules 2', base, { name: 'friends', members }),
    membership('rules 2: a junior admin removes the senior one', 'an admin may remove only admins made after it: nothing happens', [...base, bRemovesA], { name: 'friends', members }),
    membership('rules 2: two admins remove each other at once', 'only the senior\'s removal is authorized', [...base, aRemovesB, bRemovesA],
      { name: 'friends', members: { A: 'admin', C: 'member' }, gone: { B: { how: 'removed', upTo: 4 } } }),
    membership('rules 2: a removed admin\'s concurrent removal is void', 'every op concurrent with a counted removal of its author is void, removals included', [...base, aRemovesB, bRemovesC],
      { name: 'friends', members: { A: 'admin', C: 'member' }, gone: { B: { how: 'removed', upTo: 4 } } }),
    membership('rules 2: a backdated leave and a removal at once', 'the leave is void: the removal\'s up_to stands, though the leave sorts first', [c0, i1, i2, jB, jC, aRenames, aRemovesC, cLeaves],
      { name: 'later', members: { A: 'admin', B: 'member' }, gone: { C: { how: 'removed', upTo: 2 } } }),
    membership('rules 2: an admin clamps a member that left', 'a removal of a member that left lowers its up_to', [c0, i1, i2, jB, jC, cLeaves, aClampsC],
      { name: 'friends', members: { A: 'admin', B: 'member' }, gone: { C: { how: 'left', upTo: 2 } } }),
    membership('rules 2: a junior admin backdates a removal of an admin promoted senior to it concurrently', 'a promotion of the target concurrent with the removal and sorting before the remover\'s own voids it: nothing happens',
      [c0, i1, i2, jB, jC, pB2, pC2, juniorRemovesSenior], { name: 'friends', members: { A: 'admin', B: 'admin', C: 'admin' } }),
    membership('rules 2: a clamp concurrent with a re-invitation', 'a clamp acts on the membership in its own past and voids nothing: the re-join stands',
      [c0, i1, i2, jB, jC, cLeaves, aInvitesCBack, aClampsC, cJoinsAgain], { name: 'friends', members: { A: 'admin', B: 'member', C: 'member' } })
  ]
}
