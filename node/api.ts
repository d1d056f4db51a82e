/**
 * The node API as types: what the CLI, the control socket and embedding
 * apps use of a running node (PresenceNode implements it).
 */
import type { BackupContents } from './backup/home-backup.js'
import type { ChatMessage, ConversationRange, SearchOptions } from './chat/index.js'
import type { ContactRequestEvent, ContactAnswerEvent, HistoryEntry, PendingRequest } from './contacts/index.js'
import type { LocateOptions, LocateResult } from './discovery/index.js'
import type { DeviceInfo, LinkCodeInfo } from './devices/index.js'
import type { GroupChangeEvent, GroupInfo, GroupInvitation, GroupMemberPresence, GroupMessage } from './groups/index.js'
import type { DuplicateInstance } from './instance/index.js'
import type { Container, FetchResult, OwnPresence, PresenceEventDetail, PresenceView, PresenceViewLevel, SeenBy, SelfPresence } from './presence/index.js'
import type { CategoryAnswer } from './presence/query.js'
import type { CategoryRule, ContactContainer, Person, RosterChange, Visibility, VisibilitySetting } from './roster/index.js'
import type { XmppInfo } from './xmpp/index.js'
import type { PeerId, TypedEventTarget } from '@libp2p/interface'

/** A contact as the user sees one. */
export interface ContactInfo {
  peerId: string
  alias?: string
  view: PresenceViewLevel
  /** `close`: in the closer circle. */
  container: ContactContainer
  /** Categories shown to or hidden from this contact whatever its containers say. */
  allow: string[]
  deny: string[]
  /** When the contact was made. */
  since: number
  blocked: boolean
}

/** How a person is named to the user. */
export interface DisplayName {
  name: string
  /**
   * true: the user's own name for them (an alias); false: the name they give
   * themselves (their contact card), which anyone could claim: unverified.
   */
  verified: boolean
}

/** An open connection, as the user sees one. */
export interface ConnectionInfo {
  peerId: string
  /** The remote address of the connection (for an inbound one, the peer's ephemeral port). */
  address: string
  direction: 'inbound' | 'outbound'
  /** Through a relay (a limited connection). */
  relayed: boolean
  /** When it opened. */
  since: number
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
  /** This node's own presence changed (set by hand, from another terminal, or automatic away and back). */
  self: CustomEvent<SelfPresence>
  /** A message from a contact, stored in history (not when another own device got it first: that was a message:carbon). */
  message: CustomEvent<ChatMessage>
  /** A message from someone who is not a contact, held. */
  'message:held': CustomEvent<ChatMessage>
  /** An outgoing message moved to sent, delivered or read. */
  'message:state': CustomEvent<ChatMessage>
  /** A message of a contact person's conversation that another device of this person sent or received (docs/protocol.md §14.12). */
  'message:carbon': CustomEvent<ChatMessage>
  typing: CustomEvent<{ peer: string, typing: boolean }>
  'contact:request': CustomEvent<ContactRequestEvent>
  'contact:accepted': CustomEvent<ContactAnswerEvent>
  'contact:declined': CustomEvent<ContactAnswerEvent>
  'contact:cancelled': CustomEvent<ContactAnswerEvent>
  /** A contact ended the contact (unsubscribed). */
  'contact:removed': CustomEvent<ContactAnswerEvent>
  /** Who is who changed: names, contacts, blocks, visibility (also when set from another terminal). */
  'roster:change': CustomEvent<RosterChange>
  /** A message from another member of a group (never from someone this user blocked). */
  'group:message': CustomEvent<GroupMessage>
  /** A contact invited this user to a group. */
  'group:invitation': CustomEvent<GroupInvitation>
  /** A group's members or name changed. */
  'group:change': CustomEvent<GroupChangeEvent>
  /** An own group message that was queued when sent went out, then reached another member. */
  'group:state': CustomEvent<GroupMessage>
  /**
   * Another live node holds this node's identity key. yielded: it started
   * first and this node stops (halted() resolves); otherwise the other one
   * was told to stop.
   */
  duplicate: CustomEvent<DuplicateInstance>
  /** This person's device list changed: a device linked or revoked (here or on the device holding the person key). */
  'devices:change': CustomEvent<{ devices: DeviceInfo[], linked?: DeviceInfo, revoked?: string }>
  /** This device was revoked by its person. */
  'devices:revoked': CustomEvent<{ person: string }>
}

