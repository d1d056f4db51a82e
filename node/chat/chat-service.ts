/**
 * The chat service (/presence-mesh/chat/1.0.0): direct, end-to-end encrypted
 * (Noise) messages with a durable outbox, receipts and typing notifications.
 * One instance per libp2p node. docs/protocol.md §7 is the wire spec.
 */
import { serviceCapabilities, serviceDependencies, TypedEventEmitter } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { WindowCounter } from '../util/window-counter.js'
import { ChatFrameError, chatIdFromHex, chatIdToHex, encodeChatFrame, newChatId } from '../../protocol/chat-frame.js'
import { protocolId } from '../../protocol/topics.js'
import { InvalidOptionError } from '../errors.js'
import { SelfReferenceError, InvalidSettingError } from '../roster/errors.js'
import { ChatStore, NON_CONTACT_POLICIES } from './chat-store.js'
import { ChatSettings } from './chat-settings.js'
import { ConversationLog } from './conversation-log.js'
import { Conversations } from './conversations.js'
import { HistorySync } from './history-sync.js'
import { chatContact, messageError, ownDevices } from './chat-rules.js'
import { BlockWindows } from './block-windows.js'
import { searchMessages } from './archive.js'
import * as C from './constants.js'
import { ROSTER_CAPABILITY } from '../roster/constants.js'
import { ChatInbound, VIOLATIONS } from './inbound.js'
import { PeerSender } from './peer-sender.js'
import { peerIdString } from '../peer-ids.js'
import type { ChatMessage, NonContactPolicy, OutboxItem } from './chat-store.js'
import type { ConversationRange } from './conversation-log.js'
import type { HeldStats } from './held-quota.js'
import type { SearchOptions } from './archive.js'
import type { ChatViolation } from './inbound.js'
import type { ChatEvents, ChatServiceComponents, ChatServiceInit } from './chat-types.js'
import type { DeliveryStatus, SenderOptions } from './peer-sender.js'
import type { PresenceEventDetail } from '../presence/index.js'
import type { RosterChangeEvent } from '../roster/index.js'
import type { ChatService as ChatServiceInterface } from './index.js'
import type { Connection, Logger, PeerId, Startable } from '@libp2p/interface'

export type { ChatServiceInit, ChatServiceComponents, ChatEvents }
export type { ChatViolation }

export class ChatService extends TypedEventEmitter<ChatEvents> implements ChatServiceInterface, Startable {
  readonly [Symbol.toStringTag] = 'presence-mesh:chat'
  readonly [serviceCapabilities] = ['@presence-mesh/chat']
  readonly [serviceDependencies] = [ROSTER_CAPABILITY, '@presence-mesh/presence']
  readonly protocol: string

  private readonly components: ChatServiceComponents
  private readonly log: Logger
  private readonly store: ChatStore
  private readonly settings: ChatSettings
  private readonly log_: ConversationLog
  private readonly people: Conversations
  private history_?: HistorySync
  private readonly blockWindows: BlockWindows
  private readReceipts = true
  private readonly senderOpts: SenderOptions
  private readonly maxInboundStreams: number
  private readonly maxOutboundStreams: number
  private readonly inbound: ChatInbound
  private readonly defaultPolicy: NonContactPolicy
  private readonly senders = new Map<string, PeerSender>()
  private readonly violations = Object.fromEntries(VIOLATIONS.map(v => [v, 0])) as Record<ChatViolation, number>
  private policy: NonContactPolicy
  private started = false
  private networkUp = false

