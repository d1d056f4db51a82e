/**
 * The node API as types: what the CLI, the control socket and embedding
 * apps use of a running node (PresenceNode implements it).
 */
import type { ChatMessage } from './chat/index.js'
import type { ContactRequestEvent, ContactAnswerEvent, HistoryEntry, PendingRequest } from './contacts/index.js'
import type { LocateOptions, LocateResult } from './discovery/index.js'
import type { FetchResult, PresenceEventDetail, PresenceView, PresenceViewLevel } from './presence/index.js'
import type { Person, RosterChange, Visibility, VisibilitySetting } from './roster/index.js'
import type { XmppInfo } from './xmpp/index.js'
import type { PresenceUpdate } from '../protocol/presence-record.js'
import type { PeerId, TypedEventTarget } from '@libp2p/interface'

/** A contact as the user sees one. */
export interface ContactInfo {
  peerId: string
  alias?: string
  view: PresenceViewLevel
  /** When the contact was made. */
  since: number
  blocked: boolean
}

export interface Watchers {
  /** Everyone who asked (and whom we asked), newest first, with the outcome. */
  asked: HistoryEntry[]
  /** Contacts subscribed to our pair topic right now, as far as our direct neighbours show. */
  watching: string[]
}

/** Everything a node tells its user, in one place. */
export interface PresenceNodeEvents {
  /** A watched presentity's presence (changed or repeated). */
  presence: CustomEvent<PresenceEventDetail>
  /** A message from a contact, stored in history. */
  message: CustomEvent<ChatMessage>
  /** A message from someone who is not a contact, held. */
  'message:held': CustomEvent<ChatMessage>
  /** An outgoing message moved to sent, delivered or read. */
  'message:state': CustomEvent<ChatMessage>
  typing: CustomEvent<{ peer: string, typing: boolean }>
  'contact:request': CustomEvent<ContactRequestEvent>
  'contact:accepted': CustomEvent<ContactAnswerEvent>
  'contact:declined': CustomEvent<ContactAnswerEvent>
  'contact:cancelled': CustomEvent<ContactAnswerEvent>
  /** Who is who changed: names, contacts, blocks, visibility (also when set from another terminal). */
  'roster:change': CustomEvent<RosterChange>
}

export interface PresenceNodeApi extends TypedEventTarget<PresenceNodeEvents> {
  readonly peerId: PeerId
  readonly home: string
  /** Dialable addresses, each ending in /p2p/<peer id>. */
  addresses: () => string[]

  /** This node's presence as last set, with its record's sequence number. */
  self: () => PresenceUpdate & { seq: bigint }
  setPresence: (update: PresenceUpdate) => Promise<void>
  /** Presence of everyone watched (contacts and watched presentities), blocked ones hidden. */
  who: () => PresenceView[]
  presenceOf: (peer: PeerId | string) => PresenceView | undefined
  watch: (peer: PeerId | string, alias?: string) => Promise<PresenceView>
  unwatch: (peer: PeerId | string) => Promise<boolean>
  fetchPresence: (peer: PeerId | string, options?: { signal?: AbortSignal }) => Promise<FetchResult>

  /** An alias or a peer id, as a peer id string. */
  resolvePeer: (aliasOrPeer: PeerId | string) => string
  /** The roster's entry for a peer, if any. */
  person: (peer: PeerId | string) => Person | undefined
  /** Accepted contacts, blocked ones flagged. */
  contacts: () => ContactInfo[]
  contactRequests: () => { incoming: PendingRequest[], outgoing: PendingRequest[] }
  /**
   * Asks someone to become a contact, by their contact code (the way to reach
   * a node that is not public) or by peer id (delivered only to a public node,
   * or to one that already expects us, e.g. because it asked us too).
   */
  requestContact: (peerOrCode: PeerId | string, greeting?: string, alias?: string) => Promise<PendingRequest>
  /** This node's contact code: whoever holds it can find this node and ask to become a contact. */
  contactCode: () => string
  /**
   * A new contact code replaces the old one at once (to stop requests from
   * people who got it from someone else); `dropPending` also drops, without a
   * word to their senders, the pending requests that came with the old one.
   */
  rotateContactCode: (options?: { dropPending?: boolean }) => Promise<string>
  accept: (peerOrRequest: PeerId | string, alias?: string) => Promise<ContactInfo>
  deny: (peerOrRequest: PeerId | string) => Promise<void>
  cancel: (peerOrRequest: PeerId | string) => Promise<void>
  block: (peer: PeerId | string) => Promise<void>
  unblock: (peer: PeerId | string) => Promise<void>
  blocked: () => Array<{ peerId: string, since: number }>
  isBlocked: (peer: PeerId | string) => boolean
  setVisibility: (mode: Visibility, allow?: Array<PeerId | string>) => Promise<void>
  visibility: () => VisibilitySetting
  setView: (peer: PeerId | string, view: PresenceViewLevel) => Promise<void>
  watchers: () => Watchers

  send: (to: PeerId | string, text: string) => Promise<string>
  history: (peer: PeerId | string, limit?: number) => Promise<ChatMessage[]>
  markRead: (peer: PeerId | string) => Promise<number>
  /** Held messages from non-contacts, oldest first. */
  requests: () => Promise<ChatMessage[]>
  typing: (peer: PeerId | string) => void

  /** Where the XMPP endpoint listens and for whom, when the node serves one. */
  xmppInfo: () => XmppInfo | undefined
  /** An RFC 3863 + RFC 4480 PIDF document of what this node sees of a presentity (NoPresenceError if nothing). */
  pidf: (peer: PeerId | string) => string

  locate: (peer: PeerId | string, options?: LocateOptions) => Promise<LocateResult>
  connect: (target: string, timeoutMs?: number) => Promise<void>
  stop: () => Promise<void>
}
