/**
 * The watching side of presence: one view per watched device (presentity),
 * fed by the messages on its channel or its notify stream (a version 1 record
 * or a version 2 bundle), with replay floors per category that survive
 * restarts, and what each presentity was seen to read (so this node answers
 * it in kind); one view per watched person, composed from their devices'
 * with their local expiry (person-view.ts, docs/protocol.md §15). A message
 * is checked and shown synchronously (a second copy by another path is a
 * replay), and its floors are written within WATCH_PERSIST_DELAY_MS, all
 * presentities' in one batch.
 */
import { TopicValidatorResult } from '@libp2p/gossipsub'
import { activityFromText, activityText, categoryKey } from '../../protocol/categories.js'
import { BUNDLE_VERSION, openBundle } from '../../protocol/category-bundle.js'
import { DIRECT_VERSION, openDirectBundle, parseDirect } from '../../protocol/direct-bundle.js'
import type { DirectBundleResult, KnownItem } from '../../protocol/direct-bundle.js'
import { peerIdFromString } from '@libp2p/peer-id'
import { CATEGORY_REJECT_REASONS } from '../../protocol/category-item.js'
import { openPresenceNow } from '../../protocol/presence-record.js'
import { channelOf } from './audience.js'
import { WATCH_PERSIST_DELAY_MS } from './constants.js'
import { PersonView } from './person-view.js'
import type { DeviceDetail, PersonOutcome } from './person-view.js'
import type { PresenceVersion, WatchChannel } from './audience.js'
import type { DirectMessage } from '../../protocol/direct-bundle.js'
import type { BundleResult, SeqLookup } from '../../protocol/category-bundle.js'
import type { PresenceView, PresenceEventDetail } from './index.js'
import type { StoredWatch, WatchStore } from './watch-store.js'
import type { ActivityCategory, CardCategory, Category, CategoryKey, NoteCategory, StateCategory } from '../../protocol/categories.js'
import type { CategoryItem, CategoryRejectReason } from '../../protocol/category-item.js'
import type { Presence } from '../../protocol/presence-record.js'
import type { Roster } from '../roster/index.js'
import type { Logger, PeerId } from '@libp2p/interface'

/** A category as a watcher holds it; `seq` is absent for what came from a version 1 record. */
interface Held {
  category: Category
  seq?: bigint
  /** The item and its bytes, when it came whole on the notify stream (version 3): the same bytes again need only the clock's checks. */
  known?: KnownItem
}

/** How a record's checks read `w`'s floors, held seqs and known items in place: made once per presentity, not per record. */
interface Lookups { floors: SeqLookup, held: SeqLookup, known: (payload: Uint8Array) => KnownItem | undefined }

interface Watched {
  /** The presentity's peer id (what a version 3 item must name). */
  peer: PeerId
  view: PresenceView
  held: Map<CategoryKey, Held>
  /** Highest accepted seq per category other than the state (whose floor is view.seq). */
  floors: Map<string, bigint>
  /** Where its messages arrive; undefined while this node does not listen (blocked, or it cannot see us). */
  channel?: WatchChannel
  /** Makes its record for the store (one function per presentity, given to each saveSoon). */
  persisted?: () => StoredWatch
  lookups?: Lookups
}


export interface WatchedInit {
  roster: Roster
  store: WatchStore
  log: Logger
  maxClockSkewMs: number
  onPresence: (detail: PresenceEventDetail) => void
  onRejected: (reason: CategoryRejectReason, topic: string) => void
  /** A presentity turned out to read another version than assumed: answer it in its version. */
  onVersion: (peerId: string, version: PresenceVersion) => void
}


