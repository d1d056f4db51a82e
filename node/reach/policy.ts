/**
 * Who may reach this node: connect to it at all, and learn its addresses.
 * libp2p needs the connection gater and identify at construction, before the
 * reach service that decides exists: the factory builds one ReachPolicy,
 * hands it to the gater and to identify, and the reach service binds its
 * rules to it while it runs. Unbound, it admits nobody it has not dialed.
 */
import type { ConnectionGater, PeerId } from '@libp2p/interface'

export interface ReachRules {
  /** May `peer` open a connection to this node (direct, or through a relay)? */
  admits: (peer: PeerId) => boolean
  /** May `peer` learn this node's addresses (identify, identify push)? */
  showsAddressesTo: (peer: PeerId) => boolean
}

export class ReachPolicy implements ReachRules {
  private rules?: ReachRules

  bind (rules: ReachRules | undefined): void {
    this.rules = rules
  }

  admits (peer: PeerId): boolean {
    return this.rules?.admits(peer) ?? false
  }

  showsAddressesTo (peer: PeerId): boolean {
    return this.rules?.showsAddressesTo(peer) ?? false
  }
}

/**
 * Refuses inbound connections the policy does not admit, at the earliest
 * point libp2p knows the peer: the relay's STOP request (before any
 * handshake), or right after the Noise handshake of a direct connection.
 * Outbound connections are this node's own choice and are not gated here.
 */
export function admissionGater (policy: ReachPolicy): ConnectionGater {
  const deny = (peer: PeerId): boolean => !policy.admits(peer)
  return {
    denyInboundRelayedConnection: (_relay: PeerId, peer: PeerId) => deny(peer),
    denyInboundEncryptedConnection: deny,
    denyInboundUpgradedConnection: deny
  }
}
