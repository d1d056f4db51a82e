/**
 * Wire limits and timing rules shared by every node. Changing one of these is
 * a protocol change: docs/protocol.md lists them.
 */

/** A marshaled presence envelope larger than this is rejected unread (the largest legal one is 1,565 bytes, see docs/protocol.md §2). */
export const MAX_PRESENCE_ENVELOPE_BYTES = 2048

/** Notes are counted in Unicode code points, as a person counts characters. */
export const MAX_NOTE_CHARS = 280
export const MAX_ACTIVITY_CHARS = 64

/** How far a record's issued-at may lie in the future of the receiver's clock. */
export const MAX_CLOCK_SKEW_MS = 30_000

/**
 * The longest lifetime a record may claim. Bounds how long a crashed node can
 * appear online even if it announced with a huge TTL.
 */
export const MAX_PRESENCE_TTL_MS = 10 * 60_000
export const MIN_PRESENCE_TTL_MS = 1_000

/** Default record lifetime; a node re-announces at a third of it. */
export const DEFAULT_PRESENCE_TTL_MS = 60_000
export const HEARTBEAT_FRACTION = 3

/** Chat (/presence-mesh/chat/1.0.0): every frame id is this many random bytes (128 bits). */
export const CHAT_ID_BYTES = 16
/** A chat text body is at most this many bytes of UTF-8. */
export const MAX_CHAT_BODY_BYTES = 4000
/** A marshaled chat frame (without its length prefix) larger than this resets the stream. */
export const MAX_CHAT_FRAME_BYTES = 4096
/** Chat streams a peer may have open towards a node at once (per connection). */
export const MAX_CHAT_INBOUND_STREAMS = 4
/**
 * Chat frames a node accepts from one peer per one-second window; the stream
 * that exceeds it is reset. Senders pace themselves well below it.
 */
export const MAX_CHAT_FRAMES_PER_SECOND = 500

/**
 * The largest time (ms since the epoch) any record may carry: 2^53 - 1, the
 * largest integer every implementation holds exactly in a double. A larger
 * time is an invalid field (chat: bad-sent-at).
 */
export const MAX_TIME_MS = Number.MAX_SAFE_INTEGER

/** Enhanced presence (docs/protocol.md §10): a marshaled category envelope larger than this is rejected unread. */
export const MAX_CATEGORY_ENVELOPE_BYTES = 2048
/** The longest lifetime of a category item other than the state (which follows the presence TTL rules). */
export const MAX_CATEGORY_TTL_MS = 24 * 3600_000
/** Card fields, in code points: the display name, title, organization and phone; email and url. */
export const MAX_CARD_SHORT_CHARS = 64
export const MAX_CARD_LONG_CHARS = 256
/** A device's description, in code points; its feature tokens, how many and how long. */
export const MAX_DEVICE_DESCRIPTION_CHARS = 64
export const MAX_FEATURES = 16
export const MAX_FEATURE_CHARS = 32
/** Application-defined categories: namespace length, data bytes, how many per presentity. */
export const MAX_APP_NAMESPACE_CHARS = 64
export const MAX_APP_DATA_BYTES = 512
export const MAX_APP_CATEGORIES = 8
/** A category bundle (what one watcher gets): encoded size and item count. */
export const MAX_BUNDLE_BYTES = 8192
export const MAX_BUNDLE_ITEMS = 16

/** Several devices (docs/protocol.md §14): a device certificate envelope, a device list envelope, larger ones are rejected unread. */
export const MAX_DEVICE_CERT_BYTES = 1024
export const MAX_DEVICE_LIST_BYTES = 16_384
/** Devices a person has at once; revoked devices a list names (the newest). */
export const MAX_DEVICES = 16
export const MAX_REVOKED = 64
/** A device's name, in code points. */
export const MAX_DEVICE_NAME_CHARS = 32
