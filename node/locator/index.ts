/**
 * Locator records: how contacts find a node that is not public (its peer
 * id resolves to nothing in the DHT for anyone else).
 */
import { LocatorService } from './locator-service.js'
import type { LocatorComponents } from './locator-service.js'
import type { LocatorDhtRules } from './locator.js'
import type { PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

export { LocatorDhtRules } from './locator.js'
export type { LocatorComponents } from './locator-service.js'

export interface LocatorInit {
  /** kad-dht's rules for locator records (built with the DHT, which needs them up front); the service keeps their keyring. */
  rules?: LocatorDhtRules
  /** Lifetime of locator records; they are republished at a third of it. */
  ttlMs?: number
}

export interface Locator {
  /**
   * Looks up the locator a contact left for this node and adds its addresses
   * to the peer store, so the next dial finds it. Returns how many addresses
   * it found (0: none; strangers and blocked peers have nothing to look up).
   */
  refresh: (peer: PeerId | string, signal?: AbortSignal) => Promise<number>
  /** The same lookup, without adding the addresses to the peer store (the caller does, when it is about to dial them). */
  lookup: (peer: PeerId | string, signal?: AbortSignal) => Promise<Multiaddr[]>
}

export function locator (init: LocatorInit = {}): (components: LocatorComponents) => Locator {
  return (components) => new LocatorService(components, init)
}
