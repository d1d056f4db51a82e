/**
 * Group conversations: groups of contacts with a signed membership log that
 * converges, end-to-end encrypted messages under sender keys that rotate
 * when anyone leaves, carried on an opaque gossipsub topic among members,
 * kept by every member and served to whoever missed them.
 * docs/protocol.md §12 is the wire spec.
 */
import { GroupsService as GroupsServiceClass } from './groups-service.js'
import type { GroupChange, Standing } from './group.js'
import type { GroupsServiceComponents } from './groups-service.js'
import type { GroupRole } from '../../protocol/group-log.js'
import type { PresenceStatus } from '../../protocol/presence-record.js'
import type { PeerId, TypedEventTarget } from '@libp2p/interface'

export type { GroupsServiceComponents } from './groups-service.js'
export type { GroupChange, Standing } from './group.js'
export type { GroupRole } from '../../protocol/group-log.js'
export { GROUPS_CAPABILITY } from './constants.js'
export * from './errors.js'

export interface GroupsServiceInit {
  /** Texts this node may send to one group per window (default 60 per 10 s). */
  sendsPerWindow?: number
  sendWindowSeconds?: number
  /** Live entries accepted from one author per window (default 600 per 10 s); more wait for catch-up. */
  receivesPerWindow?: number
  /** Anti-entropy: each group catches up with a random connected member this often (default 20 s). */
  antiEntropyMs?: number
  /**
   * A file for this node's own texts between their publishing and their commit (node/groups/own-journal.ts);
   * the node keeps it in its home. Without one, a text is published once committed.
   */
  journal?: string
}

/** A group as this node sees it. */
export interface GroupInfo {
  /** Hex of the 16-byte group id. */
  id: string
  name: string
  /** The gossipsub topic of its messages. */
  topic: string
  /** Where this node stands: member, or left / removed (history kept). */
  standing: Standing
  /** This node's role while a member. */
  role?: GroupRole
  members: Array<{ peerId: string, role: GroupRole }>
  invited: Array<{ peerId: string, by: string }>
}

export interface GroupInvitation {
  group: string
  name: string
  inviter: string
  /** Members at the time of the invitation. */
  members: string[]
  receivedAt: number
}

export type GroupDeliveryState = 'queued' | 'sent' | 'delivered'

/** One message of a group's history. */
export interface GroupMessage {
  /** `<author>:<seq>`, unique in the group. */
  id: string
  group: string
  author: string
  /** Position in its author's feed. */
  seq: number
  /** Lamport time: the history's order, the same on every member. */
  lamport: number
  text: string
  /** The author's clock. */
  sentAt: number
  /** Local time an incoming message was stored. */
  receivedAt?: number
  direction: 'in' | 'out'
  /** Outgoing: on disk (queued), handed to the mesh (sent), stored by another member (delivered). */
  state?: GroupDeliveryState
}

export interface GroupMemberPresence {
  peerId: string
  role: GroupRole
  /** What this node's own presence channels say, 'unknown' where the member shares none with it. */
  status: PresenceStatus | 'unknown'
}

export interface GroupChangeEvent {
  group: string
  name: string
  changes: GroupChange[]
}

export interface GroupsEvents {
  /** A message from another member, stored (never one from a blocked person). */
  'group:message': CustomEvent<GroupMessage>
  /** A contact invited this node to a group: accept or decline. */
  'group:invitation': CustomEvent<GroupInvitation>
  /** Members joined, left, were invited or removed, the group was renamed. */
  'group:change': CustomEvent<GroupChangeEvent>
  /** An own message that send() returned as queued went out (sent), then another member stored it (delivered). */
  'group:state': CustomEvent<GroupMessage>
}

export interface GroupsService extends TypedEventTarget<GroupsEvents> {
  /** Creates a group with this node as its admin and invites `members` (contacts). */
  create: (name: string, members?: Array<PeerId | string>) => Promise<GroupInfo>
  /** Invites a contact (any member may). */
  invite: (group: string, peer: PeerId | string) => Promise<void>
  accept: (group: string) => Promise<GroupInfo>
  decline: (group: string) => Promise<void>
  leave: (group: string) => Promise<void>
  /** Removes a member or withdraws an invitation (admins only). */
  remove: (group: string, peer: PeerId | string) => Promise<void>
  rename: (group: string, name: string) => Promise<void>
  promote: (group: string, peer: PeerId | string) => Promise<void>
  /** Groups this node is or was in. */
  list: () => GroupInfo[]
  get: (group: string) => GroupInfo
  /** A group id from an id, an id prefix or a name (of a group or an invitation). */
  resolve: (nameOrId: string) => string
  invitations: () => GroupInvitation[]
  /** Stores the text and publishes it; resolves once it is on disk. */
  send: (group: string, text: string) => Promise<GroupMessage>
  /** The newest `limit` messages, in the group's order (Lamport time, then author). */
  history: (group: string, limit?: number) => Promise<GroupMessage[]>
  /** Unread texts per group (groups with none left out); texts from blocked people do not count. A text is unread until marked read. */
  unread: () => Promise<Record<string, number>>
  /** A group's unread texts (the newest `limit`), in the group's order; caught-up ones included. */
  unreadMessages: (group: string, limit?: number) => Promise<GroupMessage[]>
  /** Marks a group's texts read (those of `ids`, texts' ids, or all); resolves with how many were unread. */
  markRead: (group: string, ids?: string[]) => Promise<number>
  online: (group: string) => GroupMemberPresence[]
  /** Catches up with the connected members now; resolves with how many entries and ops were new. */
  catchUp: (group: string) => Promise<number>
}

export function groups (init: GroupsServiceInit = {}): (components: GroupsServiceComponents) => GroupsService {
  return (components) => new GroupsServiceClass(components, init)
}
