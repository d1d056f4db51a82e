/** Defaults of the instance protocol (docs/protocol.md §13). */
export { INSTANCE_PROTOCOL } from '../../protocol/instance.js'

/** The capability the instance service provides. */
export const INSTANCE_CAPABILITY = '@presence-mesh/instance'
/** One exchange (both streams, hellos, statements, notices) gives up after this long. */
export const EXCHANGE_TIMEOUT_MS = 10_000
/** An instance stream (hello, probes) ends after this long whatever happens. */
export const STREAM_TIMEOUT_MS = 15_000
/** Exchanges this node runs as an observer at once; a new second connection beyond them waits for its next one. */
export const MAX_EXCHANGES_IN_FLIGHT = 4
/** Exchanges about one peer id per window (a peer whose connections flap does not keep us busy). */
export const MAX_EXCHANGES_PER_PEER = 3
/** Instance streams one peer may open to us per window (each costs a signature). */
export const MAX_STREAMS_PER_PEER = 10
export const RATE_WINDOW_S = 60
/** A new connection is paired with at most this many other connections of its peer id. */
export const MAX_PAIRS = 2
/** Instance streams per connection and direction: an observer opens one per exchange. */
export const MAX_INSTANCE_STREAMS = 2
