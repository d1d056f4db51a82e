/**
 * Rejoining after a restart without a bootstrap list: the peer store (kept in
 * the node's datastore) notes when each peer was last connected, and at start
 * the few most recent ones are dialed.
 */
import { serviceCapabilities } from '@libp2p/interface'
import { fromString as uint8ArrayFromString } from 'uint8arrays/from-string'
import { toString as uint8ArrayToString } from 'uint8arrays/to-string'
import { sharedController } from '../signals.js'
import { LAST_CONNECTED_KEY, REJOIN_MAX_PEERS } from './constants.js'
import type { ComponentLogger, Connection, Libp2pEvents, Logger, Peer, PeerId, PeerStore, Startable, TypedEventTarget } from '@libp2p/interface'
import type { ConnectionManager } from '@libp2p/interface-internal'

export interface RejoinInit {
  /** Dial the most recently connected peers at start (default true). Connections are noted either way. */
  dialAtStart?: boolean
  /** How many of them (default REJOIN_MAX_PEERS). */
  maxPeers?: number
}

export interface RejoinComponents {
  peerId: PeerId
  peerStore: Pick<PeerStore, 'all' | 'merge'>
  connectionManager: Pick<ConnectionManager, 'getConnections' | 'openConnection'>
  events: TypedEventTarget<Libp2pEvents>
  logger: ComponentLogger
}

/** Nothing to call: it notes connections and dials at start. */
export interface Rejoin {}

export class DefaultRejoin implements Rejoin, Startable {
  readonly [Symbol.toStringTag] = 'presence-mesh:rejoin'
  readonly [serviceCapabilities] = ['@presence-mesh/rejoin']

  private readonly log: Logger
  private readonly dialAtStart: boolean
  private readonly maxPeers: number
  private controller = sharedController()
  private started = false

  constructor (private readonly components: RejoinComponents, init: RejoinInit = {}) {
    this.log = components.logger.forComponent('presence-mesh:rejoin')
    this.dialAtStart = init.dialAtStart ?? true
    this.maxPeers = init.maxPeers ?? REJOIN_MAX_PEERS
    this.onConnectionOpen = this.onConnectionOpen.bind(this)
  }

  isStarted (): boolean {
    return this.started
  }

  start (): void {
    this.controller = sharedController()
    this.components.events.addEventListener('connection:open', this.onConnectionOpen)
    this.started = true
  }

  afterStart (): void {
    if (this.dialAtStart) void this.rejoin()
  }

  stop (): void {
    this.started = false
    this.controller.abort()
    this.components.events.removeEventListener('connection:open', this.onConnectionOpen)
  }

  private onConnectionOpen (evt: CustomEvent<Connection>): void {
    void this.components.peerStore.merge(evt.detail.remotePeer, {
      metadata: { [LAST_CONNECTED_KEY]: uint8ArrayFromString(Date.now().toString()) }
    }).catch(err => { this.log.trace('could not note connection to %p - %e', evt.detail.remotePeer, err) })
  }

  private async rejoin (): Promise<void> {
    const { peerStore, connectionManager, peerId: self } = this.components
    const signal = this.controller.signal
    try {
      const peers = await peerStore.all({
        filters: [p => !p.id.equals(self) && p.addresses.length > 0 && p.metadata.has(LAST_CONNECTED_KEY)],
        signal
      })
      const recent = mostRecentlyConnected(peers, this.maxPeers)
      this.log('rejoining through %d of %d known peers', recent.length, peers.length)
      await Promise.all(recent.map(async (id) => {
        if (connectionManager.getConnections(id).length > 0) return
        await connectionManager.openConnection(id, { signal })
          .catch(err => { this.log('rejoin dial to %p failed - %e', id, err) })
      }))
    } catch (err) {
      if (!signal.aborted) this.log.error('rejoin failed - %e', err)
    }
  }
}

/** The `max` peers connected last, newest first; a peer without a readable time counts as oldest. */
export function mostRecentlyConnected (peers: Peer[], max: number): PeerId[] {
  return peers
    .map(p => ({ id: p.id, at: lastConnected(p) }))
    .sort((a, b) => b.at - a.at)
    .slice(0, max)
    .map(p => p.id)
}

function lastConnected (peer: Peer): number {
  const bytes = peer.metadata.get(LAST_CONNECTED_KEY)
  const at = bytes == null ? Number.NaN : Number(uint8ArrayToString(bytes))
  return Number.isFinite(at) ? at : 0
}
