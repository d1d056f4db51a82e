import { LOCATOR_TTL_MS } from '../locator/constants.js'

/** The capability the reach service provides. */
export const REACH_CAPABILITY = '@presence-mesh/reach'
/** Datastore prefix of what the reach service keeps (the contact code). */
export const DATASTORE_PREFIX = '/presence-mesh/reach'
/** Lifetime of the intake locator record; republished at a third of it and on address changes. */
export const INTAKE_TTL_MS = LOCATOR_TTL_MS
/** A DHT put or get of the intake record (a lookup plus the puts or gets: seconds on a busy mesh). */
export const INTAKE_DHT_TIMEOUT_MS = 15_000
/** While no DHT node stored the intake record: retry after this, doubling up to the cap. */
export const INTAKE_RETRY_BASE_MS = 2_000
export const INTAKE_RETRY_CAP_MS = 5 * 60_000
/** How long a clean stop waits for the empty intake record to be stored. */
export const INTAKE_GOODBYE_TIMEOUT_MS = 2_000
/** Messages a requester sends through a code's intake go at most this many addresses of the owner. */
export const MAX_INTAKE_ADDRESSES = 16
/** A requester tries the addresses it already knows for this long before the intake record's other addresses, if it has any. */
export const KNOWN_ADDRESSES_MS = 4_000
/** Identifying a connected peer again once it became a contact (its addresses), at most. */
export const IDENTIFY_CONTACT_MS = 2_000
/**
 * Identify that failed on a connection still open (a timeout or a stream cut short under load) is
 * run again: after this, doubling, at most IDENTIFY_RETRIES times. Without it the peer stays without
 * its listen addresses and protocols (no gossip attaches, nobody can give its addresses later).
 */
export const IDENTIFY_RETRY_BASE_MS = 1_000
export const IDENTIFY_RETRIES = 3
