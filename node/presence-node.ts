/**
 * The node API: everything the CLI (or an embedding app) does goes through a
 * PresenceNode, which owns the home directory, the datastore and libp2p, and
 * passes on what its services tell the user as its own events.
 */
import { backupOf } from './backup/home-backup.js'
import { bootstrapFromEnv, DEFAULT_LISTEN, definedOnly, loadConfig, mdnsFromEnv, visibilityFromEnv } from './config.js'
import { controlMethods } from './control/methods.js'
import { ControlServer } from './control/server.js'
import { openDatastore } from './datastore.js'
import { InvalidOptionError, NoPresenceError } from './errors.js'
import { ChatCommands } from './chat-commands.js'
import { claimHome, groupJournalPath, loadOrCreateIdentity, releaseHome, writeRuntime } from './home.js'
import { forwardServiceEvents } from './forward-events.js'
import { DuplicateInstanceError } from './instance/errors.js'
import { createPresenceLibp2p } from './libp2p.js'
import { checkListenAddresses } from './listen-check.js'
import { pidfDocument } from './pidf/index.js'
import { connections, connectTo, locatePeer } from './connect.js'
import { xmppServer } from './xmpp/index.js'
import { cryptoBackend } from '../protocol/sodium.js'
import type { BackupContents } from './backup/home-backup.js'
import type { ConnectionInfo, ContactInfo, DisplayName, PresenceNodeApi, PresenceNodeEvents, Watchers } from './api.js'
import type { ChatService } from './chat/index.js'
import type { ContactsService, PendingRequest } from './contacts/index.js'
import type { DevicesService } from './devices/index.js'
import type { LocateOptions, LocateResult } from './discovery/index.js'
import type { GroupsService } from './groups/index.js'
import type { DuplicateInstance } from './instance/index.js'
import type { PresenceLibp2p } from './libp2p.js'
import type { PresenceNodeOptions } from './node-options.js'
import type { Container, FetchResult, OwnCategory, PresenceService, PresenceView, PresenceViewLevel, SeenBy, SelfPresence } from './presence/index.js'
import type { CategoryAnswer } from './presence/query.js'
import type { CategoryRule, ContactContainer, Person, Roster, Visibility, VisibilitySetting } from './roster/index.js'
import type { XmppInfo, XmppServer } from './xmpp/index.js'
import type { Category, StateCategory } from '../protocol/categories.js'
import type { PresenceStatus, PresenceUpdate } from '../protocol/presence-record.js'
import type { Logger, PeerId, PrivateKey } from '@libp2p/interface'
import type { LevelDatastore } from 'datastore-level'

export type { PresenceNodeOptions } from './node-options.js'
export class PresenceNode extends ChatCommands implements PresenceNodeApi {
  private control?: ControlServer
  private xmpp?: XmppServer
  private stopping?: Promise<void>
  /** Why the node stopped itself (another live node with its key started first). */
  private haltReason?: Error
  /** Set once start() finished: a halt before that is start()'s error (stopping libp2p while it starts would hang). */
  private running = false
  private resolveHalted?: (reason: Error) => void
  private readonly haltedBy = new Promise<Error>(resolve => { this.resolveHalted = resolve })

  private constructor (
    readonly home: string,
    readonly libp2p: PresenceLibp2p,
    private readonly datastore: LevelDatastore,
    private readonly privateKey: PrivateKey
  ) {
    super()
    // no event object for nobody: presence events come with every record received
    forwardServiceEvents(libp2p, (name, detail) => { if (this.listenerCount(name) > 0) this.safeDispatchEvent(name, { detail }) })
    const guard = libp2p.services.instance
    guard.addEventListener('instance:duplicate', ({ detail }) => { this.halt(detail) })
  }

  /** Resolves, with the reason, once the node stopped by itself: another live node with its key started first (DuplicateInstanceError). */
  async halted (): Promise<Error> {
    return await this.haltedBy
  }

