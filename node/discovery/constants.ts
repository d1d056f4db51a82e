/** Timing and limits of discovery (docs/protocol.md §6, docs/operations.md). */

/** kad-dht keeps its records under this datastore prefix (its default, made explicit). */
export const DHT_DATASTORE_PREFIX = '/dht'

/** A locate gives up after this long unless the caller passes its own signal. */
export const LOCATE_TIMEOUT_MS = 30_000
/** Dialing addresses already in the peer store: short, the DHT is the fallback. */
export const CACHED_DIAL_TIMEOUT_MS = 5_000
/**
 * Before the DHT walk, a locate asks this many connected peers at most (the peer's watchers
 * first) for its addresses, one FIND_NODE each (node/discovery/neighbour-lookup.ts), ...
 */
export const NEIGHBOUR_ASKS_MAX = 8
/** ... for this long at most: one round trip each, in parallel. */
export const NEIGHBOUR_ASK_TIMEOUT_MS = 5_000

/** Watching a presentity that is not reachable: locate retries back off between these. */
export const FOLLOW_MIN_RETRY_MS = 1_000
export const FOLLOW_MAX_RETRY_MS = 60_000
/**
 * ... and up to this for a *quiet* presentity: nothing heard of it (no link, no record, no news) since
 * the follow began, or for FOLLOW_QUIET_AFTER_MS. It tells us itself when it comes online (its follow
 * of us dials us, its records reach us, mDNS), which starts the backoff over; 950 offline contacts at
 * the 60 s cap were 950 attempts a minute for good.
 */
export const FOLLOW_QUIET_MAX_RETRY_MS = 10 * 60_000
export const FOLLOW_QUIET_AFTER_MS = 10 * 60_000
/** Share of each retry delay taken off at random, so the follows of many nodes do not retry in step. */
export const FOLLOW_RETRY_JITTER = 0.5
/** How often a followed presentity that is reachable is checked again. */
export const FOLLOW_CHECK_MS = 5_000
/**
 * Identify (libp2p's default is 5 s). Everything rides on it: gossipsub
 * attaches to a peer and the DHT learns that it serves only once identify
 * finished, so an identify that times out leaves a connection that carries
 * no presence. On a starved machine (event-loop delays of seconds) 5 s is
 * not enough for the round trips, the peer record signature and the peer
 * store writes it takes.
 */
export const IDENTIFY_TIMEOUT_MS = 15_000
/**
 * A connection to a followed presentity must carry a gossip stream each way
 * within this long (identify, IDENTIFY_TIMEOUT_MS at most, then one stream
 * negotiation each way); else identify runs again, and if that does not help
 * either, the connection is closed and dialled again.
 */
export const FOLLOW_ATTACH_GRACE_MS = 20_000
/**
 * A link that was complete and broke while its connection stayed open needs no identify: repaired
 * this long after the break was first seen. Longer than the peer's own repair of its gossip stream
 * (node/pubsub-streams.ts: 2 s, checked on its 1 s heartbeat), so the follow does not replace a link
 * that was about to work with a new connection that needs identify again.
 */
export const FOLLOW_RELINK_GRACE_MS = 4_000
/** A link coming up (a new connection, a repair) is looked at this often. */
export const FOLLOW_ATTACH_POLL_MS = 1_000
/**
 * A linked presentity whose last record said online and that sent nothing
 * for this many record lifetimes is redialled (its view expired after one):
 * how a link that died without closing (a NAT that forgot it) is noticed,
 * now that libp2p's connection monitor no longer cuts links (node/libp2p.ts).
 */
export const FOLLOW_SILENCE_LIFETIMES = 2
/** ... and at least this long: on a loaded machine a busy presentity's heartbeats come seconds late. */
export const FOLLOW_MIN_SILENCE_MS = 30_000
/** A new connection anywhere, or new addresses of our own, retry an unreachable presentity at most this often. */
export const FOLLOW_NETWORK_WAKE_MS = 5_000
/** Full attempts of follows that found nothing while the node was alone, once it is connected again: spread over this much per follow, at most the maximum. */
export const FOLLOW_NETWORK_BACK_SPREAD_PER_FOLLOW_MS = 50
export const FOLLOW_NETWORK_BACK_SPREAD_MAX_MS = 60_000
/**
 * While follows wait for someone a lookup can ask (a DHT server, a neighbour that serves the DHT), whether
 * one came is also looked at this often: kad-dht's 'peer:add' is not dispatched for a peer its table took
 * when the peer store's tag write after it failed (its add's deadline ran out under load), and a follow in
 * an attempt when the event came is not waiting for it. A look reads two sizes; it makes no attempt.
 */
