import { privateKeyFromRaw } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { ed25519 } from '@noble/curves/ed25519.js'
import { sha256 } from '@noble/hashes/sha2.js'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { derivePairKeys, pairSharedSecret } from '../../protocol/pair-keys.js'
import { groupTopic, openContent, sealContent, sealedContentSize } from '../../protocol/group-crypto.js'
import { entryHash, GROUP_CONTENT_RULES, GROUP_ENTRY_RULES, groupEntryFromScan, keyEntryNames, MAX_GROUP_ENTRY_BYTES, MAX_GROUP_MEMBERS, MAX_GROUP_TEXT_BYTES, openEntryContent, openGroupEntry, openKeyEntry, readGroupContent, sealContentEntry, sealKeyEntry } from '../../protocol/group-entry.js'
import { hex, openGroupOp, sealGroupOp, MAX_GROUP_OP_BYTES } from '../../protocol/group-op.js'
import { GroupContent as GroupContentPb, GroupContentKind, GroupEntry as GroupEntryPb, GroupEntryKind } from '../../protocol/pb/group.js'
import { scanMessage } from '../../protocol/strict-protobuf.js'
import type { GroupContent } from '../../protocol/group-entry.js'
import type { PrivateKey } from '@libp2p/interface'

interface Id { key: PrivateKey, seed: Uint8Array, id: string, mh: Uint8Array }
function identity (fill: number): Id {
  const seed = new Uint8Array(32).fill(fill)
  const key = privateKeyFromRaw(Uint8Array.from([...seed, ...ed25519.getPublicKey(seed)]))
  const peer = peerIdFromPrivateKey(key)
  return { key, seed, id: peer.toString(), mh: peer.toMultihash().bytes }
}
const [A, B, C] = [identity(1), identity(2), identity(3)]
const GROUP = new Uint8Array(16).fill(9)
const OTHER_GROUP = new Uint8Array(16).fill(8)
const pairGroupKey = (me: Id, them: Id): Uint8Array => derivePairKeys(pairSharedSecret(me.seed, them.key.publicKey.raw), me.mh, them.mh).group
const senderKey = new Uint8Array(32).fill(5)
const keyId = new Uint8Array(16).fill(6)
const h = (seq: number) => ({ group: GROUP, seq, lamport: seq + 10, sentAt: 1_800_000_000_000, prev: seq === 1 ? new Uint8Array(0) : new Uint8Array(32).fill(seq) })

