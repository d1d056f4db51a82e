/**
 * The one place pubsub is built. We run @libp2p/gossipsub, the libp2p v3 port
 * of ChainSafe's gossipsub; @chainsafe/libp2p-gossipsub 14 only runs on libp2p
 * v2. When ChainSafe ships v3 support, swap the import here and nothing else.
 */
import { gossipsub, StrictNoSign } from '@libp2p/gossipsub'
import { messageId, messageIdString } from './pubsub-message-id.js'
import { GossipStreamOpener } from './pubsub-stream-open.js'
import { keepOutboundStreams } from './pubsub-streams.js'
import type { StreamKeeperComponents } from './pubsub-streams.js'
import { withView } from './util/view.js'
import type { GossipSub, GossipSubComponents, GossipsubOpts } from '@libp2p/gossipsub'

export type PubSub = GossipSub

export interface PubsubOptions {
  /**
   * Every peer of a single-host mesh shares 127.0.0.1, so gossipsub's IP
   * colocation penalty would make them score each other negative. Tests and
   * benchmarks only; never set this on a real network.
   */
  sharedHostMesh?: boolean
  /** How long gossipsub may negotiate one outbound stream (GOSSIP_STREAM_OPEN_TIMEOUT_MS). */
  streamOpenTimeoutMs?: number
  /** How long a peer without a writable gossip stream is left before the keeper repairs it (STREAM_REPAIR_GRACE_MS). */
  streamRepairGraceMs?: number
}

/** Presence and chat records are small; a gossip RPC never needs more. */
const MAX_INBOUND_RPC_BYTES = 256 * 1024
/**
 * Two nodes behind NATs meet over a circuit relay connection, which libp2p
 * marks limited; presence must flow over it until DCUtR finds a direct path.
 */
const RUN_ON_LIMITED_CONNECTION = true

/** gossipsub's options: the same for every topic (presence, chat relays, groups). */
export function pubsubOptions (opts: PubsubOptions = {}): Partial<GossipsubOpts> {
  return {
    // Records are signed inside their payload (libp2p signed envelopes), so the
    // gossip layer adds no author or signature that relays could read.
    globalSignaturePolicy: StrictNoSign,
    allowPublishToZeroTopicPeers: true,
    emitSelf: false,
    maxInboundDataLength: MAX_INBOUND_RPC_BYTES,
    runOnLimitedConnection: RUN_ON_LIMITED_CONNECTION,
    // the same ids and strings as gossipsub's defaults, made natively (a group entry hashed once): node/pubsub-message-id.ts
    msgIdFn: messageId,
    msgIdToStrFn: messageIdString,
    ...(opts.sharedHostMesh === true ? { scoreParams: { IPColocationFactorWeight: 0 } } : {})
  }
}

export function createPubsub (opts: PubsubOptions = {}): (components: GossipSubComponents & Pick<StreamKeeperComponents, 'events'>) => PubSub {
  const create = gossipsub(pubsubOptions(opts))
  return (components) => {
    // gossipsub's one stream queue must not make each peer wait for every other peer's negotiation: node/pubsub-stream-open.ts
    const opener = new GossipStreamOpener(components, {
      protocols: () => pubsub.protocols,
      // a public member of the library's class, not of its exported interface: read defensively
      holdsStream: (peer) => (pubsub as unknown as { streamsOutbound?: ReadonlyMap<string, unknown> }).streamsOutbound?.has(peer) ?? false,
      runOnLimitedConnection: RUN_ON_LIMITED_CONNECTION,
      // a public member of the library's class, not of its exported interface: read defensively
      isStarted: () => (pubsub as unknown as { isStarted?: () => boolean }).isStarted?.() ?? true,
      timeoutMs: opts.streamOpenTimeoutMs
    })
    const pubsub = create(withView(components, { registrar: opener.registrar() }))
    // streams that came while gossipsub was starting (its handler is registered before it counts as started)
    pubsub.addEventListener('gossipsub:heartbeat', () => { opener.started() })
    // gossipsub never reopens a lost outbound stream on a connection that stays open: node/pubsub-streams.ts
    keepOutboundStreams(pubsub, components, opts.streamRepairGraceMs == null ? {} : { graceMs: opts.streamRepairGraceMs })
    return pubsub
  }
}
