import { protocolId } from '../../protocol/topics.js'

export const CONTACT_PROTOCOL_NAME = 'contact'
export const CONTACT_PROTOCOL_VERSION = '1.0.0'
export const CONTACT_PROTOCOL = protocolId(CONTACT_PROTOCOL_NAME, CONTACT_PROTOCOL_VERSION)
/** Datastore prefix of everything the contacts service keeps. */
export const DATASTORE_PREFIX = '/presence-mesh/contacts'
/** One exchange: dial + message + receipt. */
export const STREAM_TIMEOUT_MS = 10_000
/** One exchange through a contact code's intake: the intake record's lookup, a node of its own, its dial, the exchange. */
export const INTAKE_EXCHANGE_FACTOR = 3
export const MAX_INBOUND_STREAMS = 4
export const MAX_OUTBOUND_STREAMS = 4
/** First retry of an undelivered message; doubles up to the cap. */
export const RETRY_BASE_MS = 2_000
export const RETRY_CAP_MS = 5 * 60_000
/** Up to this share of each retry delay is taken off at random, so many senders do not retry in step. */
export const RETRY_JITTER = 0.5
/** Parallel delivery attempts. */
export const MAX_PARALLEL_DELIVERIES = 4
/**
 * Pending incoming requests (admission.ts): each contact code has its own
 * quota, requests straight from their signer another, all of them a total.
 * A request that finds its quota full is answered "try again later".
 */
export const MAX_PENDING_PER_CODE = 50
export const MAX_PENDING_DIRECT = 50
export const MAX_PENDING_INCOMING = 200
/** Contact messages accepted from one connection's peer per window (beyond: "try again later"). */
export const MAX_MESSAGES_PER_PEER = 100
export const MESSAGE_WINDOW_S = 10
/** Watcher-info history entries kept. */
export const MAX_HISTORY = 200
/** Processed message ids remembered for duplicate detection (each for up to 30 days). */
export const MAX_SEEN = 2_000
