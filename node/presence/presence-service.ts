/**
 * The presence service: announces this node's signed presence record to each
 * audience (the public topic with a plain record, or a contact's pair topic
 * with a sealed one) and watches other presentities on their channels. Who
 * is an audience and whom to watch is the roster's: the service follows its
 * changes (audience.ts turns the roster into topics and keys), and whoever
 * loses sight of this node gets a goodbye first.
 */
import { serviceCapabilities, serviceDependencies, TypedEventEmitter } from '@libp2p/interface'
import { TopicValidatorResult } from '@libp2p/gossipsub'
import { MAX_CLOCK_SKEW_MS } from '../../protocol/limits.js'
import { checkPresenceUpdate, openPresence, REJECT_REASONS, sealPresence } from '../../protocol/presence-record.js'
import { ROSTER_CAPABILITY } from '../roster/constants.js'
import { audiencesOf, channelOf, PUBLIC_AUDIENCE_ID } from './audience.js'
import { GOODBYE_TIMEOUT_MS, HEARTBEAT_MS, REANNOUNCE_DEBOUNCE_MS, TTL_MS } from './constants.js'
import { WatchStore } from './watch-store.js'
import { sleep } from '../util/wait.js'
import type { Audience, PresenceViewLevel, WatchChannel } from './audience.js'
import type { PresenceEvents, PresenceService as PresenceServiceInterface, PresenceServiceInit, PresenceView } from './index.js'
import type { StoredWatch } from './watch-store.js'
import type { Roster, RosterChangeEvent } from '../roster/index.js'
import type { PubSub } from '../pubsub.js'
import type { Presence, PresenceUpdate, RejectReason } from '../../protocol/presence-record.js'
import type { Message } from '@libp2p/gossipsub'
import type { ComponentLogger, Logger, PeerId, PrivateKey, Startable } from '@libp2p/interface'
import type { Datastore } from 'interface-datastore'

export interface PresenceServiceComponents {
  peerId: PeerId
  privateKey: PrivateKey
  datastore: Datastore
  logger: ComponentLogger
  pubsub: PubSub
  roster: Roster
}

interface Watched {
  view: PresenceView
  timer?: ReturnType<typeof setTimeout>
  /** Where its records arrive; undefined while this node does not listen (blocked, or it cannot see us). */
  channel?: WatchChannel
}

const sameShown = (a: PresenceView, b: PresenceView): boolean =>
  a.status === b.status && a.note === b.note && a.activity === b.activity

const sameAudience = (a: Audience, b: Audience): boolean => a.id === b.id && a.topic === b.topic

export class PresenceService extends TypedEventEmitter<PresenceEvents> implements PresenceServiceInterface, Startable {
  readonly [Symbol.toStringTag] = 'presence-mesh:presence'
  readonly [serviceCapabilities] = ['@presence-mesh/presence']
  readonly [serviceDependencies] = ['@libp2p/pubsub', ROSTER_CAPABILITY]

  private readonly log: Logger
  private readonly store: WatchStore
  private readonly ttlMs: number
  private readonly heartbeatMs: number
  private readonly maxClockSkewMs: number
  private readonly goodbyeTimeoutMs: number
  private readonly watched = new Map<string, Watched>()
  /** What the store held at start: replay state of presentities not watched yet. */
  private stored = new Map<string, StoredWatch>()
  /** Topic of each watched presentity's channel -> its peer id. */
  private readonly channelTopics = new Map<string, string>()
  private audiences: Audience[] = []
  /** Topics this node is subscribed to. */
  private readonly subscribed = new Set<string>()
  private afterStarted = false
  private readonly rejections = Object.fromEntries(REJECT_REASONS.map(r => [r, 0])) as Record<RejectReason, number>
  private current: PresenceUpdate
  private seq = 0n
  private started = false
  private heartbeat?: ReturnType<typeof setInterval>
  private reannounce?: ReturnType<typeof setTimeout>
  /** Announcements run one at a time so sequence numbers go out in order. */
  private announcing: Promise<void> = Promise.resolve()
  /** Roster changes are followed one at a time, in order. */
  private following: Promise<void> = Promise.resolve()

