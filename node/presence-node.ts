/**
 * The node API: everything the CLI (or an embedding app) does goes through a
 * PresenceNode, which owns the home directory, the datastore and libp2p.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { bootstrapFromEnv, DEFAULT_LISTEN, loadConfig, mdnsFromEnv, visibilityFromEnv } from './config.js'
import { controlMethods } from './control/methods.js'
import { ControlServer } from './control/server.js'
import { openDatastore } from './datastore.js'
import { PeerUnreachableError, UserError } from './errors.js'
import { claimHome, loadOrCreateIdentity, releaseHome, writeRuntime } from './home.js'
import { createPresenceLibp2p } from './libp2p.js'
import type { ChatMessage, ChatService, ChatServiceInit } from './chat/index.js'
import type { ContactInfo, ContactsService, ContactsServiceInit, Contact, PendingRequest, Visibility, Watchers } from './contacts/index.js'
import type { LocateOptions, LocateResult } from './discovery/index.js'
import type { NodeOptions, PresenceLibp2p } from './libp2p.js'
import type { PresenceViewLevel } from './presence/audience.js'
import type { FetchResult, PresenceServiceInit, PresenceView } from './presence/index.js'
import type { PresenceService } from './presence/presence-service.js'
import type { PresenceUpdate } from '../protocol/presence-record.js'
import type { ConnectionGater, PeerId } from '@libp2p/interface'
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
  contacts?: Omit<ContactsServiceInit, 'blockList' | 'locatorRules' | 'dhtServerWhenPublic'>
  /** Many nodes on one host (tests, benchmarks). */
  sharedHost?: boolean
  /** Serve as a circuit relay for others (CLI --relay). */
  relay?: boolean
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
}

export class PresenceNode {
  private control?: ControlServer
  private stopping?: Promise<void>

  private constructor (
    readonly home: string,
    readonly libp2p: PresenceLibp2p,
    private readonly datastore: LevelDatastore
  ) {}