  private halt (d: DuplicateInstance): void {
    if (!d.yielded || this.haltReason != null) return
    const reason = this.haltReason = new DuplicateInstanceError(d.otherStartedAt, d.otherAddress, d.observer)
    if (!this.running) return
    void this.stop().catch(() => {}).finally(() => { this.resolveHalted?.(reason) })
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
      await checkListenAddresses(listen)
      datastore = await openDatastore(opts.home)
      const libp2p = await createPresenceLibp2p({
        privateKey,
        datastore,
        listen,
        bootstrap,
        presence: opts.presence,
        notify: opts.notify,
        chat: opts.chat,
        groups: { journal: groupJournalPath(opts.home), ...opts.groups },
        roster: { defaultVisibility: visibilityFromEnv(), ...opts.roster },
        contacts: opts.contacts,
        devices: opts.devices,
        sharedHost: opts.sharedHost,
        relay: opts.relay,
        relayLimits: opts.relayLimits,
        dhtClientMode: opts.dhtClientMode,
        mdns: opts.mdns ?? mdnsFromEnv() ?? (opts.sharedHost !== true),
        publishPresence: opts.publishPresence,
        connectionGater: opts.connectionGater,
        rejoin: opts.rejoin,
        maxConnections: opts.maxConnections,
        // started below, once every event of its services reaches this node's listeners
        start: false
      })
      node = new PresenceNode(opts.home, libp2p, datastore, privateKey)
      logCryptoBackend(libp2p.logger.forComponent('presence-mesh:crypto'))
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
      // it may have met its double while starting: the catch stops it
      if (node.haltReason != null) throw node.haltReason
      node.running = true
      return node
    } catch (err: any) {
      // a started node stops (and closes the datastore, releases the home) itself
      if (node != null) await node.stop().catch(() => {})
      else {
        await datastore?.close().catch(() => {})
        await releaseHome(opts.home)
      }
      // an address taken between the check and libp2p's listen (another node starting at once):
      // the check again names it, where libp2p's error is a paragraph about its own settings
      if (err?.name === 'UnsupportedListenAddressesError') await checkListenAddresses(listen)
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
  get devicesService (): DevicesService { return this.libp2p.services.devices }
  /** Requests of other clients (`presence-mesh <command> --home`) this node is answering now: a terminal of its own tells their changes from its own by it. */
  get remoteRequestsInFlight (): number { return this.control?.requestsInFlight ?? 0 }

  addresses (): string[] {
    return this.libp2p.getMultiaddrs().map(ma => ma.toString())
  }

  // ---- presence ----

  self (): SelfPresence {
    return this.presence.self
  }

  async setPresence (update: PresenceUpdate): Promise<void> {
    await this.presence.setPresence(update)
  }

  // enhanced presence: each a call into the service that owns it (docs/protocol.md §10)
  state (): StateCategory { return this.presence.state() }
  async setState (availability: PresenceStatus): Promise<void> { await this.presence.setState(availability) }
  reportActivity (at?: number, source?: string): void { this.presence.reportActivity(at, source) }
  async setAwayAfter (ms: number | null): Promise<void> { await this.presence.setAwayAfter(ms) }
  categories (): OwnCategory[] { return this.presence.categories() }
  async setCategory (category: Category): Promise<void> { await this.presence.setCategory(category) }
  async clearCategory (key: string): Promise<boolean> { return await this.presence.clearCategory(key) }
  async publishCategory (key: string, containers?: Container[]): Promise<void> { await this.presence.publishCategory(key, containers) }
  seenBy (peer: PeerId | string): SeenBy { return this.presence.seenBy(this.resolvePeer(peer)) }

  async setContainer (peer: PeerId | string, container: ContactContainer): Promise<void> {
    await this.roster.setContainer(this.resolvePeer(peer), container)
  }

  async setCategoryRule (peer: PeerId | string, category: string, rule: CategoryRule | 'default'): Promise<void> {
    await this.roster.setCategoryRule(this.resolvePeer(peer), category, rule)
  }

  /** One category of a presentity, asked of it directly (a contact is located first if need be). */
  async queryCategory (peer: PeerId | string, category: string, options: { signal?: AbortSignal } = {}): Promise<CategoryAnswer> {
    const id = this.resolvePeer(peer)
    const query = this.libp2p.services.presenceQuery
    try {
      return await query.query(id, category, options)
    } catch (err: any) {
      if (err?.name !== 'PeerUnreachableError' || !this.roster.isContact(id)) throw err
      // no known address works: a contact's locator record may know a newer one
      await this.locate(id, options).catch(() => {})
      return await query.query(id, category, options)
    }
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

  people (): Person[] {
    return this.roster.people()
  }

  displayName (peer: PeerId | string): DisplayName | undefined {
    const id = this.resolvePeer(peer)
    const alias = this.roster.alias(id)
    if (alias != null) return { name: alias, verified: true }
    const card = this.presence.get(id)?.displayName
    return card != null && card !== '' ? { name: card, verified: false } : undefined
  }

  async setAlias (peer: PeerId | string, alias: string | undefined): Promise<Person> {
    return await this.roster.setAlias(this.resolvePeer(peer), alias)
  }

  async setMuted (peer: PeerId | string, muted: boolean): Promise<void> {
    await this.roster.setMuted(this.resolvePeer(peer), muted)
  }

  contacts (): ContactInfo[] {
    return this.roster.contacts().map(contactInfo)
  }

  contactRequests (): { incoming: PendingRequest[], outgoing: PendingRequest[] } {
    return this.contactsService.requests()
  }

  async requestContact (peerOrCode: PeerId | string, greeting?: string, alias?: string): Promise<PendingRequest> {
    return await this.contactsService.requestContact(peerOrCode, greeting, alias)
  }

  contactCode (): string {
    return this.libp2p.services.reach.contactCode()
  }

  async rotateContactCode (options: { dropPending?: boolean } = {}): Promise<string> {
    const { reach } = this.libp2p.services
    const old = reach.codeId()
    const code = await reach.rotateContactCode()
    if (options.dropPending === true) await this.contactsService.dropRequestsVia(old)
    return code
  }

  async accept (peerOrRequest: PeerId | string, alias?: string): Promise<ContactInfo> {
    const key = peerOrRequest.toString()
    const peer = this.contactRequests().incoming.find(r => r.peerId === key || r.requestId === key)?.peerId ?? key
    await this.contactsService.accept(peerOrRequest, alias)
    return contactInfo(this.roster.get(peer) ?? { id: peer, devices: [peer], watched: false, contact: { since: Date.now(), view: 'full' } })
  }

  /** Declines a request; whatever the requester sent meanwhile (held messages) goes with it. */
  async deny (peerOrRequest: PeerId | string): Promise<void> {
    const key = peerOrRequest.toString()
    const peer = this.contactRequests().incoming.find(r => r.peerId === key || r.requestId === key)?.peerId ?? key
    await this.contactsService.deny(peerOrRequest)
    await this.chat.discardRequests(peer)
  }

  async cancel (peerOrRequest: PeerId | string): Promise<void> {
    await this.contactsService.cancel(peerOrRequest)
  }

  async removeContact (peer: PeerId | string): Promise<void> {
    await this.contactsService.remove(this.resolvePeer(peer))
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

  /** Resolves a peer id to addresses (the peer store, a contact's locator record, the DHT) and connects to it. */
  async locate (peer: PeerId | string, options?: LocateOptions): Promise<LocateResult> {
    return await locatePeer(this.libp2p, peer, options)
  }

  /**
   * Opens a connection to a peer id or multiaddr. Any failure (offline, no
   * address known, refused, timed out, blocked) is the same PeerUnreachableError.
   */
  async connect (target: string, timeoutMs = 10_000): Promise<void> {
    await connectTo(this.libp2p, target, timeoutMs)
  }

  connections (): ConnectionInfo[] {
    return connections(this.libp2p)
  }

  async backup (): Promise<BackupContents> {
    return await backupOf(this.privateKey, this.roster.people(), this.roster.visibility(), this.datastore)
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

/** Which Ed25519 and XChaCha20-Poly1305 this process runs, and why not libsodium (DEBUG=presence-mesh:crypto; docs/operations.md). */
function logCryptoBackend (log: Logger): void {
  const { name, loadError } = cryptoBackend()
  if (loadError == null) log('crypto: %s', name)
  else log('crypto: %s (sodium-native did not load: %s)', name, loadError.message)
}

function contactInfo (p: Person): ContactInfo {
  return {
    peerId: p.id,
    alias: p.alias,
    view: p.contact?.view ?? 'full',
    container: p.contact?.container ?? 'contacts',
    allow: [...(p.contact?.allow ?? [])],
    deny: [...(p.contact?.deny ?? [])],
    since: p.contact?.since ?? 0,
    blocked: p.blockedSince != null
  }
}
