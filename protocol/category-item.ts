/**
 * One signed category item (docs/protocol.md §10.1) and the rules a receiver
 * applies to it. Pure: the caller supplies the clock and the replay floor.
 */
import { writeHotItem } from './item-writer.js'
import { equals as uint8ArrayEquals } from 'uint8arrays/equals'
import { CATEGORY_ITEM_RULES, categoryFromPb, categoryKey, categoryProblem, categoryToPb, isCategoryProblem } from './categories.js'
import {
  MAX_CATEGORY_ENVELOPE_BYTES, MAX_CATEGORY_TTL_MS, MAX_CLOCK_SKEW_MS, MAX_PRESENCE_TTL_MS, MAX_TIME_MS, MIN_PRESENCE_TTL_MS
} from './limits.js'
import { CategoryItem as CategoryItemPb } from './pb/categories.js'
import { categoryItemFromScan, readCategoryItem } from './category-reader.js'
import { readHotItem } from './item-reader.js'
import { decodeSignedRecord, sealSignedRecord, verifySignedRecord } from './signed-envelope.js'
import type { Category, CategoryKey } from './categories.js'
import type { SignedRecord } from './signed-envelope.js'
import type { ScanFields } from './strict-protobuf.js'
import { REJECT_REASONS } from './presence-record.js'
import type { PeerId, PrivateKey } from '@libp2p/interface'

/** Signing domain of category envelopes. */
export const CATEGORY_DOMAIN = 'presence-mesh-category'
/** Envelope payload type: ASCII "pe" (presence, enhanced) and the item version 1. */
export const CATEGORY_PAYLOAD_TYPE = Uint8Array.from([0x70, 0x65, 0x01])

export interface CategoryItem {
  presentity: PeerId
  seq: bigint
  issuedAt: number
  expiresAt: number
  category: Category
}

/** Reasons an item (or a bundle of them) is refused: those of presence records, and the bundle's own (docs/protocol.md §0.6). */
export const CATEGORY_REJECT_REASONS = [...REJECT_REASONS, 'wrong-category', 'missing-state', 'duplicate-category', 'too-many-items'] as const
export type CategoryRejectReason = typeof CATEGORY_REJECT_REASONS[number]

/** The longest lifetime an item of this category may claim: the state follows presence records. */
export function maxTtlOf (c: Category): number {
  return c.kind === 'state' ? MAX_PRESENCE_TTL_MS : MAX_CATEGORY_TTL_MS
}

export function encodeCategoryItem (item: CategoryItem): Uint8Array {
  // the state and a note, the items of every change, without protons' writer (the same bytes)
  const presentity = item.presentity.toMultihash().bytes
  const hot = writeHotItem(presentity, item.seq, item.issuedAt, item.expiresAt, item.category)
  if (hot != null) return hot
  return CategoryItemPb.encode({
    presentity,
    seq: item.seq,
    issuedAt: BigInt(item.issuedAt),
    expiresAt: BigInt(item.expiresAt),
    ...categoryToPb(item.category)
  })
}

/**
 * The payload of an item's envelope (what it signs), which is also what a
 * notify stream carries unsigned (§11.2); throws on a category that breaks a
 * rule (callers check first).
 */
export function encodeCheckedItem (item: CategoryItem): Uint8Array {
  const problem = categoryProblem(item.category)
  if (problem != null) throw new Error(`invalid ${item.category.kind} category: ${problem.field} ${problem.problem}`)
  return encodeCategoryItem(item)
}

/** Seals the payload of an item (encodeCheckedItem) in a signed envelope. */
export function sealCategoryPayload (payload: Uint8Array, key: PrivateKey): Uint8Array {
  return sealSignedRecord(CATEGORY_DOMAIN, CATEGORY_PAYLOAD_TYPE, payload, key)
}

/** Seals an item in a signed envelope; throws on a category that breaks a rule (callers check first). */
export function sealCategory (item: CategoryItem, key: PrivateKey): Uint8Array {
  return sealCategoryPayload(encodeCheckedItem(item), key)
}

/**
 * The size of the envelope sealCategoryPayload makes of a payload of
 * `payloadBytes`, known before signing: public key (2 + 36), payload type
 * (2 + 3), payload (1 + varint + n), signature (2 + 64).
 */
export function categoryEnvelopeSize (payloadBytes: number): number {
  let prefix = 1
  for (let n = payloadBytes; n >= 0x80; n = Math.floor(n / 128)) prefix++
  return 110 + prefix + payloadBytes
}

export interface CategoryOpenOptions {
  now: number
  /** The item must be this presentity's. */
  expectedPresentity?: PeerId | string
  /** The item must be of this category (a query's answer). */
  expectedKey?: CategoryKey
  /** Lowest acceptable seq (replay floor): lower is `replay`. */
  minSeq?: bigint
  maxClockSkewMs?: number
}

/** An item that passed every check but the signature (see verifyCategory). */
export interface CheckedItem {
  item: CategoryItem
  key: CategoryKey
  signed: SignedRecord<unknown>
}

export type CheckResult = { ok: true, checked: CheckedItem } | { ok: false, reason: CategoryRejectReason, detail?: string }

const reject = (reason: CategoryRejectReason, detail?: string): { ok: false, reason: CategoryRejectReason, detail?: string } => ({ ok: false, reason, detail })

/**
 * An item's protobuf from the strict scan's fields of a signed envelope's
 * payload (the top level is read once, by the scan; each category body by
 * category-reader.ts). Throws on a body that breaks its rules.
 */
const itemFromScan = {
  fromScan (fields: ScanFields): CategoryItemPb {
    const read = categoryItemFromScan(fields)
    if (!read.ok) throw new Error(read.problem)
    return read.value
  }
}