describe('group entries', () => {
  it('an entry that came over its author\'s own connection is not verified (sentBy); over anyone else\'s it is', () => {
    const bytes = sealContentEntry(h(1), A.mh, keyId, senderKey, { kind: 'text', text: 'x' }, A.key)
    const sig = Uint8Array.from(bytes)
    sig[sig.length - 1] ^= 1
    // no verify when the connection proved the author: a bad signature passes (only the author could send it so)
    expect(openGroupEntry(sig, GROUP, { sentBy: A.id })).toMatchObject({ ok: true, entry: { author: A.id } })
    // relayed by another member, or with no connection named: verified
    expect(openGroupEntry(sig, GROUP, { sentBy: B.id })).toMatchObject({ ok: false, reason: 'bad-signature' })
    expect(openGroupEntry(sig, GROUP)).toMatchObject({ ok: false, reason: 'bad-signature' })
    // every other check still runs
    expect(openGroupEntry(bytes, OTHER_GROUP, { sentBy: A.id })).toMatchObject({ ok: false, reason: 'wrong-group' })
  })

  it('a re-encoded copy of an entry the node holds is held-copy before its signature is checked; of one it lacks, verified', () => {
    const bytes = sealContentEntry(h(2), A.mh, keyId, senderKey, { kind: 'text', text: 'x' }, A.key)
    const badSig = Uint8Array.from(bytes)
    badSig[badSig.length - 1] ^= 1
    // the copy: an unknown field appended to the envelope (field 9, one byte), around the same signed payload
    const copyOf = (b: Uint8Array): Uint8Array => Uint8Array.from([...b, 0x4a, 0x01, 0x00])
    const asked: Array<[string, number]> = []
    const held = (author: string, seq: number): boolean => { asked.push([author, seq]); return seq < 3 }
    // held: refused before the signature, so even a broken one says held-copy, not bad-signature
    expect(openGroupEntry(copyOf(badSig), GROUP, { held })).toMatchObject({ ok: false, reason: 'held-copy' })
    expect(asked).toEqual([[A.id, 2]])
    // not held: read as its original, and only once its signature checks
    const lacking = (): boolean => false
    expect(openGroupEntry(copyOf(badSig), GROUP, { held: lacking })).toMatchObject({ ok: false, reason: 'bad-signature' })
    expect(openGroupEntry(copyOf(bytes), GROUP, { held: lacking })).toMatchObject({ ok: true, entry: { copy: true, bytes } })
    // the entry itself (no copy) is checked as ever, held or not: an exact duplicate is the caller's to judge
    expect(openGroupEntry(badSig, GROUP, { held })).toMatchObject({ ok: false, reason: 'bad-signature' })
    expect(openGroupEntry(bytes, GROUP, { held })).toMatchObject({ ok: true, entry: { seq: 2 } })
  })

  it('a KEY entry opens for each named member with its pair key, and for nobody else', () => {
    const bytes = sealKeyEntry(h(1), A.mh, keyId, senderKey, [{ multihash: B.mh, pairGroupKey: pairGroupKey(A, B) }], A.key)
    const res = openGroupEntry(bytes, GROUP)
    if (!res.ok) throw new Error(res.reason)
    expect(res.entry).toMatchObject({ kind: 'key', author: A.id, seq: 1, lamport: 11 })
    // both sides of the pair derive the same key
    expect(openKeyEntry(res.entry, B.mh, pairGroupKey(B, A))).toEqual(senderKey)
    expect(keyEntryNames(res.entry, B.mh)).toBe(true)
    expect(keyEntryNames(res.entry, C.mh)).toBe(false)
    expect(openKeyEntry(res.entry, C.mh, pairGroupKey(C, A))).toBeUndefined()
    // C cannot use B's slot with its own pair key
    if (res.entry.kind !== 'key') throw new Error('not a key entry')
    expect(openKeyEntry({ ...res.entry, slots: [{ member: C.mh, sealed: res.entry.slots[0].sealed }] }, C.mh, pairGroupKey(C, A))).toBeUndefined()
  })

  it('content opens under its sender key only, bound to its author and position', () => {
    const bytes = sealContentEntry(h(2), A.mh, keyId, senderKey, { kind: 'text', text: 'hello group' }, A.key)
    const res = openGroupEntry(bytes, GROUP)
    if (!res.ok) throw new Error(res.reason)
    expect(openEntryContent(res.entry, senderKey)).toEqual({ kind: 'text', text: 'hello group' })
    expect(openEntryContent(res.entry, new Uint8Array(32).fill(1))).toBeUndefined()
    expect(openEntryContent({ ...res.entry, seq: 3 }, senderKey)).toBeUndefined()
    expect(openEntryContent({ ...res.entry, authorMultihash: B.mh }, senderKey)).toBeUndefined()
    // sizes: padded to 64 bytes
    expect(res.entry.kind === 'content' && res.entry.sealed.length).toBe(sealedContentSize(13 + 2))
  })

  it('refuses tampering, another group, and bad shapes', () => {
    const bytes = sealContentEntry(h(1), A.mh, keyId, senderKey, { kind: 'text', text: 'x' }, A.key)
    const flipped = Uint8Array.from(bytes)
    flipped[flipped.length - 70] ^= 1
    expect(openGroupEntry(flipped, GROUP)).toMatchObject({ ok: false })
    expect(openGroupEntry(bytes, OTHER_GROUP)).toMatchObject({ ok: false, reason: 'wrong-group' })
    expect(openGroupEntry(new Uint8Array(MAX_GROUP_ENTRY_BYTES + 1), GROUP)).toMatchObject({ ok: false, reason: 'oversize' })
    expect(openGroupEntry(Uint8Array.of(1, 2, 3), GROUP)).toMatchObject({ ok: false, reason: 'malformed' })
    const sig = Uint8Array.from(bytes)
    sig[sig.length - 1] ^= 1
    expect(openGroupEntry(sig, GROUP)).toMatchObject({ ok: false, reason: 'bad-signature' })
    const noSlots = sealKeyEntry(h(1), A.mh, keyId, senderKey, [], A.key)
    expect(openGroupEntry(noSlots, GROUP)).toMatchObject({ ok: false, reason: 'invalid-field' })
    const selfSlot = sealKeyEntry(h(1), A.mh, keyId, senderKey, [{ multihash: A.mh, pairGroupKey: pairGroupKey(A, B) }], A.key)
    expect(openGroupEntry(selfSlot, GROUP)).toMatchObject({ ok: false, reason: 'invalid-field' })
  })

  it('a key for the largest group fits the entry limit', () => {
    const members = Array.from({ length: MAX_GROUP_MEMBERS }, (_, i) => identity(i + 10))
    const bytes = sealKeyEntry(h(1), A.mh, keyId, senderKey, members.map(m => ({ multihash: m.mh, pairGroupKey: new Uint8Array(32) })), A.key)
    expect(bytes.length).toBeLessThanOrEqual(MAX_GROUP_ENTRY_BYTES)
    expect(openGroupEntry(bytes, GROUP).ok).toBe(true)
  })

  it('the content box refuses anything sealContent would not make', () => {
    const ctx = { group: GROUP, author: A.mh, seq: 1, keyId }
    const sealed = sealContent(senderKey, ctx, Uint8Array.of(1, 2, 3))
    expect(openContent(senderKey, ctx, sealed)).toEqual(Uint8Array.of(1, 2, 3))
    expect(openContent(senderKey, ctx, sealed.subarray(0, sealed.length - 1))).toBeUndefined()
    expect(openContent(senderKey, { ...ctx, keyId: new Uint8Array(16) }, sealed)).toBeUndefined()
  })

  it('topics are opaque and per group', () => {
    expect(groupTopic(GROUP)).toMatch(/^\/presence-mesh\/group\/1\/[a-z2-7]{26}$/)
    expect(groupTopic(GROUP)).not.toBe(groupTopic(OTHER_GROUP))
  })
})

