/**
 * The presence service: announces this node's signed presence record to each
 * audience (the public topic with a plain record, or a contact's pair topic
 * with a sealed one) and watches other presentities on their channels. Who is
 * an audience and where to listen is the policy's call (see audience.ts).
 * One instance per libp2p node.
 */
import { serviceDependencies, TypedEventEmitter } from '@libp2p/interface'
import { TopicValidatorResult } from '@libp2p/gossipsub'
import { MAX_CLOCK_SKEW_MS } from '../../protocol/limits.js'
import { checkPresenceUpdate, openPresence, REJECT_REASONS, sealPresence } from '../../protocol/presence-record.js'
import { UserError } from '../errors.js'
import { PUBLIC_AUDIENCE_ID, publicPolicy } from './audience.js'
import { GOODBYE_TIMEOUT_MS, HEARTBEAT_MS, REANNOUNCE_DEBOUNCE_MS, TTL_MS } from './constants.js'
import { WatchStore } from './watch-store.js'
import { peerIdString } from '../peer-ids.js'
import type { Audience, AudiencePolicy, PresenceViewLevel, WatchChannel } from './audience.js'
import type { PubSub } from '../pubsub.js'
import type { Presence, PresenceStatus, PresenceUpdate, RejectReason } from '../../protocol/presence-record.js'
import type { Message } from '@libp2p/gossipsub'
import type { ComponentLogger, Logger, PeerId, PrivateKey, Startable } from '@libp2p/interface'
import type { Datastore } from 'interface-datastore'

export interface PresenceServiceInit {
  /** Lifetime of each record this node announces. */
  ttlMs?: number
  /** Re-announce interval; defaults to a third of the TTL. */
  heartbeatMs?: number
  maxClockSkewMs?: number
  goodbyeTimeoutMs?: number
  /** Presence announced at start; default online. */
  initial?: PresenceUpdate
}

export interface PresenceServiceComponents {
  peerId: PeerId
  privateKey: PrivateKey
  datastore: Datastore
  logger: ComponentLogger
  pubsub: PubSub
}

/** What this node currently believes about one watched presentity. */
export interface PresenceView {
  peerId: string
  alias?: string
  status: PresenceStatus
  note?: string
  activity?: string
  /** Sequence number of the record this view comes from. */
  seq?: bigint
  /** Local time the presentity was last known online (survives restarts). */
  lastSeen?: number
  /** Local time at which the current record stops counting. */
  expiresAt?: number
}

export interface PresenceEventDetail {
  view: PresenceView
  /** False for a heartbeat that repeats what was already shown. */
  changed: boolean
  cause: 'record' | 'expired'
}

/** This node's own record, sealed and about to be published (other channels, e.g. the DHT, may carry it too). */
export interface AnnounceEventDetail {
  record: Presence
  envelope: Uint8Array
}

export interface PresenceEvents {
  presence: CustomEvent<PresenceEventDetail>
  rejected: CustomEvent<{ reason: RejectReason, topic: string }>
  announce: CustomEvent<AnnounceEventDetail>
}

interface Watched {
  view: PresenceView
  timer?: ReturnType<typeof setTimeout>
  /** Where its records arrive; undefined while the policy says not to listen. */
  channel?: WatchChannel
}

const sameShown = (a: PresenceView, b: PresenceView): boolean =>
  a.status === b.status && a.note === b.note && a.activity === b.activity

export class PresenceService extends TypedEventEmitter<PresenceEvents> implements Startable {
  readonly [Symbol.toStringTag] = 'presence-mesh:presence'
  readonly [serviceDependencies] = ['@libp2p/pubsub']

  private readonly components: PresenceServiceComponents
  private readonly log: Logger
  private readonly store: WatchStore
  private readonly ttlMs: number
  private readonly heartbeatMs: number
  private readonly maxClockSkewMs: number
  private readonly goodbyeTimeoutMs: number
  private readonly watched = new Map<string, Watched>()
  /** Topic of each watched presentity's channel -> its peer id. */
  private readonly channelTopics = new Map<string, string>()
  private policy: AudiencePolicy
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