  static async start (opts: PresenceNodeOptions): Promise<PresenceNode> {
    if (opts.maxConnections != null && (!Number.isInteger(opts.maxConnections) || opts.maxConnections < 1)) {
      throw new UserError(`maxConnections must be a positive integer, not ${opts.maxConnections}`)
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
        contacts: { defaultVisibility: visibilityFromEnv(), ...opts.contacts },
        sharedHost: opts.sharedHost,
        relay: opts.relay,
        dhtClientMode: opts.dhtClientMode,
        mdns: opts.mdns ?? mdnsFromEnv() ?? (opts.sharedHost !== true),
        publishPresence: opts.publishPresence,
        connectionGater: opts.connectionGater,
        rejoin: opts.rejoin,
        maxConnections: opts.maxConnections
      })
      await libp2p.start()
      node = new PresenceNode(opts.home, libp2p, datastore)
      // presentities watched before the restart are kept reachable again
      for (const view of node.who()) libp2p.services.discovery.follow(view.peerId)
      if (opts.control !== false) {
        node.control = new ControlServer(opts.home, controlMethods(node), libp2p.logger.forComponent('presence-mesh:control'))
        await node.control.start()
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

  get presence (): PresenceService {
    return this.libp2p.services.presence
  }

  /** Incoming messages, delivery states, typing: node.chat.addEventListener('message' | 'request' | 'state' | 'typing', ...). */
  get chat (): ChatService {
    return this.libp2p.services.chat
  }

  /** A watched alias or a peer id, as the peer id string. */
  resolvePeer (aliasOrPeer: PeerId | string): string {
    if (typeof aliasOrPeer !== 'string') return aliasOrPeer.toString()
    const view = this.presence.resolve(aliasOrPeer)
    if (view != null) return view.peerId
    try {
      return peerIdFromString(aliasOrPeer).toString()
    } catch {
      throw new UserError(`${aliasOrPeer} is neither a known alias nor a peer id`)
    }
  }

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

  /** Held messages from non-contacts, oldest first. */
  async requests (): Promise<ChatMessage[]> {
    return await this.chat.requests()
  }

  /** Dialable addresses, each ending in /p2p/<peer id>. */
  addresses (): string[] {
    return this.libp2p.getMultiaddrs().map(ma => ma.toString())
  }

  async setPresence (update: PresenceUpdate): Promise<void> {
    await this.presence.setPresence(update)
  }

  /** Watches a presentity; one this node is not connected to is located through the DHT (and retried). */
  async watch (peer: PeerId | string, alias?: string): Promise<PresenceView> {
    const view = await this.presence.watch(peer, alias)
    this.libp2p.services.discovery.follow(view.peerId)
    return view
  }

  async unwatch (peer: PeerId | string): Promise<boolean> {
    const removed = await this.presence.unwatch(peer)
    if (removed) this.libp2p.services.discovery.unfollow(peer)
    return removed
  }

  /** Resolves a peer id to addresses (DHT) and connects to it. */
  async locate (peer: PeerId | string, options?: LocateOptions): Promise<LocateResult> {
    const discovery = this.libp2p.services.discovery
    // a contact that is not public left us a sealed locator record in the DHT
    if (this.contactsService.isContact(peer)) await this.contactsService.refreshLocator(peer, options?.signal).catch(() => 0)
    const found = await discovery.locate(peer, options)
    const foundPeer = peerIdFromString(found.peerId)
    if (await this.answers(foundPeer, options?.signal)) return found
    // the connection opened and died at once: a peer refusing us (blocking, say)
    // looks like one whose old address is dead, so go the same way from here
    await this.libp2p.hangUp(foundPeer).catch(() => {})
    return await discovery.locate(peer, { ...options, useCache: false })
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

  /** A presentity's presence from its DHT record, without subscribing. */
  async fetchPresence (peer: PeerId | string, options?: { signal?: AbortSignal }): Promise<FetchResult> {
    return await this.libp2p.services.dhtPresence.fetchPresence(peer, options)
  }

  who (): PresenceView[] {
    return this.presence.list()
  }

  /** Contacts, requests, blocks and visibility; its events: contact:request|accepted|declined|cancelled|delivered. */
  get contactsService (): ContactsService {
    return this.libp2p.services.contacts
  }

  contacts (): ContactInfo[] {
    return this.contactsService.contacts()
  }

  /** Pending contact requests both ways (not to be confused with chat's held messages, requests()). */
  contactRequests (): { incoming: PendingRequest[], outgoing: PendingRequest[] } {
    return this.contactsService.requests()
  }

  async requestContact (peer: PeerId | string, greeting?: string, alias?: string): Promise<PendingRequest> {
    return await this.contactsService.requestContact(peer, greeting, alias)
  }

  async accept (peerOrRequest: PeerId | string, alias?: string): Promise<Contact> {
    return await this.contactsService.accept(peerOrRequest, alias)
  }

  async deny (peerOrRequest: PeerId | string): Promise<void> {
    await this.contactsService.deny(peerOrRequest)
  }

  async cancel (peerOrRequest: PeerId | string): Promise<void> {
    await this.contactsService.cancel(peerOrRequest)
  }

  async block (peer: PeerId | string): Promise<void> {
    await this.contactsService.block(peer)
  }

  async unblock (peer: PeerId | string): Promise<void> {
    await this.contactsService.unblock(peer)
  }

  blocked (): Array<{ peerId: string, since: number }> {
    return this.contactsService.blocked()
  }

  isBlocked (peer: PeerId | string): boolean {
    return this.contactsService.isBlocked(peer)
  }

  async setVisibility (mode: Visibility, allow?: Array<PeerId | string>): Promise<void> {
    await this.contactsService.setVisibility(mode, allow)
  }

  visibility (): { mode: Visibility, allow: string[] } {
    return this.contactsService.visibility()
  }

  async setView (peer: PeerId | string, view: PresenceViewLevel): Promise<void> {
    await this.contactsService.setView(peer, view)
  }

  watchers (): Watchers {
    return this.contactsService.watchers()
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
      throw new UserError(`not a peer id or multiaddr: ${target}`)
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

  /** Says goodbye, stops libp2p, closes the datastore. Safe to call more than once. */
  async stop (): Promise<void> {
    this.stopping ??= this.stopOnce()
    await this.stopping
  }

  private async stopOnce (): Promise<void> {
    try {
      await this.control?.stop()
      await this.libp2p.stop()
    } finally {
      await this.datastore.close().catch(() => {})
      await releaseHome(this.home)
    }
  }
}
