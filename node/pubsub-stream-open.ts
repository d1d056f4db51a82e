/**
 * Gossipsub (@libp2p/gossipsub 17) opens its outbound streams one at a time,
 * through one queue, each with no deadline of its own (libp2p then allows a
 * protocol negotiation 10 s). A node that starts (or restarts, or heals a
 * partition) gets a dozen connections at once (bootstrap, relays, DHT peers,
 * the contacts it follows), and under load each negotiation takes one to
 * three seconds: the last peer's stream, and with it our subscriptions, which
 * gossipsub sends on that stream and without which the peer publishes nothing
 * to us, came 15-35 s after the connections did (docs/benchmarks.md, the
 * chaos run). A peer that never answers held every other peer back.
 *
 * So gossipsub is handed, through a view of the registrar, connections whose
 * streams were opened AHEAD: when gossipsub is told of a connection (its
 * topology's notification, its inbound stream handler), the stream is opened
 * at once, for every peer in parallel, with a deadline. When gossipsub's queue
 * asks for the stream, it gets the one opened ahead if it is there; if it is
 * still being negotiated, the ask fails at once (gossipsub logs it and moves
 * on to the next peer) and gossipsub is told of the connection again as soon
 * as the stream is there, so it asks again and takes it without waiting. No
 * peer waits for another's negotiation.
 *
 * Gossipsub registers its stream handler before it counts as started, and
 * ignores a stream that arrives in between: it neither reads nor closes it.
 * The peer then writes into a stream nobody reads for the connection's life
 * (a restarted node is dialled by its watchers at once: the chaos run saw
 * a contact publish every record to such a watcher, which got none, and
 * knew nothing of the contact's subscription). So a stream that arrives
 * before gossipsub is started is held and handed to it once it is (`started`,
 * called on its first heartbeat); one still held when it stops is closed.
 *
 * Public API only: the registrar's register, handle and topologies, the
 * connection's newStream and streams.
 */
import { withView } from './util/view.js'
import type { Connection, Logger, PeerId, Stream, StreamHandler, Topology } from '@libp2p/interface'
import type { ConnectionManager, Registrar } from '@libp2p/interface-internal'
import type { ComponentLogger } from '@libp2p/interface'

/** A gossip stream not negotiated within this long is given up (the keeper, pubsub-streams.ts, tries again). */
export const GOSSIP_STREAM_OPEN_TIMEOUT_MS = 5_000
/** A stream opened ahead that gossipsub did not take within this long is closed (it no longer wanted one). */
export const GOSSIP_STREAM_UNCLAIMED_MS = 15_000

/** Gossipsub asked for a stream that is still being negotiated: it is told of the connection again once it is there. */
export class GossipStreamStillOpeningError extends Error {
  override readonly name = 'GossipStreamStillOpeningError'
  constructor (peer: PeerId) {
    super(`the gossip stream to ${peer.toString()} is still being opened; gossipsub is notified again when it is`)
  }
}

export interface GossipStreamOpenerInit {
  /** The protocols gossipsub asks for, in its order (read when a stream is opened: the service exists by then). */
  protocols: () => string[]
  /**
   * Whether gossipsub holds an outbound stream to the peer (then it asks for
   * none: a stream opened anyway would not be taken, and the peer's gossipsub
   * would make it its one inbound stream from us, closing the one we write on).
   */
  holdsStream: (peer: string) => boolean
  runOnLimitedConnection: boolean
  /** Whether gossipsub is started (it ignores streams before). Default: always. */
  isStarted?: () => boolean
  timeoutMs?: number
  unclaimedMs?: number
}

export type GossipStreamOpenerComponents = { registrar: Registrar, connectionManager: Pick<ConnectionManager, 'getConnections'>, logger: ComponentLogger }

/** A stream opened ahead for one peer. */
interface Ahead {
  connection: Connection
  stream?: Stream
  /** Gossipsub asked while it was being negotiated. */
  wanted: boolean
  timer?: ReturnType<typeof setTimeout>
}

export interface GossipStreamOpenerStats {
  /** Streams opened ahead, handed to gossipsub, asked for while still opening, closed unclaimed, failed. */
  opened: number
  handed: number
  early: number
  unclaimed: number
  failed: number
  /** Inbound streams held until gossipsub was started. */
  held: number
}

export class GossipStreamOpener {
  private readonly ahead = new Map<string, Ahead>()
  /** Inbound streams that came before gossipsub was started, for it once it is. */
  private heldStreams: Array<{ stream: Stream, hand: () => Promise<void> }> = []
  /** Gossipsub's own topologies: told of a connection again when a stream it asked for early is there. */
  private readonly topologies = new Set<Topology>()
  private readonly log: Logger
  private readonly timeoutMs: number
  private readonly unclaimedMs: number
  readonly stats: GossipStreamOpenerStats = { opened: 0, handed: 0, early: 0, unclaimed: 0, failed: 0, held: 0 }

  constructor (private readonly components: GossipStreamOpenerComponents, private readonly init: GossipStreamOpenerInit) {
    this.log = components.logger.forComponent('presence-mesh:pubsub:stream-open')
    this.timeoutMs = init.timeoutMs ?? GOSSIP_STREAM_OPEN_TIMEOUT_MS
    this.unclaimedMs = init.unclaimedMs ?? GOSSIP_STREAM_UNCLAIMED_MS
  }