  constructor (private readonly components: PresenceServiceComponents, init: PresenceServiceInit = {}) {
    super()
    this.log = components.logger.forComponent('presence-mesh:presence')
    this.store = new WatchStore(components.datastore)
    this.ttlMs = init.ttlMs ?? TTL_MS
    this.heartbeatMs = init.heartbeatMs ?? (init.ttlMs != null ? Math.floor(init.ttlMs / 3) : HEARTBEAT_MS)
    this.maxClockSkewMs = init.maxClockSkewMs ?? MAX_CLOCK_SKEW_MS
    this.goodbyeTimeoutMs = init.goodbyeTimeoutMs ?? GOODBYE_TIMEOUT_MS
    this.current = init.initial ?? { status: 'online' }
    checkPresenceUpdate(this.current)
    this.validate = this.validate.bind(this)
    this.onSubscriptionChange = this.onSubscriptionChange.bind(this)
    this.onRosterChange = this.onRosterChange.bind(this)
  }

  isStarted (): boolean {
    return this.started
  }

  async start (): Promise<void> {
    this.seq = await this.store.loadSeq()
    this.stored = new Map((await this.store.loadAll()).map(w => [w.peerId, w]))
    this.started = true
  }

  /** Runs once pubsub and the roster are up: subscribe, announce, start the heartbeat. */
  async afterStart (): Promise<void> {
    this.components.pubsub.addEventListener('subscription-change', this.onSubscriptionChange)
    this.components.roster.addEventListener('roster:change', this.onRosterChange)
    this.afterStarted = true
    this.heartbeat = setInterval(() => { void this.announce() }, this.heartbeatMs)
    this.heartbeat.unref?.()
    await this.followRoster()
  }

  /** Says goodbye while the network is still up, so watchers see offline at once. */
  async beforeStop (): Promise<void> {
    clearInterval(this.heartbeat)
    clearTimeout(this.reannounce)
    if (!this.started) return
    this.current = { status: 'offline' }
    const goodbye = this.announce()
    await Promise.race([goodbye, sleep(this.goodbyeTimeoutMs)])
  }

  async stop (): Promise<void> {
    const { pubsub } = this.components
    pubsub.removeEventListener('subscription-change', this.onSubscriptionChange)
    this.components.roster.removeEventListener('roster:change', this.onRosterChange)
    for (const w of this.watched.values()) clearTimeout(w.timer)
    for (const topic of this.subscribed) pubsub.topicValidators.delete(topic)
    this.subscribed.clear()
    this.channelTopics.clear()
    this.watched.clear()
    this.audiences = []
    await this.announcing
    await this.following
    this.afterStarted = false
    this.started = false
  }

  get self (): PresenceUpdate & { seq: bigint } {
    return { ...this.current, seq: this.seq }
  }

  async setPresence (update: PresenceUpdate): Promise<void> {
    checkPresenceUpdate(update)
    this.current = { status: update.status, note: update.note, activity: update.activity }
    await this.announce()
  }

  list (): PresenceView[] {
    return [...this.watched.values()].filter(w => !this.components.roster.isBlocked(w.view.peerId)).map(w => this.shown(w.view))
  }

  get (peer: PeerId | string): PresenceView | undefined {
    const w = this.watched.get(peer.toString())
    return w == null ? undefined : this.shown(w.view)
  }

  channelOf (peer: PeerId | string): string | undefined {
    return this.watched.get(peer.toString())?.channel?.topic
  }

  watchingNow (): string[] {
    const { pubsub } = this.components
    return this.audiences
      .filter(a => a.id !== PUBLIC_AUDIENCE_ID && pubsub.getSubscribers(a.topic).some(p => p.toString() === a.id))
      .map(a => a.id)
  }

  getRejections (): Record<RejectReason, number> {
    return { ...this.rejections }
  }

  // ---- following the roster ----

  private onRosterChange (evt: CustomEvent<RosterChangeEvent>): void {
    evt.detail.waitUntil(this.followRoster())
  }

  /**
   * Brings audiences, watched presentities and subscriptions in line with the
   * roster: whoever lost sight of this node first gets an OFFLINE record
   * (what a clean stop looks like), new audiences get a record at once.
   * Resolves once the goodbyes are published.
   */
  private async followRoster (): Promise<void> {
    const next = this.following.then(async () => {
      if (!this.afterStarted) return
      const after = audiencesOf(this.components.roster, this.components.peerId)
      const goodbye = this.audiences.filter(a => !after.some(b => sameAudience(a, b)))
      const fresh = after.filter(a => !this.audiences.some(b => sameAudience(a, b)))
      if (goodbye.length > 0) await this.announce(goodbye)
      this.audiences = after
      await this.syncWatched()
      this.syncSubscriptions()
      if (fresh.length > 0 && this.current.status !== 'offline') await this.announce()
    })
    this.following = next.catch((err: unknown) => { this.log.error('could not follow the roster - %e', err) })
    await next
  }

