/**
 * Opening a stream to a peer, reusing a relayed connection.
 *
 * libp2p's `openStream(peer)` never reuses a limited (relayed) connection,
 * even with `runOnLimitedConnection`: it dials the peer again, which through a
 * relay means a second reservation hop and a second Noise handshake, and a
 * dial that crosses the peer's own dial through the same relay can fail
 * (libp2p then aborts the duplicate). So when every open connection to the
 * peer is limited and the caller may run on one, the stream is opened on it;
 * a direct connection, once DCUtR or a dial makes one, is preferred again.
 */
import type { AbortOptions, PeerId, Stream } from '@libp2p/interface'
import type { ConnectionManager } from '@libp2p/interface-internal'

export interface OpenStreamToOptions extends AbortOptions {
  /** The protocol may run on a limited (relayed) connection. */
  runOnLimitedConnection?: boolean
}

export async function openStreamTo (
  connectionManager: Pick<ConnectionManager, 'getConnections' | 'openStream'>,
  peer: PeerId,
  protocol: string,
  options: OpenStreamToOptions = {}
): Promise<Stream> {
  if (options.runOnLimitedConnection === true) {
    const open = connectionManager.getConnections(peer).filter(c => c.status === 'open')
    const limited = open.find(c => c.limits != null)
    if (limited != null && !open.some(c => c.limits == null)) {
      try {
        return await limited.newStream(protocol, options)
      } catch (err: any) {
        if (options.signal?.aborted === true || err?.name === 'UnsupportedProtocolError') throw err
        // the connection went away meanwhile: a dial decides
      }
    }
  }
  return await connectionManager.openStream(peer, protocol, options)
}