  constructor (components: PresenceServiceComponents, init: PresenceServiceInit = {}) {
    super()
    this.components = components
    this.log = components.logger.forComponent('presence-mesh:presence')
    this.store = new WatchStore(components.datastore)
    this.ttlMs = init.ttlMs ?? TTL_MS
    this.heartbeatMs = init.heartbeatMs ?? (init.ttlMs != null ? Math.floor(init.ttlMs / 3) : HEARTBEAT_MS)
    this.maxClockSkewMs = init.maxClockSkewMs ?? MAX_CLOCK_SKEW_MS
    this.goodbyeTimeoutMs = init.goodbyeTimeoutMs ?? GOODBYE_TIMEOUT_MS
    this.current = init.initial ?? { status: 'online' }
    checkPresenceUpdate(this.current)
    this.policy = publicPolicy(components.peerId)
    this.validate = this.validate.bind(this)
    this.onSubscriptionChange = this.onSubscriptionChange.bind(this)
  }

  isStarted (): boolean {
    return this.started
  }

  /** Hands audience and channel decisions to a policy (the contacts service does, before afterStart). */
  setPolicy (policy: AudiencePolicy): void {
    this.policy = policy
  }

  async start (): Promise<void> {
    this.seq = await this.store.loadSeq()
    for (const w of await this.store.loadAll()) {
      this.watched.set(w.peerId, { view: { peerId: w.peerId, alias: w.alias, status: 'offline', seq: w.lastSeq, lastSeen: w.lastSeen } })
    }
    this.started = true
  }

  /** Runs once pubsub is up: subscribe, announce, start the heartbeat. */
  async afterStart (): Promise<void> {
    this.components.pubsub.addEventListener('subscription-change', this.onSubscriptionChange)
    this.afterStarted = true
    this.heartbeat = setInterval(() => { void this.announce() }, this.heartbeatMs)
    this.heartbeat.unref?.()
    await this.applyPolicy()
  }

  /**
   * Re-reads the policy: publishes an OFFLINE record (what a clean stop looks
   * like) to each `goodbye` audience, then moves subscriptions to the current
   * audiences and channels; new audiences get a record at once. Resolves
   * once the goodbyes are published.
   */
  async applyPolicy (opts: { goodbye?: Audience[] } = {}): Promise<void> {
    if (!this.afterStarted) return
    const before = new Set(this.audiences.map(a => `${a.id} ${a.topic}`))
    if (opts.goodbye != null && opts.goodbye.length > 0) await this.announce(opts.goodbye)
    this.audiences = this.policy.audiences()
    for (const w of this.watched.values()) this.setChannel(w, this.policy.channelFor(w.view.peerId))
    this.syncSubscriptions()
    if (this.audiences.some(a => !before.has(`${a.id} ${a.topic}`)) && this.current.status !== 'offline') await this.announce()
  }

  /** The audiences that get this node's records now. */
  currentAudiences (): Audience[] {
    return [...this.audiences]
  }

  /** Says goodbye while the network is still up, so watchers see offline at once. */
  async beforeStop (): Promise<void> {
    clearInterval(this.heartbeat)
    clearTimeout(this.reannounce)
    if (!this.started) return
    this.current = { status: 'offline' }
    const goodbye = this.announce()
    await Promise.race([goodbye, new Promise(resolve => setTimeout(resolve, this.goodbyeTimeoutMs).unref?.())])
  }

  async stop (): Promise<void> {
    const { pubsub } = this.components
    pubsub.removeEventListener('subscription-change', this.onSubscriptionChange)
    for (const w of this.watched.values()) clearTimeout(w.timer)
    for (const topic of this.subscribed) pubsub.topicValidators.delete(topic)
    this.subscribed.clear()
    this.channelTopics.clear()
    this.watched.clear()
    this.audiences = []
    await this.announcing
    this.afterStarted = false
    this.started = false
  }

  /** This node's own presence as last set. */
  get self (): PresenceUpdate & { seq: bigint } {
    return { ...this.current, seq: this.seq }
  }

