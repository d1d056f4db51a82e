import { DEFAULT_PRESENCE_TTL_MS, HEARTBEAT_FRACTION } from '../../protocol/limits.js'

export const TTL_MS = DEFAULT_PRESENCE_TTL_MS
export const HEARTBEAT_MS = Math.floor(DEFAULT_PRESENCE_TTL_MS / HEARTBEAT_FRACTION)
/** How long a clean stop waits for its "offline" record to go out. */
export const GOODBYE_TIMEOUT_MS = 2_000
/** New watchers are answered with a fresh record, at most this often. */
export const REANNOUNCE_DEBOUNCE_MS = 250
/** Datastore prefix of the node's own presence state. */
export const DATASTORE_PREFIX = '/presence-mesh/presence'