export class WatchedPresentities {
  /** By device peer id. */
  private readonly watched = new Map<string, Watched>()
  /** Watched people by person id, and the person of each watched device. */
  private readonly people = new Map<string, PersonView>()
  private readonly personOf = new Map<string, string>()
  /** What the store held at start: replay state of presentities not watched yet. */
  private stored = new Map<string, StoredWatch>()
  /** Topic of each watched presentity's channel -> its peer id. */
  private readonly channelTopics = new Map<string, string>()
  private readonly versions = new Map<string, PresenceVersion>()
  private readonly rejections = Object.fromEntries(CATEGORY_REJECT_REASONS.map(r => [r, 0])) as Record<CategoryRejectReason, number>

  constructor (private readonly init: WatchedInit) {}

  async load (): Promise<void> {
    this.stored = new Map((await this.init.store.loadAll()).map(w => [w.peerId, w]))
    // what a contact read before a restart, it reads now: no version 1 message at first
    for (const s of this.stored.values()) if (s.reads === BUNDLE_VERSION) this.versions.set(s.peerId, BUNDLE_VERSION)
  }

  stop (): void {
    for (const p of this.people.values()) p.stop()
    this.people.clear()
    this.personOf.clear()
    this.watched.clear()
    this.channelTopics.clear()
  }

  /**
   * Watches exactly `people` (person id -> the peer ids of their devices); a
   * device no longer watched is forgotten, replay state included.
   */
  async sync (people: Map<string, string[]>): Promise<void> {
    // people and who each device belongs to first, with no await between: a record read meanwhile finds its person
    this.personOf.clear()
    for (const [person, devices] of people) for (const d of devices) this.personOf.set(d, person)
    for (const [id, p] of this.people) {
      if (people.has(id)) continue
      p.stop()
      this.people.delete(id)
    }
    for (const [id, devices] of people) {
      const p = this.people.get(id)
      if (p == null) {
        this.people.set(id, new PersonView(id, devices, { log: this.init.log, onExpired: (device, lateMs, outcome) => { this.expired(device, lateMs, outcome) } }))
        continue
      }
      // a device removed (revoked) that the view came from: the person shows another at once
      const outcome = p.setDevices(devices)
      if ((outcome.changed || outcome.changedCategories.length > 0) && !this.init.roster.isBlocked(id)) this.init.onPresence({ ...outcome, view: this.shown(outcome.view), cause: 'devices' })
    }
    const want = new Map(this.personOf)
    for (const [peerId, w] of this.watched) {
      if (want.has(peerId)) continue
      this.setChannel(w, undefined)
      this.watched.delete(peerId)
      this.stored.delete(peerId)
      this.versions.delete(peerId)
      await this.init.store.delete(peerId)
    }
    for (const [peerId, person] of want) {
      let w = this.watched.get(peerId)
      if (w == null) {
        const s = this.stored.get(peerId)
        w = { peer: peerIdFromString(peerId), view: { peerId, status: 'offline', seq: s?.lastSeq, lastSeen: s?.lastSeen }, held: new Map(), floors: new Map(Object.entries(s?.floors ?? {})) }
        this.watched.set(peerId, w)
        if (s == null) await this.persist(w)
      }
      // what is known of a device not heard since the start (its last sighting) shows until it is heard
      this.people.get(person)?.prime(peerId, w.view)
      this.setChannel(w, channelOf(this.init.roster, peerId))
    }
  }

  /** The topics this node must listen on: every public channel, and the pair channels of the presentities `pair` names (pair-peers.ts). */
  topics (pair: (peer: string) => boolean): string[] {
    return [...this.channelTopics].filter(([, peer]) => this.watched.get(peer)?.channel?.sealed !== true || pair(peer)).map(([topic]) => topic)
  }

  /** The presentities heard on a pair channel (contacts that may see this node): those whose notify stream this node takes. */
  heardOnPairChannel (): string[] {
    return [...this.watched.values()].filter(w => w.channel?.sealed === true).map(w => w.view.peerId)
  }

  isChannel (topic: string): boolean {
    return this.channelTopics.has(topic)
  }

