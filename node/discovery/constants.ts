/** Timing and limits of discovery (docs/protocol.md §6, docs/operations.md). */

/** kad-dht keeps its records under this datastore prefix (its default, made explicit). */
export const DHT_DATASTORE_PREFIX = '/dht'

/** A locate gives up after this long unless the caller passes its own signal. */
export const LOCATE_TIMEOUT_MS = 30_000
/** Dialing addresses already in the peer store: short, the DHT is the fallback. */
export const CACHED_DIAL_TIMEOUT_MS = 5_000

/** Watching a presentity that is not reachable: locate retries back off between these. */
export const FOLLOW_MIN_RETRY_MS = 1_000
export const FOLLOW_MAX_RETRY_MS = 60_000
/** How often a followed presentity that is reachable is checked again. */
export const FOLLOW_CHECK_MS = 5_000
/** Connections to watched presentities outrank DHT and gossip peers when the connection manager prunes. */
export const WATCH_TAG = 'presence-mesh-watch'
export const WATCH_TAG_VALUE = 60

/** Initial bootstrap dials: bounded exponential backoff, then libp2p's keep-alive redial takes over. */
export const BOOTSTRAP_MIN_RETRY_MS = 1_000
export const BOOTSTRAP_MAX_RETRY_MS = 30_000
export const BOOTSTRAP_MAX_ATTEMPTS = 8

/** On start, dial at most this many of the most recently connected peers from the peer store. */
export const REJOIN_MAX_PEERS = 8
/** Peer store metadata key: ms since the epoch of the last connection to the peer. */
export const LAST_CONNECTED_KEY = 'presence-mesh/last-connected'

/** mDNS-discovered peers are dialed only while the node has fewer connections than this. */
export const MDNS_DIAL_BELOW_CONNECTIONS = 32
/** Our own mDNS service name: we want presence-mesh peers, not every libp2p node on the LAN. */
export const MDNS_SERVICE_TAG = '_presence-mesh._udp.local'

/** Relay slots this node holds at once (each announces one relayed address). */
export const MAX_RELAY_RESERVATIONS = 2

/**
 * The DHT copy of our presence record is re-put when it changes and when less
 * than this fraction of its lifetime remains (with the default 60 s TTL and
 * 20 s heartbeat: every second heartbeat, i.e. about every 40 s).
 */
export const DHT_REPUBLISH_REMAINING_FRACTION = 0.5
/** A DHT put gives up after this long; the next announcement retries. */
export const DHT_PUT_TIMEOUT_MS = 20_000
/**
 * Puts of a changed presence are at least min(5 s, TTL / 10) apart (the newest
 * record waiting wins; a goodbye goes out at once). Watchers get every change
 * by gossip; DHT fetchers need no sub-second freshness, and each put is a
 * lookup plus up to k signed-record verifications across the network. The
 * TTL bound keeps the gap small next to a record's lifetime.
 */
export const DHT_MIN_PUT_INTERVAL_MS = 5_000
export const DHT_PUT_INTERVAL_TTL_FRACTION = 10
/** A fetch gives up after this long. */
export const DHT_GET_TIMEOUT_MS = 20_000
/** How long a clean stop waits for the offline record to reach the DHT. */
export const DHT_GOODBYE_TIMEOUT_MS = 3_000
/** Datastore prefix of what fetches remember (highest seq, last seen) per presentity. */
export const FETCH_STORE_PREFIX = '/presence-mesh/fetch'