/** This node's person and its devices (docs/protocol.md §14). */
export interface DevicesOverview {
  /** The person id: the person key's peer id (this node's own on the first device). */
  person: string
  /** This device holds the person key: it links and revokes. */
  holdsPersonKey: boolean
  /** This device was revoked. */
  revoked: boolean
  devices: DeviceInfo[]
}

export interface PresenceNodeApi extends TypedEventTarget<PresenceNodeEvents>, OwnPresence {
  readonly peerId: PeerId
  readonly home: string
  /** Dialable addresses, each ending in /p2p/<peer id>. */
  addresses: () => string[]

  /** This node's presence as announced now, with its record's sequence number, the state set by hand and the idle period. */
  self: () => SelfPresence
  /** The containers a category goes to (undefined: its default); takes effect at once. */
  publishCategory: (key: string, containers?: Container[]) => Promise<void>
  /** Moves a contact into the closer circle or back; takes effect at once. */
  setContainer: (peer: PeerId | string, container: ContactContainer) => Promise<void>
  /** Shows (allow) or hides (deny) one category to one contact whatever its containers say; `default` undoes it. */
  setCategoryRule: (peer: PeerId | string, category: string, rule: CategoryRule | 'default') => Promise<void>
  /** What a given contact (or stranger) sees of this node, category by category. */
  seenBy: (peer: PeerId | string) => SeenBy
  /** Asks a presentity for one category once, without watching it. */
  queryCategory: (peer: PeerId | string, category: string, options?: { signal?: AbortSignal }) => Promise<CategoryAnswer>
  /** Presence of everyone watched (contacts and watched presentities), blocked ones hidden. */
  who: () => PresenceView[]
  presenceOf: (peer: PeerId | string) => PresenceView | undefined
  watch: (peer: PeerId | string, alias?: string) => Promise<PresenceView>
  unwatch: (peer: PeerId | string) => Promise<boolean>
  fetchPresence: (peer: PeerId | string, options?: { signal?: AbortSignal }) => Promise<FetchResult>

  /** A one-time code for a new device, valid 10 minutes (only the device holding the person key). */
  linkCode: () => Promise<LinkCodeInfo>
  devices: () => DevicesOverview
  /** Revokes a device by peer id, …short id or name. */
  revokeDevice: (device: string) => Promise<DeviceInfo>