  /** Every watched person's composed view (blocked ones hidden). */
  list (): PresenceView[] {
    return [...this.people.values()].filter(p => !this.init.roster.isBlocked(p.personId)).map(p => this.shown(p.view()))
  }

  /** The composed view of the person `peer` (a person id or one of their devices) is, if watched. */
  get (peer: string): PresenceView | undefined {
    const p = this.people.get(this.personOf.get(peer) ?? peer)
    return p == null ? undefined : this.shown(p.view())
  }

  /** Each device of the person `peer` is: its condition, what it counts for, which one the view comes from. */
  devices (peer: string): DeviceDetail[] | undefined {
    return this.people.get(this.personOf.get(peer) ?? peer)?.detail()
  }

  channelOf (peer: string): string | undefined {
    return this.watched.get(peer)?.channel?.topic
  }

  /** The presence version a presentity reads, as far as its messages showed (1 until shown otherwise). */
  versionOf (peer: string): PresenceVersion {
    return this.versions.get(peer) ?? 1
  }

  getRejections (): Record<CategoryRejectReason, number> {
    return { ...this.rejections }
  }

  /**
   * The gossipsub validator for a watched channel's topic, `from` the peer
   * that sent the message. No signature check where the sender is proven:
   * on a pair topic by the pair key's seal; on the presentity's public topic
   * when the message came over the presentity's own connection (Noise proves
   * that peer, and a presentity forwards nothing it receives on its own topic:
   * it only ever sends its own records there; docs/protocol.md §3).
   */
  validate (topic: string, data: Uint8Array, from?: string): TopicValidatorResult {
    const presentity = this.channelTopics.get(topic)
    const w = presentity == null ? undefined : this.watched.get(presentity)
    if (presentity == null || w?.channel == null) return TopicValidatorResult.Ignore
    return this.receive(presentity, w.channel.open(data), topic, w.channel.sealed || from === presentity)
  }

  /**
   * What a contact sent on its notify stream (the stream's Noise handshake
   * proved the sender): a version 3 bundle of unsigned items, or the inner
   * bytes of a pair-topic message. Taken only from a contact this node hears
   * on its pair channel, with the same checks and the same floors as gossip.
   */
  receiveDirect (presentity: string, payload: Uint8Array): TopicValidatorResult {
    if (this.watched.get(presentity)?.channel?.sealed !== true) return TopicValidatorResult.Ignore
    return this.receive(presentity, parseDirect(payload), 'notify', true)
  }

  /**
   * A message from a watched presentity, opened (undefined: it did not open).
   * `authenticated`: the path proved the sender, so signatures are not checked
   * (docs/protocol.md §3, "When the signature is checked"). `via` names the
   * path in logs and events.
   */
  private receive (presentity: string, message: DirectMessage | undefined, via: string, authenticated: boolean): TopicValidatorResult {
    const w = this.watched.get(presentity)
    if (w?.channel == null) return TopicValidatorResult.Ignore
    if (message == null) return this.rejected(via, 'undecryptable')
    if (message.version === 'unknown') return this.rejected(via, 'malformed', message.detail)
    const now = Date.now()
    if (message.version === BUNDLE_VERSION || message.version === DIRECT_VERSION) {
      const lookups = w.lookups ??= this.lookupsOf(w)
      const maxClockSkewMs = this.init.maxClockSkewMs
      // unsigned items only where the stream proved the sender (parseInner never reads version 3 off a pair topic)
      const res: BundleResult | DirectBundleResult = message.version === BUNDLE_VERSION
        ? openBundle(message.bundle, { now, floors: lookups.floors, held: lookups.held, maxClockSkewMs, presentity, authenticated })
        : authenticated ? openDirectBundle(message.bundle, w.peer, { now, floors: lookups.floors, held: lookups.held, known: lookups.known, maxClockSkewMs }) : { ok: false, reason: 'malformed', detail: 'version 3 off a notify stream' }
      if (!res.ok) return this.rejected(via, res.reason, res.detail)
      this.learnVersion(presentity, BUNDLE_VERSION)
      const next = new Map<CategoryKey, Held>()
      for (const key of res.kept) next.set(key, w.held.get(key) as Held)
      const payloads = message.version === DIRECT_VERSION ? (res as Extract<DirectBundleResult, { ok: true }>).payloads : undefined
      res.accepted.forEach((item, i) => {
        const key = categoryKey(item.category)
        const held: Held = { category: item.category, seq: item.seq }
        if (item.category.kind !== 'state') {
          w.floors.set(key, item.seq)
          // a copy: the frame's buffer is not kept alive for it (the state's bytes are new in every message)
          if (payloads != null) held.known = { payload: payloads[i].slice(), item, key }
        }
        next.set(key, held)
      })
      this.accept(w, res.state, next, now)
      return TopicValidatorResult.Accept
    }
    const res = openPresenceNow(message.envelope, { now, expectedPresentity: presentity, lastSeq: w.view.seq, maxClockSkewMs: this.init.maxClockSkewMs, authenticated })
    if (!res.ok) return this.rejected(via, res.reason, res.detail)
    const reads = (res.presence.maxVersion ?? 1) >= BUNDLE_VERSION ? BUNDLE_VERSION : 1
    this.learnVersion(presentity, reads)
    this.accept(w, stateItemOf(res.presence), this.fromRecord(w, res.presence, reads === BUNDLE_VERSION), now)
    return TopicValidatorResult.Accept
  }

