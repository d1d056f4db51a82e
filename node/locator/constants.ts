/** Locator records live an hour and are republished every 20 minutes and whenever addresses or contacts change. */
export const LOCATOR_TTL_MS = 3600_000
/** Changes within this long of each other cause one republish. */
export const LOCATOR_DEBOUNCE_MS = 1_000
/** A DHT put or get of one locator record. */
export const LOCATOR_TIMEOUT_MS = 5_000
/** How long a clean stop, or a block, waits for the empty locators to be stored (the put itself goes on). */
export const LOCATOR_GOODBYE_TIMEOUT_MS = 2_000
/**
 * An empty locator (a block, hiding from a contact, a rotated contact code) that no DHT peer took is
 * put again after 2 s, 4 s, ... up to 30 s apart (less up to half at random) while the record with
 * addresses it replaces may be served (up to its 1 h lifetime): else a blocked contact could read it.
 */
export const LOCATOR_WITHDRAW_RETRY_BASE_MS = 2_000
export const LOCATOR_WITHDRAW_RETRY_CAP_MS = 30_000
/**
 * ... but at most 10 times (2 s to 30 s apart: about 3.5 min, at least 1.7 min with the jitter): each
 * put tells whoever runs the DHT servers closest to the reader's key that this node runs, and a blocked
 * reader may run them and refuse the put on purpose; past the block's own put that says little.
 */
export const LOCATOR_WITHDRAW_RETRY_MAX_TRIES = 10
