/**
 * The connection gater of blocking: refuses a blocked peer at every stage
 * libp2p asks about a peer id. An inbound connection is only known by
 * address until encryption, so the earliest refusal is right after the
 * Noise handshake (see the threat model).
 */
import type { ConnectionGater, PeerId } from '@libp2p/interface'

export function blockGater (isBlocked: (peer: string) => boolean, extra: ConnectionGater = {}): ConnectionGater {
  const deny = (peerId: PeerId): boolean => isBlocked(peerId.toString())
  return combineGaters({
    denyDialPeer: deny,
    denyOutboundConnection: deny,
    denyInboundEncryptedConnection: deny,
    denyOutboundEncryptedConnection: deny,
    denyInboundUpgradedConnection: deny,
    denyOutboundUpgradedConnection: deny,
    denyInboundRelayReservation: deny,
    denyOutboundRelayedConnection: (source: PeerId, target: PeerId) => deny(source) || deny(target),
    denyInboundRelayedConnection: (relay: PeerId, remotePeer: PeerId) => deny(relay) || deny(remotePeer)
  }, extra)
}

/** A gater that denies whatever either gater denies. */
export function combineGaters (a: ConnectionGater, b: ConnectionGater): ConnectionGater {
  const out: Record<string, (...args: any[]) => Promise<boolean>> = {}
  for (const name of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const fa = (a as Record<string, any>)[name]
    const fb = (b as Record<string, any>)[name]
    out[name] = name === 'filterMultiaddrForPeer'
      // the one allow-style hook: keep an address only if both keep it
      ? async (...args: any[]) => (await fa?.(...args) ?? true) === true && (await fb?.(...args) ?? true) === true
      : async (...args: any[]) => (await fa?.(...args)) === true || (await fb?.(...args)) === true
  }
  return out as ConnectionGater
}
