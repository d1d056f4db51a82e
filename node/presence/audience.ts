/**
 * Who gets this node's presence and how it hears others'. The presence
 * service publishes one record per audience and listens on one channel per
 * watched presentity; both follow from the roster.
 */
import { openPresenceFromPair, sealPresenceForPair } from '../../protocol/sealed-box.js'
import { presenceTopic } from '../../protocol/topics.js'
import type { Roster } from '../roster/index.js'
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
  /** Sealed with the pair's key: opening it proves the sender (docs/protocol.md §3). */
  sealed: boolean
  /** The signed envelope a message carries, or undefined when it does not open. */
  unwrap: (data: Uint8Array) => Uint8Array | undefined
}

export const PUBLIC_AUDIENCE_ID = 'public'

export const sameAudience = (a: Audience, b: Audience): boolean => a.id === b.id && a.topic === b.topic

const identity = (b: Uint8Array): Uint8Array => b

/** Anyone who knows the peer id: the plain record on the presentity's public topic. */
export function publicAudience (self: PeerId): Audience {
  return { id: PUBLIC_AUDIENCE_ID, topic: presenceTopic(self), view: 'full', wrap: identity }
}

export function publicChannel (peerId: string): WatchChannel {
  return { topic: presenceTopic(peerId), sealed: false, unwrap: identity }
}

/**
 * Everyone who gets this node's records now: the public topic in public
 * mode, and each contact that may see us on its pair topic, sealed.
 */
export function audiencesOf (roster: Roster, self: PeerId): Audience[] {
  const out: Audience[] = []
  if (roster.visibility().mode === 'public') out.push(publicAudience(self))
  for (const c of roster.contacts()) {
    if (!roster.canSee(c.id)) continue
    const keys = roster.keysFor(c.id)
    out.push({ id: c.id, topic: keys.topic, view: c.contact?.view ?? 'full', wrap: env => sealPresenceForPair(keys.presence, keys.topic, env) })
  }
  return out
}

/**
 * Where to hear a watched presentity: a contact on our pair topic, anyone
 * else on their public topic; nowhere for a blocked peer, nor for a contact
 * that cannot see us (listening on a pair topic shows the contact's
 * neighbours that we are up).
 */
export function channelOf (roster: Roster, peerId: string): WatchChannel | undefined {
  if (roster.isBlocked(peerId)) return undefined
  if (!roster.isContact(peerId)) return publicChannel(peerId)
  if (!roster.canSee(peerId)) return undefined
  const keys = roster.keysFor(peerId)
  return { topic: keys.topic, sealed: true, unwrap: data => openPresenceFromPair(keys.presence, keys.topic, data) }
}