describe('group ops', () => {
  it('open as sealed, with author and id; refuse a wrong group, tampering and bad fields', () => {
    const op = sealGroupOp({ group: GROUP, kind: 'create', name: 'friends', parents: [], createdAt: 5 }, A.key)
    const res = openGroupOp(op.envelope, GROUP)
    if (!res.ok) throw new Error(res.reason)
    expect(res.op).toMatchObject({ kind: 'create', name: 'friends', author: A.id, id: op.id, parents: [] })
    expect(openGroupOp(op.envelope, OTHER_GROUP)).toMatchObject({ ok: false, reason: 'wrong-group' })
    const bad = Uint8Array.from(op.envelope)
    bad[bad.length - 1] ^= 1
    expect(openGroupOp(bad)).toMatchObject({ ok: false, reason: 'bad-signature' })
    expect(openGroupOp(new Uint8Array(MAX_GROUP_OP_BYTES + 1))).toMatchObject({ ok: false, reason: 'oversize' })
    const invite = sealGroupOp({ group: GROUP, kind: 'invite', target: B.id, parents: [op.id], createdAt: 6 }, A.key)
    expect(openGroupOp(invite.envelope, GROUP)).toMatchObject({ ok: true, op: { kind: 'invite', target: B.id } })
    expect(() => sealGroupOp({ group: GROUP, kind: 'rename', name: '\u0007', parents: [op.id], createdAt: 6 }, A.key)).toThrow(/control/)
    expect(() => sealGroupOp({ group: GROUP, kind: 'join', parents: [], createdAt: 6 }, A.key)).toThrow(/parents/)
  })

  it('reads an entry from the strict scan exactly as protons decodes it (absent fields at their defaults)', () => {
    const bytes = (max: number) => fc.uint8Array({ maxLength: max }) as fc.Arbitrary<Uint8Array<ArrayBuffer>>
    const u64 = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })
    const entry = fc.record({
      group: bytes(20),
      seq: u64,
      lamport: u64,
      sentAt: u64,
      kind: fc.constantFrom(GroupEntryKind.ENTRY_UNSPECIFIED, GroupEntryKind.KEY, GroupEntryKind.CONTENT),
      keyId: bytes(20),
      slots: fc.array(fc.record({ member: bytes(40), sealed: bytes(80) }, { requiredKeys: [] }), { maxLength: 4 }),
      sealed: bytes(100),
      prev: bytes(40)
    }, { requiredKeys: [] })
    fc.assert(fc.property(entry, (e) => {
      // protons writes an absent slot field as it writes an absent top-level one: not at all
      const payload = GroupEntryPb.encode(e as Partial<GroupEntryPb>)
      const scan = scanMessage(payload, GROUP_ENTRY_RULES)
      if (!scan.ok) throw new Error(scan.problem)
      expect(groupEntryFromScan.fromScan(scan.fields)).toEqual(GroupEntryPb.decode(payload))
    }), { numRuns: 300 })
  })

  it('hashes an entry as SHA-256 of its bytes, and hexes ids in lower case', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), fc.nat({ max: 8 }), (b, off) => {
      const view = new Uint8Array([...new Uint8Array(off), ...b]).subarray(off)
      expect(entryHash(view)).toEqual(sha256(b))
      expect(hex(view)).toBe([...b].map(x => x.toString(16).padStart(2, '0')).join(''))
    }), { numRuns: 200 })
  })

  it('hashes an entry\'s bytes once: the same digest for the same bytes object, its own for equal bytes in another', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), (b) => {
      const one = Uint8Array.from(b)
      const other = Uint8Array.from(b)
      const first = entryHash(one)
      expect(entryHash(one)).toBe(first)
      expect(entryHash(other)).not.toBe(first)
      expect(entryHash(other)).toEqual(sha256(b))
    }), { numRuns: 100 })
  })

  it('reads opened content in one pass exactly as the strict scan then protons did (texts of any UTF-8, ops, broken and changed bytes)', () => {
    const utf8 = new TextEncoder()
    // the reading before session 10: scan, then protons' decode, then the rules on the decoded fields
    const asBefore = (plain: Uint8Array): GroupContent | undefined => {
      if (!scanMessage(plain, GROUP_CONTENT_RULES).ok) return undefined
      let pb: GroupContentPb
      try { pb = GroupContentPb.decode(plain) } catch { return undefined }
      if (pb.kind === GroupContentKind.TEXT) {
        if (pb.op.length > 0 || pb.text === '' || utf8.encode(pb.text).byteLength > MAX_GROUP_TEXT_BYTES) return undefined
        return { kind: 'text', text: pb.text }
      }
      if (pb.kind === GroupContentKind.OP) {
        if (pb.text !== '' || pb.op.length === 0 || pb.op.length > MAX_GROUP_OP_BYTES) return undefined
        return { kind: 'op', op: pb.op }
      }
      return undefined
    }
    const text = fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), fc.constantFrom('\uFEFFbom', '', 'é'.repeat(2000), 'é'.repeat(2001), 'x'.repeat(4000), 'x'.repeat(4001), '😀'.repeat(1001)))
    const content = fc.record({
      kind: fc.constantFrom(GroupContentKind.CONTENT_UNSPECIFIED, GroupContentKind.TEXT, GroupContentKind.OP),
      text,
      op: fc.oneof(fc.uint8Array({ maxLength: 40 }), fc.constant(new Uint8Array(MAX_GROUP_OP_BYTES + 1)), fc.constant(new Uint8Array(MAX_GROUP_OP_BYTES).fill(7)))
    }, { requiredKeys: [] })
    const encoded = content.map(c => GroupContentPb.encode(c as Partial<GroupContentPb>))
    const same = (plain: Uint8Array): void => { expect(readGroupContent(plain)).toEqual(asBefore(plain)) }
    fc.assert(fc.property(encoded, same), { numRuns: 400 })
    // broken: any bytes, two messages back to back (repeated fields), and every one-byte change of a real one
    fc.assert(fc.property(fc.uint8Array({ maxLength: 60 }), same), { numRuns: 400 })
    fc.assert(fc.property(encoded, encoded, (a, b) => { same(Uint8Array.from([...a, ...b])) }), { numRuns: 200 })
    fc.assert(fc.property(encoded.filter(b => b.length > 0), fc.nat(), fc.integer({ min: 1, max: 255 }), (b, at, x) => {
      const changed = Uint8Array.from(b)
      changed[at % changed.length] ^= x
      same(changed)
    }), { numRuns: 600 })
    expect(readGroupContent(encodeContentOf('hello'))).toEqual({ kind: 'text', text: 'hello' })
  })
})

function encodeContentOf (text: string): Uint8Array {
  return GroupContentPb.encode({ kind: GroupContentKind.TEXT, text, op: new Uint8Array(0) })
}
