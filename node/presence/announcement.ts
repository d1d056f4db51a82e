/**
 * One announcement: the items of this node's presence at one moment, and
 * the bytes one audience gets. Gossip carries the signed items
 * (innerForAudience, sealed under the pair key on a pair topic by
 * sealForAudience); a notify stream to a connected watcher that reads
 * bundles carries the same items unsigned (directForAudience, version 3,
 * docs/protocol.md §11.2: Noise proves the sender), so the stream writes
 * come before any signature (signed-item.ts signs at the first use).
 * Synchronous: no await between a change and the bytes on the wire.
 */
import { activityText } from '../../protocol/categories.js'
import { BUNDLE_VERSION, bundleInner, encodeBundle, sealPairMessage } from '../../protocol/category-bundle.js'
import { directInner } from '../../protocol/direct-bundle.js'
import { sealPresenceNow } from '../../protocol/presence-record.js'
import type { Audience, PresenceVersion } from './audience.js'
import { SignedItem } from './signed-item.js'
import type { ActivityCategory, CategoryKey, NoteCategory, StateCategory } from '../../protocol/categories.js'
import type { Presence } from '../../protocol/presence-record.js'
import type { PeerId, PrivateKey } from '@libp2p/interface'

export interface AnnouncementInit {
  self: PeerId
  key: PrivateKey
  /** The sequence number of the state item and of the version 1 records. */
  seq: bigint
  now: number
  ttlMs: number
  state: StateCategory
  /** The signed items of the other categories (none in a goodbye). */
  items: ReadonlyMap<CategoryKey, SignedItem>
}

export class Announcement {
  readonly seq: bigint
  readonly issuedAt: number
  readonly expiresAt: number
  readonly state: SignedItem
  readonly items: ReadonlyMap<CategoryKey, SignedItem>
  /** Version 1 envelopes by what they show (status alone, with note, with activity, both): one signature each. */
  private readonly legacy = new Map<string, Uint8Array>()
  /** Inner bytes by what an audience sees (version and categories): audiences that see the same share them. */
  private readonly inners = new Map<string, Uint8Array>()
  /** The same for a notify stream. */
  private readonly directs = new Map<string, Uint8Array>()

  constructor (private readonly init: AnnouncementInit) {
    this.seq = init.seq
    this.issuedAt = init.now
    this.expiresAt = init.now + init.ttlMs
    this.items = init.items
    const item = { presentity: init.self, seq: init.seq, issuedAt: this.issuedAt, expiresAt: this.expiresAt, category: init.state }
    this.state = new SignedItem(item, init.key)
  }

  /** The version 1 record an audience seeing `categories` gets: the state's availability, and note and activity when it sees them. */
  legacyRecord (categories: ReadonlySet<CategoryKey>): Presence {
    const note = categories.has('note') ? (this.items.get('note')?.item.category as NoteCategory | undefined)?.text : undefined
    const activity = categories.has('activity') ? this.items.get('activity')?.item.category as ActivityCategory | undefined : undefined
    return {
      presentity: this.init.self,
      status: this.init.state.availability,
      note,
      activity: activity == null ? undefined : activityText(activity),
      seq: this.seq,
      issuedAt: this.issuedAt,
      expiresAt: this.expiresAt,
      maxVersion: BUNDLE_VERSION
    }
  }

  legacyEnvelope (categories: ReadonlySet<CategoryKey>): Uint8Array {
    const record = this.legacyRecord(categories)
    const variant = `${record.note != null ? 'n' : ''}${record.activity != null ? 'a' : ''}`
    let envelope = this.legacy.get(variant)
    if (envelope == null) {
      envelope = sealPresenceNow(record, this.init.key)
      this.legacy.set(variant, envelope)
    }
    return envelope
  }

  /**
   * What an audience of `version` seeing `categories` gets, before any
   * sealing: a version 2 bundle (`0x00 0x02 || bundle`), else the version 1
   * record of what it sees. One object per distinct view.
   */
  inner (version: PresenceVersion, categories: ReadonlySet<CategoryKey>): Uint8Array {
    const view = viewKey(version, categories)
    let inner = this.inners.get(view)
    if (inner == null) {
      inner = version === BUNDLE_VERSION ? bundleInner(encodeBundle(this.bundleItems(categories).map(s => s.envelope))) : this.legacyEnvelope(categories)
      this.inners.set(view, inner)
    }
    return inner
  }

  /**
   * What the same audience gets on a notify stream: the items unsigned
   * (version 3) for a reader of bundles, else the same version 1 record.
   * One object per distinct view.
   */
  direct (version: PresenceVersion, categories: ReadonlySet<CategoryKey>): Uint8Array {
    if (version !== BUNDLE_VERSION) return this.inner(version, categories)
    const view = viewKey(version, categories)
    let direct = this.directs.get(view)
    if (direct == null) {
      direct = directInner(this.bundleItems(categories).map(s => s.payload))
      this.directs.set(view, direct)
    }
    return direct
  }

  /** The items an audience seeing `categories` gets in a bundle: the state first. */
  bundleItems (categories: ReadonlySet<CategoryKey>): SignedItem[] {
    const out = [this.state]
    for (const [key, signed] of this.items) if (categories.has(key)) out.push(signed)
    return out
  }
}

/** Audiences' category sets live as long as the audiences: each one's view name is built once. */
const viewKeys = new WeakMap<ReadonlySet<CategoryKey>, string>()

function viewKey (version: PresenceVersion, categories: ReadonlySet<CategoryKey>): string {
  let names = viewKeys.get(categories)
  if (names == null) {
    names = [...categories].sort().join(',')
    viewKeys.set(categories, names)
  }
  return `${version}:${names}`
}

/** What one audience gets on a notify stream. */
export function directForAudience (announcement: Announcement, audience: Audience): Uint8Array {
  return announcement.direct(audience.version, audience.categories)
}

/** What one audience gets, before any sealing: the same bytes whatever path carries them. */
export function innerForAudience (announcement: Announcement, audience: Audience): Uint8Array {
  return announcement.inner(audience.version, audience.categories)
}

/**
 * The gossip message for one audience: the inner bytes sealed under the pair
 * key on a pair topic, the plain version 1 record on the public topic.
 */
export function sealForAudience (announcement: Announcement, audience: Audience): Uint8Array {
  const inner = innerForAudience(announcement, audience)
  return audience.pair == null ? inner : sealPairMessage(audience.pair.presence, audience.pair.topic, inner)
}
