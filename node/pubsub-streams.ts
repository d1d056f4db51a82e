/**
 * Keeps gossipsub's stream to every peer it is attached to.
 *
 * Gossipsub (@libp2p/gossipsub 17) writes to a peer only over its one
 * outbound stream to it. It opens that stream when the connection comes up
 * (or the peer opens one to us), through one queue, once; if the negotiation
 * fails (10 s under load), the stream is reset or aborted (a full write
 * buffer), or the peer drops its end (its gossipsub detached from us), it
 * never opens one again on a connection that stays open. The peer stays
 * attached, can stay in (or be GRAFTed into) a topic mesh, and gets nothing:
 * a presentity publishes record after record to a watcher "in its mesh" and
 * the watcher's view expires as soon as the other watchers that relayed them
 * are gone (the chaos run, docs/benchmarks.md).
 *
 * And gossipsub attaches to a peer only when libp2p's identify of it
 * finished (or the peer opened a gossip stream to us). Under load identify
 * fails ("Unexpected EOF", a timeout) and two nodes stay connected without
 * gossip until the connection is closed, although the peer store knows from
 * an earlier identify that the peer speaks gossipsub (a restart, a healed
 * partition).
 *
 * So on every gossipsub heartbeat, for each attached peer that still has an
 * open connection, a peer without a writable outbound gossip stream for
 * longer than a grace gets gossipsub's own connection notification again
 * (what its PX and direct-peer dials do, and what libp2p does after
 * identify), which queues a new stream. An outbound gossip stream whose far
 * end the peer closed (seen when the close arrives, or on a heartbeat) is
 * closed (gossipsub drops it) and, with no other writable stream to the
 * peer, repaired at once, without the grace: the peer's gossipsub closes our
 * stream when it detaches us, which forgets our subscriptions, and publishes
 * nothing to us until a new stream of ours brings them (the one-sided
 * subscription of the chaos run). A connection to a peer gossipsub is not
 * attached to, older than the same grace, gets that notification too if the
 * peer store lists a gossip protocol for the peer. Repeated tries back off,
 * also across repairs that worked for a while (until a stream stays
 * writable for the longest backoff). Everything the repairs use is public
 * API: the heartbeat event, the peers, the protocols, the connections'
 * streams and their events, the peer store and the registrar's topologies.
 *
 * And gossipsub detaches a peer whose inbound stream fails as if the peer
 * had disconnected (handlePeerReadStreamError): its subscriptions, its mesh
 * place, its score and both streams are dropped, though the stream failed
 * only with one of two connections (both nodes dialled at once, or one
 * redialled while the old link lived) and the peer stays connected. The peer
 * then gets nothing we publish until it tells us its subscriptions again,
 * which it does only on a new stream of its own: its keeper's repair, seconds
 * under load (the chaos run: a contact's records to others only, on a
 * connected pair). A peer that still has an open connection is kept; only
 * the broken stream goes, and gossipsub is told of the open connection at
 * once (which opens an outbound stream there if ours went with the other).
 * This replaces the library's handlePeerReadStreamError (private in its
 * types; a version without it keeps its own behaviour).
 */
import { backoffDelay } from './util/wait.js'
import type { GossipSub, GossipSubComponents } from '@libp2p/gossipsub'
import type { Connection, Libp2pEvents, Logger, PeerId, Stream, TypedEventTarget } from '@libp2p/interface'

/** A peer without a writable stream is left this long to the stream gossipsub is opening (its queue is serial). */
export const STREAM_REPAIR_GRACE_MS = 2_000
/** Repeated repairs of one peer back off from the grace to this, with jitter. */
export const STREAM_REPAIR_MAX_MS = 30_000
export const STREAM_REPAIR_JITTER = 0.5

export interface StreamKeeperOptions {
  graceMs: number
  maxBackoffMs: number
  jitter: number
  /** Uniform numbers in [0, 1) for the jitter (tests pass their own). */
  random?: () => number
  now?: () => number
}

export type StreamKeeperComponents = Pick<GossipSubComponents, 'connectionManager' | 'registrar' | 'peerStore' | 'logger'> & {
  /** libp2p's events: a new connection to a peer known to speak gossipsub is attached at once (without them, on the next heartbeats). */
  events?: Pick<TypedEventTarget<Libp2pEvents>, 'addEventListener'>
}

type KeptPubsub = Pick<GossipSub, 'protocols' | 'getPeers' | 'addEventListener'> & { isStarted?: () => boolean }

