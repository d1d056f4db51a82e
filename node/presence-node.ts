/**
 * The node API: everything the CLI (or an embedding app) does goes through a
 * PresenceNode, which owns the home directory, the datastore and libp2p, and
 * passes on what its services tell the user as its own events.
 */
import { TypedEventEmitter } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { bootstrapFromEnv, DEFAULT_LISTEN, loadConfig, mdnsFromEnv, visibilityFromEnv } from './config.js'
import { controlMethods } from './control/methods.js'
import { ControlServer } from './control/server.js'
import { openDatastore } from './datastore.js'
import { InvalidOptionError, InvalidTargetError, NoPresenceError, PeerUnreachableError } from './errors.js'
import { claimHome, loadOrCreateIdentity, releaseHome, writeRuntime } from './home.js'
import { createPresenceLibp2p } from './libp2p.js'
import { peerIdString } from './peer-ids.js'
import { pidfDocument } from './pidf/index.js'
import { xmppServer } from './xmpp/index.js'
import type { ContactInfo, PresenceNodeApi, PresenceNodeEvents, Watchers } from './api.js'
import type { ChatMessage, ChatService, ChatServiceInit } from './chat/index.js'
import type { ContactsService, ContactsServiceInit, PendingRequest } from './contacts/index.js'
import type { LocateOptions, LocateResult } from './discovery/index.js'
import type { GroupInfo, GroupInvitation, GroupMemberPresence, GroupMessage, GroupsService, GroupsServiceInit } from './groups/index.js'
import type { NodeOptions, PresenceLibp2p } from './libp2p.js'
import type { FetchResult, PresenceService, PresenceServiceInit, PresenceView, PresenceViewLevel } from './presence/index.js'
import type { Person, Roster, RosterInit, Visibility, VisibilitySetting } from './roster/index.js'
import type { XmppInfo, XmppServer, XmppServerInit } from './xmpp/index.js'
import type { PresenceUpdate } from '../protocol/presence-record.js'
import type { PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { LevelDatastore } from 'datastore-level'

export interface PresenceNodeOptions {
  home: string
  /** Listen multiaddrs; default from config.json, else DEFAULT_LISTEN. */
  listen?: string[]
  /** Bootstrap multiaddrs, added to those of config.json and PRESENCE_MESH_BOOTSTRAP. */
  bootstrap?: string[]
  presence?: PresenceServiceInit
  chat?: ChatServiceInit
  groups?: GroupsServiceInit
  /** The visibility a new home starts with (default PRESENCE_MESH_VISIBILITY, else contacts). */
  roster?: Pick<RosterInit, 'defaultVisibility'>
  contacts?: ContactsServiceInit
  /** Many nodes on one host (tests, benchmarks). */
  sharedHost?: boolean
  /** Serve as a circuit relay for others (CLI --relay). */
  relay?: boolean
  /** Overrides RELAY_LIMITS for a relay (tests). */
  relayLimits?: NodeOptions['relayLimits']
  /** DHT client mode: query, never answer (CLI --dht-client). */
  dhtClientMode?: boolean
  /**
   * mDNS discovery on the LAN (CLI --no-mdns turns it off). Default on, except with sharedHost
   * (tests, benchmarks) or PRESENCE_MESH_MDNS=off.
   */
  mdns?: NodeOptions['mdns']
  /** Put this node's presence record in the DHT for fetchers (default true). */
  publishPresence?: boolean
  /** Connection cap; default CONNECTION_LIMITS.maxConnections (64). Public bootstrap/relay nodes raise it. */
  maxConnections?: number
  /** Dial the most recently connected known peers at start (default true). */
  rejoin?: boolean
  /** Open the control socket in the home directory (default true). */
  control?: boolean
  /** Passed to libp2p: refuses connections to chosen peers (tests, the chaos run). */
  connectionGater?: NodeOptions['connectionGater']
  /** Serve the owner's XMPP client (CLI --xmpp); docs/xmpp.md. */
  xmpp?: XmppServerInit
}

/** Service events a node passes on as its own, by the name it gives them. */
const FORWARDED = {
  presence: { presence: 'presence' },
  chat: { message: 'message', request: 'message:held', state: 'message:state', typing: 'typing' },
  contacts: { 'contact:request': 'contact:request', 'contact:accepted': 'contact:accepted', 'contact:declined': 'contact:declined', 'contact:cancelled': 'contact:cancelled' },
  roster: { 'roster:change': 'roster:change' },
  groups: { 'group:message': 'group:message', 'group:invitation': 'group:invitation', 'group:change': 'group:change' }
} as const

export class PresenceNode extends TypedEventEmitter<PresenceNodeEvents> implements PresenceNodeApi {
  private control?: ControlServer
  private xmpp?: XmppServer
  private stopping?: Promise<void>

  private constructor (
    readonly home: string,
    readonly libp2p: PresenceLibp2p,
    private readonly datastore: LevelDatastore
  ) {
    super()
    for (const [service, events] of Object.entries(FORWARDED)) {
      const source = libp2p.services[service as keyof typeof FORWARDED] as unknown as EventTarget
      for (const [from, to] of Object.entries(events)) {
        source.addEventListener(from, (evt) => {
          const { detail } = evt as CustomEvent
          // a roster change's waitUntil belongs to the services, not to the user
          this.safeDispatchEvent(to as keyof PresenceNodeEvents, { detail: service === 'roster' ? { people: detail.people, visibility: detail.visibility } : detail })
        })
      }
    }
  }

  static async start (opts: PresenceNodeOptions): Promise<PresenceNode> {
    if (opts.maxConnections != null && (!Number.isInteger(opts.maxConnections) || opts.maxConnections < 1)) {
      throw new InvalidOptionError('maxConnections', String(opts.maxConnections), 'a positive integer')
    }
    const { privateKey } = await loadOrCreateIdentity(opts.home)
    const config = await loadConfig(opts.home)
    const listen = opts.listen ?? config.listen ?? DEFAULT_LISTEN
    const bootstrap = [...new Set([...(opts.bootstrap ?? []), ...(config.bootstrap ?? []), ...bootstrapFromEnv()])]
    await claimHome(opts.home)
    let datastore: LevelDatastore | undefined
    let node: PresenceNode | undefined
    try {
      datastore = await openDatastore(opts.home)
      const libp2p = await createPresenceLibp2p({
        privateKey,
        datastore,
        listen,
        bootstrap,
        presence: opts.presence,
        chat: opts.chat,
        groups: opts.groups,
        roster: { defaultVisibility: visibilityFromEnv(), ...opts.roster },
        contacts: opts.contacts,
        sharedHost: opts.sharedHost,
        relay: opts.relay,
        relayLimits: opts.relayLimits,
        dhtClientMode: opts.dhtClientMode,
        mdns: opts.mdns ?? mdnsFromEnv() ?? (opts.sharedHost !== true),
        publishPresence: opts.publishPresence,
        connectionGater: opts.connectionGater,
        rejoin: opts.rejoin,
        maxConnections: opts.maxConnections
      })
      node = new PresenceNode(opts.home, libp2p, datastore)
      await libp2p.start()
      if (opts.control !== false) {
        node.control = new ControlServer(opts.home, controlMethods(node), libp2p.logger.forComponent('presence-mesh:control'))
        await node.control.start()
      }
      // config.json's settings, the caller's (the CLI's --xmpp address) over them
      const xmpp = opts.xmpp != null || config.xmpp != null ? { ...config.xmpp, ...definedOnly(opts.xmpp ?? {}) } : undefined
      if (xmpp != null) {
        node.xmpp = xmppServer(xmpp)({ node, logger: libp2p.logger, home: opts.home })
        await node.xmpp.start()
      }
      await writeRuntime(opts.home, { pid: process.pid, peerId: node.peerId.toString(), addresses: node.addresses() })
      return node
    } catch (err) {
      // a started node stops (and closes the datastore, releases the home) itself
      if (node != null) await node.stop().catch(() => {})
      else {
        await datastore?.close().catch(() => {})
        await releaseHome(opts.home)
      }
      throw err
    }
  }

  get peerId (): PeerId {
    return this.libp2p.peerId
  }

  /** The services, as interfaces (the node's own methods cover what a user does). */
  get presence (): PresenceService { return this.libp2p.services.presence }
  get chat (): ChatService { return this.libp2p.services.chat }
  get roster (): Roster { return this.libp2p.services.roster }
  get contactsService (): ContactsService { return this.libp2p.services.contacts }
  get groupsService (): GroupsService { return this.libp2p.services.groups }

  addresses (): string[] {
    return this.libp2p.getMultiaddrs().map(ma => ma.toString())
  }

  // ---- presence ----

  self (): PresenceUpdate & { seq: bigint } {
    return this.presence.self
  }

  async setPresence (update: PresenceUpdate): Promise<void> {
    await this.presence.setPresence(update)
  }

  who (): PresenceView[] {
    return this.presence.list()
  }

  presenceOf (peer: PeerId | string): PresenceView | undefined {
    return this.presence.get(this.resolvePeer(peer))
  }

  /** Watches a presentity; discovery keeps it reachable (located through the DHT when not connected). */
  async watch (peer: PeerId | string, alias?: string): Promise<PresenceView> {
    const person = await this.roster.watch(peer, alias)
    return this.presence.get(person.id) ?? { peerId: person.id, alias: person.alias, status: 'offline' }
  }

  async unwatch (peer: PeerId | string): Promise<boolean> {
    return await this.roster.unwatch(this.resolvePeer(peer))
  }

  /** A presentity's presence from its DHT record, without subscribing. */
  async fetchPresence (peer: PeerId | string, options?: { signal?: AbortSignal }): Promise<FetchResult> {
    return await this.libp2p.services.dhtPresence.fetchPresence(peer, options)
  }

  // ---- who is who ----

  resolvePeer (aliasOrPeer: PeerId | string): string {
    return this.roster.resolve(aliasOrPeer)
  }

  person (peer: PeerId | string): Person | undefined {
    return this.roster.get(this.resolvePeer(peer))
  }

  contacts (): ContactInfo[] {
    return this.roster.contacts().map(contactInfo)
  }

  contactRequests (): { incoming: PendingRequest[], outgoing: PendingRequest[] } {
    return this.contactsService.requests()
  }

  async requestContact (peer: PeerId | string, greeting?: string, alias?: string): Promise<PendingRequest> {
    return await this.contactsService.requestContact(peer, greeting, alias)
  }

  async accept (peerOrRequest: PeerId | string, alias?: string): Promise<ContactInfo> {
    const key = peerOrRequest.toString()
    const peer = this.contactRequests().incoming.find(r => r.peerId === key || r.requestId === key)?.peerId ?? key
    await this.contactsService.accept(peerOrRequest, alias)
    return contactInfo(this.roster.get(peer) ?? { id: peer, devices: [peer], watched: false, contact: { since: Date.now(), view: 'full' } })
  }

  async deny (peerOrRequest: PeerId | string): Promise<void> {
    await this.contactsService.deny(peerOrRequest)
  }

  async cancel (peerOrRequest: PeerId | string): Promise<void> {
    await this.contactsService.cancel(peerOrRequest)
  }

  async block (peer: PeerId | string): Promise<void> {
    await this.roster.block(this.resolvePeer(peer))
  }

  async unblock (peer: PeerId | string): Promise<void> {
    await this.roster.unblock(this.resolvePeer(peer))
  }

  blocked (): Array<{ peerId: string, since: number }> {
    return this.roster.blocked()
  }

  isBlocked (peer: PeerId | string): boolean {
    return this.roster.isBlocked(peer)
  }

  async setVisibility (mode: Visibility, allow?: Array<PeerId | string>): Promise<void> {
    await this.roster.setVisibility(mode, allow?.map(p => this.resolvePeer(p)))
  }

  visibility (): VisibilitySetting {
    return this.roster.visibility()
  }

  async setView (peer: PeerId | string, view: PresenceViewLevel): Promise<void> {
    await this.roster.setView(this.resolvePeer(peer), view)
  }

  watchers (): Watchers {
    return { asked: this.contactsService.history(), watching: this.presence.watchingNow() }
  }

  // ---- chat ----

  /** Queues a text for a contact (alias or peer id); resolves with its id once it is on disk. */
  async send (to: PeerId | string, text: string): Promise<string> {
    return (await this.chat.send(this.resolvePeer(to), text)).id
  }

  /** The newest `limit` messages with a contact, both directions, oldest first. */
  async history (peer: PeerId | string, limit?: number): Promise<ChatMessage[]> {
    return await this.chat.history(this.resolvePeer(peer), limit)
  }

  /** Marks a contact's messages read and sends the read receipt; returns how many changed. */
  async markRead (peer: PeerId | string): Promise<number> {
    return await this.chat.markRead(this.resolvePeer(peer))
  }

  async requests (): Promise<ChatMessage[]> {
    return await this.chat.requests()
  }

  typing (peer: PeerId | string): void {
    this.chat.typing(this.resolvePeer(peer))
  }

  // ---- groups ----

  async createGroup (name: string, members: Array<PeerId | string> = []): Promise<GroupInfo> {
    return await this.groupsService.create(name, members.map(m => this.resolvePeer(m)))
  }

  async inviteToGroup (group: string, peer: PeerId | string): Promise<void> {
    await this.groupsService.invite(group, this.resolvePeer(peer))
  }

  async acceptGroup (group: string): Promise<GroupInfo> {
    return await this.groupsService.accept(group)
  }

  async declineGroup (group: string): Promise<void> {
    await this.groupsService.decline(group)
  }

  async leaveGroup (group: string): Promise<void> {
    await this.groupsService.leave(group)
  }

  async removeFromGroup (group: string, peer: PeerId | string): Promise<void> {
    await this.groupsService.remove(group, this.resolvePeer(peer))
  }

  async renameGroup (group: string, name: string): Promise<void> {
    await this.groupsService.rename(group, name)
  }

  async promoteInGroup (group: string, peer: PeerId | string): Promise<void> {
    await this.groupsService.promote(group, this.resolvePeer(peer))
  }

  groups (): GroupInfo[] {
    return this.groupsService.list()
  }

  group (group: string): GroupInfo {
    return this.groupsService.get(group)
  }

  groupInvitations (): GroupInvitation[] {
    return this.groupsService.invitations()
  }

  async sendToGroup (group: string, text: string): Promise<GroupMessage> {
    return await this.groupsService.send(group, text)
  }

  async groupHistory (group: string, limit?: number): Promise<GroupMessage[]> {
    return await this.groupsService.history(group, limit)
  }

  groupOnline (group: string): GroupMemberPresence[] {
    return this.groupsService.online(group)
  }

  // ---- other formats ----

  /** Where the XMPP endpoint listens and for whom, when the node serves one. */
  xmppInfo (): XmppInfo | undefined {
    return this.xmpp?.info()
  }

  /** An RFC 3863 PIDF document (with RFC 4480 activities) of what this node sees of a presentity. */
  pidf (peer: PeerId | string): string {
    const view = this.presenceOf(peer)
    if (view == null) throw new NoPresenceError(this.resolvePeer(peer))
    return pidfDocument(view, this.xmppInfo()?.domain)
  }

  // ---- reaching peers ----

  /** Resolves a peer id to addresses (a contact's locator record, the DHT) and connects to it. */
  async locate (peer: PeerId | string, options?: LocateOptions): Promise<LocateResult> {
    const id = peerIdString(peer)
    const discovery = this.libp2p.services.discovery
    // a contact that is not public left us a sealed locator record in the DHT
    if (this.roster.isContact(id)) await this.libp2p.services.locator.refresh(id, options?.signal).catch(() => 0)
    const found = await discovery.locate(id, options)
    const foundPeer = peerIdFromString(found.peerId)
    if (await this.answers(foundPeer, options?.signal)) return found
    // the connection opened and died at once: a peer refusing us (blocking, say)
    // looks like one whose old address is dead, so go the same way from here
    await this.libp2p.hangUp(foundPeer).catch(() => {})
    return await discovery.locate(id, { ...options, useCache: false })
  }

  /**
   * Opens a connection to a peer id or multiaddr. Any failure (offline, no
   * address known, refused, timed out, blocked) is the same PeerUnreachableError.
   */
  async connect (target: string, timeoutMs = 10_000): Promise<void> {
    let dialTarget: PeerId | Multiaddr
    try {
      dialTarget = target.startsWith('/') ? multiaddr(target) : peerIdFromString(target)
    } catch {
      throw new InvalidTargetError(target)
    }
    const signal = AbortSignal.timeout(timeoutMs)
    let peer: PeerId
    try {
      peer = (await this.libp2p.dial(dialTarget, { signal })).remotePeer
    } catch {
      throw new PeerUnreachableError(target)
    }
    if (!await this.answers(peer, signal)) throw new PeerUnreachableError(target)
  }

  /**
   * Whether the peer answers a ping over the connection we have to it. A peer
   * that refuses us does so only after the Noise handshake, by which time our
   * side may already count the connection as open: only an answer says the
   * peer is really there.
   */
  private async answers (peer: PeerId, signal?: AbortSignal): Promise<boolean> {
    try {
      await this.libp2p.services.ping.ping(peer, { signal: signal ?? AbortSignal.timeout(10_000) })
      return true
    } catch {
      return false
    }
  }

  /** Says goodbye, stops libp2p, closes the datastore. Safe to call more than once. */
  async stop (): Promise<void> {
    this.stopping ??= this.stopOnce()
    await this.stopping
  }

  private async stopOnce (): Promise<void> {
    try {
      await this.xmpp?.stop()
      await this.control?.stop()
      await this.libp2p.stop()
    } finally {
      await this.datastore.close().catch(() => {})
      await releaseHome(this.home)
    }
  }
}

function definedOnly<T extends object> (o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>
}

function contactInfo (p: Person): ContactInfo {
  return { peerId: p.id, alias: p.alias, view: p.contact?.view ?? 'full', since: p.contact?.since ?? 0, blocked: p.blockedSince != null }
}