  /** Watched: the roster's contacts and watched people (blocked ones kept, unheard, for their replay state). */
  private async syncWatched (): Promise<void> {
    const { roster } = this.components
    const want = new Set(roster.people().filter(p => p.contact != null || p.watched).map(p => p.id))
    for (const [peerId, w] of this.watched) {
      if (want.has(peerId)) continue
      clearTimeout(w.timer)
      this.setChannel(w, undefined)
      this.watched.delete(peerId)
      this.stored.delete(peerId)
      await this.store.delete(peerId)
    }
    for (const peerId of want) {
      let w = this.watched.get(peerId)
      if (w == null) {
        const s = this.stored.get(peerId)
        w = { view: { peerId, status: 'offline', seq: s?.lastSeq, lastSeen: s?.lastSeen } }
        this.watched.set(peerId, w)
        if (s == null) await this.persist(w.view)
      }
      this.setChannel(w, channelOf(roster, peerId))
    }
  }

  private setChannel (w: Watched, channel: WatchChannel | undefined): void {
    if (w.channel != null && this.channelTopics.get(w.channel.topic) === w.view.peerId) this.channelTopics.delete(w.channel.topic)
    w.channel = channel
    if (channel != null) this.channelTopics.set(channel.topic, w.view.peerId)
  }

  /** Subscribed topics = audience topics + watched channels; nothing else, so no subscription says more than it must. */
  private syncSubscriptions (): void {
    const { pubsub } = this.components
    const wanted = new Set([...this.audiences.map(a => a.topic), ...this.channelTopics.keys()])
    for (const topic of this.subscribed) {
      if (wanted.has(topic)) continue
      pubsub.unsubscribe(topic)
      pubsub.topicValidators.delete(topic)
      this.subscribed.delete(topic)
    }
    for (const topic of wanted) {
      if (this.subscribed.has(topic)) continue
      pubsub.topicValidators.set(topic, this.validate)
      pubsub.subscribe(topic)
      this.subscribed.add(topic)
    }
  }

  // ---- announcing ----

  /** Announces to the current audiences, or only OFFLINE to `goodbye` ones. */
  private async announce (goodbye?: Audience[]): Promise<void> {
    const next = this.announcing.then(async () => { await this.announceNow(goodbye) })
    this.announcing = next.catch(() => {})
    await next
  }

  private async announceNow (goodbye?: Audience[]): Promise<void> {
    const audiences = goodbye ?? this.audiences
    const shown: PresenceUpdate = goodbye != null ? { status: 'offline' } : this.current
    const now = Date.now()
    // Time-based floor: even a node whose datastore was lost never reuses a sequence number
    // within the lifetime of records it may have sent before.
    const seq = this.seq + 1n > BigInt(now) ? this.seq + 1n : BigInt(now)
    await this.store.saveSeq(seq)
    this.seq = seq
    // one signature per view, however many audiences share it
    const envelopes = new Map<PresenceViewLevel, Promise<Uint8Array>>()
    const recordFor = (view: PresenceViewLevel): Presence => {
      const fields = view === 'full' ? shown : { status: shown.status }
      return { presentity: this.components.peerId, ...fields, seq, issuedAt: now, expiresAt: now + this.ttlMs }
    }
    const envelopeFor = async (view: PresenceViewLevel): Promise<Uint8Array> => {
      let e = envelopes.get(view)
      if (e == null) {
        e = sealPresence(recordFor(view), this.components.privateKey)
        envelopes.set(view, e)
      }
      return await e
    }
    const publicRecord = audiences.find(a => a.id === PUBLIC_AUDIENCE_ID)
    if (publicRecord != null) {
      // only a record meant for everyone may travel other public channels (the DHT)
      this.safeDispatchEvent('announce', { detail: { record: recordFor(publicRecord.view), envelope: await envelopeFor(publicRecord.view) } })
    }
    await Promise.all(audiences.map(async (a) => {
      try {
        const result = await this.components.pubsub.publish(a.topic, a.wrap(await envelopeFor(a.view)))
        this.log.trace('announced %s seq %s to %s (%d peers)', shown.status, seq, a.id, result.recipients.length)
      } catch (err) {
        this.log.error('could not announce presence to %s - %e', a.id, err)
      }
    }))
  }

