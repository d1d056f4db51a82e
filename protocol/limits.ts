/**
 * Wire limits and timing rules shared by every node. Changing one of these is
 * a protocol change: docs/protocol.md lists them.
 */

/** A marshaled presence envelope larger than this is rejected unread (the largest legal one is 1,565 bytes). */
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
