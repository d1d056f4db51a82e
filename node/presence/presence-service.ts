/**
 * The presence service: announces this node's presence to each audience (the
 * public topic with a plain record, or a contact with what its containers
 * allow: on its notify stream when it is directly connected, else sealed for
 * it on the pair topic; delivery.ts) and watches other presentities on their
 * channels and notify streams (watched.ts). Who is an audience and whom to
 * watch is the roster's; what each audience sees is the containers'
 * (containers.ts). Whoever loses sight of this node gets a goodbye first.
 */
import { serviceCapabilities, serviceDependencies, TypedEventEmitter } from '@libp2p/interface'
import { TopicValidatorResult } from '@libp2p/gossipsub'
import { isCategoryKey } from '../../protocol/categories.js'
import { MAX_CATEGORY_TTL_MS, MAX_CLOCK_SKEW_MS } from '../../protocol/limits.js'
import { checkPresenceUpdate, openPresence } from '../../protocol/presence-record.js'
import { ROSTER_CAPABILITY } from '../roster/constants.js'
import { PUBLIC_AUDIENCE_ID, audienceChanges } from './audience.js'
import { CurrentAudiences } from './current-audiences.js'
import { CATEGORY_TTL_MS, GOODBYE_TIMEOUT_MS, HEARTBEAT_MS, PAIR_TOPIC_GRACE_MS, REANNOUNCE_DEBOUNCE_MS, TTL_MS } from './constants.js'
import { seenBy } from './containers.js'
import { deliver } from './delivery.js'
import { DirectPath, optionalNotify } from './direct-path.js'
import { InvalidCategoryError } from './errors.js'
import { SelfState } from './self-state.js'
import { TopicSubscriptions } from './topic-subscriptions.js'
import { WatchedPresentities } from './watched.js'
import { WatchStore } from './watch-store.js'
import { devicesOf } from './person-devices.js'
import { goodbyeBarrier } from './goodbye-barrier.js'
import { NewSubscribers } from './new-subscribers.js'
import { PairPeers } from './pair-peers.js'
import type { PairPeersComponents } from './pair-peers.js'
import type { BarrierComponents } from './goodbye-barrier.js'
import { sleep } from '../util/wait.js'
import type { Announcement } from './announcement.js'
import type { Audience } from './audience.js'
import type { Container } from './containers.js'
import type { OwnCategories, OwnCategory, SignedItem, StagedChange } from './own-categories.js'
import type { PresenceEvents, PresenceService as PresenceServiceInterface, PresenceServiceInit, PresenceView, SeenBy, SelfPresence } from './index.js'
import type { PresenceNotify } from '../notify/index.js'
import type { Roster, RosterChangeEvent } from '../roster/index.js'
import type { PubSub } from '../pubsub.js'
import type { Category, CategoryKey, StateCategory } from '../../protocol/categories.js'
import type { CategoryRejectReason } from '../../protocol/category-item.js'
import type { PresenceStatus, PresenceUpdate } from '../../protocol/presence-record.js'
import type { Message } from '@libp2p/gossipsub'
import type { ComponentLogger, Logger, PeerId, PrivateKey, Startable } from '@libp2p/interface'
import type { Datastore } from 'interface-datastore'

/** A follow of the roster waiting for the one running: what the calls that joined it asked for. */
interface QueuedFollow { announceAll: boolean, unblocked: Set<string>, done: Promise<void> }

/**
 * With ping and the connection manager (BarrierComponents), a goodbye waits
 * until each audience still connected read it; libp2p's events say which
 * contact devices are connected (PairPeersComponents: their pair topics).
 */
export interface PresenceServiceComponents extends BarrierComponents, PairPeersComponents {
  peerId: PeerId
  privateKey: PrivateKey
  datastore: Datastore
  logger: ComponentLogger
  pubsub: PubSub
  roster: Roster
  /** The direct path (node/notify); without it every message goes by gossip. */
  presenceNotify?: PresenceNotify
}