  /** An alias or a peer id, as a peer id string. */
  resolvePeer: (aliasOrPeer: PeerId | string) => string
  /** The roster's entry for a peer, if any. */
  person: (peer: PeerId | string) => Person | undefined
  /** Everyone the roster holds. */
  people: () => Person[]
  /** The user's alias for a peer, else the name from its contact card (unverified); undefined if neither. */
  displayName: (peer: PeerId | string) => DisplayName | undefined
  /** Names (or, with undefined, unnames) a person. */
  setAlias: (peer: PeerId | string, alias: string | undefined) => Promise<Person>
  /** Turns notifications about a person off or on. */
  setMuted: (peer: PeerId | string, muted: boolean) => Promise<void>
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
  /** Ends a contact on both sides (the other side learns it as an unsubscribe); history and the name stay. */
  removeContact: (peer: PeerId | string) => Promise<void>
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
  /** The conversation with a contact person, whichever device of theirs or ours wrote; the same on every device of this person (docs/protocol.md §14.12). */
  conversation: (peer: PeerId | string, limit?: number) => Promise<ChatMessage[]>
  /** Part of that conversation between two archive ids, reading only that part (ChatService.conversationPage). */
  conversationPage: (peer: PeerId | string, range: ConversationRange & { limit: number }) => Promise<ChatMessage[]>
  /** How many messages of that conversation lie between two archive ids. */
  conversationSize: (peer: PeerId | string, range?: Pick<ConversationRange, 'after' | 'before'>) => Promise<number>
  markRead: (peer: PeerId | string) => Promise<number>
  /** Held messages from non-contacts, oldest first. */
  requests: () => Promise<ChatMessage[]>
  typing: (peer: PeerId | string) => void
  /** Unread incoming messages per peer (peers with none left out). */
  unread: () => Promise<Record<string, number>>
  /** Outgoing texts not yet delivered, oldest first. */
  undelivered: () => ChatMessage[]
  /** Takes back an undelivered text that has not gone out yet; undefined if it is gone or already on its way. */
  unsend: (peer: PeerId | string, id: string) => Promise<ChatMessage | undefined>
  /** Messages containing every word of `query`, across conversations or in one; oldest first. */
  search: (query: string, options?: SearchOptions) => Promise<ChatMessage[]>
  /** Peers with whom there is history. */
  conversations: () => Promise<string[]>
  /** Whether reading a conversation sends read receipts (default on; stored). */
  readReceipts: () => boolean
  setReadReceipts: (on: boolean) => Promise<void>

  /** Creates a group (this user its admin) and invites contacts (aliases or peer ids). */
  createGroup: (name: string, members?: Array<PeerId | string>) => Promise<GroupInfo>
  /** Groups are named by id, id prefix or name. */
  inviteToGroup: (group: string, peer: PeerId | string) => Promise<void>
  acceptGroup: (group: string) => Promise<GroupInfo>
  declineGroup: (group: string) => Promise<void>
  leaveGroup: (group: string) => Promise<void>
  removeFromGroup: (group: string, peer: PeerId | string) => Promise<void>
  renameGroup: (group: string, name: string) => Promise<void>
  promoteInGroup: (group: string, peer: PeerId | string) => Promise<void>
  groups: () => GroupInfo[]
  group: (group: string) => GroupInfo
  groupInvitations: () => GroupInvitation[]
  /** Resolves once the text is on disk; it is published at once and caught up by members who missed it. */
  sendToGroup: (group: string, text: string) => Promise<GroupMessage>
  groupHistory: (group: string, limit?: number) => Promise<GroupMessage[]>
  /** Unread texts per group id (groups with none left out; texts from blocked people do not count). */
  groupUnread: () => Promise<Record<string, number>>
  /** A group's unread texts, the newest `limit`, in the group's order (caught-up ones included). */
  groupUnreadMessages: (group: string, limit?: number) => Promise<GroupMessage[]>
  /** Marks a group's texts read: those of `ids` (the texts' ids, as shown), or all; resolves with how many were unread. */
  markGroupRead: (group: string, ids?: string[]) => Promise<number>
  /** Members and their presence as this user's own channels show it. */
  groupOnline: (group: string) => GroupMemberPresence[]
  /** Where the XMPP endpoint listens and for whom, when the node serves one. */
  xmppInfo: () => XmppInfo | undefined
  /** An RFC 3863 + RFC 4480 PIDF document of what this node sees of a presentity (NoPresenceError if nothing). */
  pidf: (peer: PeerId | string) => string

  locate: (peer: PeerId | string, options?: LocateOptions) => Promise<LocateResult>
  connect: (target: string, timeoutMs?: number) => Promise<void>
  connections: () => ConnectionInfo[]

  /** Identity, contacts, this device's place among its person's devices and its groups, for an encrypted backup (it holds the private key: never send it anywhere in the clear). */
  backup: () => Promise<BackupContents>
  stop: () => Promise<void>
}