  private onSubscriptionChange (evt: CustomEvent<{ peerId: PeerId, subscriptions: Array<{ topic: string, subscribe: boolean }> }>): void {
    const joined = evt.detail.subscriptions.some(s => s.subscribe && this.audiences.some(a => a.topic === s.topic))
    if (!joined || this.reannounce != null || this.current.status === 'offline') return
    // a new watcher gets a fresh record now instead of waiting for the heartbeat
    this.reannounce = setTimeout(() => {
      this.reannounce = undefined
      void this.announce()
    }, REANNOUNCE_DEBOUNCE_MS)
  }

  // ---- watching ----

  private async validate (from: PeerId, msg: Message): Promise<TopicValidatorResult> {
    if (this.components.roster.isBlocked(from)) return TopicValidatorResult.Ignore
    const presentity = this.channelTopics.get(msg.topic)
    const w = presentity == null ? undefined : this.watched.get(presentity)
    if (presentity == null || w == null || w.channel == null) {
      const own = this.audiences.find(a => a.id === PUBLIC_AUDIENCE_ID && a.topic === msg.topic)
      if (own == null) return TopicValidatorResult.Ignore
      // our public topic carries only our records, and we never need to accept one
      const res = await openPresence(msg.data, { now: Date.now(), expectedPresentity: this.components.peerId, lastSeq: this.seq, maxClockSkewMs: this.maxClockSkewMs })
      return this.rejected(msg.topic, res.ok ? 'replay' : res.reason)
    }
    const envelope = w.channel.unwrap(msg.data)
    if (envelope == null) return this.rejected(msg.topic, 'undecryptable')

    const now = Date.now()
    const res = await openPresence(envelope, { now, expectedPresentity: presentity, lastSeq: w.view.seq, maxClockSkewMs: this.maxClockSkewMs })
    if (!res.ok) return this.rejected(msg.topic, res.reason, res.detail)
    // another copy may have been accepted while the signature was checked
    if (this.watched.get(presentity) !== w || (w.view.seq != null && res.presence.seq <= w.view.seq)) {
      return this.rejected(msg.topic, 'replay')
    }
    this.accept(w, res.presence, now)
    return TopicValidatorResult.Accept
  }

  private rejected (topic: string, reason: RejectReason, detail?: string): TopicValidatorResult {
    this.rejections[reason]++
    this.log('rejected presence record on %s: %s %s', topic, reason, detail ?? '')
    this.safeDispatchEvent('rejected', { detail: { reason, topic } })
    // a replay may be an honest duplicate; anything else is the sender's fault
    return reason === 'replay' ? TopicValidatorResult.Ignore : TopicValidatorResult.Reject
  }

  private accept (w: Watched, p: Presence, now: number): void {
    const before = { ...w.view }
    clearTimeout(w.timer)
    w.timer = undefined
    const online = p.status !== 'offline'
    // expiry follows the local clock from receipt, capped by the record's own
    // expiry plus the allowed skew: a skewed clock can neither flap nor prolong
    const expiresAt = Math.min(now + (p.expiresAt - p.issuedAt), p.expiresAt + this.maxClockSkewMs)
    w.view = {
      peerId: w.view.peerId,
      status: p.status,
      note: p.note,
      activity: p.activity,
      seq: p.seq,
      lastSeen: now,
      expiresAt: online ? expiresAt : undefined
    }
    if (online) {
      w.timer = setTimeout(() => { this.expire(w) }, Math.max(0, expiresAt - now))
      w.timer.unref?.()
    }
    this.persistQuietly(w.view)
    this.safeDispatchEvent('presence', { detail: { view: this.shown(w.view), changed: !sameShown(before, w.view), cause: 'record' } })
  }

  private expire (w: Watched): void {
    if (this.watched.get(w.view.peerId) !== w) return
    w.timer = undefined
    this.log('presence of %s expired', w.view.peerId)
    w.view = { peerId: w.view.peerId, status: 'offline', seq: w.view.seq, lastSeen: w.view.lastSeen }
    this.safeDispatchEvent('presence', { detail: { view: this.shown(w.view), changed: true, cause: 'expired' } })
  }

  /** A copy of a view with the roster's name for the presentity. */
  private shown (v: PresenceView): PresenceView {
    return { ...v, alias: this.components.roster.get(v.peerId)?.alias }
  }

  private async persist (v: PresenceView): Promise<void> {
    const s: StoredWatch = { peerId: v.peerId, lastSeq: v.seq, lastSeen: v.lastSeen }
    this.stored.set(v.peerId, s)
    await this.store.save(s)
  }

  private persistQuietly (v: PresenceView): void {
    this.persist(v).catch(err => { this.log.error('could not store presence of %s - %e', v.peerId, err) })
  }
}