export class PresenceService extends TypedEventEmitter<PresenceEvents> implements PresenceServiceInterface, Startable {
  readonly [Symbol.toStringTag] = 'presence-mesh:presence'
  readonly [serviceCapabilities] = ['@presence-mesh/presence']
  readonly [serviceDependencies] = ['@libp2p/pubsub', ROSTER_CAPABILITY]

  private readonly log: Logger
  private readonly store: WatchStore
  private readonly me: SelfState
  private readonly own: OwnCategories
  private readonly watched: WatchedPresentities
  private readonly direct: DirectPath
  private readonly ttlMs: number
  private readonly heartbeatMs: number
  private readonly maxClockSkewMs: number
  private readonly goodbyeTimeoutMs: number
  private readonly audiences: CurrentAudiences
  private readonly topics: TopicSubscriptions
  /** The contact devices whose pair topics are subscribed now: those this node is connected to. */
  private readonly pairPeers: PairPeers
  private afterStarted = false
  /** The last announcement that was not a goodbye: what a query is answered from. */
  private last?: Announcement
  private started = false
  private heartbeat?: ReturnType<typeof setInterval>
  private readonly newSubscribers: NewSubscribers
  /** Announcements run one at a time so sequence numbers go out in order; how many are started or queued. */
  private announcing: Promise<void> = Promise.resolve()
  private announcingCount = 0
  /** Roster changes are followed one at a time, in order. */
  private following: Promise<void> = Promise.resolve()
  /** The follow that waits for the one running, if any: later calls join it. */
  private queuedFollow?: QueuedFollow

  constructor (private readonly components: PresenceServiceComponents, init: PresenceServiceInit = {}) {
    super()
    this.log = components.logger.forComponent('presence-mesh:presence')
    this.store = new WatchStore(components.datastore, err => { this.log.error('could not store watched presence - %e', err) })
    this.ttlMs = init.ttlMs ?? TTL_MS
    this.heartbeatMs = init.heartbeatMs ?? (init.ttlMs != null ? Math.floor(init.ttlMs / 3) : HEARTBEAT_MS)
    this.maxClockSkewMs = init.maxClockSkewMs ?? MAX_CLOCK_SKEW_MS
    this.goodbyeTimeoutMs = init.goodbyeTimeoutMs ?? GOODBYE_TIMEOUT_MS
    if (init.initial != null) checkPresenceUpdate(init.initial)
    const categoryTtlMs = Math.min(init.categoryTtlMs ?? CATEGORY_TTL_MS, MAX_CATEGORY_TTL_MS)
    this.me = new SelfState(components, this.log, init, categoryTtlMs, this.store, () => { void this.announce() })
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
    this.direct = new DirectPath(optionalNotify(components), components.pubsub, this.log, {
      receive: (from, inner) => { this.watched.receiveDirect(from, inner) },
      audienceOf: peer => this.audiences.find(peer)
    })
    // what the audience-building functions need of this node's categories
    this.audiences = new CurrentAudiences(components.roster, components.peerId, () => ({ keys: this.own.keys(), publishedTo: key => this.own.publishedTo(key), versionOf: peer => this.watched.versionOf(peer) }), this.direct)
    this.validate = this.validate.bind(this)
    this.topics = new TopicSubscriptions(components.pubsub, this.validate)
    this.pairPeers = new PairPeers(components, init.pairTopicGraceMs ?? PAIR_TOPIC_GRACE_MS, peer => { this.pairPeerChanged(peer) })
    this.newSubscribers = new NewSubscribers(REANNOUNCE_DEBOUNCE_MS, ids => { void this.announce(this.audiences.list.filter(a => ids.includes(a.id))) })
    this.onSubscriptionChange = this.onSubscriptionChange.bind(this)
    this.onRosterChange = this.onRosterChange.bind(this)
  }

  isStarted (): boolean {
    return this.started
  }

  async start (): Promise<void> {
    await this.watched.load()
    await this.me.load()
    this.started = true
  }

