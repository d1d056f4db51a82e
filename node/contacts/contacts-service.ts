/**
 * The consent service (/presence-mesh/contact/1.0.0): carries the consent
 * state machine (consent.ts) over direct streams. Each step, its outbox
 * entries and the roster change it makes commit in one transaction; sealed
 * messages are retried until the recipient confirms them (a request with a
 * contact code goes through the recipient's intake, §8.7). Receiving is
 * inbound.ts. Blocked peers are handled by reacting to the roster.
 */
import { serviceCapabilities, serviceDependencies, TypedEventEmitter } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { fromString as uint8ArrayFromString } from 'uint8arrays/from-string'
import { toString as uint8ArrayToString } from 'uint8arrays/to-string'
import { looksLikeContactCode, parseContactCode } from '../../protocol/contact-code.js'
import { isUnicode } from '../../protocol/text.js'
import { checkGreeting, MAX_CONTACT_AGE_MS, MAX_GREETING_CHARS, newRequestId, requestIdHex, sealContactMessage } from '../../protocol/contact-request.js'
import { peerIdString } from '../peer-ids.js'
import { ROSTER_CAPABILITY } from '../roster/constants.js'
import { NotAContactError, SelfReferenceError } from '../roster/errors.js'
import * as consent from './consent.js'
import { ConsentStore, outboxId } from './consent-store.js'
import {
  CONTACT_PROTOCOL, INTAKE_EXCHANGE_FACTOR, MAX_INBOUND_STREAMS, MAX_OUTBOUND_STREAMS, MAX_PARALLEL_DELIVERIES, MAX_PENDING_DIRECT, MAX_PENDING_INCOMING, MAX_PENDING_PER_CODE,
  RETRY_BASE_MS, RETRY_CAP_MS, RETRY_JITTER, STREAM_TIMEOUT_MS
} from './constants.js'
import { InvalidContactCodeError, InvalidGreetingError } from './errors.js'
import { ContactInbound } from './inbound.js'
import { deliverOnce, learnAddresses, replyAddresses } from './delivery.js'
import { backoffDelay } from '../util/wait.js'
import { anySignal } from '../signals.js'
import type { InboundOutcome } from './inbound.js'
import type { Reach } from '../reach/index.js'
import type { ConsentContext, ConsentEffect, ConsentState, HistoryEntry, PendingRequest, Step } from './consent.js'
import type { OutboxEntry } from './consent-store.js'
import type { ContactsEvents, ContactsService as ContactsServiceInterface, ContactsServiceInit } from './index.js'
import type { Roster, RosterChangeEvent } from '../roster/index.js'
import type { Transaction } from '../store/records.js'
import type { ContactMessageKind } from '../../protocol/contact-request.js'
import type { ComponentLogger, Libp2pEvents, Logger, PeerId, PeerStore, PrivateKey, Startable, TypedEventTarget } from '@libp2p/interface'
import type { AddressManager, ConnectionManager, Registrar } from '@libp2p/interface-internal'
import type { Datastore } from 'interface-datastore'

export interface ContactsServiceComponents {
  peerId: PeerId
  privateKey: PrivateKey
  datastore: Datastore
  logger: ComponentLogger
  registrar: Registrar
  connectionManager: ConnectionManager
  events: TypedEventTarget<Libp2pEvents>
  roster: Roster
  /** A request through a code's intake says where to answer (our addresses), and one received so learns the requester's. */
  addressManager: Pick<AddressManager, 'getAddresses'>
  peerStore: Pick<PeerStore, 'merge'>
  /** Contact codes (node/reach): without it, requests come and go only straight between the two nodes. */
  reach?: Reach
}

const b64 = (b: Uint8Array): string => uint8ArrayToString(b, 'base64')
const unb64 = (s: string): Uint8Array => uint8ArrayFromString(s, 'base64')
const unhex = (s: string): Uint8Array => uint8ArrayFromString(s, 'base16')

export class ContactsService extends TypedEventEmitter<ContactsEvents> implements ContactsServiceInterface, Startable {
  readonly [Symbol.toStringTag] = 'presence-mesh:contacts'
  readonly [serviceCapabilities] = ['@presence-mesh/contacts']
  readonly [serviceDependencies] = [ROSTER_CAPABILITY]
  readonly protocol = CONTACT_PROTOCOL