  /** Counts and reports a refused message; the validator result its reason calls for. */
  rejected (topic: string, reason: CategoryRejectReason, detail?: string): TopicValidatorResult {
    this.rejections[reason]++
    this.init.log('rejected presence on %s: %s %s', topic, reason, detail ?? '')
    this.init.onRejected(reason, topic)
    // a replay may be an honest duplicate; anything else is the sender's fault
    return reason === 'replay' ? TopicValidatorResult.Ignore : TopicValidatorResult.Reject
  }

  /**
   * The categories a version 1 record shows: its state, note and activity.
   * A presentity that reads bundles sends a record only until it learns we
   * read them too: its other categories stay until the bundle comes.
   */
  private fromRecord (w: Watched, p: Presence, readsBundles: boolean): Map<CategoryKey, Held> {
    const next = new Map<CategoryKey, Held>()
    if (readsBundles && p.status !== 'offline') {
      for (const [key, h] of w.held) if (key !== 'note' && key !== 'activity') next.set(key, h)
    }
    if (p.note != null) next.set('note', { category: { kind: 'note', text: p.note } })
    if (p.activity != null) next.set('activity', { category: activityFromText(p.activity) })
    return next
  }

  private accept (w: Watched, state: CategoryItem, held: Map<CategoryKey, Held>, now: number): void {
    const availability = (state.category as StateCategory).availability
    const online = availability !== 'offline'
    held.set('state', { category: state.category, seq: state.seq })
    w.held = held
    // expiry follows the local clock from receipt, capped by the record's own
    // expiry plus the allowed skew: a skewed clock can neither flap nor prolong
    const expiresAt = Math.min(now + (state.expiresAt - state.issuedAt), state.expiresAt + this.init.maxClockSkewMs)
    const note = held.get('note')?.category as NoteCategory | undefined
    const activity = held.get('activity')?.category as ActivityCategory | undefined
    const card = held.get('card')?.category as CardCategory | undefined
    const categories: Record<string, Category> = {}
    for (const [k, h] of held) categories[k] = h.category
    w.view = {
      peerId: w.view.peerId,
      displayName: card?.displayName,
      status: availability,
      note: note?.text,
      activity: activity == null ? undefined : activityText(activity),
      categories,
      seq: state.seq,
      lastSeen: now,
      expiresAt: online ? expiresAt : undefined
    }
    const device = w.view.peerId
    const person = this.people.get(this.personOf.get(device) ?? device)
    if (person != null) {
      // the person's view, composed with their other devices'; the device's expiry is the person view's
      const { view, changed, changedCategories } = person.update(device, w.view)
      this.init.onPresence({ view: this.shown(view), changed, changedCategories, cause: 'record', device })
    }
    // after the event: what a person sees never waits for the disk
    this.persistSoon(w)
  }