  /** Runs once pubsub and the roster are up: subscribe, announce, start the heartbeat. */
  async afterStart (): Promise<void> {
    this.components.pubsub.addEventListener('subscription-change', this.onSubscriptionChange)
    this.components.roster.addEventListener('roster:change', this.onRosterChange)
    this.direct.start()
    this.pairPeers.start()
    this.afterStarted = true
    this.heartbeat = setInterval(() => { void this.announce() }, this.heartbeatMs)
    this.heartbeat.unref?.()
    await this.followRoster()
    if (this.last == null) await this.announce()
  }

  /** Says goodbye while the network is still up, so watchers see offline at once. */
  async beforeStop (): Promise<void> {
    // nothing new is announced from here on but the goodbye
    this.components.pubsub.removeEventListener('subscription-change', this.onSubscriptionChange)
    this.stopTimers()
    this.me.stop()
    if (!this.started) return
    this.me.leaving = true
    const read = async (): Promise<void> => { await goodbyeBarrier(this.components, this.audiences.list.map(a => a.id).filter(id => id !== PUBLIC_AUDIENCE_ID), this.goodbyeTimeoutMs) }
    await Promise.race([this.announce(this.audiences.list, true).then(read), sleep(this.goodbyeTimeoutMs)])
  }

  async stop (): Promise<void> {
    const { pubsub } = this.components
    // nothing is followed or announced from here on; what is under way ends at its next step
    this.afterStarted = false
    this.started = false
    pubsub.removeEventListener('subscription-change', this.onSubscriptionChange)
    this.components.roster.removeEventListener('roster:change', this.onRosterChange)
    this.direct.stop()
    this.pairPeers.stop()
    this.stopTimers()
    this.me.stop()
    await this.following
    await this.announcing
    // only now: a roster change under way could have watched or subscribed again
    this.watched.stop()
    this.topics.clear()
    this.audiences.set([], 0)
    await this.watched.settled()
    this.me.leaving = false
  }

  private stopTimers (): void {
    clearInterval(this.heartbeat)
    this.heartbeat = undefined
    this.newSubscribers.stop()
  }

  // ---- this node's presence ----

  get self (): SelfPresence {
    return this.me.self()
  }

  state (): StateCategory {
    return this.me.state()
  }

  async setPresence (update: PresenceUpdate): Promise<void> {
    await this.change(() => this.me.stage(update))
  }

  async setState (availability: PresenceStatus): Promise<void> {
    await this.change(() => this.me.stageState(availability))
  }

  /**
   * A change of this node's own presence, checked whole by `stage` (which
   * throws, changing nothing, on bad input) and applied in memory; announced
   * at once, so no disk write sits between the change and the wire; then
   * stored in one transaction. If that fails, the change is undone, the old
   * presence announced again, and the error thrown.
   */
  private async change (stage: () => StagedChange): Promise<void> {
    const keys = this.own.keys()
    const staged = stage()
    // the categories that exist decide what each audience sees: recompute the audiences only when they changed (a new key list)
    const same = this.own.keys() === keys
    if (!same) this.audiences.changed()
    const announced = same ? this.announce() : this.refresh()
    try {
      await staged.commit()
    } catch (err) {
      staged.revert()
      this.audiences.changed()
      announced.catch(() => {})
      await this.refresh()
      throw err
    }
    await announced
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
    this.audiences.changed()
    await this.refresh()
  }

  async clearCategory (key: string): Promise<boolean> {
    if (!isCategoryKey(key) || key === 'state') throw new InvalidCategoryError(key, 'key', key === 'state' ? 'not-settable' : 'unknown-value')
    const cleared = await this.own.clear(key)
    if (!cleared) return false
    this.audiences.changed()
    await this.refresh()
    return cleared
  }

  async publishCategory (key: string, containers: Container[] | undefined): Promise<void> {
    await this.own.publish(key as CategoryKey, containers)
    this.audiences.changed()
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
    return this.audiences.subscribed(topic => this.components.pubsub.getSubscribers(topic))
  }