  constructor (components: ChatServiceComponents, init: ChatServiceInit = {}) {
    super()
    this.components = components
    this.log = components.logger.forComponent('presence-mesh:chat')
    this.store = new ChatStore(components.datastore, init.heldLimits)
    this.settings = new ChatSettings(components.datastore)
    const self = components.peerId.toString()
    this.log_ = new ConversationLog(components.datastore, self)
    this.people = new Conversations({ self, datastore: components.datastore, store: this.store, log: this.log_, roster: components.roster, changed: () => { this.history_?.pushAll() } })
    this.blockWindows = new BlockWindows(components.datastore)
    this.protocol = protocolId(C.PROTOCOL_NAME, C.PROTOCOL_VERSION, init.protocolPrefix)
    this.maxInboundStreams = init.maxInboundStreams ?? C.MAX_INBOUND_STREAMS
    this.maxOutboundStreams = init.maxOutboundStreams ?? C.MAX_OUTBOUND_STREAMS
    this.senderOpts = {
      protocol: this.protocol,
      window: init.inFlightWindow ?? C.IN_FLIGHT_WINDOW,
      ratePerSecond: init.sendRatePerSecond ?? C.SEND_RATE_PER_SECOND,
      burst: init.sendBurst ?? C.SEND_BURST,
      retryBaseMs: init.retryBaseMs ?? C.RETRY_BASE_MS,
      retryMaxMs: init.retryMaxMs ?? C.RETRY_MAX_MS,
      ackTimeoutMs: init.ackTimeoutMs ?? C.ACK_TIMEOUT_MS,
      idleMs: init.senderIdleMs ?? C.SENDER_IDLE_MS,
      openStreamTimeoutMs: init.openStreamTimeoutMs ?? C.OPEN_STREAM_TIMEOUT_MS,
      openStreamConnectedTimeoutMs: Math.min(init.openStreamTimeoutMs ?? Infinity, C.OPEN_STREAM_CONNECTED_TIMEOUT_MS)
    }
    this.defaultPolicy = init.nonContactPolicy ?? 'hold'
    this.policy = this.defaultPolicy
    const emit = <K extends keyof ChatEvents>(name: K, detail: ChatEvents[K]['detail']): void => { this.safeDispatchEvent(name, { detail }) }
    this.inbound = new ChatInbound({
      store: this.store,
      log: this.log,
      rateLimiter: new WindowCounter(init.maxFramesPerSecond ?? C.MAX_FRAMES_PER_SECOND, 1000),
      receiverIdleMs: init.receiverIdleMs ?? C.RECEIVER_IDLE_MS,
      typingShowMs: init.typingShowMs ?? C.TYPING_SHOW_MS,
      isBlocked: (peer) => components.roster.isBlocked(peer),
      isContact: init.isContact ?? ((peer) => chatContact(components.roster, peer)),
      sentWhileBlocked: (peer, sentAt) => this.blockWindows.covers(peer, sentAt),
      policy: () => this.policy,
      mirror: (peer, id, text, sentAt) => this.people.inboundMirror(peer, id, text, sentAt),
      on: {
        message: (m) => { emit('message', m) },
        held: (m) => { emit('request', m) },
        state: (m) => { this.emitState(m) },
        typing: (peer, typing) => { emit('typing', { peer, typing }) },
        violation: (peer, reason) => {
          this.violations[reason]++
          emit('violation', { peer, reason })
        }
      }
    })
    this.onPeerConnect = this.onPeerConnect.bind(this)
    this.onPresence = this.onPresence.bind(this)
    this.onRosterChange = this.onRosterChange.bind(this)
  }

  isStarted (): boolean {
    return this.started
  }

  async start (): Promise<void> {
    await this.store.open()
    await this.log_.open()
    await this.people.migrate()
    this.policy = await this.settings.getPolicy() ?? this.defaultPolicy
    this.readReceipts = await this.settings.getReadReceipts()
    await this.blockWindows.load()
    for (const item of await this.store.loadOutbox()) this.queue(item)
    await this.components.registrar.handle(this.protocol, this.inbound.handle, {
      maxInboundStreams: this.maxInboundStreams,
      maxOutboundStreams: this.maxOutboundStreams,
      runOnLimitedConnection: true
    })
    this.components.events.addEventListener('connection:open', this.onPeerConnect)
    this.components.presence.addEventListener('presence', this.onPresence)
    this.components.roster.addEventListener('roster:change', this.onRosterChange)
    const devices = ownDevices(this.components)
    if (devices != null) {
      this.history_ = new HistorySync({
        registrar: this.components.registrar,
        connectionManager: this.components.connectionManager,
        events: this.components.events,
        self: this.components.peerId.toString(), log: this.log_, store: this.store, devices, logger: this.log,
        took: (fresh) => { for (const m of fresh) this.safeDispatchEvent('carbon', { detail: this.people.carbon(m) }) }
      })
      await this.history_.start()
    }
    this.started = true
  }

