import { PresenceService } from './presence-service.js'
import type { PresenceServiceComponents, PresenceServiceInit } from './presence-service.js'

export { PresenceService }
export type { PresenceServiceComponents, PresenceServiceInit, PresenceView, PresenceEventDetail, AnnounceEventDetail } from './presence-service.js'

export function presence (init: PresenceServiceInit = {}): (components: PresenceServiceComponents) => PresenceService {
  return (components) => new PresenceService(components, init)
}

export { dhtPresence, DhtPresenceService } from './dht-presence.js'
export type { DhtPresenceInit, FetchResult } from './dht-presence.js'
export { PresenceDhtRules, PresenceRecordRejectedError } from './dht-records.js'