  getRejections (): Record<CategoryRejectReason, number> {
    return this.watched.getRejections()
  }

  // ---- following the roster ----

  private onRosterChange (evt: CustomEvent<RosterChangeEvent>): void {
    this.audiences.rosterChanged(evt.detail)
    // an unblocked contact's streams were closed by the block and are reopening: the record announced now
    // may reach nobody, and its subscription may come before the follow made it an audience again (and be
    // ignored), so each of its devices is owed the record as a new subscriber is (retried until reached, for ~16 s)
    const unblocked = evt.detail.people.flatMap(p => p.before?.blockedSince != null && p.after != null && p.after.blockedSince == null ? devicesOf(p.after) : [])
    evt.detail.waitUntil(this.followRoster(false, unblocked))
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
   *
   * Calls made while a follow waits to start share it: it reads the roster
   * when it starts, so it follows every change made before (a burst of
   * roster changes at start costs one follow, not one per change).
   */
  private async followRoster (announceAll = false, unblocked: string[] = []): Promise<void> {
    const queued = this.queuedFollow
    if (queued != null) {
      queued.announceAll ||= announceAll
      for (const d of unblocked) queued.unblocked.add(d)
      return await queued.done
    }
    const follow: QueuedFollow = { announceAll, unblocked: new Set(unblocked), done: Promise.resolve() }
    this.queuedFollow = follow
    const next = this.following.then(async () => {
      this.queuedFollow = undefined
      await this.followNow(follow.announceAll, follow.unblocked)
    })
    follow.done = next
    this.following = next.catch((err: unknown) => { this.log.error('could not follow the roster - %e', err) })
    await next
  }

  private async followNow (announceAll: boolean, unblocked: ReadonlySet<string>): Promise<void> {
    if (!this.afterStarted) return
    const { audiences: after, at } = this.audiences.compute()
    const before = this.audiences.list
    const { lost, changed } = audienceChanges(before, after)
    const goodbye = this.audiences.owedGoodbye(lost)
    // from now on no announcement reaches the lost audiences; the goodbye is the last
    this.audiences.set(after, at)
    if (goodbye.length > 0) {
      await this.announce(goodbye, true)
      await goodbyeBarrier(this.components, goodbye.map(a => a.id).filter(id => id !== PUBLIC_AUDIENCE_ID), this.goodbyeTimeoutMs)
    }
    if (!this.afterStarted) return
    await this.syncWatched()
    if (!this.afterStarted) return
    this.syncTopics()
    this.direct.listen(this.watched.heardOnPairChannel())
    const online = this.state().availability !== 'offline'
    if (online) for (const a of changed) if (unblocked.has(a.id)) this.newSubscribers.subscribed(a.id, a.id, false)
    if (announceAll) await this.announce()
    else if (changed.length > 0 && online) await this.announce(changed)
  }

  /**
   * Subscribed: the audience topics and watched channels, nothing else, and a
   * contact device's pair topic (its audience's and its channel's) only while
   * this node is connected to the device (pair-peers.ts, docs/protocol.md §8.3).
   */
  private syncTopics (): void {
    const pair = (peer: string): boolean => this.pairPeers.has(peer)
    this.topics.sync(new Set([...this.audiences.list.filter(a => a.pair == null || pair(a.id)).map(a => a.topic), ...this.watched.topics(pair)]))
  }

  /** A peer connected, or its grace after the last connection ran out: if it is a contact's device, its pair topic follows. */
  private pairPeerChanged (peer: string): void {
    if (!this.afterStarted) return
    if (this.watched.channelOf(peer) == null && this.audiences.find(peer) == null) return
    this.syncTopics()
  }

  /** Watched: the roster's contacts and watched people, each through their devices (blocked ones kept, unheard, for their replay state). */
  private async syncWatched (): Promise<void> {
    await this.watched.sync(new Map(this.components.roster.people().filter(p => p.contact != null || p.watched).map(p => [p.id, devicesOf(p)])))
  }

  // ---- announcing ----

  /** Announces to `to` (default: every audience); a goodbye is the OFFLINE state and nothing else. */
  private async announce (to?: Audience[], goodbye = false): Promise<void> {
    const run = async (): Promise<void> => { await this.announceNow(to ?? this.audiences.list, goodbye) }
    // none under way: this one starts now, so its bytes are written before the caller's next step (a disk write, say)
    const next = this.announcingCount === 0 ? run() : this.announcing.then(run)
    this.announcingCount++
    this.announcing = next.catch((err: unknown) => { this.log.error('could not announce - %e', err) }).finally(() => { this.announcingCount-- })
    await next
  }

  private async announceNow (to: Audience[], farewell: boolean): Promise<void> {
    if (!this.started) return
    // appearing offline shows exactly what a goodbye shows
    const goodbye = farewell || this.state().availability === 'offline'
    const next = this.me.announcement(Date.now(), goodbye, this.ttlMs)
    const announcement = next instanceof Promise ? await next : next
    if (!this.started) return
    // a goodbye to whoever lost sight (a block, say) is not what everyone else is shown
    if (!farewell && !this.me.leaving) this.last = announcement
    // a goodbye goes to whoever lost sight; anything else only to who sees this node now, as it does now
    const audiences = farewell ? to : this.audiences.still(to)
    const publicAudience = audiences.find(a => a.id === PUBLIC_AUDIENCE_ID)
    const number = this.newSubscribers.announcing()
    const delivered = deliver(announcement, audiences, this.direct, this.components.pubsub, this.log, farewell)
    // a `self` event when what this node shows of itself changed (by hand, by a client, or automatic away)
    const self = this.me.changedSelf()
    if (self != null) this.safeDispatchEvent('self', { detail: self })
    if (publicAudience != null) {
      // only a record meant for everyone may travel other public channels (the DHT)
      this.safeDispatchEvent('announce', { detail: { record: announcement.legacyRecord(publicAudience.categories), envelope: announcement.legacyEnvelope(publicAudience.categories) } })
    }
    const { reached, publicRecipients } = await delivered
    // a new subscriber counts as served only by a message sent to it, not by one that went to nobody, nor by a goodbye
    if (!farewell) this.newSubscribers.reached(number, reached, publicRecipients)
  }

  private onSubscriptionChange (evt: CustomEvent<{ peerId: PeerId, subscriptions: Array<{ topic: string, subscribe: boolean }> }>): void {
    if (this.state().availability === 'offline') return
    const peer = evt.detail.peerId.toString()
    // only the audience itself (anyone else who learned a pair topic's name gets no liveness probe) gets a fresh record soon
    for (const s of evt.detail.subscriptions.filter(s => s.subscribe)) {
      const audience = this.audiences.list.find(a => a.topic === s.topic && (a.id === PUBLIC_AUDIENCE_ID || a.id === peer))
      if (audience != null) this.newSubscribers.subscribed(audience.id, peer, audience.id === PUBLIC_AUDIENCE_ID)
    }
  }

  // ---- watching ----

  private async validate (from: PeerId, msg: Message): Promise<TopicValidatorResult> {
    if (this.components.roster.isBlocked(from)) return TopicValidatorResult.Ignore
    if (this.watched.isChannel(msg.topic)) return await this.watched.validate(msg.topic, msg.data, from.toString())
    const own = this.audiences.list.find(a => a.id === PUBLIC_AUDIENCE_ID && a.topic === msg.topic)
    if (own == null) return TopicValidatorResult.Ignore
    // our public topic carries only our records, and we never need to accept one
    const res = await openPresence(msg.data, { now: Date.now(), expectedPresentity: this.components.peerId, lastSeq: this.me.seqs.current, maxClockSkewMs: this.maxClockSkewMs })
    return this.watched.rejected(msg.topic, res.ok ? 'replay' : res.reason, res.ok ? undefined : res.detail)
  }
}
