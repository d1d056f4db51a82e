import { DEFAULT_PRESENCE_TTL_MS, HEARTBEAT_FRACTION, MAX_CLOCK_SKEW_MS, MAX_PRESENCE_TTL_MS } from '../../protocol/limits.js'

export const TTL_MS = DEFAULT_PRESENCE_TTL_MS
export const HEARTBEAT_MS = Math.floor(DEFAULT_PRESENCE_TTL_MS / HEARTBEAT_FRACTION)
/** How long a clean stop waits for its "offline" record to go out. */
export const GOODBYE_TIMEOUT_MS = 2_000
/**
 * A contact device's pair topic stays subscribed this long after the last
 * connection to the device closed (pair-peers.ts): a reconnect within it
 * costs no unsubscribe and subscribe to every neighbour.
 */
export const PAIR_TOPIC_GRACE_MS = 30_000
/** New watchers are answered with a fresh record, at most this often. */
export const REANNOUNCE_DEBOUNCE_MS = 250
/** Lifetime of category items other than the state; each is signed again at half of it. */
export const CATEGORY_TTL_MS = 60 * 60_000
/** Without reported user input for this long, the node's automatic state is away. */
export const AWAY_AFTER_MS = 5 * 60_000
/** The idle periods a user may choose. */
export const MIN_AWAY_AFTER_MS = 1_000
export const MAX_AWAY_AFTER_MS = 24 * 3600_000
/**
 * Sequence numbers reserved ahead on disk (seq-reservation.ts): ten minutes'
 * worth of millisecond seqs, so the ceiling is rewritten about every five
 * minutes and never between setPresence and the wire.
 */
export const SEQ_RESERVE_SPAN = 10 * 60_000
/**
 * A watcher writes what it accepted (replay floor, last seen) at most this
 * long after emitting it, all presentities in one batch: a crash forgets at
 * most this window (docs/protocol.md §3).
 */
export const WATCH_PERSIST_DELAY_MS = 100
/** Datastore prefix of the node's own presence state. */
export const DATASTORE_PREFIX = '/presence-mesh/presence'

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
/**
 * A goodbye (offline record) that no peer took while an older record of this
 * node may still be served from the DHT is put again after 2 s, 4 s, ... up
 * to 30 s apart (less up to half at random), until a peer takes it, that
 * record expires (60 s by default, 10 min at most) or ten retries were not
 * taken: leaving `public` mode announces nothing after its goodbye, so no
 * heartbeat would retry it.
 */
export const DHT_GOODBYE_RETRY_BASE_MS = 2_000
export const DHT_GOODBYE_RETRY_CAP_MS = 30_000
/** ... at most 10 times (about 3.5 min): each put tells whoever runs the closest DHT servers that this node runs. */
export const DHT_GOODBYE_RETRY_MAX_TRIES = 10
/** Datastore prefix of what fetches remember (highest seq, last seen) per presentity. */
export const FETCH_STORE_PREFIX = '/presence-mesh/fetch'


/**
 * Datastore prefix of the highest presence sequence number this node has
 * validated per presentity in the DHT (the validator's replay floor).
 */
export const DHT_SEQ_PREFIX = `${DATASTORE_PREFIX}/dht-seq`
/**
 * How long past the expiry of the record that set it a replay floor is kept.
 * A record with a lower seq was issued before that record, so it expires at
 * most one maximal record lifetime later; the clock-skew margin covers an
 * owner whose clock stepped back a little.
 */
export const DHT_SEQ_KEEP_MS = MAX_PRESENCE_TTL_MS + MAX_CLOCK_SKEW_MS
/** How often floors past DHT_SEQ_KEEP_MS are deleted. */
export const DHT_SEQ_PRUNE_INTERVAL_MS = 10 * 60_000
/** A prune gives up after this long (it resumes at the next interval). */
export const DHT_SEQ_PRUNE_TIMEOUT_MS = 60_000
/** Presentities whose floor stays in memory (the most recently used); the others are read from disk. */
export const DHT_SEQ_CACHE_SIZE = 1024

/** A category query (dial, question, answer) gives up after this long. */
export const QUERY_TIMEOUT_MS = 10_000
/** Category queries one peer may ask per window (QUERY_WINDOW_S seconds). */
export const MAX_QUERIES_PER_WINDOW = 30
export const QUERY_WINDOW_S = 10
/** Query streams a peer may have open towards a node at once (per connection). */
export const QUERY_MAX_INBOUND_STREAMS = 4
