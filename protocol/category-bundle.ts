/**
 * What one watcher gets (docs/protocol.md §10.4): a bundle of the signed
 * category items its containers allow, sealed under the pair key on the pair
 * topic. The sealed box is the one of version 1 (sealed-box.ts); its inner
 * bytes tell the versions apart:
 *
 *   version 1: inner = a presence envelope (§2; its first byte is a protobuf tag, never 0)
 *   version 2: inner = 0x00 0x02 || CategoryBundle
 *
 * Pure; never throws on bad input.
 */
import { APP_PREFIX, CATEGORY_BUNDLE_RULES } from './categories.js'
import { checkCategory, verifyCategory } from './category-item.js'
import { rememberSigner } from './ed25519-fast.js'
import { MAX_APP_CATEGORIES, MAX_BUNDLE_BYTES, MAX_BUNDLE_ITEMS, MAX_CLOCK_SKEW_MS, MAX_PRESENCE_ENVELOPE_BYTES } from './limits.js'
import { CategoryBundle as CategoryBundlePb } from './pb/categories.js'
import { openBytes, sealBytes, sealedSize } from './sealed-box.js'
import { scanMessage } from './strict-protobuf.js'
import type { CategoryKey } from './categories.js'
import type { CategoryItem, CategoryRejectReason } from './category-item.js'
import type { PeerId } from '@libp2p/interface'

/** The presence message version of category bundles (a version 1 record announces it in `max_version`). */
export const BUNDLE_VERSION = 2
const HEADER = Uint8Array.from([0x00, BUNDLE_VERSION])

/** The largest sealed pair-topic message a reader of version 2 reads. */
export const MAX_SEALED_PAIR_MESSAGE_BYTES = sealedSize(HEADER.length + MAX_BUNDLE_BYTES)

export function encodeBundle (items: Uint8Array[]): Uint8Array {
  return CategoryBundlePb.encode({ items: items as Array<Uint8Array<ArrayBuffer>> })
}

/**
 * The inner bytes of a version 2 message: 0x00 0x02 || bundle (throws if the
 * bundle is larger than MAX_BUNDLE_BYTES: the publisher keeps it smaller).
 * Any authenticated path to one watcher carries these (the pair topic seals them).
 */
export function bundleInner (bundle: Uint8Array): Uint8Array {
  if (bundle.byteLength > MAX_BUNDLE_BYTES) throw new Error(`bundle of ${bundle.byteLength} bytes is larger than ${MAX_BUNDLE_BYTES}`)
  const inner = new Uint8Array(HEADER.length + bundle.byteLength)
  inner.set(HEADER)
  inner.set(bundle, HEADER.length)
  return inner
}

/** Seals inner bytes of either version for one pair topic. */
export function sealPairMessage (key: Uint8Array, topic: string, inner: Uint8Array, nonce?: Uint8Array): Uint8Array {
  return sealBytes(key, topic, inner, HEADER.length + MAX_BUNDLE_BYTES, nonce)
}

/** Seals a bundle for one pair. */
export function sealBundleForPair (key: Uint8Array, topic: string, bundle: Uint8Array, nonce?: Uint8Array): Uint8Array {
  return sealPairMessage(key, topic, bundleInner(bundle), nonce)
}

export type PairMessage =
  | { version: 1, envelope: Uint8Array }
  | { version: typeof BUNDLE_VERSION, bundle: Uint8Array }
  | { version: 'unknown', detail: string }

/** What a sealed pair-topic message holds, or undefined when this pair's key does not open it. */
export function openPairMessage (key: Uint8Array, topic: string, sealed: Uint8Array): PairMessage | undefined {
  const inner = openBytes(key, topic, sealed, MAX_SEALED_PAIR_MESSAGE_BYTES)
  return inner == null ? undefined : parseInner(inner)
}

/** The version and content of inner bytes (a version 1 envelope, or a version 2 bundle). */
export function parseInner (inner: Uint8Array): PairMessage {
  if (inner.length === 0) return { version: 'unknown', detail: 'empty' }
  if (inner[0] !== 0) {
    return inner.length > MAX_PRESENCE_ENVELOPE_BYTES ? { version: 'unknown', detail: 'version 1 envelope too large' } : { version: 1, envelope: inner }
  }
  if (inner.length < HEADER.length || inner[1] !== BUNDLE_VERSION) return { version: 'unknown', detail: `version ${inner[1] ?? 'missing'}` }
  return { version: BUNDLE_VERSION, bundle: inner.subarray(HEADER.length) }
}

/** A seq by category key (a Map will do; a watcher answers from its own state without building one per message). */
export interface SeqLookup { get: (key: string) => bigint | undefined }