  /** Senders wait for the network: a restarted node retries its outbox at once. */
  afterStart (): void {
    this.networkUp = true
    for (const s of this.senders.values()) s.start()
    this.history_?.pushAll()
  }

  async stop (): Promise<void> {
    this.components.events.removeEventListener('connection:open', this.onPeerConnect)
    this.components.presence.removeEventListener('presence', this.onPresence)
    this.components.roster.removeEventListener('roster:change', this.onRosterChange)
    await this.components.registrar.unhandle(this.protocol)
    await this.history_?.stop()
    this.history_ = undefined
    await Promise.all([...this.senders.values()].map(async s => { await s.stop() }))
    this.senders.clear()
    this.inbound.stop()
    this.networkUp = false
    this.started = false
  }

  /**
   * Stores the text in history and outbox, then hands it to the peer's sender.
   * Resolves once it is on disk (state queued); delivery follows in the background.
   */
  async send (peer: PeerId | string, text: string): Promise<ChatMessage> {
    const peerId = this.parsePeer(peer)
    const id = newChatId()
    const sentAt = this.log_.sentAtNow()
    let bytes: Uint8Array
    try {
      bytes = encodeChatFrame({ kind: 'text', id, sentAt, text })
    } catch (err: any) {
      throw err instanceof ChatFrameError ? messageError(text) : err
    }
    const enqueue = (item: OutboxItem): void => { this.queue(item) }
    const person = this.people.personOf(peerId)
    if (person != null) return await this.people.send(person, chatIdToHex(id), text, sentAt, bytes, enqueue)
    return (await this.store.queueText(peerId, chatIdToHex(id), text, sentAt, bytes, enqueue)).message
  }

  /** The conversation with a contact person (every device of theirs and of this person, the same on each of ours); with anyone else, history(). */
  async conversation (peer: PeerId | string, limit?: number): Promise<ChatMessage[]> {
    const person = this.people.personOf(this.parsePeer(peer))
    if (person == null) return await this.history(peer, limit)
    if (limit != null && (!Number.isInteger(limit) || limit < 1)) throw new InvalidOptionError('limit', String(limit), 'a positive whole number')
    return await this.people.view(person, limit)
  }

  async conversationPage (peer: PeerId | string, range: ConversationRange & { limit: number }): Promise<ChatMessage[]> {
    if (!Number.isInteger(range.limit) || range.limit < 1) throw new InvalidOptionError('limit', String(range.limit), 'a positive whole number')
    const person = this.people.personOf(this.parsePeer(peer))
    return person == null ? [] : await this.people.page(person, range)
  }

  async conversationSize (peer: PeerId | string, range: Pick<ConversationRange, 'after' | 'before'> = {}): Promise<number> {
    const person = this.people.personOf(this.parsePeer(peer))
    return person == null ? 0 : await this.log_.count(person, range)
  }

  /** The newest `limit` messages with peer (both directions), oldest first. */
  async history (peer: PeerId | string, limit?: number): Promise<ChatMessage[]> {
    if (limit != null && (!Number.isInteger(limit) || limit < 1)) throw new InvalidOptionError('limit', String(limit), 'a positive whole number')
    return await this.store.history(this.parsePeer(peer), limit)
  }

