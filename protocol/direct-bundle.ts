/**
 * What a notify stream carries to a watcher that reads bundles
 * (docs/protocol.md §11.2): the items of its view UNSIGNED, as the payloads
 * their envelopes would sign. The stream's Noise session already proves the
 * sender, so the presentity writes before it signs anything, and the
 * watcher reads each item once, without an envelope:
 *
 *   version 3: payload = 0x00 0x03 || CategoryBundle of encoded CategoryItem messages
 *
 * Only a notify stream carries version 3; a pair-topic message of version 3
 * is refused like any unknown version (parseInner). Pure; never throws on
 * bad input.
 */
import { checkClock, checkDirectItem } from './category-item.js'
import { parseInner, sortBundle } from './category-bundle.js'
import { varintSize, writeVarint } from './item-writer.js'
import { MAX_BUNDLE_BYTES, MAX_CLOCK_SKEW_MS } from './limits.js'
import type { BundleContext, PairMessage } from './category-bundle.js'
import type { CategoryKey } from './categories.js'
import type { CategoryItem, CategoryRejectReason } from './category-item.js'
import type { PeerId } from '@libp2p/interface'

/** The notify stream's version of a bundle of unsigned items. */
export const DIRECT_VERSION = 3
const HEADER = Uint8Array.from([0x00, DIRECT_VERSION])

/** CategoryBundle's field 1 (items, repeated bytes): its tag. */
const TAG_ITEMS = 0x0a

/**
 * The payload of a version 3 message: 0x00 0x03 || the bundle of `items`
 * (encoded CategoryItem messages, the state first). Written in one pass into
 * one buffer, byte for byte what the header before protons' CategoryBundle
 * encoding gives (test/protocol/direct-bundle.test.ts): every change writes
 * one per view, before the notify stream's write.
 */
export function directInner (items: Uint8Array[]): Uint8Array {
  let bundleBytes = 0
  for (const item of items) bundleBytes += 1 + varintSize(item.byteLength) + item.byteLength
  if (bundleBytes > MAX_BUNDLE_BYTES) throw new Error(`bundle of ${bundleBytes} bytes is larger than ${MAX_BUNDLE_BYTES}`)
  const inner = new Uint8Array(HEADER.length + bundleBytes)
  inner[0] = HEADER[0]
  inner[1] = HEADER[1]
  let pos = HEADER.length
  for (const item of items) {
    inner[pos++] = TAG_ITEMS
    pos = writeVarint(inner, pos, item.byteLength)
    inner.set(item, pos)
    pos += item.byteLength
  }
  return inner
}

export type DirectMessage = PairMessage | { version: typeof DIRECT_VERSION, bundle: Uint8Array }

/** The version and content of a notify frame's payload: version 3, else what parseInner reads (a version 1 envelope, a version 2 bundle). */
export function parseDirect (payload: Uint8Array): DirectMessage {
  if (payload.length >= HEADER.length && payload[0] === 0 && payload[1] === DIRECT_VERSION) return { version: DIRECT_VERSION, bundle: payload.subarray(HEADER.length) }
  return parseInner(payload)
}

/** An item a watcher took whole from the same stream before, with the exact bytes it came in. */
export interface KnownItem {
  payload: Uint8Array
  item: CategoryItem
  key: CategoryKey
}

export interface DirectBundleContext extends Omit<BundleContext, 'presentity' | 'authenticated'> {
  /**
   * The item this watcher took from the same presentity's stream with exactly
   * these bytes, if any: every check but the clock's gives the same answer
   * for the same bytes, so only the clock is checked again (checkClock).
   */
  known?: (payload: Uint8Array) => KnownItem | undefined
}

/** A version 3 item checked: what it says, and the bytes it came in (to know it again, KnownItem). */
interface DirectItem { item: CategoryItem, key: CategoryKey, payload: Uint8Array }

/** openBundle's result, with the bytes of each accepted item (`payloads[i]` is `accepted[i]`'s). */
export type DirectBundleResult =
  | { ok: true, state: CategoryItem, accepted: CategoryItem[], payloads: Uint8Array[], kept: CategoryKey[] }
  | { ok: false, reason: CategoryRejectReason, detail?: string }

/**
 * Validates a version 3 bundle whole: the rules of a version 2 bundle
 * (§10.4) with each item checked as checkDirectItem does (no envelope, no
 * signature: every item must name `presentity`, the stream's remote peer),
 * or, for the bytes of an item known from the same stream, checkClock.
 * `accepted` holds the state first.
 */
export function openDirectBundle (bundle: Uint8Array, presentity: PeerId, ctx: DirectBundleContext): DirectBundleResult {
  const opts = { now: ctx.now, maxClockSkewMs: ctx.maxClockSkewMs ?? MAX_CLOCK_SKEW_MS }
  const sorted = sortBundle<DirectItem>(bundle, payload => {
    const known = ctx.known?.(payload)
    const res = known != null ? checkClock(known.item, known.key, opts) : checkDirectItem(payload, presentity, opts)
    return res.ok ? { ok: true, checked: { item: res.item, key: res.key, payload } } : res
  }, ctx)
  if (!sorted.ok) return sorted
  const accepted = [sorted.state.item]
  const payloads = [sorted.state.payload]
  for (const c of sorted.accepted) {
    accepted.push(c.item)
    payloads.push(c.payload)
  }
  return { ok: true, state: sorted.state.item, accepted, payloads, kept: sorted.kept }
}
