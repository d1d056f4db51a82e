/**
 * This node's own categories: their values (kept in the category store),
 * where each is published, the state chosen by hand, and the signed item of
 * each, re-signed only when its value changed or half its life has passed.
 */
import { APP_PREFIX, BUILTIN_CATEGORIES, categoryKey, categoryProblem, isCategoryKey, sameCategory } from '../../protocol/categories.js'
import { encodeCategoryItem } from '../../protocol/category-item.js'
import { MAX_APP_CATEGORIES, MAX_BUNDLE_BYTES, MAX_CATEGORY_ENVELOPE_BYTES } from '../../protocol/limits.js'
import { CONTAINERS, defaultPublication } from './containers.js'
import { InvalidCategoryError } from './errors.js'
import { encodingLength as varintLength } from 'uint8-varint'
import { SignedItem } from './signed-item.js'
import type { CategoryStore } from './category-store.js'
import type { Container } from './containers.js'
import type { Category, CategoryKey } from '../../protocol/categories.js'
import type { CategoryItem } from '../../protocol/category-item.js'
import type { PresenceStatus } from '../../protocol/presence-record.js'
import type { PeerId, PrivateKey } from '@libp2p/interface'

export { SignedItem }

/** One of this node's categories as the API shows it. */
export interface OwnCategory {
  key: CategoryKey
  value?: Category
  /** The containers it is published to (the default until the user chooses). */
  containers: Container[]
  /** Whether the containers are the user's choice. */
  chosen: boolean
  /** Sequence number of the item last signed. */
  seq?: bigint
}

/** A change of this node's own presence, checked and applied whole. */
export interface OwnChange {
  /** The state chosen by hand (online: automatic again); absent: unchanged. */
  manual?: PresenceStatus
  /** When the state was chosen by hand (set when the change is staged). */
  manualAt?: number
  set?: Category[]
  clear?: CategoryKey[]
}

/** A change applied in memory and not stored yet. */
export interface StagedChange {
  /** Stores it, in one transaction. */
  commit: () => Promise<void>
  /** Undoes it in memory (what a later change set stays). */
  revert: () => void
}


/** A state chosen by hand takes the time it was chosen (what stores and publishes it, alike). */
function stampManual (change: OwnChange): void {
  if (change.manual != null && change.manual !== 'online') change.manualAt ??= Date.now()
}

/** Room kept in every bundle for the state item and the protobuf framing of each item. */
const STATE_RESERVE_BYTES = 320
const ITEM_FRAMING_BYTES = 3
/** The largest seq a trial item carries: its varint is as long as any real one. */
const TRIAL_SEQ = (1n << 64n) - 1n

/**
 * What a note's text adds to the encoded item of an empty note: its string
 * field (tag, length, UTF-8) inside the note message, whose own length
 * prefix (one byte when empty) may grow.
 */
export function noteTextBytes (text: string): number {
  const utf8 = Buffer.byteLength(text, 'utf8')
  if (utf8 === 0) return 0
  const body = 1 + varintLength(utf8) + utf8
  return body + varintLength(body) - 1
}

function byKeyOrder (a: CategoryKey, b: CategoryKey): number {
  const rank = (k: CategoryKey): number => { const i = (BUILTIN_CATEGORIES as readonly string[]).indexOf(k); return i < 0 ? BUILTIN_CATEGORIES.length : i }
  return rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0)
}

export class OwnCategories {
  private readonly values = new Map<CategoryKey, Category>()
  private readonly publication = new Map<CategoryKey, Container[]>()
  private readonly signed = new Map<CategoryKey, SignedItem>()
  /** What the node publishes of a category the user did not set (its capabilities). */
  private readonly defaults = new Map<CategoryKey, Category>()
  private manual?: PresenceStatus
  /** When the state was chosen by hand (published as the state's manual_since). */
  private manualAt?: number
  /** keys(), until a key is added or removed. */
  private keyList?: readonly CategoryKey[]
  /** Trial sizes of an empty note, by the lengths of its time fields (trialSize). */
  private readonly emptyNoteSizes = new Map<number, number>()

  constructor (
    private readonly store: CategoryStore,
    private readonly self: PeerId,
    private readonly key: PrivateKey,
    /** Lifetime of items other than the state. */
    private readonly ttlMs: number
  ) {}

  async load (): Promise<void> {
    const stored = await this.store.load()
    for (const [key, value] of stored.values) {
      if (value.kind === 'state') {
        this.manual = value.availability === 'online' ? undefined : value.availability
        this.manualAt = this.manual == null ? undefined : value.manualSince
      } else this.setValue(this.values, key, value)
    }
    for (const [key, containers] of stored.publication) this.publication.set(key, containers)
  }