/** The parts of @libp2p/gossipsub 17's GossipSub a broken read relies on (handlePeerReadStreamError is private in its types). */
interface ReadingPubsub {
  handlePeerReadStreamError?: (err: Error, peerId: PeerId) => void
  streamsInbound?: Map<string, { rawStream?: Pick<Stream, 'status'> }>
}

interface Missing {
  /** When the peer was first seen without a writable stream (or, not attached, connected). */
  since: number
  /** The next repair is not due before this. */
  next: number
  repairs: number
  /** Since when a repaired stream has been writable (undefined: missing now). */
  writableSince?: number
}

export class OutboundStreamKeeper {
  /** Attached peers without a writable stream. */
  private readonly missing = new Map<string, Missing>()
  /** Connected peers gossipsub is not attached to. */
  private readonly unattached = new Map<string, Missing>()
  /** Outbound gossip streams whose far end's close we listen for, and those the peer closed that we are closing now. */
  private readonly watched = new WeakSet<Stream>()
  private readonly closing = new WeakSet<Stream>()
  private readonly log: Logger
  private readonly now: () => number
  /** Repairs done (connection notifications re-run), peers attached from the peer store, streams the peer dropped closed, and peers kept; for diagnostics and tests. */
  repairs = 0
  attached = 0
  closed = 0
  /** Peers kept attached after a read stream failed while they stayed connected. */
  kept = 0

  constructor (private readonly pubsub: KeptPubsub, private readonly components: StreamKeeperComponents, private readonly opts: StreamKeeperOptions) {
    this.log = components.logger.forComponent('presence-mesh:pubsub:streams')
    this.now = opts.now ?? Date.now
  }

  /** Looks at every attached peer and every connection once (each gossipsub heartbeat). */
  sweep (): void {
    const now = this.now()
    const seen = new Set<string>()
    for (const peer of this.pubsub.getPeers()) {
      const id = peer.toString()
      const conns = this.components.connectionManager.getConnections(peer)
      // no connection: gossipsub detaches the peer on the disconnect
      if (!conns.some(isOpen)) continue
      seen.add(id)
      const { ok, dropped } = this.writable(peer, conns)
      if (ok) {
        this.repaired(id, now)
        continue
      }
      // a stream the peer dropped is repaired as soon as ours is closed (dropPeerClosed)
      if (dropped) continue
      this.brokeAgain(id, now)
      const m = this.due(this.missing, id, now, now)
      if (m == null) continue
      this.repairs++
      this.log('no writable gossip stream to %p for %d ms, asking gossipsub to open one (repair %d)', peer, now - m.since, m.repairs)
      this.notifyConnected(peer, newest(conns.filter(isOpen)))
    }
    for (const id of this.missing.keys()) if (!seen.has(id)) this.missing.delete(id)
    // every attached peer with an open connection is in `seen`; one without any has no connection to look at
    this.sweepUnattached(now, seen)
  }

  /**
   * Every connection, without a copy where the connection manager has its
   * map (its getConnections() of all concatenates one array per peer: a
   * quadratic copy each second).
   */
  private * connections (): Iterable<Connection> {
    const map = this.components.connectionManager.getConnectionsMap?.()
    if (map == null) {
      yield * this.components.connectionManager.getConnections()
      return
    }
    for (const [, conns] of map) yield * conns
  }

  /**
   * A repaired stream is forgotten only once it stayed writable for the
   * longest backoff: a peer that keeps breaking our stream (it resets its
   * reads, it detaches us) is repaired less and less often, not on every
   * heartbeat after a short-lived success.
   */
  private repaired (id: string, now: number): void {
    const m = this.missing.get(id)
    if (m == null) return
    m.writableSince ??= now
    if (now - m.writableSince >= this.opts.maxBackoffMs) this.missing.delete(id)
  }

  /** A stream repaired before is missing again: the next repair waits the backoff reached so far. */
  private brokeAgain (id: string, now: number): void {
    const m = this.missing.get(id)
    if (m?.writableSince == null) return
    m.writableSince = undefined
    m.since = now
    m.next = now + backoffDelay(m.repairs, this.backoffOptions())
  }

  private backoffOptions (): Parameters<typeof backoffDelay>[1] {
    return { baseMs: this.opts.graceMs, capMs: this.opts.maxBackoffMs, jitter: this.opts.jitter, random: this.opts.random }
  }

