/**
 * Presence: this node's signed presence record to its audiences, and the
 * presence of the people it watches. Who is an audience and whom to watch
 * is the roster's (see audience.ts).
 */
import { PresenceService as PresenceServiceClass } from './presence-service.js'
import type { PresenceServiceComponents } from './presence-service.js'
import type { Presence, PresenceStatus, PresenceUpdate, RejectReason } from '../../protocol/presence-record.js'
import type { PeerId, TypedEventTarget } from '@libp2p/interface'

export type { PresenceServiceComponents } from './presence-service.js'
export type { PresenceViewLevel } from './audience.js'
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
  /** Presence announced at start; default online. */
  initial?: PresenceUpdate
}

/** What this node currently believes about one watched presentity. */
export interface PresenceView {
  peerId: string
  /** The roster's name for them. */
  alias?: string
  status: PresenceStatus
  note?: string
  activity?: string
  /** Sequence number of the record this view comes from. */
  seq?: bigint
  /** Local time the presentity was last known online (survives restarts). */
  lastSeen?: number
  /** Local time at which the current record stops counting. */
  expiresAt?: number
}

export interface PresenceEventDetail {
  view: PresenceView
  /** False for a heartbeat that repeats what was already shown. */
  changed: boolean
  cause: 'record' | 'expired'
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

export interface PresenceEvents {
  presence: CustomEvent<PresenceEventDetail>
  rejected: CustomEvent<{ reason: RejectReason, topic: string }>
  announce: CustomEvent<AnnounceEventDetail>
}

export interface PresenceService extends TypedEventTarget<PresenceEvents> {
  /** This node's own presence as last set, with the sequence number of its last record. */
  readonly self: PresenceUpdate & { seq: bigint }
  setPresence: (update: PresenceUpdate) => Promise<void>
  /** The current view of every watched presentity (blocked ones are hidden). */
  list: () => PresenceView[]
  get: (peer: PeerId | string) => PresenceView | undefined
  /** The topic a presentity's records currently arrive on (its pair topic for a contact), if any. */
  channelOf: (peer: PeerId | string) => string | undefined
  /** Contacts subscribed to their pair topic with us right now, as far as our direct neighbours show. */
  watchingNow: () => string[]
  /** Rejected records so far, by reason. */
  getRejections: () => Record<RejectReason, number>
}

export function presence (init: PresenceServiceInit = {}): (components: PresenceServiceComponents) => PresenceService {
  return (components) => new PresenceServiceClass(components, init)
}
