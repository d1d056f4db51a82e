/**
 * Presence: this node's signed presence record to its audiences, and the
 * presence of the people it watches. Who is an audience and whom to watch
 * is the roster's (see audience.ts).
 */
import { PresenceService as PresenceServiceClass } from './presence-service.js'
import type { Container, Visibility } from './containers.js'
import type { OwnCategory } from './own-categories.js'
import type { DeviceDetail } from '../../protocol/presence-composition.js'
import type { PresenceServiceComponents } from './presence-service.js'
import type { CapabilitiesCategory, Category, CategoryKey, StateCategory } from '../../protocol/categories.js'
import type { CategoryRejectReason } from '../../protocol/category-item.js'
import type { Presence, PresenceStatus, PresenceUpdate } from '../../protocol/presence-record.js'
import type { PeerId, TypedEventTarget } from '@libp2p/interface'

export type { PresenceServiceComponents } from './presence-service.js'
export type { PresenceViewLevel, PresenceVersion } from './audience.js'
export type { Container } from './containers.js'
export type { OwnCategory } from './own-categories.js'
export type { DeviceDetail, DeviceCondition } from '../../protocol/presence-composition.js'
export { CONTAINERS, DEFAULT_PUBLICATION } from './containers.js'
export { InvalidCategoryError, InvalidAnswerError, QueryNotSupportedError } from './errors.js'
export { sealForAudience, Announcement } from './announcement.js'
export { dhtPresence, DhtPresenceService } from './dht-presence.js'
export type { DhtPresenceInit, FetchResult } from './dht-presence.js'
export { PresenceDhtRules, PresenceRecordRejectedError } from './dht-records.js'

export interface PresenceServiceInit {
  /** Lifetime of each record this node announces. */
  ttlMs?: number
  /** Re-announce interval; defaults to a third of the TTL. */
  heartbeatMs?: number
  maxClockSkewMs?: number
  goodbyeTimeoutMs?: number
  /** Presence at start when the home holds no state chosen by hand (default: online, automatic). */
  initial?: PresenceUpdate
  /**
   * Without reported user input for this long, the automatic state is away
   * (default 5 min; null: never; see reportActivity). A period the user chose
   * with setAwayAfter, stored, wins.
   */
  awayAfterMs?: number | null
  /** Lifetime of category items other than the state (default 1 h, at most 24 h). */
  categoryTtlMs?: number
  /** How long a contact device's pair topic stays subscribed after the last connection to it closed (default 30 s). */
  pairTopicGraceMs?: number
  /** The capabilities published while the user has set none (the node fills in its features). */
  capabilities?: Omit<CapabilitiesCategory, 'kind'>
}

/** What this node currently believes about one watched presentity. */
export interface PresenceView {
  peerId: string
  /** The roster's name for them. */
  alias?: string
  /** The name they give themselves (their card category): unverified, anyone can claim any name. */
  displayName?: string
  status: PresenceStatus
  note?: string
  activity?: string
  /** Every category this node sees of the presentity, by key (none while offline). */
  categories?: Record<string, Category>
  /** Sequence number of the record this view comes from. */
  seq?: bigint
  /** Local time the presentity was last known online (survives restarts). */
  lastSeen?: number
  /** Local time at which the current record stops counting. */
  expiresAt?: number
  /**
   * A person of several devices: each device, its condition and what it counts
   * for, and the one this view is taken from (docs/protocol.md §15). Absent for
   * a person of one device.
   */
  devices?: DeviceDetail[]
}

export interface PresenceEventDetail {
  view: PresenceView
  /** Whether what a person sees by default changed (status, note, activity); false for a heartbeat that repeats it. */
  changed: boolean
  /** The categories whose value changed with this event (added, removed or different); empty for a plain heartbeat. */
  changedCategories: string[]
  /** `devices`: the person's devices changed (one removed, say), and with them what the view shows. */
  cause: 'record' | 'expired' | 'devices'
  /**
   * The device (peer id) whose record or expiry this is; `view` is the
   * person's, composed from all their devices (docs/protocol.md §15), so a
   * device's goodbye shows the person offline only when no other is live.
   */
  device?: string
  /**
   * cause 'expired': how long after the record's local expiry the view turned
   * offline: this node's own event-loop delay, and as long again for what
   * arrived meanwhile to be read, at most a third of the record's lifetime
   * (docs/protocol.md §5).
   */
  lateMs?: number
}