  /**
   * Whether a repair of `id` (in need of one since `since`) is due now: after
   * the grace, then backing off. A due repair is counted.
   */
  private due (pending: Map<string, Missing>, id: string, since: number, now: number, grace = this.opts.graceMs): Missing | undefined {
    let m = pending.get(id)
    if (m == null) {
      m = { since, next: since + grace, repairs: 0 }
      pending.set(id, m)
    }
    if (now < m.next) return undefined
    m.repairs++
    m.next = now + backoffDelay(m.repairs, this.backoffOptions())
    return m
  }

  /**
   * A new connection: a peer the peer store knows speaks gossipsub is
   * attached now, not when identify finishes (the heartbeats' grace stays
   * for peers first met on this connection, whose protocols identify finds).
   */
  connectionOpened (conn: Connection): void {
    if (conn.status !== 'open' || this.pubsub.getPeers().some(p => p.equals(conn.remotePeer))) return
    void this.attachKnown(conn, 'opened')
  }

  /** Connections to peers gossipsub is not attached to: attach those the peer store says speak gossipsub. */
  private sweepUnattached (now: number, attached: ReadonlySet<string>): void {
    const connected = new Map<string, Connection[]>()
    for (const c of this.connections()) {
      if (c.status !== 'open') continue
      const id = c.remotePeer.toString()
      if (attached.has(id)) continue
      const list = connected.get(id)
      if (list == null) connected.set(id, [c])
      else list.push(c)
    }
    for (const id of this.unattached.keys()) if (!connected.has(id)) this.unattached.delete(id)
    for (const [id, conns] of connected) {
      const conn = newest(conns)
      // identify runs on every new connection and attaches the peer when it is done: the grace runs from the opening
      if (this.due(this.unattached, id, conn.timeline.open, now) != null) void this.attachKnown(conn, 'late')
    }
  }

  private async attachKnown (conn: Connection, when: 'opened' | 'late'): Promise<void> {
    const peer = conn.remotePeer
    try {
      const { protocols } = await this.components.peerStore.get(peer)
      if (!protocols.some(p => this.pubsub.protocols.includes(p))) return
      // identify may have attached it meanwhile; the notification is harmless then
      if (conn.status !== 'open' || this.pubsub.getPeers().some(p => p.equals(peer))) return
      this.attached++
      if (when === 'opened') this.log('new connection to %p, attaching it before identify: the peer store lists gossipsub', peer)
      else this.log('connected to %p for %d ms without gossip (identify did not finish), attaching it: the peer store lists gossipsub', peer, this.now() - conn.timeline.open)
      this.notifyConnected(peer, conn)
    } catch (err: any) {
      // not in the peer store: nothing known about its protocols, identify's to find out
      if (err?.name !== 'NotFoundError') this.log.error('could not read the protocols of %p - %e', peer, err)
    }
  }

  /**
   * Whether an outbound gossip stream to the peer can carry what we publish
   * (`ok`), and whether one the peer dropped was found (`dropped`: it is
   * being closed and repaired). Each stream is watched from then on, so the
   * peer's close is seen when it comes, not at the next heartbeat.
   */
  private writable (peer: PeerId, conns: Connection[]): { ok: boolean, dropped: boolean } {
    let ok = false
    let dropped = false
    for (const c of conns) {
      if (!isOpen(c)) continue
      for (const s of c.streams) {
        if (s.direction !== 'outbound' || !this.pubsub.protocols.includes(s.protocol ?? '') || s.status !== 'open') continue
        if (farEndClosed(s)) {
          if (s.writeStatus === 'writable') this.dropPeerClosed(peer, s)
          if (this.closing.has(s)) dropped = true
          continue
        }
        if (!this.watched.has(s)) {
          this.watched.add(s)
          s.addEventListener('remoteCloseWrite', () => { this.dropPeerClosed(peer, s) }, { once: true })
        }
        if (s.writeStatus === 'writable') ok = true
      }
    }
    return { ok, dropped }
  }

  /**
   * The peer closed our gossip stream: its gossipsub dropped it, and either
   * took a newer one of ours or detached us, which forgets our
   * subscriptions; it publishes nothing to us until a new stream of ours
   * brings them. Gossipsub drops a stream once it closes and only then opens
   * another, so ours is closed (not reset: a reset would break the peer's
   * read of it, and gossipsub detaches a peer whose read breaks, even from
   * its newer streams) and, without another writable stream, gossipsub is
   * told of the connection at once: no grace, since nothing of ours is on
   * the way; repeated repairs still back off.
   */
  private dropPeerClosed (peer: PeerId, s: Stream): void {
    if (this.closing.has(s) || s.status !== 'open') return
    this.closing.add(s)
    this.closed++
    this.log('gossip stream to %p was closed by the peer, closing ours', peer)
    s.close({ signal: AbortSignal.timeout(this.opts.graceMs) })
      .catch((err: Error) => { s.abort(err) })
      .finally(() => {
        this.closing.delete(s)
        this.repairNow(peer)
      })
      .catch((err: Error) => { this.log.error('repairing the gossip stream to %p failed - %e', peer, err) })
  }

