/**
 * The node API as types: what the CLI, the control socket and embedding
 * apps use of a running node (PresenceNode implements it).
 */
import type { ChatMessage } from './chat/index.js'
import type { ContactRequestEvent, ContactAnswerEvent, HistoryEntry, PendingRequest } from './contacts/index.js'
import type { LocateOptions, LocateResult } from './discovery/index.js'
import type { GroupChangeEvent, GroupInfo, GroupInvitation, GroupMemberPresence, GroupMessage } from './groups/index.js'
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
  /** A message from another member of a group (never from someone this user blocked). */
  'group:message': CustomEvent<GroupMessage>
  /** A contact invited this user to a group. */
  'group:invitation': CustomEvent<GroupInvitation>
  /** A group's members or name changed. */
  'group:change': CustomEvent<GroupChangeEvent>
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
  requestContact: (peer: PeerId | string, greeting?: string, alias?: string) => Promise<PendingRequest>
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
  /** Members and their presence as this user's own channels show it. */
  groupOnline: (group: string) => GroupMemberPresence[]
  /** Where the XMPP endpoint listens and for whom, when the node serves one. */
  xmppInfo: () => XmppInfo | undefined
  /** An RFC 3863 + RFC 4480 PIDF document of what this node sees of a presentity (NoPresenceError if nothing). */
  pidf: (peer: PeerId | string) => string

  locate: (peer: PeerId | string, options?: LocateOptions) => Promise<LocateResult>
  connect: (target: string, timeoutMs?: number) => Promise<void>
  stop: () => Promise<void>
}