/** This node's own record, sealed and about to be published (other channels, e.g. the DHT, may carry it too). */
export interface AnnounceEventDetail {
  record: Presence
  envelope: Uint8Array
}

/** This node's own presence, as announced now. */
export interface SelfPresence extends PresenceUpdate {
  seq: bigint
  /** The announced state is the automatic away (the user is idle). */
  auto: boolean
  /** What the user set by hand (online: automatic). */
  manual: PresenceUpdate
  /** Idle time before automatic away; null: never. */
  awayAfterMs: number | null
}

/** Whether a watcher sees one category, and why. */
export type CategoryVisibility = Visibility | { visible: false, why: 'no-audience' }

/** What one peer sees of this node: whether it is an audience at all, its containers, each category. */
export interface SeenBy {
  peerId: string
  /** False: the peer gets nothing (not a contact outside public mode, blocked, or invisible to it). */
  sees: boolean
  containers: Container[]
  categories: Array<CategoryVisibility & { key: CategoryKey, value?: Category }>
}

export interface PresenceEvents {
  presence: CustomEvent<PresenceEventDetail>
  rejected: CustomEvent<{ reason: CategoryRejectReason, topic: string }>
  announce: CustomEvent<AnnounceEventDetail>
  /** What this node shows of itself changed: set by hand, by another client, or automatic away and back. */
  self: CustomEvent<SelfPresence>
}

/** What a person does to this node's own presence: the presence service and the node API both offer it. */
export interface OwnPresence {
  /**
   * Sets the state by hand, and the note and activity (absent ones are
   * cleared), in one announcement. `online` means automatic (see setState).
   */
  setPresence: (update: PresenceUpdate) => Promise<void>
  /** The state watchers see now: the one chosen by hand, else automatic (online, or away while idle). */
  state: () => StateCategory
  /**
   * Chooses the state by hand: away, busy, dnd or offline stay until changed,
   * across restarts, whatever the user does; online returns to automatic.
   */
  setState: (availability: PresenceStatus) => Promise<void>
  /**
   * `source` (a client; default one) saw user input at `at` (default now): the automatic state is
   * online until awayAfterMs without any. A source's latest report replaces its earlier ones.
   */
  reportActivity: (at?: number, source?: string) => void
  /** The idle period before automatic away (null: never); stored, InvalidOptionError outside 1 s to 24 h. */
  setAwayAfter: (ms: number | null) => Promise<void>
  /** This node's categories (the state excepted): value, containers, sequence number. */
  categories: () => OwnCategory[]
  /** Sets one category (not the state); InvalidCategoryError says what is wrong with it. */
  setCategory: (category: Category) => Promise<void>
  /** Clears one category; false if it was not set. */
  clearCategory: (key: string) => Promise<boolean>
}

export interface PresenceService extends TypedEventTarget<PresenceEvents>, OwnPresence {
  /** This node's own presence as announced now, with the sequence number of its last record. */
  readonly self: SelfPresence
  /** Publishes a category to these containers (undefined: its default); who sees it changes at once. */
  publishCategory: (key: string, containers: Container[] | undefined) => Promise<void>
  /** What one peer (contact or stranger) sees of this node, category by category. */
  seenBy: (peer: PeerId | string) => SeenBy
  /** The signed item of one category as `peer` may see it now (a query's answer), or undefined. */
  itemFor: (peer: PeerId | string, key: CategoryKey) => Uint8Array | undefined
  /** The current view of every watched presentity (blocked ones are hidden). */
  list: () => PresenceView[]
  get: (peer: PeerId | string) => PresenceView | undefined
  /** The topic a presentity's records currently arrive on (its pair topic for a contact), if any. */
  channelOf: (peer: PeerId | string) => string | undefined
  /** Contacts subscribed to their pair topic with us right now, as far as our direct neighbours show. */
  watchingNow: () => string[]
  /** Rejected records so far, by reason. */
  getRejections: () => Record<CategoryRejectReason, number>
}

export function presence (init: PresenceServiceInit = {}): (components: PresenceServiceComponents) => PresenceService {
  return (components) => new PresenceServiceClass(components, init)
}
