/**
 * Who gets this node's presence and how it hears others'. The presence
 * service publishes one record per audience and listens on one channel per
 * watched presentity; a policy (the contacts service) decides both.
 */
import { presenceTopic } from '../../protocol/topics.js'
import type { PeerId } from '@libp2p/interface'

/** Which fields of this node's presence an audience sees. */
export type PresenceViewLevel = 'full' | 'status'

export interface Audience {
  /** 'public', or the peer id of the contact this audience is. */
  id: string
  topic: string
  view: PresenceViewLevel
  /** Turns a signed presence envelope into the message published on the topic. */
  wrap: (envelope: Uint8Array) => Uint8Array
}

export interface WatchChannel {
  topic: string
  /** The signed envelope a message carries, or undefined when it does not open. */
  unwrap: (data: Uint8Array) => Uint8Array | undefined
}

export interface AudiencePolicy {
  /** Everyone who gets this node's records now. */
  audiences: () => Audience[]
  /** Where to hear a presentity; null: do not listen at all (a blocked peer, say). */
  channelFor: (peerId: string) => WatchChannel | null
  /** Gossip arriving from (or about) a blocked peer is dropped. */
  isBlocked: (peer: PeerId | string) => boolean
}

export const PUBLIC_AUDIENCE_ID = 'public'

const identity = (b: Uint8Array): Uint8Array => b

/** Anyone who knows the peer id: the plain record on the presentity's public topic. */
export function publicAudience (self: PeerId): Audience {
  return { id: PUBLIC_AUDIENCE_ID, topic: presenceTopic(self), view: 'full', wrap: identity }
}

export function publicChannel (peerId: string): WatchChannel {
  return { topic: presenceTopic(peerId), unwrap: identity }
}

/** Without a contacts service: everyone is public (the skeleton's behaviour). */
export function publicPolicy (self: PeerId): AudiencePolicy {
  return { audiences: () => [publicAudience(self)], channelFor: publicChannel, isBlocked: () => false }
}