  /** The registrar gossipsub is given: its topologies and stream handlers see connections whose streams are opened ahead. */
  registrar (): Registrar {
    const { registrar } = this.components
    return withView(registrar, {
      register: async (protocol: string, topology: Topology) => {
        this.topologies.add(topology)
        return await registrar.register(protocol, withView(topology, {
          onConnect: topology.onConnect == null
            ? undefined
            : (peer, conn) => {
                this.openAhead(peer, conn)
                topology.onConnect?.(peer, this.view(conn))
              }
        }))
      },
      unregister: (id: string) => {
        registrar.unregister(id)
        this.clear()
      },
      handle: async (protocol: string, handler: StreamHandler, options) =>
        await registrar.handle(protocol, async (stream, conn) => {
          const hand = async (): Promise<void> => {
            // gossipsub answers a peer's stream by queueing its own to the peer
            this.openAhead(conn.remotePeer, conn)
            await handler(stream, this.view(conn))
          }
          if (this.init.isStarted?.() === false) {
            this.stats.held++
            this.log('gossip stream from %p before gossipsub started: held until it is', conn.remotePeer)
            this.heldStreams.push({ stream, hand })
            return
          }
          // any stream held while it was starting goes first: gossipsub keeps the last inbound stream it is handed
          this.started()
          await hand()
        }, options)
    })
  }

  /** Gossipsub is started: the streams that came before are its now. */
  started (): void {
    if (this.heldStreams.length === 0 || this.init.isStarted?.() === false) return
    for (const { stream, hand } of this.heldStreams.splice(0)) {
      if (stream.status !== 'open') continue
      hand().catch((err: Error) => { this.log.error('handing a held gossip stream to gossipsub failed - %e', err) })
    }
  }

  /** Starts the peer's stream now, unless one is open or being opened. */
  private openAhead (peer: PeerId, connection: Connection): void {
    const id = peer.toString()
    if (connection.status !== 'open' || this.ahead.has(id) || this.init.holdsStream(id) || this.hasOutbound(peer, connection)) return
    this.start(peer, connection)
  }

  private start (peer: PeerId, connection: Connection): Ahead {
    const id = peer.toString()
    const entry: Ahead = { connection, wanted: false }
    this.ahead.set(id, entry)
    this.stats.opened++
    const started = Date.now()
    connection.newStream(this.init.protocols(), { runOnLimitedConnection: this.init.runOnLimitedConnection, signal: AbortSignal.timeout(this.timeoutMs) })
      .then(stream => {
        if (this.ahead.get(id) !== entry) {
          stream.close().catch(err => { stream.abort(err) })
          return
        }
        this.log.trace('gossip stream to %p open after %d ms', peer, Date.now() - started)
        entry.stream = stream
        entry.timer = setTimeout(() => { this.dropUnclaimed(id, entry) }, this.unclaimedMs)
        entry.timer.unref?.()
        if (entry.wanted) this.notify(peer, entry.connection)
      }, (err: Error) => {
        if (this.ahead.get(id) === entry) this.ahead.delete(id)
        this.stats.failed++
        this.log('could not open a gossip stream to %p in %d ms - %e', peer, Date.now() - started, err)
      })
    return entry
  }

  /** What gossipsub's queue gets when it asks for a stream on `connection`. */
  /**
   * What gossipsub's queue gets when it asks for a stream on `connection`:
   * the one opened ahead, or at once an error while one is being negotiated
   * (started now if none is): the queue never waits for a negotiation.
   */
  private async take (connection: Connection): Promise<Stream> {
    const peer = connection.remotePeer
    const id = peer.toString()
    let entry = this.ahead.get(id)
    if (entry?.stream != null) {
      this.ahead.delete(id)
      clearTimeout(entry.timer)
      if (entry.stream.status === 'open') {
        this.stats.handed++
        return entry.stream
      }
      entry = undefined
    }
    entry ??= this.start(peer, connection)
    entry.wanted = true
    this.stats.early++
    throw new GossipStreamStillOpeningError(peer)
  }

  private view (connection: Connection): Connection {
    return withView(connection, { newStream: async () => await this.take(connection) })
  }

  /** Gossipsub's reaction to a connection: it queues the peer's stream again (and now finds it open). */
  private notify (peer: PeerId, connection: Connection): void {
    for (const t of this.topologies) {
      try {
        t.onConnect?.(peer, this.view(connection))
      } catch (err: any) {
        this.log.error('notifying gossipsub of %p failed - %e', peer, err)
      }
    }
  }

  private dropUnclaimed (id: string, entry: Ahead): void {
    if (this.ahead.get(id) !== entry) return
    this.ahead.delete(id)
    this.stats.unclaimed++
    this.log('gossipsub did not take the stream opened to %s, closing it', id)
    entry.stream?.close().catch(err => { entry.stream?.abort(err) })
  }

  private hasOutbound (peer: PeerId, connection: Connection): boolean {
    const protocols = this.init.protocols()
    return [connection, ...this.components.connectionManager.getConnections(peer)].some(c => c.streams.some(s =>
      s.direction === 'outbound' && s.status === 'open' && protocols.includes(s.protocol ?? '')))
  }

  private clear (): void {
    for (const [id, entry] of this.ahead) this.dropUnclaimed(id, entry)
    for (const { stream } of this.heldStreams.splice(0)) stream.close().catch(err => { stream.abort(err) })
  }
}
