/**
 * AutoNAT (v1) whose dial-backs are real dials. @libp2p/autonat 3.0.28's
 * server answers a peer's dial-back request with
 * `connectionManager.openConnection(addr)` and closes the connection it
 * gets; without `force`, libp2p hands it the connection already open to that
 * peer at that address (the one the request came on), so the server said
 * "reachable" without dialing and then closed the asker's own connection.
 * Seen behind NATs: a relay on a public address asked its clients to dial it
 * back and each client closed its connection to the relay, with the streams
 * and the relay slot on it, within a second of connecting. Only the dial-back
 * is forced: it dials one address, while the random walk that finds servers
 * dials a peer's address list and should reuse a connection.
 */
import { autoNAT as libp2pAutoNAT } from '@libp2p/autonat'
import { isMultiaddr } from '@multiformats/multiaddr'
import { withView } from '../util/view.js'
import type { AutoNATComponents, AutoNATServiceInit } from '@libp2p/autonat'
import type { ConnectionManager } from '@libp2p/interface-internal'

export function autoNAT (init: AutoNATServiceInit = {}): (components: AutoNATComponents) => unknown {
  const create = libp2pAutoNAT(init)
  return (components) => create(withView(components, { connectionManager: forceDialBacks(components.connectionManager) }))
}

/** The connection manager AutoNAT gets: a dial of one address (a dial-back) always opens a new connection. */
export function forceDialBacks (connectionManager: ConnectionManager): ConnectionManager {
  const openConnection: ConnectionManager['openConnection'] = async (target, options = {}) => {
    return await connectionManager.openConnection(target, isMultiaddr(target) ? { ...options, force: true } : options)
  }
  return withView(connectionManager, { openConnection })
}