  private readonly log: Logger
  private readonly store: ConsentStore
  private readonly init: Required<ContactsServiceInit>
  private state: ConsentState = consent.emptyConsent()
  /** Sealed messages waiting for a receipt, oldest first. */
  private outbox: OutboxEntry[] = []
  private readonly inFlight = new Set<string>()
  /**
   * The try in flight to each peer, while it sends a message that goes to the peer itself (not through
   * a contact code's intake): the peer connecting to this node meanwhile ends it, and the messages go at once over
   * the new connection, instead of after a try that may be stuck in a lookup or a dial (up to its
   * timeout) and then the retry backoff.
   */
  private readonly directTries = new Map<string, AbortController>()
  /** Peers that connected to this node while a try to them was in flight: tried again as soon as it ends. */
  private readonly connectedDuringTry = new Set<string>()
  /** The delivery loops running, so stop() can end them before the datastore closes. */
  private readonly deliveries = new Set<Promise<void>>()
  /** Aborted by stop(): deliveries in flight end at once instead of at their timeout. */
  private stopping = new AbortController()
  private readonly inbound: ContactInbound
  private retryTimer?: ReturnType<typeof setTimeout>
  private started = false

  constructor (private readonly components: ContactsServiceComponents, init: ContactsServiceInit = {}) {
    super()
    this.log = components.logger.forComponent('presence-mesh:contacts')
    this.store = new ConsentStore(components.datastore)
    this.init = {
      streamTimeoutMs: init.streamTimeoutMs ?? STREAM_TIMEOUT_MS,
      retryBaseMs: init.retryBaseMs ?? RETRY_BASE_MS,
      retryCapMs: init.retryCapMs ?? RETRY_CAP_MS,
      maxInboundStreams: init.maxInboundStreams ?? MAX_INBOUND_STREAMS,
      maxOutboundStreams: init.maxOutboundStreams ?? MAX_OUTBOUND_STREAMS
    }
    this.inbound = new ContactInbound({
      me: components.peerId,
      log: this.log,
      timeoutMs: this.init.streamTimeoutMs,
      isBlocked: (peer) => components.roster.isBlocked(peer),
      intakeOf: (peer) => this.reach()?.intakeOf(peer),
      seen: (key) => this.state.seen.has(key),
      receive: async (m, replyAddrs) => {
        let retryLater = false
        await this.step((ctx) => {
          const r = consent.receive(this.state, m, ctx)
          retryLater = r.retryLater
          return r
        })
        // through an intake: the requester's own word for where to answer it (we never met)
        if (!retryLater && replyAddrs.length > 0 && !components.roster.isBlocked(m.from)) await learnAddresses(components.peerStore, m.from, replyAddrs, this.log)
        return { retryLater }
      }
    })
    this.onPeerConnect = this.onPeerConnect.bind(this)
    this.onRosterChange = this.onRosterChange.bind(this)
  }

  isStarted (): boolean {
    return this.started
  }

  async start (): Promise<void> {
    const loaded = await this.store.load()
    this.state = loaded.state
    this.outbox = loaded.outbox
    await this.components.registrar.handle(this.protocol, this.inbound.handle, {
      maxInboundStreams: this.init.maxInboundStreams,
      maxOutboundStreams: this.init.maxOutboundStreams,
      // two people behind NATs first meet over a circuit relay connection, which libp2p marks limited
      runOnLimitedConnection: true
    })
    this.components.roster.addEventListener('roster:change', this.onRosterChange)
    this.stopping = new AbortController()
    this.started = true
    await this.step(() => consent.prune(this.state, { now: Date.now() }))
    await this.dropExpiredOutbox()
  }

  afterStart (): void {
    this.components.events.addEventListener('peer:connect', this.onPeerConnect)
    this.scheduleRetry()
  }

  async stop (): Promise<void> {
    this.started = false
    clearTimeout(this.retryTimer)
    this.retryTimer = undefined
    this.components.events.removeEventListener('peer:connect', this.onPeerConnect)
    this.components.roster.removeEventListener('roster:change', this.onRosterChange)
    this.stopping.abort()
    await Promise.all([...this.deliveries])
    await this.components.registrar.unhandle(this.protocol)
  }