export interface BundleContext {
  now: number
  /** The presentity the bundle must come from (the other member of the pair). */
  presentity: PeerId | string
  /** Highest seq accepted so far per category (the state's is that of the presentity's last record of either version). */
  floors: SeqLookup
  /** Seq of the item the watcher holds now, per category: an equal item in the bundle is kept unverified. */
  held: SeqLookup
  maxClockSkewMs?: number
  /**
   * The path already proved that the bundle comes from `presentity` (the pair
   * key opened it, or the presentity's authenticated notify stream carried
   * it): item signatures are not checked (docs/protocol.md §3, "When the
   * signature is checked").
   */
  authenticated?: boolean
}

export type BundleResult =
  | {
    ok: true
    state: CategoryItem
    /** Items verified now (the state among them): new, or seen before but not held. */
    accepted: CategoryItem[]
    /** Categories in the bundle whose held item stays as it is. */
    kept: CategoryKey[]
  }
  | { ok: false, reason: CategoryRejectReason, detail?: string }

const reject = (reason: CategoryRejectReason, detail?: string): { ok: false, reason: CategoryRejectReason, detail?: string } => ({ ok: false, reason, detail })

export type ItemCheck<T> = { ok: true, checked: T } | { ok: false, reason: CategoryRejectReason, detail?: string }

export type SortedItems<T> =
  | { ok: true, state: T, accepted: T[], kept: CategoryKey[] }
  | { ok: false, reason: CategoryRejectReason, detail?: string }

/**
 * The rules of §10.4 a bundle follows whatever its items are (signed, or
 * unsigned on a notify stream): its size and protobuf, each item by `check`,
 * one item per category, at most MAX_APP_CATEGORIES application categories, a
 * state, and no item older than its floor (a state at or below its floor is
 * a replayed message: `replay`). Sorts the items other than the state into
 * accepted (new) and kept (the held item, same seq). Never throws.
 */
export function sortBundle<T extends { item: CategoryItem, key: CategoryKey }> (bundle: Uint8Array, check: (bytes: Uint8Array) => ItemCheck<T>, ctx: Pick<BundleContext, 'floors' | 'held'>): SortedItems<T> {
  if (bundle.byteLength > MAX_BUNDLE_BYTES) return reject('oversize')
  const scan = scanMessage(bundle, CATEGORY_BUNDLE_RULES)
  if (!scan.ok) return reject('malformed', scan.problem)
  const items = (scan.fields.get(1) ?? []) as Uint8Array[]
  if (items.length > MAX_BUNDLE_ITEMS) return reject('too-many-items', `more than ${MAX_BUNDLE_ITEMS} items`)
  const checked = new Map<CategoryKey, T>()
  let apps = 0
  for (const bytes of items) {
    const res = check(bytes)
    if (!res.ok) return reject(res.reason, res.detail)
    const key = res.checked.key
    if (checked.has(key)) return reject('duplicate-category', key)
    if (key.startsWith(APP_PREFIX) && ++apps > MAX_APP_CATEGORIES) return reject('too-many-items', `more than ${MAX_APP_CATEGORIES} application categories`)
    checked.set(key, res.checked)
  }
  const state = checked.get('state')
  if (state == null) return reject('missing-state')
  const stateFloor = ctx.floors.get('state')
  // every genuine bundle carries a state newer than the last: an older one is a replayed message
  if (stateFloor != null && state.item.seq <= stateFloor) return reject('replay')
  const accepted: T[] = []
  const kept: CategoryKey[] = []
  for (const [key, c] of checked) {
    if (key === 'state') continue
    const floor = ctx.floors.get(key)
    if (floor != null && c.item.seq < floor) return reject('replay', `${key} older than the one accepted`)
    if (ctx.held.get(key) === c.item.seq) kept.push(key)
    else accepted.push(c)
  }
  return { ok: true, state, accepted, kept }
}

/**
 * Validates a bundle whole (§10.4): every structural rule and every item's
 * cheap checks first, then the freshness of the state (an older state means
 * a replayed message: `replay`), then the signatures of the items not held
 * (unless the path authenticated the sender).
 * Any failing item refuses the whole bundle; nothing of it is applied.
 */
export function openBundle (bundle: Uint8Array, ctx: BundleContext): BundleResult {
  const opts = { now: ctx.now, expectedPresentity: ctx.presentity, maxClockSkewMs: ctx.maxClockSkewMs ?? MAX_CLOCK_SKEW_MS }
  const sorted = sortBundle(bundle, bytes => checkCategory(bytes, opts), ctx)
  if (!sorted.ok) return sorted
  const { state, accepted, kept } = sorted
  if (ctx.authenticated === true) {
    // the path proved the sender, and every item named it: its key is real, keep what was derived from it
    rememberSigner(state.signed.signer)
  } else {
    for (const c of [state, ...accepted]) {
      if (!verifyCategory(c)) return reject('bad-signature', c.key)
    }
  }
  return { ok: true, state: state.item, accepted: [state.item, ...accepted.map(c => c.item)], kept }
}
