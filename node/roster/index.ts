/**
 * The roster: the one owner of who is who. People (a name, one or more peer
 * ids), who is a contact and what they see, who is watched, who is blocked,
 * and this node's visibility. Only the roster writes these; every change is
 * committed, then announced as one `roster:change` event that presence,
 * chat, the locator, the DHT mode, discovery and the consent protocol react
 * to. A listener that has work to finish before the change counts as done
 * (a goodbye record, say) hands its promise to `waitUntil`.
 */
import { RosterService } from './roster.js'
import type { RosterServiceComponents } from './roster.js'
import type { RosterStore } from './roster-store.js'
import type { PresenceViewLevel } from '../presence/audience.js'
import type { Transaction } from '../store/records.js'
import type { PairKeys } from '../../protocol/pair-keys.js'
import type { PeerId, TypedEventTarget } from '@libp2p/interface'

export { RosterStore } from './roster-store.js'
export type { RosterServiceComponents } from './roster.js'
export * from './errors.js'
export { VISIBILITIES, ROSTER_CAPABILITY, CONTACT_CONTAINERS } from './constants.js'

export type Visibility = 'public' | 'contacts' | 'invisible'

export interface VisibilitySetting {
  mode: Visibility
  /** In invisible mode: the contacts who still see this node. */
  allow: string[]
}

/** The container a contact is in besides `public` and `contacts`: `close` is the closer circle. */
export type ContactContainer = 'contacts' | 'close'
/** A per-person rule for one category: shown whatever the containers say, or hidden. */
export type CategoryRule = 'allow' | 'deny'

/** An accepted contact: since when, and how much of our presence they see. */
export interface ContactState {
  since: number
  /** `status`: the state category only, whatever containers and allow rules say. */
  view: PresenceViewLevel
  /** Absent: `contacts`. */
  container?: ContactContainer
  /** Category keys this contact sees whatever its containers allow (deny wins over allow). */
  allow?: string[]
  /** Category keys this contact never sees. */
  deny?: string[]
}

/** Somebody this node knows. */
export interface Person {
  /** The person's id: for now the peer id of their one device. */
  id: string
  /** The user's own name for them (unique in the roster). */
  alias?: string
  /** Peer ids of their devices: the id first, then the other devices their device list names (docs/protocol.md §14). */
  devices: string[]
  /** Present while they are an accepted contact (a blocked contact stays one, for unblock). */
  contact?: ContactState
  /** The user asked to watch this presentity's presence (contacts are watched anyway). */
  watched: boolean
  /** When the user blocked them, while blocked. */
  blockedSince?: number
  /** The user turned notifications about them off (their messages still arrive and are stored). */
  muted?: boolean
}

export interface PersonChange {
  id: string
  /** undefined: the person was not in the roster before / is not any more. */
  before?: Person
  after?: Person
}

export interface RosterChange {
  people: PersonChange[]
  visibility?: { before: VisibilitySetting, after: VisibilitySetting }
}

export interface RosterChangeEvent extends RosterChange {
  /** Delays the end of the change (the roster call that made it) until `work` settles. */
  waitUntil: (work: Promise<unknown>) => void
}

export interface RosterEvents {
  'roster:change': CustomEvent<RosterChangeEvent>
}

export interface RosterInit {
  /** Visibility until the user sets one (it is then stored). Default 'contacts'. */
  defaultVisibility?: Visibility
  /**
   * The roster's records, loaded before libp2p is built (the connection
   * gater refuses blocked peers from the first connection on). Loaded at
   * start when absent.
   */
  store?: RosterStore
}

export interface Roster extends TypedEventTarget<RosterEvents> {
  /** Everyone the roster holds (contacts, watched, blocked), copies. */
  people: () => Person[]
  /** The person a peer id (or person id) belongs to. */
  get: (peer: PeerId | string) => Person | undefined
  /** The name the user gave the person a peer id (or person id) belongs to; no copy of the person. */
  alias: (peer: PeerId | string) => string | undefined
  /** An alias or a peer id, as a peer id string; throws UnknownPersonError / InvalidPeerIdError. */
  resolve: (aliasOrPeer: PeerId | string) => string
  /** Accepted contacts, blocked ones included (see `isBlocked`). */
  contacts: () => Person[]
  /** An accepted, unblocked contact. */
  isContact: (peer: PeerId | string) => boolean
  /** The one block check for gossip, chat, DHT and connection code. */
  isBlocked: (peer: PeerId | string) => boolean
  blocked: () => Array<{ peerId: string, since: number }>
  /** Whether `peer` may see this node's presence and locate it now. */
  canSee: (peer: PeerId | string) => boolean
  /** Peers whose presence this node follows: unblocked contacts and watched people. */
  watchList: () => Person[]
  visibility: () => VisibilitySetting
  /** The keys this node shares with a contact (derived once, cached). */
  keysFor: (peer: PeerId | string) => PairKeys

  /** Returns `alias` if it can name `peer`; throws InvalidAliasError or AliasTakenError otherwise. */
  checkAlias: (alias: string, peer: string) => string

  /** Watches a presentity (adding it to the roster), optionally naming it. */
  watch: (peer: PeerId | string, alias?: string) => Promise<Person>
  /** Stops watching a non-contact; contacts stay watched while they are contacts. Returns false if not watched. */
  unwatch: (peer: PeerId | string) => Promise<boolean>
  setAlias: (peer: PeerId | string, alias: string | undefined) => Promise<Person>
  /**
   * Makes `peer` a contact (the consent protocol's outcome), named `alias`
   * if that name is still free. With `tx` the change is staged into the
   * caller's transaction and announced after it commits.
   */
  addContact: (peer: PeerId | string, options?: { alias?: string, tx?: Transaction }) => Promise<void>
  /**
   * Ends a contact (the consent protocol's unsubscribe, sent or received):
   * neither side sees the other's presence any more. The name stays, so
   * history still reads as theirs. With `tx`, staged into the caller's
   * transaction. Returns false if `peer` was not a contact.
   */
  removeContact: (peer: PeerId | string, options?: { tx?: Transaction }) => Promise<boolean>
  /**
   * The peer ids of a person's devices (from their device list, docs/protocol.md
   * §14): the record's own id stays first; a peer id that is another person
   * of the roster, or one of theirs, is left out. Undefined for nobody known.
   */
  setDevices: (peer: PeerId | string, devices: string[]) => Promise<Person | undefined>
  setView: (peer: PeerId | string, view: PresenceViewLevel) => Promise<void>
  /** Turns notifications about a person off or on (a client preference kept with the person). */
  setMuted: (peer: PeerId | string, muted: boolean) => Promise<Person>
  /** Moves a contact between the contacts and the closer circle; what it sees changes at once. */
  setContainer: (peer: PeerId | string, container: ContactContainer) => Promise<void>
  /** Allows or denies one category to one contact (`default`: back to what its containers say). */
  setCategoryRule: (peer: PeerId | string, category: string, rule: CategoryRule | 'default') => Promise<void>
  /** Switches visibility at once; whoever loses sight of this node gets a goodbye first. */
  setVisibility: (mode: Visibility, allow?: Array<PeerId | string>) => Promise<void>
  /** Blocks a peer: to them this node looks exactly like one that stopped. */
  block: (peer: PeerId | string) => Promise<boolean>
  unblock: (peer: PeerId | string) => Promise<boolean>
}

export function roster (init: RosterInit = {}): (components: RosterServiceComponents) => Roster {
  return (components) => new RosterService(components, init)
}
