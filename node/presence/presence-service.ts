/**
 * The presence service: announces this node's presence to each audience (the
 * public topic with a plain record, or a contact's pair topic with what its
 * containers allow, sealed for it) and watches other presentities on their
 * channels (watched.ts). Who is an audience and whom to watch is the
 * roster's; what each audience sees is the containers' (containers.ts).
 * Whoever loses sight of this node gets a goodbye first.
 */
import { serviceCapabilities, serviceDependencies, TypedEventEmitter } from '@libp2p/interface'
import { TopicValidatorResult } from '@libp2p/gossipsub'
import { isCategoryKey } from '../../protocol/categories.js'
import { MAX_CATEGORY_TTL_MS, MAX_CLOCK_SKEW_MS } from '../../protocol/limits.js'
import { checkPresenceUpdate, openPresence } from '../../protocol/presence-record.js'
import { ROSTER_CAPABILITY } from '../roster/constants.js'
import { Announcement, sealForAudience } from './announcement.js'
import { audiencesOf, PUBLIC_AUDIENCE_ID, sameAudience } from './audience.js'
import { CATEGORY_TTL_MS, GOODBYE_TIMEOUT_MS, HEARTBEAT_MS, REANNOUNCE_DEBOUNCE_MS, TTL_MS } from './constants.js'
import { seenBy } from './containers.js'
import { InvalidCategoryError } from './errors.js'
import { SelfState } from './self-state.js'
import { WatchedPresentities } from './watched.js'
import { WatchStore } from './watch-store.js'
import { goodbyeBarrier } from './goodbye-barrier.js'
import type { BarrierComponents } from './goodbye-barrier.js'
import { sleep } from '../util/wait.js'
import type { Audience, Publication } from './audience.js'
import type { Container } from './containers.js'
import type { OwnCategories, OwnCategory, SignedItem } from './own-categories.js'
import type { PresenceEvents, PresenceService as PresenceServiceInterface, PresenceServiceInit, PresenceView, SeenBy, SelfPresence } from './index.js'
import type { Roster, RosterChangeEvent } from '../roster/index.js'
import type { PubSub } from '../pubsub.js'
import type { Category, CategoryKey, StateCategory } from '../../protocol/categories.js'
import type { CategoryRejectReason } from '../../protocol/category-item.js'
import type { PresenceStatus, PresenceUpdate } from '../../protocol/presence-record.js'
import type { Message } from '@libp2p/gossipsub'
import type { ComponentLogger, Logger, PeerId, PrivateKey, Startable } from '@libp2p/interface'
import type { Datastore } from 'interface-datastore'

/** With ping and the connection manager (BarrierComponents), a goodbye waits until each audience still connected read it. */
export interface PresenceServiceComponents extends BarrierComponents {
  peerId: PeerId
  privateKey: PrivateKey
  datastore: Datastore
  logger: ComponentLogger
  pubsub: PubSub
  roster: Roster
}

/** What a goodbye shows: offline, not by anyone's choice. */
const GOODBYE: StateCategory = { kind: 'state', availability: 'offline', source: 'automatic' }

export class PresenceService extends TypedEventEmitter<PresenceEvents> implements PresenceServiceInterface, Startable {
  readonly [Symbol.toStringTag] = 'presence-mesh:presence'
  readonly [serviceCapabilities] = ['@presence-mesh/presence']
  readonly [serviceDependencies] = ['@libp2p/pubsub', ROSTER_CAPABILITY]

