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
import { MAX_APP_CATEGORIES, MAX_BUNDLE_BYTES, MAX_BUNDLE_ITEMS, MAX_CLOCK_SKEW_MS, MAX_PRESENCE_ENVELOPE_BYTES } from './limits.js'
import { CategoryBundle as CategoryBundlePb } from './pb/categories.js'
import { openBytes, sealBytes, sealedSize } from './sealed-box.js'
import { scanMessage } from './strict-protobuf.js'
import type { CategoryKey } from './categories.js'
import type { CategoryItem, CategoryRejectReason, CheckedItem } from './category-item.js'
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

export interface BundleContext {
  now: number
  /** The presentity the bundle must come from (the other member of the pair). */
  presentity: PeerId | string
  /** Highest seq accepted so far per category (the state's is that of the presentity's last record of either version). */
  floors: ReadonlyMap<string, bigint>
  /** Seq of the item the watcher holds now, per category: an equal item in the bundle is kept unverified. */
  held: ReadonlyMap<string, bigint>
  maxClockSkewMs?: number
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

const reject = (reason: CategoryRejectReason, detail?: string): BundleResult => ({ ok: false, reason, detail })

/**
 * Validates a bundle whole (§10.4): every structural rule and every item's
 * cheap checks first, then the freshness of the state (an older state means
 * a replayed message: `replay`), then the signatures of the items not held.
 * Any failing item refuses the whole bundle; nothing of it is applied.
 */
export function openBundle (bundle: Uint8Array, ctx: BundleContext): BundleResult {
  if (bundle.byteLength > MAX_BUNDLE_BYTES) return reject('oversize')
  const scan = scanMessage(bundle, CATEGORY_BUNDLE_RULES)
  if (!scan.ok) return reject('malformed', scan.problem)
  let items: Uint8Array[]
  try {
    items = CategoryBundlePb.decode(bundle, { limits: { items: MAX_BUNDLE_ITEMS } }).items
  } catch (err: any) {
    return reject(err?.name === 'MaxLengthError' ? 'too-many-items' : 'malformed', err?.message)
  }
  const checked = new Map<CategoryKey, CheckedItem>()
  let apps = 0
  for (const bytes of items) {
    const res = checkCategory(bytes, { now: ctx.now, expectedPresentity: ctx.presentity, maxClockSkewMs: ctx.maxClockSkewMs ?? MAX_CLOCK_SKEW_MS })
    if (!res.ok) return reject(res.reason, res.detail)
    if (checked.has(res.checked.key)) return reject('duplicate-category', res.checked.key)
    if (res.checked.key.startsWith(APP_PREFIX) && ++apps > MAX_APP_CATEGORIES) return reject('too-many-items', `more than ${MAX_APP_CATEGORIES} application categories`)
    checked.set(res.checked.key, res.checked)
  }
  const state = checked.get('state')
  if (state == null) return reject('missing-state')
  const stateFloor = ctx.floors.get('state')
  // every genuine bundle carries a state newer than the last: an older one is a replayed message
  if (stateFloor != null && state.item.seq <= stateFloor) return reject('replay')
  const accepted: CheckedItem[] = []
  const kept: CategoryKey[] = []
  for (const [key, c] of checked) {
    if (key === 'state') continue
    const floor = ctx.floors.get(key)
    if (floor != null && c.item.seq < floor) return reject('replay', `${key} older than the one accepted`)
    if (ctx.held.get(key) === c.item.seq) kept.push(key)
    else accepted.push(c)
  }
  for (const c of [state, ...accepted]) {
    if (!verifyCategory(c)) return reject('bad-signature', c.key)
  }
  return { ok: true, state: state.item, accepted: [state.item, ...accepted.map(c => c.item)], kept }
}