export const FOLLOW_PARKED_CHECK_MS = 5_000
/**
 * Re-asks of an unreachable followed presentity's neighbours back off from
 * this (its first full attempt with anyone connected asks them at once;
 * news about it, or a link, starts over). An ask is 8 streams: with 950
 * offline contacts, asks on every full attempt (up to once a minute each)
 * were 7,600 streams a minute, the idle node's largest cost.
 */
export const FOLLOW_MIN_REASK_MS = 5 * 60_000
/** ... up to this. */
export const FOLLOW_MAX_REASK_MS = 30 * 60_000
/** Connections to watched presentities outrank DHT and gossip peers when the connection manager prunes. */
export const WATCH_TAG = 'presence-mesh-watch'
export const WATCH_TAG_VALUE = 60

/** Initial bootstrap dials: bounded exponential backoff, then libp2p's keep-alive redial takes over. */
export const BOOTSTRAP_MIN_RETRY_MS = 1_000
export const BOOTSTRAP_MAX_RETRY_MS = 30_000
export const BOOTSTRAP_MAX_ATTEMPTS = 8
/** After a bootstrap node's outage, its clients do not all come back at the same instant. */
export const BOOTSTRAP_RETRY_JITTER = 0.5

/** On start, dial at most this many of the most recently connected peers from the peer store. */
export const REJOIN_MAX_PEERS = 8
/** Peer store metadata key: ms since the epoch of the last connection to the peer. */
export const LAST_CONNECTED_KEY = 'presence-mesh/last-connected'

/** mDNS-discovered peers are dialed only while the node has fewer connections than this. */
export const MDNS_DIAL_BELOW_CONNECTIONS = 32
/**
 * What mDNS said of a peer (its addresses) is kept in memory this long after
 * its last answer, for a contact request by code to a LAN peer whose dial
 * failed (a closed node refuses strangers, and a failed dial leaves nothing
 * in the peer store). Answers repeat every mDNS interval (10 s by default).
 */
export const MDNS_SIGHTING_MS = 2 * 60_000
/** At most this many peers' sightings (anyone on the LAN can answer, naming made-up peers), each with at most MDNS_SIGHTING_ADDRESSES addresses. */
export const MDNS_SIGHTINGS_MAX = 64
export const MDNS_SIGHTING_ADDRESSES = 8
/** Our own mDNS service name: we want presence-mesh peers, not every libp2p node on the LAN. */
export const MDNS_SERVICE_TAG = '_presence-mesh._udp.local'

/** The circuit relay v2 hop protocol: a peer that speaks it can relay for us. */
export const RELAY_HOP_PROTOCOL = '/libp2p/circuit/relay/0.2.0/hop'
/** Relay slots this node holds at once (each announces one relayed address). */
export const MAX_RELAY_RESERVATIONS = 2
/** A slot lost or refused on a relay that stays connected: tried again after this, doubling up to the cap. */
export const RELAY_RETRY_BASE_MS = 1_000
export const RELAY_RETRY_CAP_MS = 60_000

/**
 * A connected DHT server that kad-dht did not take into its routing table (its one ping before
 * adding failed, e.g. on a connection still busy with its first streams) is added again: first
 * after this, so kad-dht's own try has ended, ...
 */
export const DHT_REPAIR_FIRST_CHECK_MS = 5_000
/** ... then with backoff while it stays connected. */
export const DHT_REPAIR_RETRY_BASE_MS = 5_000
export const DHT_REPAIR_RETRY_CAP_MS = 60_000
/** One add (kad-dht pings the peer first), at most. */
export const DHT_REPAIR_ADD_TIMEOUT_MS = 10_000
/**
 * A DHT routing table this small (K/2 of kad-dht's K = 20) is filled with a lookup of the node's own
 * key when a server is added to it (dht-table-fill.ts): first after this, so a burst of adds is one
 * lookup, ...
 */
export const DHT_FILL_BELOW = 10
export const DHT_FILL_DELAY_MS = 1_000
/**
 * ... then at most one lookup per gap, doubling from the first to the last (kad-dht's own self-query
 * interval). The lookup after the first servers arrive is the one that mostly fills: 10 public nodes in
 * a line had 4-9 peers a table 3-5 s after the last start; with a 5 s first gap their set-up spent
 * about 2.5 CPU-s more (lookups that found little), with 30 s one run took 24 s to fill.
 */
export const DHT_FILL_GAP_FIRST_MS = 10_000
export const DHT_FILL_GAP_CAP_MS = 300_000
/** ... each bounded (kad-dht's table refresh allows its lookups as long; its self-query's 5 s ran out under load). */
export const DHT_FILL_LOOKUP_TIMEOUT_MS = 30_000
