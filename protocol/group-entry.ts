/**
 * Feed entries: each author's numbered, signed positions in a group (a new
 * sender key, or content sealed under one). The same bytes travel on the
 * group topic and in catch-up, so any member can check and serve any entry
 * without the keys. Pure (docs/protocol.md §12.3).
 */
import { equals as uint8ArrayEquals } from 'uint8arrays/equals'
import { GROUP_ID_BYTES, KEY_ID_BYTES, NONCE_BYTES, openContent, openSlot, sealContent, sealedContentSize, sealSlot, SLOT_SEALED_BYTES, TAG_BYTES, CONTENT_PAD_BYTES } from './group-crypto.js'
import { hex, MAX_GROUP_OP_BYTES, peerOfMultihash } from './group-op.js'
import { GroupContent as GroupContentPb, GroupContentKind, GroupEntry as GroupEntryPb, GroupEntryKind } from './pb/group.js'
import { rememberSigner } from './ed25519-fast.js'
import { decodeSignedRecord, sealSignedRecord, verifySignedRecord } from './signed-envelope.js'
import { scanMessage } from './strict-protobuf.js'
import { sha256 } from './sha256.js'
import type { MessageRules, ScanFields } from './strict-protobuf.js'
import type { PrivateKey } from '@libp2p/interface'

export const GROUP_ENTRY_DOMAIN = 'presence-mesh-group-entry'
/** Envelope payload type: ASCII "pf" (feed) and version 1. */
export const GROUP_ENTRY_PAYLOAD_TYPE = Uint8Array.from([0x70, 0x66, 0x01])
/** A group text is at most this many bytes of UTF-8 (as a chat text). */
export const MAX_GROUP_TEXT_BYTES = 4000
/** Members and invited people together. */
export const MAX_GROUP_MEMBERS = 100
/** The largest GroupContent: a text at the limit with its protobuf framing. */
export const MAX_GROUP_CONTENT_BYTES = MAX_GROUP_TEXT_BYTES + 16
/** A marshaled entry envelope larger than this is rejected unread (a key for 100 members is about 11.5 KiB). */
export const MAX_GROUP_ENTRY_BYTES = 16 * 1024
const MAX_COUNTER = Number.MAX_SAFE_INTEGER

/** protocol/group.proto GroupEntry, field by field (strict-protobuf.ts); each slot is checked as a KeySlot too. */
export const GROUP_ENTRY_RULES: MessageRules = {
  1: { type: 'bytes' },
  2: { type: 'uint64' },
  3: { type: 'uint64' },
  4: { type: 'uint64' },
  5: { type: 'enum', values: [0, 1, 2] },
  6: { type: 'bytes' },
  7: { type: 'bytes', repeated: true },
  8: { type: 'bytes' },
  9: { type: 'bytes' }
}
export const KEY_SLOT_RULES: MessageRules = { 1: { type: 'bytes' }, 2: { type: 'bytes' } }
/** protocol/group.proto GroupContent, checked after it is opened. */
export const GROUP_CONTENT_RULES: MessageRules = { 1: { type: 'enum', values: [0, 1, 2] }, 2: { type: 'string' }, 3: { type: 'bytes' } }

export interface EntryHeader {
  group: Uint8Array
  seq: number
  lamport: number
  sentAt: number
  /** SHA-256 of the author's previous entry; empty at seq 1. */
  prev: Uint8Array
}

/**
 * Digests by the entry's bytes object. The same bytes are hashed twice per
 * entry otherwise: gossipsub's message id is SHA-256 of the data too
 * (node/pubsub-message-id.ts takes it here for group topics), at the sender
 * after its writer hashed the entry, at a member before its reader does.
 * Entry bytes are never written to once made; the digests go with them.
 */
const digests = new WeakMap<Uint8Array, Uint8Array>()

/** What the next entry of a feed names as its `prev`: SHA-256 of its bytes, taken once per bytes object (the caller must not change the digest). */
export function entryHash (bytes: Uint8Array): Uint8Array {
  let d = digests.get(bytes)
  if (d == null) {
    d = sha256(bytes)
    digests.set(bytes, d)
  }
  return d
}

export interface KeySlot {
  /** Multihash bytes of the member. */
  member: Uint8Array
  sealed: Uint8Array
}