  /** Marks everything received from peer read and tells the peer. Returns how many messages changed. */
  async markRead (peer: PeerId | string): Promise<number> {
    const peerId = this.parsePeer(peer)
    const person = this.people.personOf(peerId)
    if (person != null) return await this.people.markRead(person, async (device) => await this.markDeviceRead(device))
    return await this.markDeviceRead(peerId)
  }

  private async markDeviceRead (peerId: string): Promise<number> {
    const { changed, item } = await this.store.markRead(peerId, !this.readReceipts ? undefined : (ref) => {
      const id = newChatId()
      return { id: chatIdToHex(id), bytes: encodeChatFrame({ kind: 'read', id, sentAt: Date.now(), ref: chatIdFromHex(ref) }) }
    })
    if (item != null) this.queue(item)
    return changed.length
  }

  /** Tells a connected peer that this user is typing; nothing is stored or retried. */
  typing (peer: PeerId | string): void {
    const peerId = this.parsePeer(peer)
    this.sender(peerId).sendTyping(encodeChatFrame({ kind: 'typing', id: newChatId(), sentAt: Date.now() }))
  }

  /** Held texts from non-contacts, oldest first (each carries its peer). */
  async requests (): Promise<ChatMessage[]> {
    return await this.store.requests()
  }

  /** Moves a non-contact's held texts into its history and returns them. */
  async acceptRequests (peer: PeerId | string): Promise<ChatMessage[]> {
    return await this.store.acceptRequests(this.parsePeer(peer))
  }

  /** Deletes a non-contact's held texts; their retries stay dropped. */
  async discardRequests (peer: PeerId | string): Promise<number> {
    return await this.store.discardRequests(this.parsePeer(peer))
  }

  getReadReceipts (): boolean {
    return this.readReceipts
  }

  async setReadReceipts (on: boolean): Promise<void> {
    await this.settings.setReadReceipts(on)
    this.readReceipts = on
  }

  /** Unread per contact person (their conversation), and per peer for anyone else. */
  async unread (): Promise<Record<string, number>> {
    const perDevice = [...await this.store.unreadCounts()].filter(([peer]) => this.people.personOf(peer) == null)
    return Object.fromEntries([...perDevice, ...await this.people.unread()])
  }

  undelivered (): ChatMessage[] {
    return this.store.undelivered()
  }

  async unsend (peer: PeerId | string, id: string): Promise<ChatMessage | undefined> {
    const peerId = this.parsePeer(peer)
    const m = this.store.undelivered().find(x => x.peer === peerId && x.id === id)
    if (m == null || this.senders.get(peerId)?.withdraw(id) !== true) return undefined
    return await this.store.unsend(peerId, m.seq)
  }

  async search (query: string, options?: SearchOptions): Promise<ChatMessage[]> {
    const peer = options?.peer == null ? undefined : this.parsePeer(options.peer)
    return await searchMessages(this.store.allMessages(), query, { ...options, peer })
  }

  async conversations (): Promise<string[]> {
    const peers: string[] = []
    for await (const peer of this.store.peers()) peers.push(peer)
    return peers
  }

  getNonContactPolicy (): NonContactPolicy {
    return this.policy
  }

  async setNonContactPolicy (policy: NonContactPolicy): Promise<void> {
    if (!(NON_CONTACT_POLICIES as readonly string[]).includes(policy)) {
      throw new InvalidSettingError('policy for non-contacts', String(policy), NON_CONTACT_POLICIES)
    }
    await this.settings.setPolicy(policy)
    this.policy = policy
  }

  /** Frames (texts and read receipts) waiting for a delivery receipt, for one peer or all. */
  outboxSize (peer?: PeerId | string): number {
    if (peer != null) return this.senders.get(this.parsePeer(peer))?.queued ?? 0
    let n = 0
    for (const s of this.senders.values()) n += s.queued
    return n
  }

  deliveryStatus (peer: PeerId | string): DeliveryStatus | undefined { return this.senders.get(this.parsePeer(peer))?.status() }

