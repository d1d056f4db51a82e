/** Defaults of the devices service (docs/protocol.md §14). */
import { DEVICES_PROTOCOL, LINK_PROTOCOL } from '../../protocol/link.js'

export { DEVICES_PROTOCOL, LINK_PROTOCOL }
export const DEVICES_CAPABILITY = '@presence-mesh/devices'
export const DATASTORE_PREFIX = '/presence-mesh/devices'
/** A link code works once, for this long after it was shown. */
export const LINK_CODE_TTL_MS = 10 * 60_000
/** Link codes live at once; showing another drops the oldest. */
export const MAX_LIVE_LINK_CODES = 4
/** A link exchange (either side) gives up after this long. */
export const LINK_TIMEOUT_MS = 20_000
/** Pushing a device list to one peer gives up after this long. */
export const PUSH_TIMEOUT_MS = 10_000
/** Contact entries an own device has not taken yet are offered again after this, doubling up to the cap (and at every new connection). */
export const SYNC_RETRY_BASE_MS = 2_000
export const SYNC_RETRY_CAP_MS = 60_000
/** Link and device-list streams a peer may open per connection at once. */
export const MAX_DEVICE_STREAMS = 2
/** The name a first device gets when none is given (and the host name is not one). */
export const FALLBACK_DEVICE_NAME = 'first device'
/** Lists of people who are not contacts yet kept in memory (the newest), for when an accept makes them contacts. */
export const MAX_PENDING_LISTS = 16