  async setPresence (update: PresenceUpdate): Promise<void> {
    checkPresenceUpdate(update)
    this.current = { status: update.status, note: update.note, activity: update.activity }
    await this.announce()
  }

  async watch (peer: PeerId | string, alias?: string): Promise<PresenceView> {
    const peerId = peerIdString(peer)
    if (peerId === this.components.peerId.toString()) throw new UserError('a node does not watch itself')
    let w = this.watched.get(peerId)
    if (w == null) {
      w = { view: { peerId, alias, status: 'offline' } }
      this.watched.set(peerId, w)
      if (this.afterStarted) {
        this.setChannel(w, this.policy.channelFor(peerId))
        this.syncSubscriptions()
      }
    } else if (alias != null) {
      w.view.alias = alias
    }
    await this.persist(w.view)
    return { ...w.view }
  }

  async unwatch (peer: PeerId | string): Promise<boolean> {
    const peerId = peerIdString(peer)
    const w = this.watched.get(peerId)
    if (w == null) return false
    clearTimeout(w.timer)
    this.setChannel(w, null)
    this.watched.delete(peerId)
    this.syncSubscriptions()
    await this.store.delete(peerId)
    return true
  }

  /** The current view of every watched presentity (blocked ones are hidden). */
  list (): PresenceView[] {
    return [...this.watched.values()].filter(w => !this.policy.isBlocked(w.view.peerId)).map(w => ({ ...w.view }))
  }

  get (peer: PeerId | string): PresenceView | undefined {
    const w = this.watched.get(peer.toString())
    return w == null ? undefined : { ...w.view }
  }

  /** Whether a presentity's records currently arrive on its pair topic (a contact) rather than the public one. */
  channelOf (peer: PeerId | string): string | undefined {
    return this.watched.get(peer.toString())?.channel?.topic
  }

  /** Finds a watched presentity by alias or peer id (blocked ones too: aliases are the user's own names). */
  resolve (aliasOrPeer: string): PresenceView | undefined {
    if (this.watched.has(aliasOrPeer)) return this.get(aliasOrPeer)
    for (const w of this.watched.values()) if (w.view.alias === aliasOrPeer) return { ...w.view }
    return undefined
  }

  /** Rejected records so far, by reason. */
  getRejections (): Record<RejectReason, number> {
    return { ...this.rejections }
  }

  private setChannel (w: Watched, channel: WatchChannel | null): void {
    if (w.channel != null && this.channelTopics.get(w.channel.topic) === w.view.peerId) this.channelTopics.delete(w.channel.topic)
    w.channel = channel ?? undefined
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

  /** Announces to the current audiences, or only OFFLINE to `goodbye` ones. */
  private async announce (goodbye?: Audience[]): Promise<void> {
    const next = this.announcing.then(async () => this.announceNow(goodbye))
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

  private async validate (from: PeerId, msg: Message): Promise<TopicValidatorResult> {
    if (this.policy.isBlocked(from)) return TopicValidatorResult.Ignore
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
      alias: w.view.alias,
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
    this.safeDispatchEvent('presence', { detail: { view: { ...w.view }, changed: !sameShown(before, w.view), cause: 'record' } })
  }

  private expire (w: Watched): void {
    if (this.watched.get(w.view.peerId) !== w) return
    w.timer = undefined
    this.log('presence of %s expired', w.view.peerId)
    w.view = { peerId: w.view.peerId, alias: w.view.alias, status: 'offline', seq: w.view.seq, lastSeen: w.view.lastSeen }
    this.safeDispatchEvent('presence', { detail: { view: { ...w.view }, changed: true, cause: 'expired' } })
  }

  private async persist (v: PresenceView): Promise<void> {
    await this.store.save({ peerId: v.peerId, alias: v.alias, lastSeq: v.seq, lastSeen: v.lastSeen })
  }

  private persistQuietly (v: PresenceView): void {
    this.persist(v).catch(err => { this.log.error('could not store presence of %s - %e', v.peerId, err) })
  }
}
