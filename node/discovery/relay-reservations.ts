/**
 * Relay slots for a node others may not reach directly. Instead of listening
 * on /p2p-circuit (whose relay search random-walks the DHT forever when no
 * relay exists), reserve a slot on relays we are already directly connected
 * to; the circuit relay transport then announces the relayed address.
 */
import { serviceCapabilities, serviceDependencies } from '@libp2p/interface'
import { MAX_RELAY_RESERVATIONS, RELAY_HOP_PROTOCOL } from './constants.js'
import type { ComponentLogger, Connection, Libp2pEvents, Logger, PeerId, PeerStore, Startable, TypedEventTarget } from '@libp2p/interface'
import type { Registrar, TransportManager } from '@libp2p/interface-internal'

export interface RelayReservationsInit {
  /** Relay slots held at once (default MAX_RELAY_RESERVATIONS). */
  maxReservations?: number
}

export interface RelayReservationsComponents {
  registrar: Pick<Registrar, 'register' | 'unregister'>
  peerStore: Pick<PeerStore, 'get'>
  transportManager: Pick<TransportManager, 'listen'>
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
  private topology?: string
  private started = false

  constructor (private readonly components: RelayReservationsComponents, init: RelayReservationsInit = {}) {
    this.log = components.logger.forComponent('presence-mesh:relay-reservations')
    this.maxReservations = init.maxReservations ?? MAX_RELAY_RESERVATIONS
    this.onPeerDisconnect = this.onPeerDisconnect.bind(this)
  }

  isStarted (): boolean {
    return this.started
  }

  async start (): Promise<void> {
    this.started = true
    this.components.events.addEventListener('peer:disconnect', this.onPeerDisconnect)
    this.topology = await this.components.registrar.register(RELAY_HOP_PROTOCOL, {
      onConnect: (peerId, conn) => { void this.reserve(peerId, conn) }
    })
  }

  stop (): void {
    this.started = false
    this.components.events.removeEventListener('peer:disconnect', this.onPeerDisconnect)
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
    } catch (err) {
      this.relays.delete(id)
      this.log('could not reserve a slot on relay %p - %e', relay, err)
    }
  }

  private onPeerDisconnect (evt: CustomEvent<PeerId>): void {
    this.relays.delete(evt.detail.toString())
  }
}
