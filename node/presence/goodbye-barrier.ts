/**
 * A gossip publish resolving says the record was handed to the peers'
 * streams, not that they read it: a connection closed right after (a block
 * closes the blocked peer's connections) can drop it unread, and the peer's
 * view then ends by expiry, as after a crash. So after a goodbye, each
 * audience still connected is pinged over the same connection: the answer
 * comes only after the peer read every byte sent before the ping (one
 * connection keeps its order, and the ping's protocol negotiation alone takes
 * a round trip after the record went out), by which time its gossipsub has
 * taken the record in. Bounded by a deadline; a peer that is gone is skipped.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import type { ConnectionManager } from '@libp2p/interface-internal'
import type { Ping } from '@libp2p/ping'

/** What the barrier uses; optional, as in an application's own node (without them there is no barrier). */
export interface BarrierComponents {
  ping?: Pick<Ping, 'ping'>
  connectionManager?: Pick<ConnectionManager, 'getConnections'>
}

/** Resolves once each connected peer answered a ping (or the deadline passed); never throws. */
export async function goodbyeBarrier (components: BarrierComponents, peers: string[], timeoutMs: number): Promise<void> {
  let ping: BarrierComponents['ping']
  let cm: BarrierComponents['connectionManager']
  try {
    // libp2p's components throw for a service the node does not have
    ping = components.ping
    cm = components.connectionManager
  } catch {}
  if (ping == null || cm == null || peers.length === 0) return
  // one deadline, a signal per ping: a stream open and its protocol negotiation listen on the signal
  // several times, so one signal for 50 audiences passed Node's limit of 10 (MaxListenersExceededWarning)
  const deadline = Date.now() + timeoutMs
  await Promise.all(peers.map(async (id) => {
    const peer = peerIdFromString(id)
    if (cm.getConnections(peer).length === 0) return
    await ping.ping(peer, { signal: AbortSignal.timeout(Math.max(0, deadline - Date.now())) }).catch(() => {})
  }))
}