/**
 * Every check of §10.1 but the signature, cheapest first: size, envelope,
 * payload, signer, fields, lifetime, clock, replay. Never throws.
 */
export function checkCategory (bytes: Uint8Array, opts: CategoryOpenOptions): CheckResult {
  if (bytes.byteLength > MAX_CATEGORY_ENVELOPE_BYTES) return reject('oversize')
  // each category body present must follow its own message's rules too (itemFromScan)
  const decoded = decodeSignedRecord(bytes, CATEGORY_PAYLOAD_TYPE, CATEGORY_ITEM_RULES, itemFromScan)
  if (!decoded.ok) return reject(decoded.reason, decoded.detail)
  const { signer, record: pb } = decoded
  if (!uint8ArrayEquals(pb.presentity, signer.multihash)) return reject('signer-mismatch')
  if (opts.expectedPresentity != null && signer.id !== opts.expectedPresentity.toString()) return reject('wrong-presentity')
  const res = checkFields(pb, signer.peerId, opts)
  return res.ok ? { ok: true, checked: { item: res.item, key: res.key, signed: decoded } } : res
}

export type DirectCheckResult = { ok: true, item: CategoryItem, key: CategoryKey } | { ok: false, reason: CategoryRejectReason, detail?: string }

/**
 * An unsigned item (the payload of an item's envelope) from a path that
 * proved who sent it, `presentity`: a notify stream (§11.2). Every check of
 * checkCategory but the envelope's, and the item must name `presentity`.
 * Never throws.
 */
export function checkDirectItem (payload: Uint8Array, presentity: PeerId, opts: Omit<CategoryOpenOptions, 'expectedPresentity'>): DirectCheckResult {
  if (categoryEnvelopeSize(payload.byteLength) > MAX_CATEGORY_ENVELOPE_BYTES) return reject('oversize')
  // a change's state and note in one pass (item-reader.ts); any other item, one walk over it and one over its body, no protons (category-reader.ts)
  const hot = readHotItem(payload)
  if (hot != null) {
    if (!uint8ArrayEquals(hot.presentity, presentity.toMultihash().bytes)) return reject('wrong-presentity')
    return checkItem(hot.category, hot.seq, hot.issuedAt, hot.expiresAt, presentity, opts)
  }
  const read = readCategoryItem(payload)
  if (!read.ok) return reject('malformed', `payload: ${read.problem}`)
  if (!uint8ArrayEquals(read.value.presentity, presentity.toMultihash().bytes)) return reject('wrong-presentity')
  return checkFields(read.value, presentity, opts)
}

/** The checks of an item's fields, lifetime, clock and floor (§10.1), once its presentity is known. */
function checkFields (pb: CategoryItemPb, presentity: PeerId, opts: Omit<CategoryOpenOptions, 'expectedPresentity'>): DirectCheckResult {
  const category = categoryFromPb(pb)
  if (isCategoryProblem(category)) return reject('invalid-field', `${category.field} ${category.problem}`)
  // a time above MAX_TIME_MS (2^53 - 1) is at least 2^53 as a number too: the same refusal as on the bigint
  return checkItem(category, pb.seq, Number(pb.issuedAt), Number(pb.expiresAt), presentity, opts)
}

/** checkFields once the category is read: its rules, then seq, times, lifetime, clock and floor. */
function checkItem (category: Category, seq: bigint, issuedAt: number, expiresAt: number, presentity: PeerId, opts: Omit<CategoryOpenOptions, 'expectedPresentity'>): DirectCheckResult {
  const problem = categoryProblem(category)
  if (problem != null) return reject('invalid-field', `${category.kind}.${problem.field} ${problem.problem}`)
  if (seq === 0n) return reject('invalid-field', 'seq')
  if (issuedAt > MAX_TIME_MS || expiresAt > MAX_TIME_MS) return reject('invalid-field', 'time')
  const item: CategoryItem = { presentity, seq, issuedAt, expiresAt, category }
  const key = categoryKey(category)
  if (opts.expectedKey != null && key !== opts.expectedKey) return reject('wrong-category', key)

  const ttl = item.expiresAt - item.issuedAt
  if (ttl < MIN_PRESENCE_TTL_MS) return reject('invalid-field', 'ttl')
  if (ttl > maxTtlOf(category)) return reject('ttl-too-long')
  return checkClock(item, key, opts)
}

/**
 * The checks of an item that depend on the time and the floor (§10.1): not
 * issued in the future, not expired, not below `minSeq`. The last checks of
 * every item; alone, they are all an item the watcher already took whole
 * (the same bytes) needs again.
 */
export function checkClock (item: CategoryItem, key: CategoryKey, opts: Pick<CategoryOpenOptions, 'now' | 'minSeq' | 'maxClockSkewMs'>): DirectCheckResult {
  if (item.issuedAt > opts.now + (opts.maxClockSkewMs ?? MAX_CLOCK_SKEW_MS)) return reject('future')
  if (item.expiresAt <= opts.now) return reject('expired')
  if (opts.minSeq != null && item.seq < opts.minSeq) return reject('replay')
  return { ok: true, item, key }
}

/** The last and costly check: the signature over the category domain. Never throws. */
export function verifyCategory (c: CheckedItem): boolean {
  return verifySignedRecord(c.signed, CATEGORY_DOMAIN)
}

export type OpenCategoryResult = { ok: true, item: CategoryItem } | { ok: false, reason: CategoryRejectReason, detail?: string }

/** checkCategory then verifyCategory: a whole item, e.g. a query's answer. */
export function openCategory (bytes: Uint8Array, opts: CategoryOpenOptions): OpenCategoryResult {
  const res = checkCategory(bytes, opts)
  if (!res.ok) return res
  return verifyCategory(res.checked) ? { ok: true, item: res.checked.item } : reject('bad-signature')
}
