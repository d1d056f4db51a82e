import { MAX_CHAT_FRAMES_PER_SECOND, MAX_CHAT_INBOUND_STREAMS } from '../../protocol/limits.js'
import { PROTOCOL_PREFIX } from '../../protocol/topics.js'

export { PROTOCOL_PREFIX }
export const PROTOCOL_NAME = 'chat'
export const PROTOCOL_VERSION = '1.0.0'

export const MAX_INBOUND_STREAMS = MAX_CHAT_INBOUND_STREAMS
/** A node's sender uses one stream per peer; the spare ones cover a stream still closing. */
export const MAX_OUTBOUND_STREAMS = MAX_CHAT_INBOUND_STREAMS
export const MAX_FRAMES_PER_SECOND = MAX_CHAT_FRAMES_PER_SECOND

/**
 * Sender pacing (token bucket). Any one-second window of the receiver sees at
 * most SEND_BURST + SEND_RATE + IN_FLIGHT_WINDOW (+ as many resent frames)
 * = 414 frames, under MAX_CHAT_FRAMES_PER_SECOND however the windows align.
 */
export const SEND_RATE_PER_SECOND = 250
export const SEND_BURST = 100
/** Frames written but not yet acknowledged, per stream. */
export const IN_FLIGHT_WINDOW = 32
/**
 * Frames a receiver reads ahead of its receipts on one stream (being stored or
 * waiting for their receipt); beyond that it stops reading until receipts went
 * out. An honest sender never has more than IN_FLIGHT_WINDOW outstanding.
 */
export const RECEIVER_READ_AHEAD = 2 * IN_FLIGHT_WINDOW

/**
 * Retry backoff while a peer is unreachable: base * 2^attempt, capped, with
 * jitter, counted from the start of the failed attempt. The cap bounds
 * delivery once both sides are reachable again (docs/protocol.md §7.3: within
 * 30 s, this cap plus one dial), also when no connection or presence event
 * tells the sender so.
 */
export const RETRY_BASE_MS = 1_000
export const RETRY_MAX_MS = 20_000
/**
 * ... but while a connection to the peer is open, attempts start at most this far apart: the peer
 * is reachable, and what failed was one stream (reset or timed out by a receiver busy with a burst
 * of reconnections, a connection closed under it). The chaos run saw 4-6 such failures in 20 s
 * after a restart or a heal push the next attempt to the 20 s cap, past the 30 s bound.
 */
export const RETRY_CONNECTED_MAX_MS = 5_000
/** Share of each retry delay taken off at random: spreads the retries of many senders after a shared outage. */
export const RETRY_JITTER = 0.5
/** A dial and a stream on it: how long an attempt may take to open its stream when no connection to the peer is open. */
export const OPEN_STREAM_TIMEOUT_MS = 10_000
/**
 * ... and on a connection held: only a protocol negotiation (one round trip, seconds under load).
 * One that takes longer has most likely stalled on a connection going away; the next attempt
 * (within RETRY_CONNECTED_MAX_MS) tries again, the second one with OPEN_STREAM_TIMEOUT_MS. The
 * chaos run saw an attempt wait 10 s for a stream while the views were all online (§7.3).
 */
export const OPEN_STREAM_CONNECTED_TIMEOUT_MS = 5_000
/** The oldest unacknowledged frame waits this long before the stream counts as dead. */
export const ACK_TIMEOUT_MS = 15_000
/** A sender closes its stream after this long with nothing to send. */
export const SENDER_IDLE_MS = 30_000
/** A receiver closes an inbound stream silent for this long (longer than SENDER_IDLE_MS). */
export const RECEIVER_IDLE_MS = 60_000
/** A typing notification is shown this long unless a message or another notification comes. */
export const TYPING_SHOW_MS = 6_000

export const DATASTORE_PREFIX = '/presence-mesh/chat'

/**
 * Held messages from non-contacts (docs/protocol.md §7.4): at most this many
 * per sender and in total, by count and by bytes of text. A message beyond a
 * bound is neither stored nor acknowledged: its sender keeps it and retries.
 */
export const MAX_HELD_PER_SENDER = 50
export const MAX_HELD_BYTES_PER_SENDER = 64 * 1024
export const MAX_HELD_TOTAL = 1000
export const MAX_HELD_BYTES_TOTAL = 2 * 1024 * 1024

/** Block periods remembered per peer (texts sent in one are dropped after an unblock). */
export const MAX_BLOCK_WINDOWS = 16

/** An exchange of conversations between two own devices (docs/protocol.md §14.12) gives up after this long. */
export const HISTORY_EXCHANGE_TIMEOUT_MS = 30_000
/** Conversation exchanges an own device may open per connection at once. */
export const MAX_HISTORY_STREAMS = 2
/** An own device that missed our latest messages is offered them again after this, doubling up to the cap (and at every new connection). */
export const HISTORY_RETRY_BASE_MS = 2_000
export const HISTORY_RETRY_CAP_MS = 60_000
