/**
 * The parts of libp2p's internal components chat uses, typed structurally:
 * @libp2p/interface-internal is not one of our dependencies.
 */
import type { AbortOptions, Connection, PeerId, Stream, StreamHandler, StreamHandlerOptions } from '@libp2p/interface'

export interface ChatConnectionManager {
  getConnections: (peerId?: PeerId) => Connection[]
  openStream: (peer: PeerId, protocol: string, options?: AbortOptions & { runOnLimitedConnection?: boolean }) => Promise<Stream>
}

export interface ChatRegistrar {
  handle: (protocol: string, handler: StreamHandler, options?: StreamHandlerOptions) => Promise<void>
  unhandle: (protocol: string) => Promise<void>
}