  private repairNow (peer: PeerId): void {
    if (!this.pubsub.getPeers().some(p => p.equals(peer))) return
    const open = this.components.connectionManager.getConnections(peer).filter(c => c.status === 'open')
    if (open.length === 0 || this.writable(peer, open).ok) return
    const id = peer.toString()
    const now = this.now()
    this.brokeAgain(id, now)
    // only repairs made before back off: a peer whose first stream was merely slow to open (noted, never repaired) is not made to wait
    const noted = this.missing.get(id)
    if (noted?.repairs === 0) noted.next = now
    const m = this.due(this.missing, id, now, now, 0)
    if (m == null) return
    this.repairs++
    this.log('gossip stream to %p closed by the peer, asking gossipsub to open another (repair %d)', peer, m.repairs)
    this.notifyConnected(peer, newest(open))
  }

  /**
   * Gossipsub's inbound stream from `peer` failed. With no open connection
   * left the peer is gone (gossipsub detaches it, as it would anyway); with
   * one, only the broken stream is dropped and the peer stays attached. A
   * read that broke on the stream's own bytes (the stream still open, so
   * nobody would read it again) detaches the peer as before: its streams are
   * closed and the keeper opens new ones.
   * Returns whether the peer was kept.
   */
  readFailed (peer: PeerId, inbound: ReadingPubsub['streamsInbound']): boolean {
    const open = this.components.connectionManager.getConnections(peer).filter(c => c.status === 'open')
    if (open.length === 0) return false
    const id = peer.toString()
    // a read that broke on the bytes (the stream still open, nobody reading it): the peer's fault, detached as gossipsub does
    if (inbound?.get(id)?.rawStream?.status === 'open') return false
    inbound?.delete(id)
    this.kept++
    this.log('gossip stream from %p failed but %d connections to it are open: keeping it attached', peer, open.length)
    this.notifyConnected(peer, newest(open))
    return true
  }

  /** Gossipsub's reaction to a new connection: attach the peer (no-op if attached) and queue its outbound stream. */
  private notifyConnected (peer: PeerId, connection: Connection): void {
    const topologies = new Set(this.pubsub.protocols.flatMap(p => this.components.registrar.getTopologies(p)))
    for (const t of topologies) {
      try {
        t.onConnect?.(peer, connection)
      } catch (err: any) {
        this.log.error('re-notifying gossipsub of %p failed - %e', peer, err)
      }
    }
  }
}

function isOpen (c: Connection): boolean {
  return c.status === 'open'
}

function farEndClosed (s: Stream): boolean {
  return s.remoteWriteStatus === 'closed' || s.remoteReadStatus === 'closed'
}

function newest (conns: Connection[]): Connection {
  return conns.reduce((a, c) => c.timeline.open > a.timeline.open ? c : a)
}

/** Runs a keeper on every heartbeat of `pubsub` (heartbeats run only while it is started). */
export function keepOutboundStreams (pubsub: KeptPubsub, components: StreamKeeperComponents, opts: Partial<StreamKeeperOptions> = {}): OutboundStreamKeeper {
  const keeper = new OutboundStreamKeeper(pubsub, components, {
    graceMs: STREAM_REPAIR_GRACE_MS,
    maxBackoffMs: STREAM_REPAIR_MAX_MS,
    jitter: STREAM_REPAIR_JITTER,
    ...opts
  })
  pubsub.addEventListener('gossipsub:heartbeat', () => { keeper.sweep() })
  // a version without the method keeps the library's behaviour (the peer detached)
  const reading = pubsub as unknown as ReadingPubsub
  const detach = reading.handlePeerReadStreamError
  if (typeof detach === 'function') {
    reading.handlePeerReadStreamError = (err, peerId) => {
      if (!keeper.readFailed(peerId, reading.streamsInbound)) detach.call(pubsub, err, peerId)
    }
  }
  // the components outlive no node: the listener goes with them; gossipsub ignores notifications while stopped
  components.events?.addEventListener('connection:open', (evt) => {
    if (pubsub.isStarted?.() !== false) keeper.connectionOpened(evt.detail)
  })
  return keeper
}