  private readonly log: Logger
  private readonly store: WatchStore
  private readonly me: SelfState
  private readonly own: OwnCategories
  private readonly watched: WatchedPresentities
  private readonly ttlMs: number
  private readonly heartbeatMs: number
  private readonly maxClockSkewMs: number
  private readonly goodbyeTimeoutMs: number
  private audiences: Audience[] = []
  /** Topics this node is subscribed to. */
  private readonly subscribed = new Set<string>()
  private afterStarted = false
  /** What the last `self` event showed. */
  private shownSelf?: string
  /** The last announcement that was not a goodbye: what a query is answered from. */
  private last?: Announcement
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
    if (init.initial != null) checkPresenceUpdate(init.initial)
    const categoryTtlMs = Math.min(init.categoryTtlMs ?? CATEGORY_TTL_MS, MAX_CATEGORY_TTL_MS)
    this.me = new SelfState(components, this.log, init, categoryTtlMs, () => { void this.announce() })
    this.own = this.me.own
    this.watched = new WatchedPresentities({
      roster: components.roster,
      store: this.store,
      log: this.log,
      maxClockSkewMs: this.maxClockSkewMs,
      onPresence: (detail) => { this.safeDispatchEvent('presence', { detail }) },
      onRejected: (reason, topic) => { this.safeDispatchEvent('rejected', { detail: { reason, topic } }) },
      // a contact that reads bundles from now on (or no longer) gets its next message in its version at once
      onVersion: () => { void this.followRoster() }
    })
    this.validate = this.validate.bind(this)
    this.onSubscriptionChange = this.onSubscriptionChange.bind(this)
    this.onRosterChange = this.onRosterChange.bind(this)
  }

  isStarted (): boolean {
    return this.started
  }

  async start (): Promise<void> {
    this.seq = await this.store.loadSeq()
    await this.watched.load()
    await this.me.load()
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
    if (this.last == null) await this.announce()
  }

  /** Says goodbye while the network is still up, so watchers see offline at once. */
  async beforeStop (): Promise<void> {
    clearInterval(this.heartbeat)
    clearTimeout(this.reannounce)
    this.me.stop()
    if (!this.started) return
    this.me.leaving = true
    const read = async (): Promise<void> => { await goodbyeBarrier(this.components, this.audiences.map(a => a.id).filter(id => id !== PUBLIC_AUDIENCE_ID), this.goodbyeTimeoutMs) }
    await Promise.race([this.announce(this.audiences, true).then(read), sleep(this.goodbyeTimeoutMs)])
  }

  async stop (): Promise<void> {
    const { pubsub } = this.components
    pubsub.removeEventListener('subscription-change', this.onSubscriptionChange)
    this.components.roster.removeEventListener('roster:change', this.onRosterChange)
    this.watched.stop()
    for (const topic of this.subscribed) pubsub.topicValidators.delete(topic)
    this.subscribed.clear()
    this.audiences = []
    await this.announcing
    await this.following
    await this.watched.settled()
    this.afterStarted = false
    this.started = false
    this.me.leaving = false
  }

  // ---- this node's presence ----

  get self (): SelfPresence {
    return this.me.self(this.seq)
  }

  state (): StateCategory {
    return this.me.state()
  }

  async setPresence (update: PresenceUpdate): Promise<void> {
    await this.me.apply(update)
    await this.refresh()
  }

  async setState (availability: PresenceStatus): Promise<void> {
    checkPresenceUpdate({ status: availability })
    await this.own.setManual(availability)
    await this.announce()
  }

  reportActivity (at?: number, source?: string): void {
    this.me.reportActivity(at, source)
  }

  async setAwayAfter (ms: number | null): Promise<void> {
    await this.me.setAwayAfter(ms)
  }

  categories (): OwnCategory[] {
    return this.own.list()
  }

  async setCategory (category: Category): Promise<void> {
    await this.own.set(category)
    await this.refresh()
  }

  async clearCategory (key: string): Promise<boolean> {
    if (!isCategoryKey(key) || key === 'state') throw new InvalidCategoryError(key, 'key', key === 'state' ? 'not-settable' : 'unknown-value')
    const cleared = await this.own.clear(key)
    if (cleared) await this.refresh()
    return cleared
  }

  async publishCategory (key: string, containers: Container[] | undefined): Promise<void> {
    await this.own.publish(key as CategoryKey, containers)
    await this.refresh()
  }

  seenBy (peer: PeerId | string): SeenBy {
    return seenBy(this.components.roster, peer.toString(), ['state', ...this.own.keys()], key => this.own.publishedTo(key), key => key === 'state' ? this.state() : this.own.get(key))
  }

  itemFor (peer: PeerId | string, key: CategoryKey): Uint8Array | undefined {
    const last = this.last
    if (last == null || this.me.leaving) return undefined
    const seen = this.seenBy(peer).categories.find(c => c.key === key)
    if (seen?.visible !== true) return undefined
    const signed: SignedItem | undefined = key === 'state' ? last.state : last.items.get(key)
    return signed != null && signed.item.expiresAt > Date.now() ? signed.envelope : undefined
  }

  // ---- watched presentities ----

  list (): PresenceView[] {
    return this.watched.list()
  }

  get (peer: PeerId | string): PresenceView | undefined {
    return this.watched.get(peer.toString())
  }

  channelOf (peer: PeerId | string): string | undefined {
    return this.watched.channelOf(peer.toString())
  }

  watchingNow (): string[] {
    const { pubsub } = this.components
    return this.audiences
      .filter(a => a.id !== PUBLIC_AUDIENCE_ID && pubsub.getSubscribers(a.topic).some(p => p.toString() === a.id))
      .map(a => a.id)
  }

  getRejections (): Record<CategoryRejectReason, number> {
    return this.watched.getRejections()
  }

  // ---- following the roster ----

  private onRosterChange (evt: CustomEvent<RosterChangeEvent>): void {
    evt.detail.waitUntil(this.followRoster())
  }

  /** What the audience-building functions need of this node's categories. */
  private publication (): Publication {
    return { keys: this.own.keys(), publishedTo: key => this.own.publishedTo(key), versionOf: peer => this.watched.versionOf(peer) }
  }

  /** After this node's own presence changed: audiences may see other categories now; everyone gets the new state. */
  private async refresh (): Promise<void> {
    await this.followRoster(true)
  }

  /**
   * Brings audiences, watched presentities and subscriptions in line with the
   * roster: whoever lost sight of this node first gets an OFFLINE record
   * (what a clean stop looks like), an audience that is new or sees other
   * categories gets a message at once. Resolves once the goodbyes are published.
   */
  private async followRoster (announceAll = false): Promise<void> {
    const next = this.following.then(async () => {
      if (!this.afterStarted) return
      const after = audiencesOf(this.components.roster, this.components.peerId, this.publication())
      const goodbye = this.audiences.filter(a => !after.some(b => a.id === b.id && a.topic === b.topic))
      const changed = after.filter(a => !this.audiences.some(b => sameAudience(a, b)))
      // from now on no announcement reaches the lost audiences; the goodbye is the last
      this.audiences = after
      if (goodbye.length > 0) {
        await this.announce(goodbye, true)
        await goodbyeBarrier(this.components, goodbye.map(a => a.id).filter(id => id !== PUBLIC_AUDIENCE_ID), this.goodbyeTimeoutMs)
      }
      await this.syncWatched()
      this.syncSubscriptions()
      if (announceAll) await this.announce()
      else if (changed.length > 0 && this.state().availability !== 'offline') await this.announce(changed)
    })
    this.following = next.catch((err: unknown) => { this.log.error('could not follow the roster - %e', err) })
    await next
  }

  /** Watched: the roster's contacts and watched people (blocked ones kept, unheard, for their replay state). */
  private async syncWatched (): Promise<void> {
    const want = new Set(this.components.roster.people().filter(p => p.contact != null || p.watched).map(p => p.id))
    await this.watched.sync(want)
  }

  /** Subscribed topics = audience topics + watched channels; nothing else, so no subscription says more than it must. */
  private syncSubscriptions (): void {
    const { pubsub } = this.components
    const wanted = new Set([...this.audiences.map(a => a.topic), ...this.watched.topics()])
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

  /** Announces to `to` (default: every audience); a goodbye is the OFFLINE state and nothing else. */
  private async announce (to?: Audience[], goodbye = false): Promise<void> {
    const next = this.announcing.then(async () => { await this.announceNow(to ?? this.audiences, goodbye) })
    this.announcing = next.catch((err: unknown) => { this.log.error('could not announce - %e', err) })
    await next
  }

  private async announceNow (audiences: Audience[], goodbye: boolean): Promise<void> {
    if (!this.started) return
    // appearing offline shows exactly what a goodbye shows
    goodbye ||= this.state().availability === 'offline'
    const now = Date.now()
    const stale = goodbye ? [] : this.own.stale(now)
    // Time-based floor: even a node whose datastore was lost never reuses a sequence number
    // within the lifetime of records it may have sent before. The state takes the last one.
    const first = this.seq + 1n > BigInt(now) ? this.seq + 1n : BigInt(now)
    const seq = first + BigInt(stale.length)
    await this.store.saveSeq(seq)
    this.seq = seq
    stale.forEach((key, i) => this.own.sign(key, first + BigInt(i), now))
    const items = new Map<CategoryKey, SignedItem>()
    if (!goodbye) for (const key of this.own.keys()) items.set(key, this.own.signedItem(key) as SignedItem)
    const announcement = new Announcement({
      self: this.components.peerId, key: this.components.privateKey, seq, now, ttlMs: this.ttlMs, state: goodbye ? GOODBYE : this.state(), items
    })
    if (!this.me.leaving) this.last = announcement
    this.tellSelf()
    const publicAudience = audiences.find(a => a.id === PUBLIC_AUDIENCE_ID)
    if (publicAudience != null) {
      // only a record meant for everyone may travel other public channels (the DHT)
      this.safeDispatchEvent('announce', { detail: { record: announcement.legacyRecord(publicAudience.categories), envelope: await announcement.legacyEnvelope(publicAudience.categories) } })
    }
    await Promise.all(audiences.map(async (a) => {
      try {
        const result = await this.components.pubsub.publish(a.topic, await sealForAudience(announcement, a))
        this.log.trace('announced seq %s to %s (version %d, %d peers)', seq, a.id, a.version, result.recipients.length)
      } catch (err) {
        this.log.error('could not announce presence to %s - %e', a.id, err)
      }
    }))
  }

  /** A `self` event when what this node shows of itself changed (by hand, by a client, or automatic away). */
  private tellSelf (): void {
    const self = this.self
    const shown = JSON.stringify([self.status, self.note, self.activity, self.auto])
    if (shown === this.shownSelf) return
    this.shownSelf = shown
    this.safeDispatchEvent('self', { detail: self })
  }

  private onSubscriptionChange (evt: CustomEvent<{ peerId: PeerId, subscriptions: Array<{ topic: string, subscribe: boolean }> }>): void {
    // only the audience itself: anyone else who learned a pair topic's name gets no liveness probe
    const joined = evt.detail.subscriptions.some(s => s.subscribe && this.audiences.some(a => a.topic === s.topic && (a.id === PUBLIC_AUDIENCE_ID || a.id === evt.detail.peerId.toString())))
    if (!joined || this.reannounce != null || this.state().availability === 'offline') return
    // a new watcher gets a fresh record now instead of waiting for the heartbeat
    this.reannounce = setTimeout(() => {
      this.reannounce = undefined
      void this.announce()
    }, REANNOUNCE_DEBOUNCE_MS)
  }

  // ---- watching ----

  private async validate (from: PeerId, msg: Message): Promise<TopicValidatorResult> {
    if (this.components.roster.isBlocked(from)) return TopicValidatorResult.Ignore
    if (this.watched.isChannel(msg.topic)) return await this.watched.validate(msg.topic, msg.data)
    const own = this.audiences.find(a => a.id === PUBLIC_AUDIENCE_ID && a.topic === msg.topic)
    if (own == null) return TopicValidatorResult.Ignore
    // our public topic carries only our records, and we never need to accept one
    const res = await openPresence(msg.data, { now: Date.now(), expectedPresentity: this.components.peerId, lastSeq: this.seq, maxClockSkewMs: this.maxClockSkewMs })
    return this.watched.rejected(msg.topic, res.ok ? 'replay' : res.reason, res.ok ? undefined : res.detail)
  }
}
