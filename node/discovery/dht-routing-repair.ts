/**
 * Keeps connected DHT servers in kad-dht's routing table. kad-dht adds a
 * peer (when identify shows it speaks the DHT protocol, when it answered a
 * query, when an answer named it) only if one ping right then succeeds; a
 * ping that fails on a connection still busy with its first streams (seen
 * behind NATs: the relay, a node's only DHT server, left out for good) leaves
 * the node without a DHT until it reconnects, so every lookup waits for a
 * peer that never comes. Under load most of those pings fail: the chaos run's
 * start (30 nodes on 2 cores at load 7-10) saw 40% of them abort after 5-10 s,
 * and routing tables stayed at a few peers for minutes, too few for a lookup
 * to find anyone (docs/benchmarks.md, session 18).
 *
 * So a peer kad-dht is about to ping is taken without the ping when it is
 * connected (not through a relay's limited connection) and the peer store
 * says it speaks the DHT protocol: the open connection already shows what the
 * ping would (it is up and reachable), and a peer that is not connected is
 * still pinged (dialled) as before. And each connected server that is still
 * missing is checked a little later and added again, with backoff, for as
 * long as it stays connected.
 */
import { serviceCapabilities, serviceDependencies } from '@libp2p/interface'
import { KeyedRetries } from '../util/wait.js'
import { DHT_REPAIR_ADD_TIMEOUT_MS, DHT_REPAIR_FIRST_CHECK_MS, DHT_REPAIR_RETRY_BASE_MS, DHT_REPAIR_RETRY_CAP_MS } from './constants.js'
import type { AbortOptions, ComponentLogger, IdentifyResult, Libp2pEvents, Logger, PeerId, PeerStore, Startable, TypedEventTarget } from '@libp2p/interface'
import type { ConnectionManager } from '@libp2p/interface-internal'
import type { KadDHT } from '@libp2p/kad-dht'

/** kad-dht's check of a new contact before its add (its k-bucket's `verify`: one ping). */
type Verify = (contact: { peerId: PeerId }, options?: AbortOptions) => Promise<boolean>

/** The part of kad-dht's routing table (a runtime field of the DHT) this service uses. */
export interface RoutingTableView {
  find: (peer: PeerId, options?: AbortOptions) => Promise<PeerId | undefined>
  add: (peer: PeerId, options?: AbortOptions) => Promise<void>
  /** Its k-bucket (a runtime field): the `verify` it calls before adding a new contact. */
  kb?: { verify?: Verify }
  /** 'peer:ping' tells kad-dht's closest-peer tagger that a contact answered (it keeps the closest connected). */
  dispatchEvent?: (event: Event) => boolean
}

export interface DhtRoutingRepairInit {
  /** The DHT protocol a server speaks. */
  protocol: string
  firstCheckMs?: number
  retryBaseMs?: number
  retryCapMs?: number
}

export interface DhtRoutingRepairComponents {
  logger: ComponentLogger
  events: TypedEventTarget<Libp2pEvents>
  connectionManager: Pick<ConnectionManager, 'getConnections'>
  /** Whether a connected peer speaks the DHT protocol (identify and every stream opened record its protocols). */
  peerStore: Pick<PeerStore, 'get'>
  /** kad-dht; its routing table is a runtime field, not part of its typed API. */
  dht: KadDHT & { routingTable?: RoutingTableView }
}

export class DhtRoutingRepair implements Startable {
  readonly [Symbol.toStringTag] = 'presence-mesh:dht-routing-repair'
  readonly [serviceCapabilities] = ['@presence-mesh/dht-routing-repair']
  readonly [serviceDependencies] = ['@libp2p/kad-dht']
  private readonly log: Logger
  /** The next check of each DHT server not yet seen in the table. */
  private readonly checks: KeyedRetries
  private started = false
  /** Puts kad-dht's own check of new contacts back (set while ours is in place). */
  private restoreVerify?: () => void

  constructor (private readonly components: DhtRoutingRepairComponents, private readonly init: DhtRoutingRepairInit) {
    this.log = components.logger.forComponent('presence-mesh:dht-routing-repair')
    this.checks = new KeyedRetries({
      firstMs: init.firstCheckMs ?? DHT_REPAIR_FIRST_CHECK_MS,
      baseMs: init.retryBaseMs ?? DHT_REPAIR_RETRY_BASE_MS,
      capMs: init.retryCapMs ?? DHT_REPAIR_RETRY_CAP_MS,
      jitter: 0.5
    })
    this.onIdentify = this.onIdentify.bind(this)
    this.onDisconnect = this.onDisconnect.bind(this)
  }

  isStarted (): boolean {
    return this.started
  }

  start (): void {
    this.started = true
    this.components.events.addEventListener('peer:identify', this.onIdentify)
    this.components.events.addEventListener('peer:disconnect', this.onDisconnect)
    this.skipPingOfConnectedServers()
  }

  stop (): void {
    this.started = false
    this.restoreVerify?.()
    this.restoreVerify = undefined
    this.components.events.removeEventListener('peer:identify', this.onIdentify)
    this.components.events.removeEventListener('peer:disconnect', this.onDisconnect)
    this.checks.clear()
  }

  /** kad-dht's check of a new contact (a ping) is made only for a peer that is not a connected DHT server. */
  private skipPingOfConnectedServers (): void {
    const table = this.components.dht.routingTable
    const kb = table?.kb
    const ping = kb?.verify
    if (table == null || kb == null || ping == null || this.restoreVerify != null) return
    const verify: Verify = async (contact, options) => {
      if (!await this.isConnectedServer(contact.peerId)) return await ping(contact, options)
      table.dispatchEvent?.(new CustomEvent('peer:ping', { detail: contact.peerId }))
      return true
    }
    kb.verify = verify
    this.restoreVerify = () => { if (kb.verify === verify) kb.verify = ping }
  }

  private async isConnectedServer (peer: PeerId): Promise<boolean> {
    if (!this.components.connectionManager.getConnections(peer).some(c => c.status === 'open' && c.limits == null)) return false
    return await this.components.peerStore.get(peer).then(p => p.protocols.includes(this.init.protocol), () => false)
  }

  private onIdentify (evt: CustomEvent<IdentifyResult>): void {
    if (evt.detail.protocols.includes(this.init.protocol)) this.schedule(evt.detail.peerId)
  }

  private onDisconnect (evt: CustomEvent<PeerId>): void {
    this.checks.forget(evt.detail.toString())
  }

  private schedule (peer: PeerId): void {
    if (!this.started) return
    this.checks.schedule(peer.toString(), () => {
      this.check(peer).catch((err: unknown) => { this.log.error('could not check %p in the routing table - %e', peer, err) })
    })
  }

  private async check (peer: PeerId): Promise<void> {
    const table = this.components.dht.routingTable
    const key = peer.toString()
    if (!this.started || table == null || this.components.connectionManager.getConnections(peer).length === 0 || await table.find(peer) != null) {
      this.checks.forget(key)
      return
    }
    this.log('DHT server %p is connected but not in the routing table: adding it', peer)
    await table.add(peer, { signal: AbortSignal.timeout(DHT_REPAIR_ADD_TIMEOUT_MS) })
      .catch((err: unknown) => { this.log('could not add %p to the routing table - %e', peer, err) })
    if (await table.find(peer) == null) this.schedule(peer)
    else this.checks.forget(key)
  }
}

export function dhtRoutingRepair (init: DhtRoutingRepairInit): (components: DhtRoutingRepairComponents) => DhtRoutingRepair {
  return (components) => new DhtRoutingRepair(components, init)
}