  // ---- the API ----

  requests (): { incoming: PendingRequest[], outgoing: PendingRequest[] } {
    return { incoming: [...this.state.incoming.values()].map(r => ({ ...r })), outgoing: [...this.state.outgoing.values()].map(r => ({ ...r })) }
  }

  /** Who asked (and whom we asked), newest first, with the outcome. */
  history (): HistoryEntry[] {
    return [...this.state.history.values()].reverse().map(h => ({ ...h }))
  }

  /** Whether a request is pending with `peer`, either way, or a message to it waits for its receipt (such a peer may connect to this node). */
  hasPending (peer: PeerId | string): boolean {
    const id = peer.toString()
    return this.state.incoming.has(id) || this.state.outgoing.has(id) || this.outbox.some(e => e.to === id)
  }

  /** Contact messages refused or deferred, by reason. */
  refusals (): Record<InboundOutcome, number> {
    return this.inbound.refusals()
  }

  async dropRequestsVia (code: string): Promise<void> {
    await this.step((ctx) => consent.dropVia(this.state, code, ctx))
  }

  async requestContact (peerOrCode: PeerId | string, greeting?: string, alias?: string): Promise<PendingRequest> {
    let code: string | undefined
    let peer: PeerId | string = peerOrCode
    if (typeof peerOrCode === 'string' && looksLikeContactCode(peerOrCode)) {
      try {
        peer = parseContactCode(peerOrCode).peer
      } catch (err: any) {
        throw new InvalidContactCodeError(err.reason ?? 'not-a-code')
      }
      code = peerOrCode.trim()
    }
    const id = this.parsePeer(peer, 'ask')
    try {
      checkGreeting(greeting)
    } catch {
      throw new InvalidGreetingError(MAX_GREETING_CHARS, greeting != null && !isUnicode(greeting) ? 'not-unicode' : 'too-long')
    }
    if (alias != null) this.components.roster.checkAlias(alias, id)
    const requestId = requestIdHex(newRequestId())
    let made: PendingRequest | undefined
    await this.step((ctx) => {
      const s = consent.request(this.state, { peer: id, requestId, greeting, alias, code }, ctx)
      made = s.request
      return s
    })
    return { ...made! }
  }

  async accept (peerOrRequest: PeerId | string, alias?: string): Promise<void> {
    const key = peerOrRequest.toString()
    if (alias != null) this.components.roster.checkAlias(alias, this.state.incoming.get(key)?.peerId ?? key)
    await this.step((ctx) => consent.accept(this.state, { peerOrRequest: key, alias }, ctx))
  }

  async deny (peerOrRequest: PeerId | string): Promise<void> {
    await this.step((ctx) => consent.deny(this.state, { peerOrRequest: peerOrRequest.toString() }, ctx))
  }

  async cancel (peerOrRequest: PeerId | string): Promise<void> {
    await this.step((ctx) => consent.cancel(this.state, { peerOrRequest: peerOrRequest.toString() }, ctx))
  }

  async remove (peer: PeerId | string): Promise<void> {
    const id = this.parsePeer(peer, 'remove')
    const requestId = requestIdHex(newRequestId())
    await this.step((ctx) => {
      // checked inside the step: steps run one at a time, so nothing changes it in between
      if (this.components.roster.get(id)?.contact == null) throw new NotAContactError(id)
      return consent.remove(this.state, { peer: id, requestId }, ctx)
    })
  }

  // ---- applying steps ----

  private context (): ConsentContext {
    const { roster } = this.components
    return {
      now: Date.now(),
      isContact: p => roster.isContact(p),
      isBlocked: p => roster.isBlocked(p),
      limits: { perCode: MAX_PENDING_PER_CODE, direct: MAX_PENDING_DIRECT, total: MAX_PENDING_INCOMING }
    }
  }

