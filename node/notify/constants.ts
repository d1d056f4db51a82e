/** Defaults of the direct presence path (docs/protocol.md §11). */
export { NOTIFY_PROTOCOL } from '../../protocol/notify-frame.js'

/** The capability the notify service provides (presence depends on it). */
export const NOTIFY_CAPABILITY = '@presence-mesh/notify'
/** Notify streams per connection and direction: one live subscription and one replacing it after a break. */
export const MAX_NOTIFY_STREAMS = 2
/** Opening a subscription stream (protocol negotiation included) gives up after this long. */
export const OPEN_TIMEOUT_MS = 10_000
/** A subscription that broke or was refused is retried after this, doubling up to the cap, while connected. */
export const RESUBSCRIBE_BASE_MS = 250
export const RESUBSCRIBE_CAP_MS = 60_000
/** A watcher that lost sight keeps its stream this long for presence's goodbye (farewell), then it is closed. */
export const FAREWELL_TIMEOUT_MS = 2_000