export type GroupEntry = EntryHeader & {
  /** Peer id and multihash bytes of the signer. */
  author: string
  authorMultihash: Uint8Array
  keyId: Uint8Array
  /**
   * The marshaled signed envelope: as carried, or, for a re-encoded copy
   * (`copy`), the encoders' encoding of it: the entry it copies, which is
   * what is read, stored, served and hashed for the next entry's `prev`.
   */
  bytes: Uint8Array
  /** The envelope came re-encoded around the signed payload (§12.3 "Copies"): read as the entry it copies, not passed on. */
  copy?: true
} & ({ kind: 'key', slots: KeySlot[] } | { kind: 'content', sealed: Uint8Array })

export type GroupContent =
  | { kind: 'text', text: string }
  | { kind: 'op', op: Uint8Array }

export interface Recipient {
  multihash: Uint8Array
  /** The pair's `group` key between the author and this member. */
  pairGroupKey: Uint8Array
}

function seal (payload: Uint8Array, key: PrivateKey): Uint8Array {
  return sealSignedRecord(GROUP_ENTRY_DOMAIN, GROUP_ENTRY_PAYLOAD_TYPE, payload, key)
}

/** The header's fields for the encoder, which only reads the byte fields (no copies of them). */
function header (h: EntryHeader): Pick<GroupEntryPb, 'group' | 'seq' | 'lamport' | 'sentAt' | 'prev'> {
  return { group: h.group as Uint8Array<ArrayBuffer>, seq: BigInt(h.seq), lamport: BigInt(h.lamport), sentAt: BigInt(h.sentAt), prev: h.prev as Uint8Array<ArrayBuffer> }
}

/** A KEY entry: `senderKey` sealed for each recipient (`nonces`, one per recipient, for vectors only). */
export function sealKeyEntry (h: EntryHeader, author: Uint8Array, keyId: Uint8Array, senderKey: Uint8Array, recipients: Recipient[], key: PrivateKey, nonces?: Uint8Array[]): Uint8Array {
  const slots = recipients.map((r, i) => ({
    member: Uint8Array.from(r.multihash),
    sealed: sealSlot(r.pairGroupKey, { group: h.group, author, member: r.multihash, keyId }, senderKey, nonces?.[i]) as Uint8Array<ArrayBuffer>
  }))
  return seal(GroupEntryPb.encode({ ...header(h), kind: GroupEntryKind.KEY, keyId: Uint8Array.from(keyId), slots, sealed: new Uint8Array(0) }), key)
}

export function encodeContent (c: GroupContent): Uint8Array {
  return GroupContentPb.encode(c.kind === 'text'
    ? { kind: GroupContentKind.TEXT, text: c.text, op: new Uint8Array(0) }
    : { kind: GroupContentKind.OP, text: '', op: Uint8Array.from(c.op) })
}

/** A CONTENT entry sealed under the author's sender key `keyId` (`nonce` for vectors only). */
export function sealContentEntry (h: EntryHeader, author: Uint8Array, keyId: Uint8Array, senderKey: Uint8Array, content: GroupContent, key: PrivateKey, nonce?: Uint8Array): Uint8Array {
  const sealed = sealContent(senderKey, { group: h.group, author, seq: h.seq, keyId }, encodeContent(content), nonce)
  return seal(GroupEntryPb.encode({ ...header(h), kind: GroupEntryKind.CONTENT, keyId: keyId as Uint8Array<ArrayBuffer>, slots: [], sealed: sealed as Uint8Array<ArrayBuffer> }), key)
}

export const GROUP_ENTRY_REJECT_REASONS = ['oversize', 'malformed', 'wrong-payload-type', 'unsupported-key', 'wrong-group', 'invalid-field', 'bad-signature'] as const
export type GroupEntryRejectReason = typeof GROUP_ENTRY_REJECT_REASONS[number]

export type OpenGroupEntryResult =
  | { ok: true, entry: GroupEntry }
  | { ok: false, reason: GroupEntryRejectReason, detail?: string }
  /** Not a fault of the bytes: a copy of an entry the caller holds (`held`), left unchecked. */
  | { ok: false, reason: 'held-copy', detail?: undefined }

const reject = (reason: GroupEntryRejectReason, detail?: string): OpenGroupEntryResult => ({ ok: false, reason, detail })

const MAX_SEALED_CONTENT = sealedContentSize(MAX_GROUP_CONTENT_BYTES)

