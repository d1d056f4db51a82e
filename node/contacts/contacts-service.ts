/**
 * The contacts service: consent (request, accept, deny, cancel over a direct
 * stream, retried until the recipient confirms receipt), the block list,
 * visibility modes and per-contact views. It is also the presence service's
 * audience policy: contacts get sealed records on their pair topic, the
 * public topic only in public mode, blocked peers nothing.
 */
import { serviceDependencies, TypedEventEmitter } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { lpStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { fromString as uint8ArrayFromString } from 'uint8arrays/from-string'
import { toString as uint8ArrayToString } from 'uint8arrays/to-string'
import { ContactReceipt } from '../../protocol/pb/contact.js'
import {
  checkGreeting, kindToPb, MAX_CONTACT_AGE_MS, MAX_CONTACT_ENVELOPE_BYTES, messageKey,
  newRequestId, openContactMessage, requestIdHex, sealContactMessage
} from '../../protocol/contact-request.js'
import { derivePairKeys, pairSharedSecret } from '../../protocol/pair-keys.js'
import { openPresenceFromPair, sealPresenceForPair } from '../../protocol/sealed-box.js'
import { UserError } from '../errors.js'
import { publicAudience, publicChannel } from '../presence/audience.js'
import {
  CONTACT_PROTOCOL, LOCATOR_DEBOUNCE_MS, LOCATOR_GOODBYE_TIMEOUT_MS, LOCATOR_TIMEOUT_MS, LOCATOR_TTL_MS, MAX_HISTORY, MAX_SEEN, MAX_INBOUND_STREAMS, MAX_OUTBOUND_STREAMS, MAX_PARALLEL_DELIVERIES, MAX_PENDING_INCOMING,
  RETRY_BASE_MS, RETRY_CAP_MS, STREAM_TIMEOUT_MS
} from './constants.js'
import { ContactsStore, VISIBILITIES } from './contacts-store.js'
import { LocatorPublisher } from '../locator/locator.js'
import { peerIdString } from '../peer-ids.js'
import type { BlockList } from '../roster/block-list.js'
import type { LocatorDht, LocatorDhtRules } from '../locator/locator.js'
import type { Contact, ContactsState, HistoryEntry, OutboxEntry, PendingRequest, Visibility } from './contacts-store.js'
import type { ContactMessage, ContactMessageKind } from '../../protocol/contact-request.js'
import type { PairKeys } from '../../protocol/pair-keys.js'
import type { Audience, AudiencePolicy, PresenceViewLevel, WatchChannel } from '../presence/audience.js'
import type { PresenceService } from '../presence/presence-service.js'
import type { PubSub } from '../pubsub.js'
import type {
  AbortOptions, ComponentLogger, Connection, Logger, PeerId, PrivateKey, Startable, Stream, StreamHandler, StreamHandlerOptions,
  TypedEventTarget, Libp2pEvents
} from '@libp2p/interface'
import type { Datastore } from 'interface-datastore'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { ConnectionManager, Registrar } from '@libp2p/interface-internal'

export interface ContactsServiceInit {
  /** Visibility until the user sets one (it is then persisted). Default 'contacts'. */
  defaultVisibility?: Visibility
  /** The block list the connection gater uses; the factory passes it. */
  blockList?: BlockList
  /** kad-dht rules of locator records; the factory passes them when the node runs a DHT. */
  locatorRules?: LocatorDhtRules
  /** Lifetime of locator records; they are republished at a third of it. */
  locatorTtlMs?: number
  /** Serve the DHT while public (default true; false when the user asked for DHT client mode). */
  dhtServerWhenPublic?: boolean
  streamTimeoutMs?: number
  retryBaseMs?: number
  retryCapMs?: number
  maxInboundStreams?: number
  maxOutboundStreams?: number
}

export interface ContactsServiceComponents {
  peerId: PeerId
  privateKey: PrivateKey
  datastore: Datastore
  logger: ComponentLogger
  registrar: Registrar
  connectionManager: ConnectionManager
  events: TypedEventTarget<Libp2pEvents>
  pubsub: PubSub
  presence: PresenceService
  addressManager: { getAddresses: () => Multiaddr[] }
  peerStore: { merge: (peerId: PeerId, data: { multiaddrs: Multiaddr[] }) => Promise<unknown> }
  /** kad-dht, when the node runs one (resolved at run time). */
  dht?: LocatorDht & { getMode?: () => 'client' | 'server', setMode?: (mode: 'client' | 'server') => Promise<void>, routingTable?: { size: number } }
}

export interface ContactRequestEvent { peerId: string, requestId: string, greeting?: string }
export interface ContactAnswerEvent { peerId: string, requestId: string }

export interface ContactsEvents {
  /** Someone asks to become a contact. */
  'contact:request': CustomEvent<ContactRequestEvent>
  /** Our request was accepted (or crossed theirs): we are contacts now. */
  'contact:accepted': CustomEvent<ContactAnswerEvent>
  /** Our request was declined. */
  'contact:declined': CustomEvent<ContactAnswerEvent>
  /** A requester withdrew its pending request. */
  'contact:cancelled': CustomEvent<ContactAnswerEvent>
  /** A message of ours reached its recipient. */
  'contact:delivered': CustomEvent<ContactAnswerEvent & { kind: ContactMessageKind }>
  /** A delivery attempt failed (the recipient is unreachable); it is retried later. */
  'contact:retry': CustomEvent<ContactAnswerEvent & { kind: ContactMessageKind, attempts: number, nextAt: number }>
}

export interface ContactInfo extends Contact {
  blocked: boolean
}

export interface Watchers {
  /** Everyone who asked (and whom we asked), newest first, with the outcome. */
  asked: HistoryEntry[]
  /** Contacts subscribed to our pair topic right now, as far as our direct neighbours show. */
  watching: string[]
}

/** Multicodec of the /p2p/ component. */
const P2P_CODE = 421
const b64 = (b: Uint8Array): string => uint8ArrayToString(b, 'base64')
const unb64 = (s: string): Uint8Array => uint8ArrayFromString(s, 'base64')

export class ContactsService extends TypedEventEmitter<ContactsEvents> implements Startable, AudiencePolicy {
  readonly [Symbol.toStringTag] = 'presence-mesh:contacts'
  readonly [serviceDependencies] = ['@libp2p/pubsub']
  readonly protocol = CONTACT_PROTOCOL

  private readonly components: ContactsServiceComponents
  private readonly log: Logger
  private readonly store: ContactsStore
  private readonly init: Required<Omit<ContactsServiceInit, 'blockList' | 'locatorRules'>>
  private readonly locatorRules?: LocatorDhtRules
  private readonly locators: LocatorPublisher
  private locatorTimer?: ReturnType<typeof setInterval>
  private locatorDebounce?: ReturnType<typeof setTimeout>
  private locatorRun?: Promise<unknown>
  private locatorAgain = false
  private blockList?: BlockList
  private state!: ContactsState
  private outbox: OutboxEntry[] = []
  private readonly pairKeys = new Map<string, PairKeys>()
  private readonly inFlight = new Set<string>()
  private retryTimer?: ReturnType<typeof setTimeout>
  private started = false

  constructor (components: ContactsServiceComponents, init: ContactsServiceInit = {}) {
    super()
    this.components = components
    this.log = components.logger.forComponent('presence-mesh:contacts')
    this.store = new ContactsStore(components.datastore)
    this.blockList = init.blockList
    this.init = {
      defaultVisibility: init.defaultVisibility ?? 'contacts',
      streamTimeoutMs: init.streamTimeoutMs ?? STREAM_TIMEOUT_MS,
      retryBaseMs: init.retryBaseMs ?? RETRY_BASE_MS,
      retryCapMs: init.retryCapMs ?? RETRY_CAP_MS,
      maxInboundStreams: init.maxInboundStreams ?? MAX_INBOUND_STREAMS,
      maxOutboundStreams: init.maxOutboundStreams ?? MAX_OUTBOUND_STREAMS,
      locatorTtlMs: init.locatorTtlMs ?? LOCATOR_TTL_MS,
      dhtServerWhenPublic: init.dhtServerWhenPublic ?? true
    }
    this.locatorRules = init.locatorRules
    this.locators = new LocatorPublisher({
      self: components.peerId,
      privateKey: components.privateKey,
      dht: () => this.dht(),
      addresses: () => this.components.addressManager.getAddresses().map(ma => ma.decapsulateCode(P2P_CODE).bytes),
      keysFor: peer => this.keysFor(peer),
      log: this.log,
      ttlMs: this.init.locatorTtlMs,
      timeoutMs: LOCATOR_TIMEOUT_MS
    })
    this.onSelfUpdate = this.onSelfUpdate.bind(this)
    this.handleStream = this.handleStream.bind(this)
    this.onPeerConnect = this.onPeerConnect.bind(this)
    this.isBlocked = this.isBlocked.bind(this)
  }

  isStarted (): boolean { return this.started }

  async start (): Promise<void> {
    this.blockList ??= await (await import('../roster/block-list.js')).BlockList.load(this.components.datastore)
    this.state = await this.store.loadState(this.init.defaultVisibility)
    this.outbox = await this.store.loadOutbox()
    this.pruneExpired(Date.now())
    await this.components.registrar.handle(this.protocol, this.handleStream, {
      maxInboundStreams: this.init.maxInboundStreams,
      maxOutboundStreams: this.init.maxOutboundStreams
    })
    // the presence service reads audiences and channels from us from its afterStart on
    this.components.presence.setPolicy(this)
    this.started = true
  }

  async afterStart (): Promise<void> {
    for (const c of Object.values(this.state.contacts)) {
      if (!this.isBlocked(c.peerId)) await this.components.presence.watch(c.peerId, c.alias)
    }
    this.components.events.addEventListener('peer:connect', this.onPeerConnect)
    this.scheduleRetry()
    const dht = this.dht()
    if (dht != null) {
      await this.applyDhtMode()
      this.components.events.addEventListener('self:peer:update', this.onSelfUpdate)
      this.locatorTimer = setInterval(() => { this.scheduleLocators() }, Math.floor(this.init.locatorTtlMs / 3))
      this.locatorTimer.unref?.()
      this.scheduleLocators()
    }
  }

  /**
   * A clean stop leaves each contact an empty locator (no addresses), which
   * is also exactly what a blocked contact is left with.
   */
  async beforeStop (): Promise<void> {
    clearInterval(this.locatorTimer)
    clearTimeout(this.locatorDebounce)
    this.components.events.removeEventListener('self:peer:update', this.onSelfUpdate)
    // nobody to store it with (no DHT server known): nothing to retire either
    if (!this.locators.available() || (this.dht()?.routingTable?.size ?? 0) === 0) return
    await Promise.race([
      this.locators.publish(this.locatorAudience(), true),
      new Promise(resolve => setTimeout(resolve, LOCATOR_GOODBYE_TIMEOUT_MS).unref?.())
    ])
  }

  async stop (): Promise<void> {
    clearTimeout(this.retryTimer)
    this.retryTimer = undefined
    clearInterval(this.locatorTimer)
    clearTimeout(this.locatorDebounce)
    this.components.events.removeEventListener('peer:connect', this.onPeerConnect)
    await this.components.registrar.unhandle(this.protocol)
    this.started = false
  }

  // ---- the API ----

  /** Accepted contacts, including blocked ones (flagged). */
  contacts (): ContactInfo[] {
    return Object.values(this.state.contacts).map(c => ({ ...c, blocked: this.isBlocked(c.peerId) }))
  }

  requests (): { incoming: PendingRequest[], outgoing: PendingRequest[] } {
    return { incoming: Object.values(this.state.incoming).map(r => ({ ...r })), outgoing: Object.values(this.state.outgoing).map(r => ({ ...r })) }
  }

  /** Asks `peer` to become a contact. Stored and retried until delivered; answers arrive as events. */
  async requestContact (peer: PeerId | string, greeting?: string, alias?: string): Promise<PendingRequest> {
    const peerId = this.parsePeer(peer)
    if (this.isBlocked(peerId)) throw new UserError(`${peerId} is blocked; unblock it first`)
    if (this.state.contacts[peerId] != null) throw new UserError(`${peerId} is already a contact`)
    try {
      checkGreeting(greeting)
    } catch (err: any) {
      throw new UserError(err.message)
    }
    // they asked first: asking back is accepting
    const theirs = this.state.incoming[peerId]
    if (theirs != null) {
      await this.accept(peerId, alias)
      return { ...theirs }
    }
    const existing = this.state.outgoing[peerId]
    if (existing != null) return { ...existing }
    const id = newRequestId()
    const now = Date.now()
    const req: PendingRequest = { requestId: requestIdHex(id), peerId, greeting, sentAt: now, at: now, delivered: false, alias }
    this.state.outgoing[peerId] = req
    this.record({ requestId: req.requestId, peerId, direction: 'outgoing', outcome: 'pending', greeting, at: now })
    await this.send(peerId, 'request', id, greeting)
    return { ...req }
  }

  /** Accepts a pending request, by the requester's peer id or the request id. */
  async accept (peerOrRequest: PeerId | string, alias?: string): Promise<Contact> {
    const req = this.findIncoming(peerOrRequest)
    delete this.state.incoming[req.peerId]
    const contact = this.addContact(req.peerId, alias)
    this.record({ requestId: req.requestId, peerId: req.peerId, direction: 'incoming', outcome: 'accepted', greeting: req.greeting, at: Date.now() })
    await this.send(req.peerId, 'accept', unhex(req.requestId))
    await this.contactAdded(contact)
    return { ...contact }
  }

  /** Declines a pending request; the requester learns it was declined. */
  async deny (peerOrRequest: PeerId | string): Promise<void> {
    const req = this.findIncoming(peerOrRequest)
    delete this.state.incoming[req.peerId]
    this.record({ requestId: req.requestId, peerId: req.peerId, direction: 'incoming', outcome: 'denied', greeting: req.greeting, at: Date.now() })
    await this.send(req.peerId, 'deny', unhex(req.requestId))
  }

  /** Withdraws our pending request. */
  async cancel (peerOrRequest: PeerId | string): Promise<void> {
    const key = peerOrRequest.toString()
    const req = Object.values(this.state.outgoing).find(r => r.requestId === key || r.peerId === key)
    if (req == null) throw new UserError(`no pending request to ${key}`)
    delete this.state.outgoing[req.peerId]
    // an undelivered request needs no cancel on the wire: just never send it
    const undelivered = this.dropOutbox(e => e.to === req.peerId && e.kind === 'request' && e.requestId === req.requestId) > 0
    this.record({ requestId: req.requestId, peerId: req.peerId, direction: 'outgoing', outcome: 'cancelled', greeting: req.greeting, at: Date.now() })
    if (undelivered) await this.saveAll()
    else await this.send(req.peerId, 'cancel', unhex(req.requestId))
  }

  async setView (peer: PeerId | string, view: PresenceViewLevel): Promise<void> {
    if (view !== 'full' && view !== 'status') throw new UserError('view must be full or status')
    const c = this.state.contacts[this.parsePeer(peer)]
    if (c == null) throw new UserError(`${peer.toString()} is not a contact`)
    c.view = view
    await this.saveAll()
    await this.components.presence.applyPolicy()
  }

  visibility (): { mode: Visibility, allow: string[] } {
    return { mode: this.state.visibility, allow: [...this.state.allow] }
  }

  /** Switches visibility at once; whoever loses sight of us gets an OFFLINE record first. */
  async setVisibility (mode: Visibility, allow?: Array<PeerId | string>): Promise<void> {
    if (!(VISIBILITIES as readonly string[]).includes(mode)) throw new UserError(`visibility must be one of ${VISIBILITIES.join(', ')}`)
    const allowIds = allow?.map(p => this.parsePeer(p))
    const before = this.audiences()
    this.state.visibility = mode
    if (allowIds != null) this.state.allow = allowIds
    await this.saveAll()
    const goodbye = lost(before, this.audiences())
    await this.components.presence.applyPolicy({ goodbye })
    await this.applyDhtMode()
    this.retireLocators(goodbye.map(a => a.id))
    this.scheduleLocators()
  }

  /**
   * Blocks a peer: it gets one OFFLINE record (what a clean stop looks like),
   * then nothing: no audience, no subscription, connections closed and
   * refused, requests dropped silently. Its contact entry is kept for unblock.
   */
  async block (peer: PeerId | string): Promise<void> {
    const peerId = this.parsePeer(peer)
    if (peerId === this.components.peerId.toString()) throw new UserError('a node does not block itself')
    const before = this.audiences()
    if (!await this.blocks().add(peerId)) return
    const now = Date.now()
    const inc = this.state.incoming[peerId]
    if (inc != null) this.record({ requestId: inc.requestId, peerId, direction: 'incoming', outcome: 'dropped', greeting: inc.greeting, at: now })
    const out = this.state.outgoing[peerId]
    if (out != null) this.record({ requestId: out.requestId, peerId, direction: 'outgoing', outcome: 'dropped', greeting: out.greeting, at: now })
    delete this.state.incoming[peerId]
    delete this.state.outgoing[peerId]
    this.dropOutbox(e => e.to === peerId)
    await this.saveAll()
    const goodbye = lost(before, this.audiences())
    await this.components.presence.applyPolicy({ goodbye })
    this.retireLocators(goodbye.map(a => a.id))
    await this.components.connectionManager.closeConnections(peerIdFromString(peerId)).catch((err: unknown) => {
      this.log.error('could not close connections to %s - %e', peerId, err)
    })
  }

  /** Lifts a block: a contact gets presence (and chat) back at once. */
  async unblock (peer: PeerId | string): Promise<void> {
    const peerId = this.parsePeer(peer)
    if (!await this.blocks().remove(peerId)) return
    const c = this.state.contacts[peerId]
    if (c != null) {
      await this.components.presence.watch(peerId, c.alias)
      await this.components.presence.applyPolicy()
      this.scheduleLocators()
      // best effort: a direct link speeds up the first record
      this.components.connectionManager.openConnection(peerIdFromString(peerId), { signal: AbortSignal.timeout(this.init.streamTimeoutMs) })
        .catch(() => {})
    }
  }

  blocked (): Array<{ peerId: string, since: number }> {
    return this.blocks().list()
  }

  /** An accepted, unblocked contact. */
  isContact (peer: PeerId | string): boolean {
    const id = peer.toString()
    return this.state.contacts[id] != null && !this.isBlocked(id)
  }

  /** The one block check for gossip, chat and DHT code. */
  isBlocked (peer: PeerId | string): boolean {
    return this.blockList?.has(peer) ?? false
  }

  watchers (): Watchers {
    const watching = Object.values(this.state.contacts)
      .filter(c => !this.isBlocked(c.peerId) && this.components.pubsub.getSubscribers(this.keysFor(c.peerId).topic).some(p => p.toString() === c.peerId))
      .map(c => c.peerId)
    return { asked: [...this.state.history].reverse(), watching }
  }

  /** The pair keys this node shares with `peer` (for the locator and for tests). */
  keysFor (peer: string): PairKeys {
    let keys = this.pairKeys.get(peer)
    if (keys == null) {
      const them = peerIdFromString(peer)
      if (them.publicKey?.type !== 'Ed25519') throw new UserError(`${peer} has no Ed25519 key; it cannot be a contact`)
      const shared = pairSharedSecret(this.components.privateKey.raw.subarray(0, 32), them.publicKey.raw)
      keys = derivePairKeys(shared, this.components.peerId.toMultihash().bytes, them.toMultihash().bytes)
      this.pairKeys.set(peer, keys)
    }
    return keys
  }

  // ---- the audience policy ----

  audiences (): Audience[] {
    const out: Audience[] = []
    if (this.state.visibility === 'public') out.push(publicAudience(this.components.peerId))
    for (const c of Object.values(this.state.contacts)) {
      if (!this.sees(c.peerId)) continue
      const keys = this.keysFor(c.peerId)
      out.push({ id: c.peerId, topic: keys.topic, view: c.view, wrap: env => sealPresenceForPair(keys.presence, keys.topic, env) })
    }
    return out
  }

  channelFor (peerId: string): WatchChannel | null {
    if (this.isBlocked(peerId)) return null
    if (this.state.contacts[peerId] == null) return publicChannel(peerId)
    // listening on a pair topic shows the contact's neighbours we are up
    if (!this.sees(peerId)) return null
    const keys = this.keysFor(peerId)
    return { topic: keys.topic, unwrap: data => openPresenceFromPair(keys.presence, keys.topic, data) }
  }

  private sees (peerId: string): boolean {
    if (this.isBlocked(peerId) || this.state.contacts[peerId] == null) return false
    return this.state.visibility !== 'invisible' || this.state.allow.includes(peerId)
  }

  // ---- receiving ----

  private async handleStream (stream: Stream, connection: Connection): Promise<void> {
    const signal = AbortSignal.timeout(this.init.streamTimeoutMs)
    if (this.isBlocked(connection.remotePeer)) {
      stream.abort(new Error('unreachable'))
      return
    }
    try {
      const lp = lpStream(stream, { maxDataLength: MAX_CONTACT_ENVELOPE_BYTES })
      const bytes = (await lp.read({ signal })).subarray()
      const res = await openContactMessage(bytes, { now: Date.now(), me: this.components.peerId, seen: { has: k => this.state.seen[k] != null } })
      let receipt: ContactReceipt
      if (res.ok) {
        if (this.isBlocked(res.message.from)) {
          stream.abort(new Error('unreachable'))
          return
        }
        await this.receive(res.message)
        receipt = { requestId: Uint8Array.from(res.message.requestId), kind: kindToPb(res.message.kind), accepted: true }
      } else {
        this.log('refused a contact message from %p: %s %s', connection.remotePeer, res.reason, res.detail ?? '')
        // a duplicate was stored before: confirm it so the sender stops retrying
        receipt = { requestId: new Uint8Array(0), kind: kindToPb('request'), accepted: res.reason === 'duplicate' }
      }
      await lp.write(ContactReceipt.encode(receipt), { signal })
      await stream.close({ signal })
    } catch (err: any) {
      this.log('contact stream from %p failed - %e', connection.remotePeer, err)
      stream.abort(err)
    }
  }

  private async receive (m: ContactMessage): Promise<void> {
    const peerId = m.from.toString()
    const id = requestIdHex(m.requestId)
    const now = Date.now()
    this.remember(messageKey(m.kind, m.requestId), now)
    if (m.kind === 'request') {
      if (this.state.contacts[peerId] != null) {
        // they lost their copy of the contact: confirm it again
        await this.send(peerId, 'accept', m.requestId)
        return
      }
      const ours = this.state.outgoing[peerId]
      if (ours != null) {
        // both asked: that is consent on both sides
        delete this.state.outgoing[peerId]
        this.dropOutbox(e => e.to === peerId && e.kind === 'request')
        const contact = this.addContact(peerId, ours.alias)
        this.record({ requestId: ours.requestId, peerId, direction: 'outgoing', outcome: 'accepted', at: now })
        this.record({ requestId: id, peerId, direction: 'incoming', outcome: 'accepted', greeting: m.greeting, at: now })
        await this.send(peerId, 'accept', m.requestId)
        await this.contactAdded(contact)
        this.safeDispatchEvent('contact:accepted', { detail: { peerId, requestId: ours.requestId } })
        return
      }
      if (this.state.incoming[peerId] == null && Object.keys(this.state.incoming).length >= MAX_PENDING_INCOMING) {
        this.log('dropping a contact request from %s: too many pending', peerId)
        await this.saveAll()
        return
      }
      this.state.incoming[peerId] = { requestId: id, peerId, greeting: m.greeting, sentAt: m.sentAt, at: now }
      this.record({ requestId: id, peerId, direction: 'incoming', outcome: 'pending', greeting: m.greeting, at: now })
      await this.saveAll()
      this.safeDispatchEvent('contact:request', { detail: { peerId, requestId: id, greeting: m.greeting } })
      return
    }
    if (m.kind === 'cancel') {
      const inc = this.state.incoming[peerId]
      if (inc?.requestId === id) {
        delete this.state.incoming[peerId]
        this.record({ requestId: id, peerId, direction: 'incoming', outcome: 'cancelled', greeting: inc.greeting, at: now })
        this.safeDispatchEvent('contact:cancelled', { detail: { peerId, requestId: id } })
      }
      await this.saveAll()
      return
    }
    const ours = this.state.outgoing[peerId]
    if (ours?.requestId !== id) {
      // an answer to nothing we asked: consent cannot be given unasked
      await this.saveAll()
      return
    }
    delete this.state.outgoing[peerId]
    this.dropOutbox(e => e.to === peerId && e.requestId === id)
    if (m.kind === 'accept') {
      const contact = this.addContact(peerId, ours.alias)
      this.record({ requestId: id, peerId, direction: 'outgoing', outcome: 'accepted', greeting: ours.greeting, at: now })
      await this.contactAdded(contact)
      this.safeDispatchEvent('contact:accepted', { detail: { peerId, requestId: id } })
    } else {
      this.record({ requestId: id, peerId, direction: 'outgoing', outcome: 'declined', greeting: ours.greeting, at: now })
      await this.saveAll()
      this.safeDispatchEvent('contact:declined', { detail: { peerId, requestId: id } })
    }
  }

  // ---- sending: the outbox ----

  private async send (to: string, kind: ContactMessageKind, requestId: Uint8Array, greeting?: string): Promise<void> {
    const now = Date.now()
    const envelope = await sealContactMessage({ kind, requestId, from: this.components.peerId, to: peerIdFromString(to), greeting, sentAt: now }, this.components.privateKey)
    this.outbox.push({ to, kind, requestId: requestIdHex(requestId), envelope: b64(envelope), createdAt: now, attempts: 0, nextAt: now })
    await this.saveAll()
    this.deliverTo(to)
  }

  private onPeerConnect (evt: CustomEvent<PeerId>): void {
    const peer = evt.detail.toString()
    if (this.outbox.some(e => e.to === peer)) this.deliverTo(peer)
  }

  /** Tries every message queued for `to`, one stream each, unless a try is already running. */
  private deliverTo (to: string): void {
    if (!this.started || this.inFlight.has(to) || this.isBlocked(to)) return
    if (this.inFlight.size >= MAX_PARALLEL_DELIVERIES) { this.scheduleRetry(); return }
    this.inFlight.add(to)
    void (async () => {
      try {
        for (const entry of this.outbox.filter(e => e.to === to)) {
          if (!this.started || !this.outbox.includes(entry)) continue
          const ok = await this.deliver(entry)
          if (ok) {
            this.dropOutbox(e => e === entry)
            const out = this.state.outgoing[to]
            if (entry.kind === 'request' && out?.requestId === entry.requestId) out.delivered = true
            await this.saveAll()
            this.safeDispatchEvent('contact:delivered', { detail: { peerId: to, requestId: entry.requestId, kind: entry.kind } })
          } else {
            entry.attempts++
            entry.nextAt = Date.now() + Math.min(this.init.retryCapMs, this.init.retryBaseMs * 2 ** Math.min(entry.attempts - 1, 20))
            await this.store.saveOutbox(this.outbox)
            this.safeDispatchEvent('contact:retry', { detail: { peerId: to, requestId: entry.requestId, kind: entry.kind, attempts: entry.attempts, nextAt: entry.nextAt } })
            break // the peer is unreachable: the rest waits for the next try
          }
        }
      } catch (err) {
        this.log.error('delivery to %s failed - %e', to, err)
      } finally {
        this.inFlight.delete(to)
        this.scheduleRetry()
      }
    })()
  }

  /** One attempt: true once the recipient confirmed receipt (or refused the message for good). */
  private async deliver (entry: OutboxEntry): Promise<boolean> {
    const signal = AbortSignal.timeout(this.init.streamTimeoutMs)
    let stream: Stream | undefined
    try {
      stream = await this.components.connectionManager.openStream(peerIdFromString(entry.to), this.protocol, { signal })
      const open = stream
      const lp = lpStream(stream, { maxDataLength: 256 })
      await lp.write(unb64(entry.envelope), { signal })
      const receipt = ContactReceipt.decode((await lp.read({ signal })).subarray())
      await open.close({ signal }).catch(() => {})
      if (!receipt.accepted) this.log('%s refused our %s message for good', entry.to, entry.kind)
      return true
    } catch (err: any) {
      this.log('could not deliver %s to %s (attempt %d) - %s', entry.kind, entry.to, entry.attempts + 1, err?.message)
      stream?.abort(err)
      return false
    }
  }

  private scheduleRetry (): void {
    clearTimeout(this.retryTimer)
    this.retryTimer = undefined
    if (!this.started) return
    const waiting = this.outbox.filter(e => !this.inFlight.has(e.to) && !this.isBlocked(e.to))
    if (waiting.length === 0) return
    const next = Math.min(...waiting.map(e => e.nextAt))
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined
      const now = Date.now()
      this.pruneExpired(now)
      for (const to of new Set(this.outbox.filter(e => e.nextAt <= now).map(e => e.to))) this.deliverTo(to)
      this.scheduleRetry()
    }, Math.max(0, next - Date.now()))
    this.retryTimer.unref?.()
  }

  // ---- helpers ----

  private blocks (): BlockList {
    if (this.blockList == null) throw new Error('contacts service not started')
    return this.blockList
  }

  private parsePeer (peer: PeerId | string): string {
    const id = peerIdString(peer)
    if (id === this.components.peerId.toString()) throw new UserError('that is this node\'s own peer id')
    return id
  }

  private findIncoming (peerOrRequest: PeerId | string): PendingRequest {
    const key = peerOrRequest.toString()
    const req = Object.values(this.state.incoming).find(r => r.requestId === key || r.peerId === key)
    if (req == null) throw new UserError(`no pending request from ${key}`)
    return req
  }

  private addContact (peerId: string, alias?: string): Contact {
    const c: Contact = this.state.contacts[peerId] ?? { peerId, alias, view: 'full', since: Date.now() }
    if (alias != null) c.alias = alias
    this.state.contacts[peerId] = c
    return c
  }

  private async contactAdded (c: Contact): Promise<void> {
    await this.saveAll()
    await this.components.presence.watch(c.peerId, c.alias)
    await this.components.presence.applyPolicy()
    this.scheduleLocators()
  }

  // ---- locating ----

  /**
   * Looks up the locator record a contact left for us and adds its addresses
   * to the peer store, so the next dial finds it. Returns how many addresses
   * it found (0: none, or no DHT). Strangers and blocked peers have nothing to look up.
   */
  async refreshLocator (peer: PeerId | string, signal?: AbortSignal): Promise<number> {
    const peerId = this.parsePeer(peer)
    if (!this.sees(peerId)) return 0
    const addrs = await this.locators.lookup(peerId, signal)
    if (addrs.length === 0) return 0
    const multiaddrs = addrs.flatMap(a => { try { return [multiaddr(a)] } catch { return [] } })
    await this.components.peerStore.merge(peerIdFromString(peerId), { multiaddrs })
    return multiaddrs.length
  }

  /** Contacts that may locate us now. */
  private locatorAudience (): string[] {
    return Object.keys(this.state.contacts).filter(p => this.sees(p))
  }

  private dht (): ContactsServiceComponents['dht'] {
    try {
      return this.components.dht
    } catch {
      return undefined
    }
  }

  /**
   * Outside public mode the node answers no DHT queries, so no DHT routing
   * table holds its addresses (the factory starts the DHT in the right mode).
   */
  private async applyDhtMode (): Promise<void> {
    const dht = this.dht()
    if (dht?.setMode == null || dht.getMode == null) return
    const want = this.state.visibility === 'public' && this.init.dhtServerWhenPublic ? 'server' : 'client'
    if (dht.getMode() !== want) await dht.setMode(want).catch((err: unknown) => { this.log.error('could not switch the DHT to %s mode - %e', want, err) })
  }

  private onSelfUpdate (): void {
    this.scheduleLocators()
  }

  /** Republishes every contact's locator soon (debounced): addresses changed, a contact came or went. */
  private scheduleLocators (): void {
    if (!this.started || !this.locators.available()) return
    this.locatorRules?.setKeyring(this.locators.keyring(Object.keys(this.state.contacts).filter(p => !this.isBlocked(p))))
    clearTimeout(this.locatorDebounce)
    this.locatorDebounce = setTimeout(() => { this.runLocators() }, LOCATOR_DEBOUNCE_MS)
    this.locatorDebounce.unref?.()
  }

  /** One publishing loop at a time; a request while one runs becomes one more run after it. */
  private runLocators (): void {
    if (this.locatorRun != null) {
      this.locatorAgain = true
      return
    }
    this.locatorRun = this.locators.publish(this.locatorAudience())
      .catch((err: unknown) => { this.log.error('locator publish failed - %e', err) })
      .finally(() => {
        this.locatorRun = undefined
        if (this.locatorAgain && this.started) {
          this.locatorAgain = false
          this.runLocators()
        }
      })
  }

  /** Leaves each of these contacts an empty locator, as a clean stop does. */
  private retireLocators (peers: string[]): void {
    const contacts = peers.filter(p => this.state.contacts[p] != null)
    if (contacts.length === 0 || !this.locators.available()) return
    void this.locators.publish(contacts, true)
  }

  private record (h: HistoryEntry): void {
    const i = this.state.history.findIndex(e => e.requestId === h.requestId && e.direction === h.direction)
    if (i >= 0) this.state.history.splice(i, 1)
    this.state.history.push(h)
    if (this.state.history.length > MAX_HISTORY) this.state.history.splice(0, this.state.history.length - MAX_HISTORY)
  }

  /**
   * Marks a message processed; the oldest marks go first beyond MAX_SEEN (a flood of fresh
   * identities cannot grow it). Keys are unique and added in time order, and objects keep
   * (string) keys in insertion order, also through JSON: the first ones are the oldest.
   */
  private remember (key: string, now: number): void {
    this.state.seen[key] = now
    const keys = Object.keys(this.state.seen)
    for (const k of keys.slice(0, Math.max(0, keys.length - MAX_SEEN))) delete this.state.seen[k]
  }

  private dropOutbox (match: (e: OutboxEntry) => boolean): number {
    const before = this.outbox.length
    this.outbox = this.outbox.filter(e => !match(e))
    return before - this.outbox.length
  }

  private pruneExpired (now: number): void {
    const limit = now - MAX_CONTACT_AGE_MS
    for (const [k, at] of Object.entries(this.state.seen)) if (at < limit) delete this.state.seen[k]
    this.dropOutbox(e => e.createdAt < limit)
    for (const r of Object.values(this.state.outgoing)) {
      if (r.at >= limit) continue
      delete this.state.outgoing[r.peerId]
      this.record({ requestId: r.requestId, peerId: r.peerId, direction: 'outgoing', outcome: 'expired', at: now })
    }
    for (const r of Object.values(this.state.incoming)) {
      if (r.sentAt >= limit) continue
      delete this.state.incoming[r.peerId]
      this.record({ requestId: r.requestId, peerId: r.peerId, direction: 'incoming', outcome: 'expired', at: now })
    }
  }

  private async saveAll (): Promise<void> {
    await Promise.all([this.store.saveState(this.state), this.store.saveOutbox(this.outbox)])
  }
}

function unhex (hex: string): Uint8Array {
  return uint8ArrayFromString(hex, 'base16')
}

/** Audiences in `before` that `after` no longer has (by id and topic). */
function lost (before: Audience[], after: Audience[]): Audience[] {
  return before.filter(a => !after.some(b => b.id === a.id && b.topic === a.topic))
}

