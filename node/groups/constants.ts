import { protocolId } from '../../protocol/topics.js'

export const GROUPS_CAPABILITY = '@presence-mesh/groups'
export const SYNC_PROTOCOL = protocolId('group-sync', '1.0.0')
export const INVITE_PROTOCOL = protocolId('group-invite', '1.0.0')
export const DATASTORE_PREFIX = '/presence-mesh/groups'

/** A stream of either protocol lives at most this long. */
export const STREAM_TIMEOUT_MS = 15_000
export const MAX_INBOUND_STREAMS = 4
export const MAX_OUTBOUND_STREAMS = 4
/** A sync response stops adding entries beyond this many bytes (and says `more`). */
export const MAX_SYNC_RESPONSE_BYTES = 512 * 1024
/** Sync requests one peer may make per window before its streams are reset. */
export const SYNC_REQUESTS_PER_WINDOW = 60
export const SYNC_WINDOW_SECONDS = 10
/** A gap in a feed that stays open this long is caught up (most close on their own: two paths through the mesh). */
export const GAP_GRACE_MS = 500
/** Each group catches up with a random connected member this often (anti-entropy), whatever else happened. */
export const ANTI_ENTROPY_MS = 20_000

/** Texts one node may send to one group per window (GroupRateLimitError beyond). */
export const SENDS_PER_WINDOW = 60
export const SEND_WINDOW_SECONDS = 10
/** Live entries accepted from one author per window; beyond, they wait for catch-up. */
export const RECEIVES_PER_WINDOW = 600
export const RECEIVE_WINDOW_SECONDS = 10
/** Entries of one author held in memory while an earlier one is missing. */
export const MAX_BUFFERED_PER_AUTHOR = 256

/** Groups a node may be in, and invitations it keeps waiting. */
export const MAX_GROUPS = 200
export const MAX_PENDING_INVITATIONS = 100

/** Invitation and answer delivery: retried with backoff until the recipient confirms. */
export const RETRY_BASE_MS = 2_000
export const RETRY_CAP_MS = 5 * 60_000
export const RETRY_JITTER = 0.5
/** A delivery older than this is given up. */
export const MAX_DELIVERY_AGE_MS = 30 * 24 * 3600_000
/** Entries learned by catch-up that were written this recently are passed on to the topic (at most REPUBLISH_MAX a round), so members not connected to the source get them too. */
export const REPUBLISH_WINDOW_MS = 120_000
export const REPUBLISH_MAX = 64
