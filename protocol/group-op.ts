/**
 * Membership operations of a group: signed, standalone (any member can carry
 * one to another), named by the SHA-256 of their envelope, linked to the
 * heads their author knew. Pure: sealing and the rules a receiver applies
 * (docs/protocol.md §12.2); what an op means for the membership is
 * group-log.ts's.
 */
import { peerIdFromMultihash, peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import { sha256 } from '@noble/hashes/sha2.js'
import * as Digest from 'multiformats/hashes/digest'
import { GROUP_ID_BYTES } from './group-crypto.js'
import { MAX_TIME_MS } from './limits.js'
import { GroupOp as GroupOpPb, GroupOpKind as KindPb } from './pb/group.js'
import { decodeSignedRecord, sealSignedRecord, verifySignedRecord } from './signed-envelope.js'
import { isUnicode } from './text.js'
import type { MessageRules } from './strict-protobuf.js'
import type { PrivateKey } from '@libp2p/interface'

export const GROUP_OP_DOMAIN = 'presence-mesh-group-op'
/** Envelope payload type: ASCII "pg" and version 1. */
export const GROUP_OP_PAYLOAD_TYPE = Uint8Array.from([0x70, 0x67, 0x01])
export const OP_ID_BYTES = 32
/** An honest node names at most this many heads; more wait for a later op. */
export const MAX_OP_PARENTS = 16
export const MAX_GROUP_NAME_CHARS = 64
/** A marshaled op envelope larger than this is rejected unread. */
export const MAX_GROUP_OP_BYTES = 2048

/** protocol/group.proto GroupOp, field by field (strict-protobuf.ts). */
export const GROUP_OP_RULES: MessageRules = {
  1: { type: 'bytes' },
  2: { type: 'enum', values: [0, 1, 2, 3, 4, 5, 6, 7, 8] },
  3: { type: 'bytes', repeated: true },
  4: { type: 'uint64' },
  5: { type: 'bytes' },
  6: { type: 'string' },
  7: { type: 'uint64' },
  8: { type: 'uint64' },
  9: { type: 'bytes' }
}

/** Versions of the membership rule (docs/protocol.md §12.2): 1 when a CREATE names none, else 2. New groups use the latest. */
export const GROUP_RULES_VERSIONS = [1, 2] as const
export type GroupRulesVersion = typeof GROUP_RULES_VERSIONS[number]
export const LATEST_GROUP_RULES: GroupRulesVersion = 2

export const GROUP_OP_KINDS = ['create', 'invite', 'join', 'decline', 'leave', 'remove', 'rename', 'promote'] as const
export type GroupOpKind = typeof GROUP_OP_KINDS[number]

const toPb: Record<GroupOpKind, KindPb> = {
  create: KindPb.CREATE,
  invite: KindPb.INVITE,
  join: KindPb.JOIN,
  decline: KindPb.DECLINE,
  leave: KindPb.LEAVE,
  remove: KindPb.REMOVE,
  rename: KindPb.RENAME,
  promote: KindPb.PROMOTE
}
const fromPb = (k: unknown): GroupOpKind | undefined => GROUP_OP_KINDS.find(x => toPb[x] === k)

const WITH_TARGET: readonly GroupOpKind[] = ['invite', 'remove', 'promote']
const WITH_NAME: readonly GroupOpKind[] = ['create', 'rename']
const WITH_UP_TO: readonly GroupOpKind[] = ['leave', 'remove']

/** What an author states in an op. */
export interface GroupOpFields {
  group: Uint8Array
  kind: GroupOpKind
  /** Hex op ids of the heads the author knew (sorted and deduplicated when sealed). */
  parents: string[]
  createdAt: number
  /** Peer id of the member concerned (invite, remove, promote). */
  target?: string
  name?: string
  /** leave, remove: the last seq of the leaving member's feed that counts (0: none). */
  upTo?: number
  /** create: the membership rule's version; absent = 1 (on the wire only 2 is written). */
  rules?: GroupRulesVersion
  /** join, optional: the hex id of the INVITE of the author it answers (rules 2 takes the membership period from it). */
  answers?: string
}

/** A valid op as a receiver holds it. */
export interface GroupOp extends GroupOpFields {
  /** Hex of SHA-256(envelope). */
  id: string
  /** Peer id of the signer. */
  author: string
  /** The marshaled signed envelope, as carried. */
  envelope: Uint8Array
  /**
   * A re-encoded copy only (its envelope is not the encoders' encoding, §12.2
   * "Copies"): that encoding, the op it copies. A copy is a vertex of the log
   * that applies nothing; absent on every op an encoder made.
   */
  original?: Uint8Array
}

export class GroupFieldError extends Error {
  override name = 'GroupFieldError'
}

/** Lower-case hex (node's Buffer: ids are hexed on every entry read). */
export const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')
const unhex = (s: string): Uint8Array => Uint8Array.from(s.match(/../g) ?? [], h => parseInt(h, 16))

export function opId (envelope: Uint8Array): string {
  return hex(sha256(envelope))
}

/** The op itself, or, for a re-encoded copy, the op it copies: same fields and signature, its envelope the encoders' (§12.2 "Copies"). */
export function originalOf (op: GroupOp): GroupOp {
  if (op.original == null) return op
  const { original, ...fields } = op
  return { ...fields, id: opId(original), envelope: original }
}

/** Identity multihash of an Ed25519 public key: 0x00 0x24, then the protobuf key 0x08 0x01 0x12 0x20 || 32 bytes. */
const ED25519_MH_PREFIX = Uint8Array.from([0x00, 0x24, 0x08, 0x01, 0x12, 0x20])

/** The peer id of an Ed25519 peer's multihash bytes, or undefined for anything else. */
export function peerOfMultihash (mh: Uint8Array): string | undefined {
  if (mh.length !== ED25519_MH_PREFIX.length + 32) return undefined
  for (let i = 0; i < ED25519_MH_PREFIX.length; i++) if (mh[i] !== ED25519_MH_PREFIX[i]) return undefined
  try {
    return peerIdFromMultihash(Digest.decode(mh)).toString()
  } catch {
    return undefined
  }
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/u

/** Throws GroupFieldError unless `name` can name a group: 1 to 64 code points, no control characters, not blank. */
export function checkGroupName (name: string): void {
  if (typeof name !== 'string' || name.trim() === '') throw new GroupFieldError('a group needs a name')
  if ([...name].length > MAX_GROUP_NAME_CHARS) throw new GroupFieldError(`a group name is at most ${MAX_GROUP_NAME_CHARS} characters`)
  if (CONTROL.test(name)) throw new GroupFieldError('a group name has no control characters')
  if (!isUnicode(name)) throw new GroupFieldError('a group name is valid Unicode')
}

function sortedParents (parents: string[]): string[] {
  return [...new Set(parents)].sort()
}

/** Signs an op; returns the op as receivers will hold it. */
export function sealGroupOp (fields: GroupOpFields, key: PrivateKey): GroupOp {
  const parents = sortedParents(fields.parents)
  if (fields.kind === 'create' ? parents.length !== 0 : (parents.length === 0 || parents.length > MAX_OP_PARENTS)) {
    throw new GroupFieldError(`a ${fields.kind} op cannot have ${parents.length} parents`)
  }
  if (WITH_NAME.includes(fields.kind)) checkGroupName(fields.name ?? '')
  if (WITH_TARGET.includes(fields.kind) !== (fields.target != null)) throw new GroupFieldError(`target on a ${fields.kind} op`)
  if (fields.rules != null && (fields.kind !== 'create' || !GROUP_RULES_VERSIONS.includes(fields.rules))) throw new GroupFieldError(`rules ${fields.rules} on a ${fields.kind} op`)
  if (fields.answers != null && (fields.kind !== 'join' || !/^[0-9a-f]{64}$/.test(fields.answers))) throw new GroupFieldError(`answers ${fields.answers} on a ${fields.kind} op`)
  const rules = fields.rules === 2 ? 2 : undefined
  const targetMultihash = fields.target == null ? undefined : peerIdFromString(fields.target).toMultihash().bytes
  const payload = GroupOpPb.encode({
    group: Uint8Array.from(fields.group),
    kind: toPb[fields.kind],
    parents: parents.map(p => unhex(p) as Uint8Array<ArrayBuffer>),
    createdAt: BigInt(fields.createdAt),
    target: targetMultihash == null ? new Uint8Array(0) : Uint8Array.from(targetMultihash),
    name: WITH_NAME.includes(fields.kind) ? fields.name ?? '' : '',
    upTo: BigInt(WITH_UP_TO.includes(fields.kind) ? fields.upTo ?? 0 : 0),
    rules: BigInt(rules ?? 0),
    answers: fields.answers == null ? new Uint8Array(0) : unhex(fields.answers) as Uint8Array<ArrayBuffer>
  })
  const envelope = sealSignedRecord(GROUP_OP_DOMAIN, GROUP_OP_PAYLOAD_TYPE, payload, key)
  const author = peerIdFromPrivateKey(key).toString()
  return {
    ...fields,
    name: WITH_NAME.includes(fields.kind) ? fields.name : undefined,
    upTo: WITH_UP_TO.includes(fields.kind) ? fields.upTo ?? 0 : undefined,
    rules,
    parents,
    id: opId(envelope),
    author,
    envelope
  }
}

export const GROUP_OP_REJECT_REASONS = ['oversize', 'malformed', 'wrong-payload-type', 'unsupported-key', 'wrong-group', 'invalid-field', 'bad-signature'] as const
export type GroupOpRejectReason = typeof GROUP_OP_REJECT_REASONS[number]

export type OpenGroupOpResult =
  | { ok: true, op: GroupOp }
  | { ok: false, reason: GroupOpRejectReason, detail?: string }

const reject = (reason: GroupOpRejectReason, detail?: string): OpenGroupOpResult => ({ ok: false, reason, detail })

/**
 * Decodes and checks an op envelope: shape, fields for its kind, the group it
 * must belong to (when given), then the signature. Never throws. Whether its
 * author may do what it says is the membership log's to judge; so is what a
 * re-encoded copy does (valid, with `original` set: it applies nothing).
 */
export function openGroupOp (bytes: Uint8Array, expectedGroup?: Uint8Array): OpenGroupOpResult {
  if (bytes.byteLength > MAX_GROUP_OP_BYTES) return reject('oversize')
  const decoded = decodeSignedRecord(bytes, GROUP_OP_PAYLOAD_TYPE, GROUP_OP_RULES, GroupOpPb, true)
  if (!decoded.ok) return reject(decoded.reason, decoded.detail)
  const { signer, record: pb } = decoded
  if (pb.group.length !== GROUP_ID_BYTES) return reject('invalid-field', 'group id')
  if (expectedGroup != null && hex(pb.group) !== hex(expectedGroup)) return reject('wrong-group')
  const kind = fromPb(pb.kind)
  if (kind == null) return reject('invalid-field', 'kind')
  const parents = pb.parents.map(hex)
  if (pb.parents.some(p => p.length !== OP_ID_BYTES)) return reject('invalid-field', 'parent id')
  for (let i = 1; i < parents.length; i++) if (parents[i - 1] >= parents[i]) return reject('invalid-field', 'parents not sorted')
  if (kind === 'create' ? parents.length !== 0 : (parents.length === 0 || parents.length > MAX_OP_PARENTS)) return reject('invalid-field', 'parents')
  if (pb.createdAt > BigInt(MAX_TIME_MS)) return reject('invalid-field', 'created_at')
  let target: string | undefined
  if (WITH_TARGET.includes(kind)) {
    target = peerOfMultihash(pb.target)
    if (target == null) return reject('invalid-field', 'target')
  } else if (pb.target.length > 0) return reject('invalid-field', 'target')
  if (WITH_NAME.includes(kind)) {
    try { checkGroupName(pb.name) } catch (err: any) { return reject('invalid-field', err.message) }
  } else if (pb.name !== '') return reject('invalid-field', 'name')
  if (!WITH_UP_TO.includes(kind) && pb.upTo !== 0n) return reject('invalid-field', 'up_to')
  if (pb.upTo > BigInt(MAX_TIME_MS)) return reject('invalid-field', 'up_to')
  // absent is rules 1; an explicit 1 would be a second encoding of it, and a version this node does not know it cannot fold
  if (pb.rules !== 0n && (kind !== 'create' || pb.rules !== 2n)) return reject('invalid-field', 'rules')
  if (pb.answers.length > 0 && (kind !== 'join' || pb.answers.length !== OP_ID_BYTES)) return reject('invalid-field', 'answers')
  if (target === signer.id) return reject('invalid-field', 'target is the author')
  if (!verifySignedRecord(decoded, GROUP_OP_DOMAIN)) return reject('bad-signature')
  return {
    ok: true,
    op: {
      group: pb.group,
      kind,
      parents,
      createdAt: Number(pb.createdAt),
      target,
      name: WITH_NAME.includes(kind) ? pb.name : undefined,
      upTo: WITH_UP_TO.includes(kind) ? Number(pb.upTo) : undefined,
      ...(pb.rules === 2n ? { rules: 2 as const } : {}),
      ...(pb.answers.length > 0 ? { answers: hex(pb.answers) } : {}),
      id: opId(bytes),
      author: signer.id,
      envelope: bytes,
      ...(decoded.reencoded != null ? { original: decoded.reencoded } : {})
    }
  }
}
