/**
 * Finding peers without a server, as five libp2p services the factory
 * (node/libp2p.ts) adds as needed: discovery (locate a peer id, follow
 * watched presentities), the bootstrap dialer, rejoin after a restart, the
 * mDNS dialer (only with mDNS) and relay reservations (not on a relay).
 */
import { DefaultBootstrapDialer } from './bootstrap.js'
import { DefaultDiscovery } from './discovery-service.js'
import { DefaultMdnsDialer } from './mdns-dialer.js'
import { DefaultRejoin } from './rejoin.js'
import { DefaultRelayReservations } from './relay-reservations.js'
import type { BootstrapDialer, BootstrapDialerComponents, BootstrapDialerInit } from './bootstrap.js'
import type { DiscoveryComponents, DiscoveryInit, DiscoveryService } from './discovery-service.js'
import type { MdnsDialer, MdnsDialerComponents, MdnsDialerInit } from './mdns-dialer.js'
import type { Rejoin, RejoinComponents, RejoinInit } from './rejoin.js'
import type { RelayReservations, RelayReservationsComponents, RelayReservationsInit } from './relay-reservations.js'

export { PeerNotFoundError } from './discovery-service.js'
export { dhtMode } from './dht-mode.js'
export { lanOnly } from './mdns-dialer.js'
export { dhtRoutingRepair } from './dht-routing-repair.js'
export type { DhtRoutingRepairInit, DhtRoutingRepairComponents } from './dht-routing-repair.js'
export type { DhtModeInit, DhtModeComponents } from './dht-mode.js'
export type { DiscoveryService, DiscoveryComponents, DiscoveryInit, LocateOptions, LocateResult } from './discovery-service.js'
export type { FollowStatus } from './follow.js'
export type { BootstrapDialer, BootstrapDialerComponents, BootstrapDialerInit } from './bootstrap.js'
export type { Rejoin, RejoinComponents, RejoinInit } from './rejoin.js'
export type { MdnsDialer, MdnsDialerComponents, MdnsDialerInit } from './mdns-dialer.js'
export type { RelayReservations, RelayReservationsComponents, RelayReservationsInit } from './relay-reservations.js'

export function discovery (init: DiscoveryInit = {}): (components: DiscoveryComponents) => DiscoveryService {
  return (components) => new DefaultDiscovery(components, init)
}

export function bootstrapDialer (init: BootstrapDialerInit = {}): (components: BootstrapDialerComponents) => BootstrapDialer {
  return (components) => new DefaultBootstrapDialer(components, init)
}

export function rejoin (init: RejoinInit = {}): (components: RejoinComponents) => Rejoin {
  return (components) => new DefaultRejoin(components, init)
}

export function mdnsDialer (init: MdnsDialerInit = {}): (components: MdnsDialerComponents) => MdnsDialer {
  return (components) => new DefaultMdnsDialer(components, init)
}

export function relayReservations (init: RelayReservationsInit = {}): (components: RelayReservationsComponents) => RelayReservations {
  return (components) => new DefaultRelayReservations(components, init)
}
