/**
 * Relay slots for a node others may not reach directly. Instead of listening
 * on /p2p-circuit (whose relay search random-walks the DHT forever when no
 * relay exists), reserve a slot on relays we are already directly connected
 * to; the circuit relay transport then announces the relayed address.
 *
 * A slot can go while the relay stays connected (the transport drops a
 * reservation when the connection it was made on closes, and concurrent
 * reservations on one relay race; seen behind NATs: a node left with only
 * its LAN addresses for half a minute). A held slot whose relayed address is
 * no longer announced, and a reservation that failed, are tried again with
 * backoff for as long as the relay stays directly connected.
 */
import { serviceCapabilities, serviceDependencies } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { KeyedRetries } from '../util/wait.js'
import { MAX_RELAY_RESERVATIONS, RELAY_HOP_PROTOCOL, RELAY_RETRY_BASE_MS, RELAY_RETRY_CAP_MS } from './constants.js'
import type { ComponentLogger, Connection, Libp2pEvents, Logger, PeerId, PeerStore, Startable, TypedEventTarget } from '@libp2p/interface'
import type { AddressManager, ConnectionManager, Registrar, TransportManager } from '@libp2p/interface-internal'

export interface RelayReservationsInit {
  /** Relay slots held at once (default MAX_RELAY_RESERVATIONS). */
  maxReservations?: number
  /** A lost or failed slot on a relay still connected is tried again after this, doubling up to the cap. */
  retryBaseMs?: number
  retryCapMs?: number
}

export interface RelayReservationsComponents {
  registrar: Pick<Registrar, 'register' | 'unregister'>
  peerStore: Pick<PeerStore, 'get'>
  transportManager: Pick<TransportManager, 'listen'>
  addressManager: Pick<AddressManager, 'getAddresses'>
  connectionManager: Pick<ConnectionManager, 'getConnections'>
  events: TypedEventTarget<Libp2pEvents>
  logger: ComponentLogger
}

export interface RelayReservations {
  /** Relays this node holds a slot on now. */
  reservations: () => string[]
}

export class DefaultRelayReservations implements RelayReservations, Startable {
  readonly [Symbol.toStringTag] = 'presence-mesh:relay-reservations'
  readonly [serviceCapabilities] = ['@presence-mesh/relay-reservations']
  // the transport makes the reservation; identify tells the registrar which peers are relays
  readonly [serviceDependencies] = ['@libp2p/circuit-relay-v2-transport', '@libp2p/identify']

  private readonly log: Logger
  private readonly maxReservations: number
  /** Relays with a slot held or being reserved (both count against the maximum). */
  private readonly relays = new Map<string, 'reserving' | 'held'>()
  /** The next try of each relay whose slot was lost or refused while it stays connected. */
  private readonly retries: KeyedRetries
  private topology?: string
  private started = false

  constructor (private readonly components: RelayReservationsComponents, init: RelayReservationsInit = {}) {
    this.log = components.logger.forComponent('presence-mesh:relay-reservations')
    this.maxReservations = init.maxReservations ?? MAX_RELAY_RESERVATIONS
    this.retries = new KeyedRetries({ baseMs: init.retryBaseMs ?? RELAY_RETRY_BASE_MS, capMs: init.retryCapMs ?? RELAY_RETRY_CAP_MS, jitter: 0.5 })
    this.onPeerDisconnect = this.onPeerDisconnect.bind(this)
    this.onSelfUpdate = this.onSelfUpdate.bind(this)
  }

  isStarted (): boolean {
    return this.started
  }

  async start (): Promise<void> {
    this.started = true
    this.components.events.addEventListener('peer:disconnect', this.onPeerDisconnect)
    this.components.events.addEventListener('self:peer:update', this.onSelfUpdate)
    this.topology = await this.components.registrar.register(RELAY_HOP_PROTOCOL, {
      onConnect: (peerId, conn) => { void this.reserve(peerId, conn) }
    })
  }

  stop (): void {
    this.started = false
    this.components.events.removeEventListener('peer:disconnect', this.onPeerDisconnect)
    this.components.events.removeEventListener('self:peer:update', this.onSelfUpdate)
    this.retries.clear()
    if (this.topology != null) this.components.registrar.unregister(this.topology)
    this.topology = undefined
    this.relays.clear()
  }

  reservations (): string[] {
    return [...this.relays].filter(([, state]) => state === 'held').map(([id]) => id)
  }

  private async reserve (relay: PeerId, conn: Connection): Promise<void> {
    const id = relay.toString()
    // a limited connection is itself relayed: no slot through it
    if (!this.started || this.relays.has(id) || this.relays.size >= this.maxReservations || conn.limits != null) return
    this.relays.set(id, 'reserving')
    try {
      const peer = await this.components.peerStore.get(relay)
      const direct = peer.addresses.map(a => a.multiaddr).find(ma => !ma.toString().includes('/p2p-circuit'))
      if (direct == null) throw new Error('no direct address')
      const base = direct.getComponents().some(c => c.name === 'p2p') ? direct : direct.encapsulate(`/p2p/${id}`)
      await this.components.transportManager.listen([base.encapsulate('/p2p-circuit')])
      // the relay may have gone while we reserved: then its slot went with it
      if (this.relays.get(id) !== 'reserving') return
      this.relays.set(id, 'held')
      this.log('holding a relay reservation on %p', relay)
      // the transport may have dropped it already (a race of its own): then no address update follows
      this.checkHeld(relay)
    } catch (err) {
      this.relays.delete(id)
      this.log('could not reserve a slot on relay %p - %e', relay, err)
      this.retryLater(relay)
    }
  }

  private onPeerDisconnect (evt: CustomEvent<PeerId>): void {
    const id = evt.detail.toString()
    this.relays.delete(id)
    this.retries.forget(id)
  }

  private onSelfUpdate (): void {
    for (const [id, state] of this.relays) {
      if (state === 'held') this.checkHeld(peerIdFromString(id))
    }
  }

  /** A held slot whose relayed address is not announced is gone: the slot is freed and tried again. */
  private checkHeld (relay: PeerId): void {
    const id = relay.toString()
    if (this.relays.get(id) !== 'held') return
    const via = `/p2p/${id}/p2p-circuit`
    if (this.components.addressManager.getAddresses().some(ma => ma.toString().includes(via))) {
      this.retries.forget(id)
      return
    }
    this.log('the slot on relay %p is gone while it stays connected', relay)
    this.relays.delete(id)
    this.retryLater(relay)
  }

  private retryLater (relay: PeerId): void {
    if (!this.started) return
    this.retries.schedule(relay.toString(), () => {
      const conn = this.components.connectionManager.getConnections(relay).find(c => c.limits == null)
      if (conn != null) void this.reserve(relay, conn)
    })
  }
}
