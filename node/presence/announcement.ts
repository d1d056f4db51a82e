/**
 * One announcement: the signed items of this node's presence at one moment,
 * and the one function that turns them into the message for one audience
 * (sealForAudience). Whatever path carries presence to a watcher (gossip
 * now, a direct stream to a connected watcher) sends what that function
 * returns for the watcher's audience.
 */
import { activityText } from '../../protocol/categories.js'
import { BUNDLE_VERSION, bundleInner, encodeBundle, sealPairMessage } from '../../protocol/category-bundle.js'
import { sealCategory } from '../../protocol/category-item.js'
import { sealPresence } from '../../protocol/presence-record.js'
import type { Audience } from './audience.js'
import type { SignedItem } from './own-categories.js'
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
  private readonly legacy = new Map<string, Promise<Uint8Array>>()

  constructor (private readonly init: AnnouncementInit) {
    this.seq = init.seq
    this.issuedAt = init.now
    this.expiresAt = init.now + init.ttlMs
    this.items = init.items
    const item = { presentity: init.self, seq: init.seq, issuedAt: this.issuedAt, expiresAt: this.expiresAt, category: init.state }
    this.state = { item, envelope: sealCategory(item, init.key) }
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

  async legacyEnvelope (categories: ReadonlySet<CategoryKey>): Promise<Uint8Array> {
    const record = this.legacyRecord(categories)
    const variant = `${record.note != null ? 'n' : ''}${record.activity != null ? 'a' : ''}`
    let envelope = this.legacy.get(variant)
    if (envelope == null) {
      envelope = sealPresence(record, this.init.key)
      this.legacy.set(variant, envelope)
    }
    return await envelope
  }

  /** The signed items an audience seeing `categories` gets in a bundle: the state first. */
  bundleItems (categories: ReadonlySet<CategoryKey>): Uint8Array[] {
    const out = [this.state.envelope]
    for (const [key, signed] of this.items) if (categories.has(key)) out.push(signed.envelope)
    return out
  }
}

/**
 * What one audience gets, before any sealing: a version 2 bundle
 * (`0x00 0x02 || bundle`) for a contact that reads bundles, else the version
 * 1 record of what it sees. The same bytes whatever path carries them.
 */
export async function innerForAudience (announcement: Announcement, audience: Audience): Promise<Uint8Array> {
  return audience.version === BUNDLE_VERSION
    ? bundleInner(encodeBundle(announcement.bundleItems(audience.categories)))
    : await announcement.legacyEnvelope(audience.categories)
}

/**
 * The gossip message for one audience: the inner bytes sealed under the pair
 * key on a pair topic, the plain version 1 record on the public topic.
 */
export async function sealForAudience (announcement: Announcement, audience: Audience): Promise<Uint8Array> {
  const inner = await innerForAudience(announcement, audience)
  return audience.pair == null ? inner : sealPairMessage(audience.pair.presence, audience.pair.topic, inner)
}
