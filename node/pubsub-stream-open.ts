/**
 * Gossipsub (@libp2p/gossipsub 17) opens its outbound streams one at a time,
 * through one queue, each with no deadline of its own: libp2p then allows a
 * protocol negotiation 10 s. A peer that never answers (overloaded, half
 * gone, its end of the connection dead) holds every other peer's stream back
 * for those 10 s, and again at each repair of its own stream
 * (pubsub-streams.ts). Gossipsub takes the connection it opens the stream on
 * from its topology's connection notification and from its inbound stream
 * handler; handing it, through a view of the registrar, connections whose
 * stream opens carry a shorter deadline bounds what one peer can hold up.
 * Public API only: the registrar's register and handle, the connection's
 * newStream options.
 */
import { withView } from './util/view.js'
import type { Connection, StreamHandler, Topology } from '@libp2p/interface'
import type { Registrar } from '@libp2p/interface-internal'

/** A gossip stream not negotiated within this long is given up (gossipsub's queue moves on; the keeper tries again). */
export const GOSSIP_STREAM_OPEN_TIMEOUT_MS = 5_000

/** A connection whose stream opens without a signal of their own give up after `timeoutMs`. */
export function boundedStreamOpens (connection: Connection, timeoutMs: number): Connection {
  return withView(connection, {
    newStream: async (protocols, options = {}) => await connection.newStream(protocols, { ...options, signal: options.signal ?? AbortSignal.timeout(timeoutMs) })
  })
}

/** The registrar gossipsub is given: its topologies and stream handlers see bounded connections. */
export function boundedStreamRegistrar (registrar: Registrar, timeoutMs = GOSSIP_STREAM_OPEN_TIMEOUT_MS): Registrar {
  return withView(registrar, {
    register: async (protocol: string, topology: Topology) => await registrar.register(protocol, withView(topology, {
      onConnect: topology.onConnect == null ? undefined : (peer, conn) => { topology.onConnect?.(peer, boundedStreamOpens(conn, timeoutMs)) }
    })),
    handle: async (protocol: string, handler: StreamHandler, options) =>
      await registrar.handle(protocol, async (stream, conn) => { await handler(stream, boundedStreamOpens(conn, timeoutMs)) }, options)
  })
}
