/**
 * The consent service (/presence-mesh/contact/1.0.0): carries the consent
 * state machine (consent.ts) over direct streams. Each step, its outbox
 * entries and the roster change it makes commit in one transaction; sealed
 * messages are retried until the recipient confirms them. Blocked peers are
 * handled by reacting to the roster.
 */
import { serviceCapabilities, serviceDependencies, TypedEventEmitter } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { lpStream } from '@libp2p/utils'
import { fromString as uint8ArrayFromString } from 'uint8arrays/from-string'
import { toString as uint8ArrayToString } from 'uint8arrays/to-string'
import { ContactKind, ContactReceipt } from '../../protocol/pb/contact.js'
import {
  checkGreeting, decodeContactReceipt, kindToPb, MAX_CONTACT_RECEIPT_BYTES, MAX_CONTACT_AGE_MS, MAX_CONTACT_ENVELOPE_BYTES, newRequestId, openContactMessage, requestIdHex, sealContactMessage
} from '../../protocol/contact-request.js'
import { peerIdString } from '../peer-ids.js'
import { ROSTER_CAPABILITY } from '../roster/constants.js'
import { NotAContactError, SelfReferenceError } from '../roster/errors.js'
import * as consent from './consent.js'
import { ConsentStore, outboxId } from './consent-store.js'
import {
  CONTACT_PROTOCOL, MAX_INBOUND_STREAMS, MAX_OUTBOUND_STREAMS, MAX_PARALLEL_DELIVERIES, RETRY_BASE_MS, RETRY_CAP_MS, RETRY_JITTER, STREAM_TIMEOUT_MS
} from './constants.js'
import { InvalidGreetingError } from './errors.js'
import { backoffDelay } from '../util/wait.js'
import type { ConsentContext, ConsentEffect, ConsentState, HistoryEntry, PendingRequest, Step } from './consent.js'
import type { OutboxEntry } from './consent-store.js'
import type { ContactsEvents, ContactsService as ContactsServiceInterface, ContactsServiceInit } from './index.js'
import type { Roster, RosterChangeEvent } from '../roster/index.js'
import type { Transaction } from '../store/records.js'
import type { ContactMessageKind } from '../../protocol/contact-request.js'
import type { ComponentLogger, Connection, Libp2pEvents, Logger, PeerId, PrivateKey, Startable, Stream, TypedEventTarget } from '@libp2p/interface'
import type { ConnectionManager, Registrar } from '@libp2p/interface-internal'
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
    this.handleStream = this.handleStream.bind(this)
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
    await this.components.registrar.handle(this.protocol, this.handleStream, {
      maxInboundStreams: this.init.maxInboundStreams,
      maxOutboundStreams: this.init.maxOutboundStreams,
      // two people behind NATs first meet over a circuit relay connection, which libp2p marks limited
      runOnLimitedConnection: true
    })
    this.components.roster.addEventListener('roster:change', this.onRosterChange)
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

  async requestContact (peer: PeerId | string, greeting?: string, alias?: string): Promise<PendingRequest> {
    const id = this.parsePeer(peer, 'ask')
    try {
      checkGreeting(greeting)
    } catch {
      throw new InvalidGreetingError(280)
    }
    if (alias != null) this.components.roster.checkAlias(alias, id)
    const requestId = requestIdHex(newRequestId())
    let made: PendingRequest | undefined
    await this.step((ctx) => {
      const s = consent.request(this.state, { peer: id, requestId, greeting, alias }, ctx)
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
    return { now: Date.now(), isContact: p => roster.isContact(p), isBlocked: p => roster.isBlocked(p) }
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
          kind: e.kind, requestId: unhex(e.requestId), from: this.components.peerId, to: peerIdFromString(e.to), greeting: e.greeting, sentAt: now
        }, this.components.privateKey)
        const entry: OutboxEntry = { id: outboxId(now, e.kind, e.requestId), to: e.to, kind: e.kind, requestId: e.requestId, envelope: b64(envelope), createdAt: now, attempts: 0, nextAt: now }
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

  // ---- receiving ----

  private async handleStream (stream: Stream, connection: Connection): Promise<void> {
    const signal = AbortSignal.timeout(this.init.streamTimeoutMs)
    if (this.components.roster.isBlocked(connection.remotePeer)) {
      stream.abort(new Error('unreachable'))
      return
    }
    try {
      const lp = lpStream(stream, { maxDataLength: MAX_CONTACT_ENVELOPE_BYTES })
      const bytes = (await lp.read({ signal })).subarray()
      const res = await openContactMessage(bytes, { now: Date.now(), me: this.components.peerId, seen: { has: k => this.state.seen.has(k) } })
      let receipt: ContactReceipt
      if (res.ok) {
        const m = res.message
        if (this.components.roster.isBlocked(m.from)) {
          stream.abort(new Error('unreachable'))
          return
        }
        const received = { kind: m.kind, from: m.from.toString(), requestId: requestIdHex(m.requestId), greeting: m.greeting, sentAt: m.sentAt }
        // stored before the receipt goes out: a crash after it loses nothing
        await this.step((ctx) => consent.receive(this.state, received, ctx))
        receipt = { requestId: Uint8Array.from(m.requestId), kind: kindToPb(m.kind), accepted: true }
      } else {
        this.log('refused a contact message from %p: %s %s', connection.remotePeer, res.reason, res.detail ?? '')
        // a duplicate was stored before: confirm it so the sender stops retrying
        receipt = { requestId: new Uint8Array(0), kind: ContactKind.KIND_UNSPECIFIED, accepted: res.reason === 'duplicate' }
      }
      await lp.write(ContactReceipt.encode(receipt), { signal })
      await stream.close({ signal })
    } catch (err: any) {
      this.log('contact stream from %p failed - %e', connection.remotePeer, err)
      stream.abort(err)
    }
  }

  // ---- sending: the outbox ----

  private onPeerConnect (evt: CustomEvent<PeerId>): void {
    const peer = evt.detail.toString()
    if (this.outbox.some(e => e.to === peer)) this.deliverTo(peer)
  }

  /** Tries every message queued for `to`, one stream each, unless a try is already running. */
  private deliverTo (to: string): void {
    if (!this.started || this.inFlight.has(to) || this.components.roster.isBlocked(to)) return
    if (this.inFlight.size >= MAX_PARALLEL_DELIVERIES) { this.scheduleRetry(); return }
    this.inFlight.add(to)
    void (async () => {
      try {
        for (const entry of this.outbox.filter(e => e.to === to)) {
          if (!this.started || !this.outbox.includes(entry)) continue
          if (await this.deliver(entry)) {
            await this.step(() => consent.delivered(this.state, entry))
            this.safeDispatchEvent('contact:delivered', { detail: { peerId: to, requestId: entry.requestId, kind: entry.kind } })
          } else {
            await this.retryLater(entry)
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
      stream = await this.components.connectionManager.openStream(peerIdFromString(entry.to), this.protocol, { signal, runOnLimitedConnection: true })
      const lp = lpStream(stream, { maxDataLength: MAX_CONTACT_RECEIPT_BYTES })
      await lp.write(unb64(entry.envelope), { signal })
      const res = decodeContactReceipt((await lp.read({ signal })).subarray())
      if (!res.ok) throw new Error(`not a receipt: ${res.reason}`)
      await stream.close({ signal }).catch(() => {})
      if (!res.receipt.accepted) this.log('%s refused our %s message for good', entry.to, entry.kind)
      return true
    } catch (err: any) {
      this.log('could not deliver %s to %s (attempt %d) - %s', entry.kind, entry.to, entry.attempts + 1, err?.message)
      stream?.abort(err)
      return false
    }
  }

  private async retryLater (entry: OutboxEntry): Promise<void> {
    const attempts = entry.attempts + 1
    const nextAt = Date.now() + backoffDelay(attempts, { baseMs: this.init.retryBaseMs, capMs: this.init.retryCapMs, jitter: RETRY_JITTER })
    const updated: OutboxEntry = { ...entry, attempts, nextAt }
    await this.store.store.write((tx) => {
      if (!this.outbox.includes(entry)) return
      this.store.outbox.put(tx, entry.id, updated)
      tx.afterCommit(() => { this.outbox = this.outbox.map(e => e === entry ? updated : e) })
    })
    this.safeDispatchEvent('contact:retry', { detail: { peerId: entry.to, requestId: entry.requestId, kind: entry.kind, attempts, nextAt } })
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

  private parsePeer (peer: PeerId | string, action: string): string {
    const id = peerIdString(peer)
    if (id === this.components.peerId.toString()) throw new SelfReferenceError(action)
    return id
  }
}