  /** A value the node publishes while the user has not set one (checked like any). */
  setDefault (c: Category): void {
    this.check(c)
    this.setValue(this.defaults, categoryKey(c), c)
  }

  /**
   * Keys of the categories that have a value (not the state), in bundle
   * order. The same array until the set of keys changes (read on every
   * change and announcement): callers compare it by identity, never modify it.
   */
  keys (): readonly CategoryKey[] {
    this.keyList ??= [...new Set([...this.values.keys(), ...this.defaults.keys()])].sort(byKeyOrder)
    return this.keyList
  }

  get (key: CategoryKey): Category | undefined {
    return this.values.get(key) ?? this.defaults.get(key)
  }

  manualState (): PresenceStatus | undefined {
    return this.manual
  }

  /** When the state by hand was chosen (undefined: none, or stored by a version that did not say). */
  manualSince (): number | undefined {
    return this.manual == null ? undefined : this.manualAt
  }

  publishedTo (key: CategoryKey): readonly Container[] {
    return this.publication.get(key) ?? defaultPublication(key)
  }

  list (): OwnCategory[] {
    const keys = new Set<CategoryKey>([...BUILTIN_CATEGORIES.filter(k => k !== 'state'), ...this.values.keys(), ...this.publication.keys()])
    return [...keys].sort(byKeyOrder).map(key => ({
      key,
      value: this.get(key),
      containers: [...this.publishedTo(key)],
      chosen: this.publication.has(key),
      seq: this.signed.get(key)?.item.seq
    }))
  }

  /** Throws InvalidCategoryError unless `c` can be published next to the others. */
  check (c: Category): void {
    this.checkChange({ set: [c] })
  }

  /**
   * Throws InvalidCategoryError unless the change can be published as a
   * whole: each category by its rules, the application categories by their
   * number, and the items of every category there would be after it in one
   * bundle.
   */
  checkChange (change: OwnChange): void {
    const set = new Map((change.set ?? []).map(c => [categoryKey(c), c]))
    /** Trial sizes of the categories set, each encoded once. */
    const trial = new Map<CategoryKey, number>()
    const cleared = new Set(change.clear ?? [])
    const after = new Set([...this.values.keys()].filter(k => !cleared.has(k)))
    for (const [key, c] of set) {
      if (c.kind === 'state') throw new InvalidCategoryError('state', 'kind', 'not-settable')
      const problem = categoryProblem(c)
      if (problem != null) throw new InvalidCategoryError(c.kind === 'app' && problem.field !== 'namespace' ? key : c.kind, problem.field, problem.problem, problem.limit)
      after.add(key)
      if (c.kind === 'app' && !this.values.has(key) && [...after].filter(k => k.startsWith(APP_PREFIX)).length > MAX_APP_CATEGORIES) {
        throw new InvalidCategoryError(key, 'namespace', 'too-many', MAX_APP_CATEGORIES)
      }
      trial.set(key, this.trialSize(c))
      if ((trial.get(key) as number) > MAX_CATEGORY_ENVELOPE_BYTES) throw new InvalidCategoryError(key, 'item', 'too-large', MAX_CATEGORY_ENVELOPE_BYTES)
    }
    for (const key of this.defaults.keys()) after.add(key)
    const sizeAfter = (key: CategoryKey): number => {
      const tried = trial.get(key)
      if (tried != null) return tried
      const c = cleared.has(key) ? this.defaults.get(key) : undefined
      if (c != null) return this.trialSize(c)
      return this.signed.get(key)?.envelopeBytes ?? this.trialSize(this.get(key) as Category)
    }
    let total = STATE_RESERVE_BYTES
    for (const key of after) total += ITEM_FRAMING_BYTES + sizeAfter(key)
    const last = [...set.keys()].at(-1)
    if (last != null && total > MAX_BUNDLE_BYTES) throw new InvalidCategoryError(last, 'item', 'too-large', MAX_BUNDLE_BYTES)
  }

  /** Checks, stores and then applies a change (nothing of it when it breaks a rule or the write fails). */
  async change (change: OwnChange): Promise<void> {
    this.checkChange(change)
    stampManual(change)
    await this.store.commit(change)
    this.stage(change)
  }

  /** Checks a change and applies it in memory now; the caller stores it (commit) or undoes it (revert). */
  stageChange (change: OwnChange): StagedChange {
    this.checkChange(change)
    stampManual(change)
    return { commit: async () => { await this.store.commit(change) }, revert: this.stage(change) }
  }

