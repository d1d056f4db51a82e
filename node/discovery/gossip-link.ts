/**
 * Whether a follow (follow.ts) has a working gossip link to a peer: an open
 * connection on which gossipsub runs a stream each way, and gossipsub lists
 * the peer; and whether records on a link that looks fine have stopped.
 */
import type { PubSub } from '../pubsub.js'
import type { Connection, PeerId } from '@libp2p/interface'
import type { ConnectionManager } from '@libp2p/interface-internal'

/** What a follow needs to see of gossipsub: its protocols, and the peers it is attached to. */
export type GossipLinks = Pick<PubSub, 'protocols' | 'getPeers'>

export interface GossipLinkComponents {
  connectionManager: Pick<ConnectionManager, 'getConnections'>
  /** Without gossipsub a connection counts as the link. */
  gossip?: () => GossipLinks | undefined
}

export interface GossipLink {
  state: 'linked' | 'attaching' | 'stale' | 'none'
  graceLeft: number
  oldest?: Connection
  ours: boolean
}

/**
 * linked: an open connection and a gossip stream each way; attaching: open
 * connections without a complete link, within the grace (from the oldest
 * connection's opening or `since`, whichever is later); stale: past it;
 * none: no open connection. `ours`: our half works (gossipsub attached,
 * our stream open), so what is missing is the peer's stream.
 */
export function gossipLink (components: GossipLinkComponents, peerId: PeerId, now: number, since: number, graceMs: number): GossipLink {
  const open = components.connectionManager.getConnections(peerId).filter(c => c.status === 'open')
  if (open.length === 0) return { state: 'none', graceLeft: 0, ours: false }
  const gossip = components.gossip?.()
  if (gossip == null) return { state: 'linked', graceLeft: 0, ours: true }
  const halves = gossipHalves(gossip, peerId, open)
  if (halves.ours && halves.theirs) return { state: 'linked', graceLeft: 0, ours: true }
  const oldest = open.reduce((a, c) => openedAt(c) < openedAt(a) ? c : a)
  const graceLeft = Math.max(openedAt(oldest), since) + graceMs - now
  return { state: graceLeft > 0 ? 'attaching' : 'stale', graceLeft, oldest, ours: halves.ours }
}

export function openedAt (c: Connection): number {
  return c.timeline.open
}

/**
 * The two halves of a gossip link on our connections to a peer: ours is our
 * gossipsub attached to the peer with its stream to it open (our
 * subscriptions and what we publish), theirs the peer's stream to us (what
 * it publishes).
 */
function gossipHalves (gossip: GossipLinks, peerId: PeerId, open: Connection[]): { ours: boolean, theirs: boolean } {
  const streams = open.flatMap(c => c.streams).filter(s => s.protocol != null && gossip.protocols.includes(s.protocol) && s.status === 'open')
  return {
    ours: gossip.getPeers().some(p => p.equals(peerId)) && streams.some(s => s.direction === 'outbound'),
    theirs: streams.some(s => s.direction === 'inbound')
  }
}

/** What a follow knows of a peer's records, for `silence`. */
export interface RecordsHeard {
  /** When its last record came (0: never). */
  lastRecordAt: number
  lastRecordOnline: boolean
  /** The lifetime its records declare. */
  lifetimeMs: number
  /** When the link was last redialled for silence. */
  silenceRepairAt: number
}

/**
 * How long past the silence limit a linked peer has been (> 0), or minus
 * the time left until it (< 0); 0 when silence means nothing (never heard,
 * or its last record said goodbye). The limit is `silenceLifetimes` record
 * lifetimes without a record (at least `minSilenceMs`), counted from the
 * last record or the last silence repair.
 */
export function silence (r: RecordsHeard, now: number, opts: { silenceLifetimes: number, minSilenceMs: number }): number {
  if (r.lastRecordAt === 0 || !r.lastRecordOnline || r.lifetimeMs <= 0) return 0
  const over = now - Math.max(r.lastRecordAt, r.silenceRepairAt) - Math.max(opts.silenceLifetimes * r.lifetimeMs, opts.minSilenceMs)
  return over === 0 ? 1 : over
}