  /** Changes (received frames, queued texts, receipts) waiting to be stored behind the batch now committing. */
  storeBacklog (): number {
    return this.store.pendingChanges
  }

  /** Streams reset so far, by the rule they broke. */
  getViolations (): Record<ChatViolation, number> {
    return { ...this.violations }
  }

  /** Held texts from non-contacts now, and how many the bounds refused so far. */
  heldStats (): HeldStats {
    return this.store.heldStats()
  }

  private parsePeer (peer: PeerId | string): string {
    let id: string
    if (typeof peer !== 'string') {
      id = peer.toString()
    } else if (this.senders.has(peer)) {
      // already parsed once (sender keys are canonical peer id strings)
      id = peer
    } else {
      id = peerIdString(peer)
    }
    if (id === this.components.peerId.toString()) throw new SelfReferenceError('chat with')
    return id
  }

  /** An outgoing message's state change, as the person's text when it went to a contact person (personState). */
  private emitState (m: ChatMessage): void {
    const shown = this.people.personState(m)
    if (shown != null) this.safeDispatchEvent('state', { detail: shown })
  }

  private sender (peer: string): PeerSender {
    let s = this.senders.get(peer)
    if (s == null) {
      s = new PeerSender(peerIdFromString(peer), this.senderOpts, {
        connectionManager: this.components.connectionManager,
        store: this.store,
        log: this.log,
        onState: (m) => { this.emitState(m) }
      })
      this.senders.set(peer, s)
      if (this.networkUp) s.start()
    }
    return s
  }

  /** Every new connection to the peer, also one opened while an old one is still closing (its streams reset). */
  private onPeerConnect (evt: CustomEvent<Connection>): void {
    this.senders.get(evt.detail.remotePeer.toString())?.retryNow(evt.detail)
  }

  /**
   * Held texts follow the roster: a new contact's become its history, a
   * blocked peer's are deleted; an unblock records the block's period (texts
   * sent in it stay dropped).
   */
  private onRosterChange (evt: CustomEvent<RosterChangeEvent>): void {
    for (const { id, before, after } of evt.detail.people) {
      let work: Promise<unknown> | undefined
      if (before?.contact == null && after?.contact != null) work = this.store.acceptRequests(id, async (tx, held) => { await this.people.stageMoved(tx, id, held) })
      else if (before?.blockedSince == null && after?.blockedSince != null) work = this.store.discardRequests(id)
      else if (before?.blockedSince != null && after?.blockedSince == null) work = this.blockWindows.add(id, before.blockedSince, Date.now())
      const revoked = (before?.devices ?? []).filter(d => after?.devices.includes(d) !== true && ownDevices(this.components)?.isRevoked(d) === true)
      if (revoked.length > 0) work = Promise.all([work, ...revoked.map(async d => { await this.dropRevoked(d) })])
      if (work != null) {
        evt.detail.waitUntil(work.catch((err: unknown) => { this.log.error('chat could not follow the roster for %s - %e', id, err) }))
      }
    }
  }

  /** To the peer's sender, never to a contact's revoked device (a crash or a send racing the revocation left it queued). */
  private queue (item: OutboxItem): void {
    if (ownDevices(this.components)?.isRevoked(item.peer) !== true) this.sender(item.peer).enqueue(item)
    else void this.dropRevoked(item.peer).catch((err: unknown) => { this.log.error('could not drop the texts of revoked %s - %e', item.peer, err) })
  }

  /** A contact's revoked device gets nothing more: its queued texts leave the outbox (they stay in the person's conversation). */
  private async dropRevoked (device: string): Promise<void> {
    await this.senders.get(device)?.stop()
    this.senders.delete(device)
    for (const m of this.store.undelivered().filter(x => x.peer === device)) await this.store.unsend(device, m.seq)
  }

  private onPresence (evt: CustomEvent<PresenceEventDetail>): void {
    const { view, changed } = evt.detail
    if (changed && view.status !== 'offline') this.senders.get(view.peerId)?.retryNow()
  }
}
