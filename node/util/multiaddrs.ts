import { CODE_P2P, multiaddr } from '@multiformats/multiaddr'
import type { Multiaddr } from '@multiformats/multiaddr'

/** Binary multiaddrs from the wire; one that does not parse (a newer protocol, or junk) is skipped. */
export function parseMultiaddrs (bytes: Uint8Array[]): Multiaddr[] {
  return bytes.flatMap(a => { try { return [multiaddr(a)] } catch { return [] } })
}

/** The address without a trailing /p2p/<peer> naming `peer` itself (a relay's /p2p/ before /p2p-circuit stays). */
export function withoutOwnId (ma: Multiaddr, peer: string): Multiaddr {
  const last = ma.getComponents().at(-1)
  return last?.code === CODE_P2P && last.value === peer ? ma.decapsulateCode(CODE_P2P) : ma
}