const EMPTY = new Uint8Array(0) as Uint8Array<ArrayBuffer>
/** GroupContentKind's wire values (protocol/group.proto). */
const KIND_TEXT = 1
const KIND_OP = 2
const ENTRY_KINDS = [GroupEntryKind.ENTRY_UNSPECIFIED, GroupEntryKind.KEY, GroupEntryKind.CONTENT]
const scanned = (fields: ScanFields, n: number): Uint8Array<ArrayBuffer> => (fields.get(n)?.[0] as Uint8Array<ArrayBuffer> | undefined) ?? EMPTY
const scannedU64 = (fields: ScanFields, n: number): bigint => BigInt(fields.get(n)?.[0] as number | bigint | undefined ?? 0)

/**
 * The entry's protobuf from the strict scan's fields, as protons would decode
 * it (absent fields at their defaults): the payload is read once. Each slot
 * is a KeySlot of its own, read under KEY_SLOT_RULES; throws on one that
 * breaks them.
 */
export const groupEntryFromScan = {
  fromScan (fields: ScanFields): GroupEntryPb {
    const slots = (fields.get(7) ?? []).map((bytes) => {
      const slot = scanMessage(bytes as Uint8Array, KEY_SLOT_RULES)
      if (!slot.ok) throw new Error(`slot: ${slot.problem}`)
      return { member: scanned(slot.fields, 1), sealed: scanned(slot.fields, 2) }
    })
    return {
      group: scanned(fields, 1),
      seq: scannedU64(fields, 2),
      lamport: scannedU64(fields, 3),
      sentAt: scannedU64(fields, 4),
      kind: ENTRY_KINDS[Number(fields.get(5)?.[0] ?? 0)],
      keyId: scanned(fields, 6),
      slots,
      sealed: scanned(fields, 8),
      prev: scanned(fields, 9)
    }
  }
}

export interface OpenGroupEntryOptions {
  /**
   * The peer id of the connection the entry came over, when that connection
   * proved it (Noise). An entry whose author is that peer is not verified:
   * a member forwards no entry of its own authorship that it did not write
   * (its own come back as duplicates; one it did not sign fails its verify),
   * so what its connection brings under its name is its own (docs/protocol.md §12.3).
   */
  sentBy?: string
  /**
   * Whether this node holds `author`'s entry `seq` already. A re-encoded copy
   * of one it holds is `held-copy` before its signature is checked: a copy is
   * read as its original, which is read already, and never passed on (§12.3),
   * so the check would buy nothing, and anyone can make any number of copies.
   */
  held?: (author: string, seq: number) => boolean
}

/**
 * Decodes and checks an entry envelope: shape, the group it must belong to,
 * then the signature (unless `sentBy` is its author). Never throws. A
 * re-encoded copy is valid and read as the entry it copies (`copy`). Whether
 * its author may write to the group, and whether its seq is the next one, is
 * the receiver's to judge.
 */
