export { discovery, DiscoveryService, PeerNotFoundError } from './discovery-service.js'
export type { DiscoveryInit, DiscoveryComponents, LocateOptions, LocateResult } from './discovery-service.js'