  /**
   * Runs one step of the machine against the current state and commits it:
   * the changed records, the outbox entries its effects add or drop and the
   * roster's change, in one transaction. Events and deliveries follow the
   * commit. Steps run one at a time (the store's write chain).
   */
  private async step (next: (ctx: ConsentContext) => Step): Promise<void> {
    const queued: OutboxEntry[] = []
    await this.store.store.write(async (tx) => {
      const before = this.state
      const { state, effects } = next(this.context())
      this.store.stageState(tx, before, state)
      let outbox = this.outbox
      for (const e of effects) outbox = await this.stageEffect(tx, e, outbox, queued)
      tx.afterCommit(() => {
        this.state = state
        this.outbox = outbox
        for (const e of effects) {
          if (e.type === 'event') this.safeDispatchEvent(e.name, { detail: { peerId: e.peerId, requestId: e.requestId, greeting: e.greeting } })
        }
      })
    })
    for (const to of new Set(queued.map(e => e.to))) this.deliverTo(to)
  }

  private async stageEffect (tx: Transaction, e: ConsentEffect, outbox: OutboxEntry[], queued: OutboxEntry[]): Promise<OutboxEntry[]> {
    switch (e.type) {
      case 'send': {
        const now = Date.now()
        const envelope = await sealContactMessage({
          kind: e.kind, requestId: unhex(e.requestId), from: this.components.peerId, to: peerIdFromString(e.to), greeting: e.greeting, sentAt: now,
          replyAddrs: e.code != null ? replyAddresses(this.components.addressManager) : undefined
        }, this.components.privateKey)
        const entry: OutboxEntry = { id: outboxId(now, e.kind, e.requestId), to: e.to, kind: e.kind, requestId: e.requestId, envelope: b64(envelope), createdAt: now, attempts: 0, nextAt: now, code: e.code }
        this.store.outbox.put(tx, entry.id, entry)
        queued.push(entry)
        return [...outbox.filter(x => x.id !== entry.id), entry]
      }
      case 'unqueue': {
        const drop = outbox.filter(x => x.to === e.to && (e.requestId == null || x.requestId === e.requestId) && (e.kind == null || x.kind === e.kind))
        for (const x of drop) this.store.outbox.delete(tx, x.id)
        return outbox.filter(x => !drop.includes(x))
      }
      case 'add-contact':
        await this.components.roster.addContact(e.peer, { alias: e.alias, tx })
        return outbox
      case 'remove-contact':
        await this.components.roster.removeContact(e.peer, { tx })
        return outbox
      case 'event':
        return outbox
    }
  }

  private onRosterChange (evt: CustomEvent<RosterChangeEvent>): void {
    for (const { id, before, after } of evt.detail.people) {
      if (after?.blockedSince != null && before?.blockedSince == null) {
        evt.detail.waitUntil(this.step((ctx) => consent.blocked(this.state, id, ctx)).catch((err: unknown) => {
          this.log.error('could not drop the requests of blocked %s - %e', id, err)
        }))
      }
    }
  }

  // ---- sending: the outbox ----

  private onPeerConnect (evt: CustomEvent<PeerId>): void {
    const peer = evt.detail.toString()
    if (!this.outbox.some(e => e.to === peer)) return
    if (!this.inFlight.has(peer)) {
      this.deliverTo(peer)
      return
    }
    // only the peer coming to this node says the try in flight is stale: a connection this node
    // opened is most likely that try's own dial (or one it joins)
    if (!this.components.connectionManager.getConnections(evt.detail).some(c => c.direction === 'inbound')) return
    this.connectedDuringTry.add(peer)
    this.directTries.get(peer)?.abort()
  }