  /** Applies a checked change in memory; returns what undoes it. */
  private stage (change: OwnChange): () => void {
    const touched = [...(change.set ?? []).map(categoryKey), ...(change.clear ?? [])]
    const before = touched.map(k => this.values.get(k))
    const manualBefore = this.manual
    const manualAtBefore = this.manualAt
    for (const key of change.clear ?? []) this.forget(key)
    for (const c of change.set ?? []) {
      const key = categoryKey(c)
      // an unchanged value keeps its signed item (and its seq)
      if (!sameCategory(this.values.get(key), c)) this.signed.delete(key)
      this.setValue(this.values, key, c)
    }
    if (change.manual !== undefined) {
      this.manual = change.manual === 'online' ? undefined : change.manual
      this.manualAt = this.manual == null ? undefined : change.manualAt
    }
    const staged = touched.map(k => this.values.get(k))
    const manualStaged = this.manual
    return () => {
      touched.forEach((key, i) => {
        if (this.values.get(key) !== staged[i]) return
        const old = before[i]
        if (old == null) this.forget(key)
        else this.setValue(this.values, key, old)
        // signed again with a fresh seq: watchers' floors may already be above the old item's
        this.signed.delete(key)
      })
      if (this.manual === manualStaged) {
        this.manual = manualBefore
        this.manualAt = manualAtBefore
      }
    }
  }

  private forget (key: CategoryKey): void {
    if (!this.values.delete(key)) return
    this.signed.delete(key)
    if (!this.defaults.has(key)) this.keyList = undefined
  }

  private setValue (map: Map<CategoryKey, Category>, key: CategoryKey, c: Category): void {
    if (!this.values.has(key) && !this.defaults.has(key)) this.keyList = undefined
    map.set(key, c)
  }

  async set (c: Category): Promise<void> {
    await this.change({ set: [c] })
  }

  /** Returns false when the user had set no value (a default, if any, shows again). */
  async clear (key: CategoryKey): Promise<boolean> {
    if (!this.values.has(key)) return false
    await this.change({ clear: [key] })
    return true
  }

  /** Publishes `key` to `containers` (undefined: back to the default). */
  async publish (key: CategoryKey, containers: readonly Container[] | undefined): Promise<void> {
    if (key === 'state' || !isCategoryKey(key)) throw new InvalidCategoryError(key, 'key', key === 'state' ? 'not-settable' : 'unknown-value')
    const bad = containers?.find(c => !(CONTAINERS as readonly string[]).includes(c))
    if (bad != null) throw new InvalidCategoryError(key, 'containers', 'unknown-value')
    const chosen = containers == null ? undefined : [...new Set(containers)]
    await this.store.publish(key, chosen)
    if (chosen == null) this.publication.delete(key)
    else this.publication.set(key, chosen)
  }

  /** A state chosen by hand (undefined, or online: automatic again); kept across restarts. */
  async setManual (availability: PresenceStatus | undefined): Promise<void> {
    if ((availability === 'online' ? undefined : availability) === this.manual) return
    await this.change({ manual: availability ?? 'online' })
  }

  /** Keys whose item must be signed (again) before an announcement at `now`. */
  stale (now: number): CategoryKey[] {
    return this.keys().filter(k => {
      const s = this.signed.get(k)
      return s == null || s.item.expiresAt - now < (s.item.expiresAt - s.item.issuedAt) / 2
    })
  }

  /** A new item of `key` with `seq` (signed when first needed: SignedItem). */
  sign (key: CategoryKey, seq: bigint, now: number): SignedItem {
    const category = this.get(key)
    if (category == null) throw new Error(`no ${key} category to sign`)
    const item: CategoryItem = { presentity: this.self, seq, issuedAt: now, expiresAt: now + this.ttlMs, category }
    const signed = new SignedItem(item, this.key)
    this.signed.set(key, signed)
    return signed
  }

  signedItem (key: CategoryKey): SignedItem | undefined {
    return this.signed.get(key)
  }

  /** An upper bound of the envelope size of `c` when signed. */
  private trialSize (c: Category): number {
    const now = Date.now()
    // the usual change, a note: the empty note's size plus its text's (no encoding of the item per change)
    if (c.kind === 'note') return this.emptyNoteSize(now) + noteTextBytes(c.text)
    return this.encodedTrialSize(c, now)
  }

  private encodedTrialSize (c: Category, now: number): number {
    const payload = encodeCategoryItem({ presentity: this.self, seq: TRIAL_SEQ, issuedAt: now, expiresAt: now + this.ttlMs, category: c })
    // public key (2 + 36), payload type (2 + 3), payload (3 + n), signature (2 + 64)
    return 112 + payload.byteLength
  }

  /** The trial size of an empty note, by the lengths of its time fields (the same from 2004 to 2109). */
  private emptyNoteSize (now: number): number {
    const times = varintLength(now) * 16 + varintLength(now + this.ttlMs)
    let size = this.emptyNoteSizes.get(times)
    if (size == null) {
      size = this.encodedTrialSize({ kind: 'note', text: '' }, now)
      this.emptyNoteSizes.set(times, size)
    }
    return size
  }
}
