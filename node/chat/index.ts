/**
 * Chat (/presence-mesh/chat/1.0.0): direct messages over Noise-encrypted
 * streams, on disk before they leave, retried until the other side stored
 * them, shown once and in order. docs/protocol.md §7 is the wire spec.
 */
import { ChatService as ChatServiceClass } from './chat-service.js'
import type { ChatEvents, ChatServiceComponents, ChatServiceInit, ChatViolation } from './chat-service.js'
import type { ChatMessage, NonContactPolicy } from './chat-store.js'
import type { HeldStats } from './held-quota.js'
import type { SearchOptions } from './archive.js'
import type { ConversationRange } from './conversation-log.js'
import type { DeliveryStatus } from './peer-sender.js'
import type { PeerId, TypedEventTarget } from '@libp2p/interface'

export type { ChatServiceComponents, ChatServiceInit, ChatEvents, ChatViolation } from './chat-service.js'
export type { ChatMessage, DeliveryState, NonContactPolicy } from './chat-store.js'
export type { HeldStats, HeldLimits, HeldRefusal } from './held-quota.js'
export type { SearchOptions } from './archive.js'
export type { ConversationRange } from './conversation-log.js'
export type { DeliveryStatus } from './peer-sender.js'
export { NON_CONTACT_POLICIES, DELIVERY_STATES } from './chat-store.js'

export interface ChatService extends TypedEventTarget<ChatEvents> {
  readonly protocol: string
  /** Stores the text in history and outbox and hands it to the peer's sender (to a contact person: to each of their devices); resolves once it is on disk. */
  send: (peer: PeerId | string, text: string) => Promise<ChatMessage>
  /** The newest `limit` messages with peer (both directions), oldest first: this device's own history with that one peer id. */
  history: (peer: PeerId | string, limit?: number) => Promise<ChatMessage[]>
  /**
   * The newest `limit` messages of the conversation with a contact person, whichever of their devices or of
   * this person's wrote them, in the order every device of this person shows (docs/protocol.md §14.12);
   * with a peer that is no contact, history().
   */
  conversation: (peer: PeerId | string, limit?: number) => Promise<ChatMessage[]>
  /**
   * Part of the conversation with a contact person, between two positions (XEP-0313 archive ids:
   * positionKey of protocol/device-history.ts; exclusive), at most `limit`, the last ones with
   * `fromEnd`, in conversation order; reads only that part. Empty for a peer that is no contact.
   */
  conversationPage: (peer: PeerId | string, range: ConversationRange & { limit: number }) => Promise<ChatMessage[]>
  /** How many messages of the conversation with a contact person lie between two positions (0 for a peer that is no contact). */
  conversationSize: (peer: PeerId | string, range?: Pick<ConversationRange, 'after' | 'before'>) => Promise<number>
  /** Marks everything received from peer read (a contact person: on every device of this person) and tells the peer; returns how many messages changed. */
  markRead: (peer: PeerId | string) => Promise<number>
  /** Tells a connected peer that this user is typing; nothing is stored or retried. */
  typing: (peer: PeerId | string) => void
  /** Held texts from non-contacts, oldest first (each carries its peer). */
  requests: () => Promise<ChatMessage[]>
  /** Moves a non-contact's held texts into its history and returns them. */
  acceptRequests: (peer: PeerId | string) => Promise<ChatMessage[]>
  /** Deletes a non-contact's held texts; their retries stay dropped. */
  discardRequests: (peer: PeerId | string) => Promise<number>
  /** Whether reading a conversation tells the other side (read receipts; default on). */
  getReadReceipts: () => boolean
  setReadReceipts: (on: boolean) => Promise<void>
  /** Unread incoming messages per peer (peers with none are left out). */
  unread: () => Promise<Record<string, number>>
  /** Outgoing texts not yet delivered, oldest first. */
  undelivered: () => ChatMessage[]
  /** Takes back an undelivered text that never went on the wire; undefined if it is gone or already sent. */
  unsend: (peer: PeerId | string, id: string) => Promise<ChatMessage | undefined>
  /** Messages of any conversation (or one) containing every word of `query`, oldest first. */
  search: (query: string, options?: SearchOptions) => Promise<ChatMessage[]>
  /** Peers with whom there is history. */
  conversations: () => Promise<string[]>
  getNonContactPolicy: () => NonContactPolicy
  setNonContactPolicy: (policy: NonContactPolicy) => Promise<void>
  /** Frames (texts and read receipts) waiting for a delivery receipt, for one peer or all. */
  outboxSize: (peer?: PeerId | string) => number
  /** Where delivery to a peer stands: queued frames, failed attempts, the next one (undefined: nothing was ever queued for it). */
  deliveryStatus: (peer: PeerId | string) => DeliveryStatus | undefined
  /** Changes (received frames, queued texts, receipts) waiting to be stored behind the batch now committing: a gauge of disk pressure. */
  storeBacklog: () => number
  /** Streams reset so far, by the rule they broke. */
  getViolations: () => Record<ChatViolation, number>
  /** Held texts from non-contacts now (count, bytes, senders), and how many the bounds refused so far. */
  heldStats: () => HeldStats
}

export function chat (init: ChatServiceInit = {}): (components: ChatServiceComponents) => ChatService {
  return (components) => new ChatServiceClass(components, init)
}
