/**
 * Who gets this node's presence and how it hears others'. The presence
 * service publishes one message per audience and listens on one channel per
 * watched presentity; both follow from the roster, and what each audience
 * sees from the containers (containers.ts).
 */
import { openPairMessage } from '../../protocol/category-bundle.js'
import { presenceTopic } from '../../protocol/topics.js'
import { visibleCategories } from './containers.js'
import { devicesOf } from './person-devices.js'
import type { Container } from './containers.js'
import type { CategoryKey } from '../../protocol/categories.js'
import type { PairMessage } from '../../protocol/category-bundle.js'
import type { PairKeys } from '../../protocol/pair-keys.js'
import type { Roster } from '../roster/index.js'
import type { PeerId } from '@libp2p/interface'

/** Which fields of this node's presence a contact sees: all its containers allow, or the state alone. */
export type PresenceViewLevel = 'full' | 'status'

/** The presence message versions: 1 the single record (§2), 2 category bundles (§10). */
export type PresenceVersion = 1 | 2

export interface Audience {
  /** 'public', or the peer id of the contact's device this audience is (the contact's own id for its first device). */
  id: string
  topic: string
  /** The categories it sees (the state always). */
  categories: ReadonlySet<CategoryKey>
  /** The keys shared with a contact; none for the public audience (plain records). */
  pair?: PairKeys
  /** The version the audience reads: 2 once it showed it reads bundles. */
  version: PresenceVersion
}

export interface WatchChannel {
  topic: string
  /** Sealed with the pair's key: opening it proves the sender (docs/protocol.md §3, "When the signature is checked"). */
  sealed: boolean
  /** What a message carries: plain on a public topic (always a version 1 envelope), or opened with the pair key; undefined when it does not open. */
  open: (data: Uint8Array) => PairMessage | undefined
}

export const PUBLIC_AUDIENCE_ID = 'public'

/** What the audience-building functions need to know besides the roster. */
export interface Publication {
  /** This node's categories that have a value (the state is always there). */
  keys: readonly CategoryKey[]
  publishedTo: (key: CategoryKey) => readonly Container[]
  /** The version a contact was seen to read. */
  versionOf: (peer: string) => PresenceVersion
}

/** Anyone who knows the peer id: the plain version 1 record on the presentity's public topic. */
export function publicAudience (self: PeerId, publication: Publication): Audience {
  return { id: PUBLIC_AUDIENCE_ID, topic: presenceTopic(self), categories: visibleCategories(undefined, ['state', ...publication.keys], publication.publishedTo), version: 1 }
}

export function publicChannel (peerId: string): WatchChannel {
  return { topic: presenceTopic(peerId), sealed: false, open: data => ({ version: 1, envelope: data }) }
}

/**
 * Everyone who gets this node's presence now: the public topic in public
 * mode, and every current device of each contact that may see us, on the
 * pair topic of that device, sealed for it (docs/protocol.md §14.7: pair
 * keys are per pair of identities, so each device of a contact is a watcher
 * of its own). What a device sees is what its person may see; a device the
 * contact's list no longer names (revoked) is no audience.
 */
export function audiencesOf (roster: Roster, self: PeerId, publication: Publication): Audience[] {
  const out: Audience[] = []
  if (roster.visibility().mode === 'public') out.push(publicAudience(self, publication))
  const me = self.toString()
  for (const c of roster.contacts()) {
    const categories = visibleCategories(c, ['state', ...publication.keys], publication.publishedTo)
    for (const device of devicesOf(c)) {
      // each device as the notify stream and the locator judge it (an allow list may name one device)
      if (device === me || !roster.canSee(device)) continue
      const pair = roster.keysFor(device)
      out.push({ id: device, topic: pair.topic, categories, pair, version: publication.versionOf(device) })
    }
  }
  return out
}

/** Whether two audiences get the same messages (same topic, categories and version). */
export function sameAudience (a: Audience, b: Audience): boolean {
  return a.id === b.id && a.topic === b.topic && a.version === b.version &&
    a.categories.size === b.categories.size && [...a.categories].every(k => b.categories.has(k))
}

/**
 * What changed between two audience lists, in linear time (a node with 1,000
 * contacts has 1,000 audiences and compares them at every roster or own
 * presence change): `lost`, of `before`, no longer has its id on its topic in
 * `after`; `changed`, of `after`, had no identical audience in `before`.
 */
export function audienceChanges (before: Audience[], after: Audience[]): { lost: Audience[], changed: Audience[] } {
  const key = (a: Audience): string => `${a.id}\n${a.topic}`
  const beforeByKey = new Map<string, Audience[]>()
  for (const b of before) {
    const k = key(b)
    const list = beforeByKey.get(k)
    if (list == null) beforeByKey.set(k, [b])
    else list.push(b)
  }
  const afterKeys = new Set(after.map(key))
  return {
    lost: before.filter(b => !afterKeys.has(key(b))),
    changed: after.filter(a => !(beforeByKey.get(key(a)) ?? []).some(b => sameAudience(a, b)))
  }
}

/**
 * Where to hear a watched presentity: a contact on our pair topic, anyone
 * else on their public topic; nowhere for a blocked peer, nor for a contact
 * that cannot see us (listening on a pair topic shows the contact's
 * neighbours that we are up).
 */
export function channelOf (roster: Roster, peerId: string): WatchChannel | undefined {
  if (roster.isBlocked(peerId)) return undefined
  if (!roster.isContact(peerId)) return publicChannel(peerId)
  if (!roster.canSee(peerId)) return undefined
  const keys = roster.keysFor(peerId)
  return { topic: keys.topic, sealed: true, open: data => openPairMessage(keys.presence, keys.topic, data) }
}