  /** A device's record expired (its person view's timer, judged against this node's lag): it keeps nothing but its last sighting. */
  private expired (device: string, lateMs: number, outcome: PersonOutcome): void {
    const w = this.watched.get(device)
    if (w == null) return
    w.held = new Map()
    w.view = { peerId: device, status: 'offline', seq: w.view.seq, lastSeen: w.view.lastSeen }
    this.init.onPresence({ view: this.shown(outcome.view), changed: outcome.changed, changedCategories: outcome.changedCategories, cause: 'expired', lateMs, device })
  }

  private learnVersion (peerId: string, version: PresenceVersion): void {
    if (this.versionOf(peerId) === version) return
    this.versions.set(peerId, version)
    this.init.onVersion(peerId, version)
    const w = this.watched.get(peerId)
    if (w != null) this.persistSoon(w)
  }

  /** The replay floors of `w` (the state's is its view's seq), the seq of each item it holds, the items it took whole: read in place. */
  private lookupsOf (w: Watched): Lookups {
    return {
      floors: { get: key => key === 'state' ? w.view.seq : w.floors.get(key) },
      held: { get: key => w.held.get(key as CategoryKey)?.seq },
      known: payload => {
        for (const h of w.held.values()) {
          const k = h.known
          if (k != null && k.payload.byteLength === payload.byteLength && Buffer.compare(k.payload, payload) === 0) return k
        }
        return undefined
      }
    }
  }

  private setChannel (w: Watched, channel: WatchChannel | undefined): void {
    if (w.channel != null && this.channelTopics.get(w.channel.topic) === w.view.peerId) this.channelTopics.delete(w.channel.topic)
    w.channel = channel
    if (channel != null) this.channelTopics.set(channel.topic, w.view.peerId)
  }

  /** A copy of a view with the roster's name for the presentity. */
  private shown (v: PresenceView): PresenceView {
    const shown: PresenceView = { ...v, categories: v.categories == null ? undefined : { ...v.categories }, alias: this.init.roster.alias(v.peerId) }
    if (v.devices != null) shown.devices = v.devices.map(d => ({ ...d }))
    return shown
  }

  /** What the store keeps of `w` (also remembered as stored). */
  private snapshot (w: Watched): StoredWatch {
    const s: StoredWatch = {
      peerId: w.view.peerId,
      lastSeq: w.view.seq,
      lastSeen: w.view.lastSeen,
      floors: w.floors.size === 0 ? undefined : Object.fromEntries(w.floors),
      reads: this.versions.get(w.view.peerId)
    }
    this.stored.set(s.peerId, s)
    return s
  }

  private async persist (w: Watched): Promise<void> {
    await this.init.store.save(this.snapshot(w))
  }

  /** Stores replay state within WATCH_PERSIST_DELAY_MS, in one batch with every other presentity's (the store logs a failed batch); its record is made when the batch is written. */
  private persistSoon (w: Watched): void {
    this.init.store.saveSoon(w.view.peerId, w.persisted ??= () => this.snapshot(w), WATCH_PERSIST_DELAY_MS)
  }

  /** Writes the replay state still waiting for its batch (it must survive a restart). */
  async settled (): Promise<void> {
    await this.init.store.flush()
  }
}

/** The state item a version 1 record stands for (its source is not known). */
function stateItemOf (p: Presence): CategoryItem {
  return { presentity: p.presentity, seq: p.seq, issuedAt: p.issuedAt, expiresAt: p.expiresAt, category: { kind: 'state', availability: p.status } }
}