  /** Tries every message queued for `to`, one stream each, unless a try is already running. */
  private deliverTo (to: string): void {
    if (!this.started || this.inFlight.has(to) || this.components.roster.isBlocked(to)) return
    if (this.inFlight.size >= MAX_PARALLEL_DELIVERIES) { this.scheduleRetry(); return }
    this.inFlight.add(to)
    const delivery = (async () => {
      try {
        for (const entry of this.outbox.filter(e => e.to === to)) {
          if (!this.started || !this.outbox.includes(entry)) continue
          const timeoutMs = this.init.streamTimeoutMs * (entry.code != null ? INTAKE_EXCHANGE_FACTOR : 1)
          // an exchange through an intake is left to end: a second one would spend the code again
          const tryCtl = entry.code == null ? new AbortController() : undefined
          if (tryCtl != null) this.directTries.set(to, tryCtl)
          const answer = await deliverOnce(entry.to, unb64(entry.envelope), entry.code, { protocol: this.protocol, connectionManager: this.components.connectionManager, reach: this.reach(), log: this.log }, timeoutMs,
            tryCtl == null ? this.stopping.signal : anySignal([this.stopping.signal, tryCtl.signal])).finally(() => { this.directTries.delete(to) })
          // cut short by stop(), or by the peer connecting meanwhile: not a failed try, the entry stays as it was
          if ((!this.started || tryCtl?.signal.aborted === true) && answer === 'unreachable') break
          if (answer === 'stored') {
            await this.step(() => consent.delivered(this.state, entry))
            this.safeDispatchEvent('contact:delivered', { detail: { peerId: to, requestId: entry.requestId, kind: entry.kind } })
          } else if (answer === 'refused') {
            this.log('%s refused our %s message for good', entry.to, entry.kind)
            await this.step((ctx) => consent.refused(this.state, entry, ctx))
          } else {
            if (answer === 'retry-later') await this.step(() => consent.busy(this.state, entry))
            await this.retryLater(entry, answer === 'retry-later')
            break // the peer is unreachable or busy: the rest waits for the next try
          }
        }
      } catch (err) {
        this.log.error('delivery to %s failed - %e', to, err)
      } finally {
        this.inFlight.delete(to)
        if (this.connectedDuringTry.delete(to)) this.deliverTo(to)
        this.scheduleRetry()
      }
    })()
    this.deliveries.add(delivery)
    void delivery.finally(() => this.deliveries.delete(delivery))
  }

  private async retryLater (entry: OutboxEntry, busy: boolean): Promise<void> {
    const attempts = entry.attempts + 1
    const nextAt = Date.now() + backoffDelay(attempts, { baseMs: this.init.retryBaseMs, capMs: this.init.retryCapMs, jitter: RETRY_JITTER })
    const updated: OutboxEntry = { ...entry, attempts, nextAt }
    await this.store.store.write((tx) => {
      if (!this.outbox.includes(entry)) return
      this.store.outbox.put(tx, entry.id, updated)
      tx.afterCommit(() => { this.outbox = this.outbox.map(e => e === entry ? updated : e) })
    })
    this.safeDispatchEvent('contact:retry', { detail: { peerId: entry.to, requestId: entry.requestId, kind: entry.kind, attempts, nextAt, busy } })
  }

  private scheduleRetry (): void {
    clearTimeout(this.retryTimer)
    this.retryTimer = undefined
    if (!this.started) return
    const waiting = this.outbox.filter(e => !this.inFlight.has(e.to) && !this.components.roster.isBlocked(e.to))
    if (waiting.length === 0) return
    const next = Math.min(...waiting.map(e => e.nextAt))
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined
      void this.dropExpiredOutbox().finally(() => {
        const now = Date.now()
        for (const to of new Set(this.outbox.filter(e => e.nextAt <= now).map(e => e.to))) this.deliverTo(to)
        this.scheduleRetry()
      })
    }, Math.max(0, next - Date.now()))
    this.retryTimer.unref?.()
  }

  /** Messages older than a receiver accepts are dropped from the queue. */
  private async dropExpiredOutbox (): Promise<void> {
    const limit = Date.now() - MAX_CONTACT_AGE_MS
    const old = this.outbox.filter(e => e.createdAt < limit)
    if (old.length === 0) return
    await this.store.store.write((tx) => {
      for (const e of old) this.store.outbox.delete(tx, e.id)
      tx.afterCommit(() => { this.outbox = this.outbox.filter(e => !old.includes(e)) })
    })
  }

  private reach (): Reach | undefined {
    // optional: read at use, so a node without contact codes works as before
    try {
      return this.components.reach
    } catch {
      return undefined
    }
  }

  private parsePeer (peer: PeerId | string, action: string): string {
    const id = peerIdString(peer)
    if (id === this.components.peerId.toString()) throw new SelfReferenceError(action)
    return id
  }
}