export function openGroupEntry (bytes: Uint8Array, expectedGroup: Uint8Array, opts: OpenGroupEntryOptions = {}): OpenGroupEntryResult {
  if (bytes.byteLength > MAX_GROUP_ENTRY_BYTES) return reject('oversize')
  // the slots are messages of their own: the same rules apply inside them (groupEntryFromScan)
  const decoded = decodeSignedRecord(bytes, GROUP_ENTRY_PAYLOAD_TYPE, GROUP_ENTRY_RULES, groupEntryFromScan, true)
  if (!decoded.ok) return reject(decoded.reason, decoded.detail)
  const { signer, record: pb } = decoded
  if (pb.group.length !== GROUP_ID_BYTES) return reject('invalid-field', 'group id')
  if (!uint8ArrayEquals(pb.group, expectedGroup)) return reject('wrong-group')
  if (pb.seq < 1n || pb.seq > BigInt(MAX_COUNTER)) return reject('invalid-field', 'seq')
  if (pb.lamport < 1n || pb.lamport > BigInt(MAX_COUNTER)) return reject('invalid-field', 'lamport')
  if (pb.sentAt > BigInt(MAX_COUNTER)) return reject('invalid-field', 'sent_at')
  if (pb.keyId.length !== KEY_ID_BYTES) return reject('invalid-field', 'key id')
  if (pb.prev.length !== (pb.seq === 1n ? 0 : 32)) return reject('invalid-field', 'prev')
  let body: { kind: 'key', slots: KeySlot[] } | { kind: 'content', sealed: Uint8Array }
  if (pb.kind === GroupEntryKind.KEY) {
    if (pb.sealed.length > 0) return reject('invalid-field', 'sealed content on a key entry')
    if (pb.slots.length === 0 || pb.slots.length > MAX_GROUP_MEMBERS) return reject('invalid-field', 'slots')
    const seen = new Set<string>()
    for (const s of pb.slots) {
      const m = hex(s.member)
      if (s.sealed.length !== SLOT_SEALED_BYTES || seen.has(m) || peerOfMultihash(s.member) == null || uint8ArrayEquals(s.member, signer.multihash)) {
        return reject('invalid-field', 'slot')
      }
      seen.add(m)
    }
    body = { kind: 'key', slots: pb.slots }
  } else if (pb.kind === GroupEntryKind.CONTENT) {
    if (pb.slots.length > 0) return reject('invalid-field', 'slots on a content entry')
    const padded = pb.sealed.length - NONCE_BYTES - TAG_BYTES
    if (padded <= 0 || padded % CONTENT_PAD_BYTES !== 0 || pb.sealed.length > MAX_SEALED_CONTENT) return reject('invalid-field', 'sealed content')
    body = { kind: 'content', sealed: pb.sealed }
  } else {
    return reject('invalid-field', 'kind')
  }
  if (decoded.reencoded != null && opts.held?.(signer.id, Number(pb.seq)) === true) return { ok: false, reason: 'held-copy' }
  if (opts.sentBy === signer.id) rememberSigner(signer)
  else if (!verifySignedRecord(decoded, GROUP_ENTRY_DOMAIN)) return reject('bad-signature')
  return {
    ok: true,
    entry: {
      group: pb.group,
      seq: Number(pb.seq),
      lamport: Number(pb.lamport),
      sentAt: Number(pb.sentAt),
      prev: pb.prev,
      author: signer.id,
      authorMultihash: signer.multihash,
      keyId: pb.keyId,
      // a copy is its original: never a second entry at its position (a fork), nor a `prev` its author's next does not name
      ...(decoded.reencoded != null ? { bytes: decoded.reencoded, copy: true as const } : { bytes }),
      ...body
    }
  }
}

/** The sender key a KEY entry holds for `me`, or undefined when it has no slot for me (or the slot does not open). */
export function openKeyEntry (entry: GroupEntry, me: Uint8Array, pairGroupKey: Uint8Array): Uint8Array | undefined {
  if (entry.kind !== 'key') return undefined
  const slot = entry.slots.find(s => uint8ArrayEquals(s.member, me))
  if (slot == null) return undefined
  return openSlot(pairGroupKey, { group: entry.group, author: entry.authorMultihash, member: me, keyId: entry.keyId }, slot.sealed)
}

/** Whether a KEY entry has a slot for this member (readable by anyone: the members are named). */
export function keyEntryNames (entry: GroupEntry, member: Uint8Array): boolean {
  return entry.kind === 'key' && entry.slots.some(s => uint8ArrayEquals(s.member, member))
}

/**
 * The content of a CONTENT entry under its sender key, or undefined when the
 * key does not open it or what it holds breaks the rules (an empty or
 * oversized text, a broken op field). Never throws.
 */
export function openEntryContent (entry: GroupEntry, senderKey: Uint8Array): GroupContent | undefined {
  if (entry.kind !== 'content') return undefined
  const plain = openContent(senderKey, { group: entry.group, author: entry.authorMultihash, seq: entry.seq, keyId: entry.keyId }, entry.sealed)
  return plain == null ? undefined : readGroupContent(plain)
}

/**
 * An opened GroupContent, read from the strict scan's fields (the bytes are
 * read once, as the scan then protons would read them: every member reads
 * every text), or undefined when it breaks the rules. Never throws.
 */
export function readGroupContent (plain: Uint8Array): GroupContent | undefined {
  const scan = scanMessage(plain, GROUP_CONTENT_RULES)
  if (!scan.ok) return undefined
  const kind = scan.fields.get(1)?.[0] ?? 0
  const text = scanned(scan.fields, 2)
  const op = scanned(scan.fields, 3)
  if (kind === KIND_TEXT) {
    // the scan checked that the text is UTF-8: its size is its length in bytes
    if (op.length > 0 || text.length === 0 || text.length > MAX_GROUP_TEXT_BYTES) return undefined
    return { kind: 'text', text: Buffer.from(text.buffer, text.byteOffset, text.byteLength).toString('utf8') }
  }
  if (kind === KIND_OP) {
    if (text.length > 0 || op.length === 0 || op.length > MAX_GROUP_OP_BYTES) return undefined
    return { kind: 'op', op }
  }
  return undefined
}
