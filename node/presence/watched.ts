/**
 * The watching side of presence: one view per watched presentity, fed by the
 * messages on its channel or its notify stream (a version 1 record or a
 * version 2 bundle), with replay floors per category that survive restarts,
 * local expiry, and what each presentity was seen to read (so this node
 * answers it in kind). A message is checked and shown synchronously (a second
 * copy by another path is a replay), and its floors are written within
 * WATCH_PERSIST_DELAY_MS, all presentities' in one batch.
 */
import { TopicValidatorResult } from '@libp2p/gossipsub'
import { activityFromText, activityText, categoryKey, sameCategory } from '../../protocol/categories.js'
import { BUNDLE_VERSION, openBundle } from '../../protocol/category-bundle.js'
import { DIRECT_VERSION, openDirectBundle, parseDirect } from '../../protocol/direct-bundle.js'
import { peerIdFromString } from '@libp2p/peer-id'
import { CATEGORY_REJECT_REASONS } from '../../protocol/category-item.js'
import { openPresenceNow } from '../../protocol/presence-record.js'
import { channelOf } from './audience.js'
import { WATCH_PERSIST_DELAY_MS } from './constants.js'
import { expiryRecheckMs } from './expiry.js'
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
}

interface Watched {
  /** The presentity's peer id (what a version 3 item must name). */
  peer: PeerId
  view: PresenceView
  held: Map<CategoryKey, Held>
  /** Highest accepted seq per category other than the state (whose floor is view.seq). */
  floors: Map<string, bigint>
  timer?: ReturnType<typeof setTimeout>
  /** Where its messages arrive; undefined while this node does not listen (blocked, or it cannot see us). */
  channel?: WatchChannel
  /** Makes its record for the store (one function per presentity, given to each saveSoon). */
  persisted?: () => StoredWatch
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


/** What a person sees by default: status, note, activity. */
const sameShown = (a: PresenceView, b: PresenceView): boolean => a.status === b.status && a.note === b.note && a.activity === b.activity

const NO_CATEGORIES: Partial<Record<string, Category>> = {}

/** The keys of the categories that differ between two views (added, removed or changed). */
function changedCategories (a: PresenceView, b: PresenceView): string[] {
  const x = a.categories ?? NO_CATEGORIES
  const y = b.categories ?? NO_CATEGORIES
  const out: string[] = []
  for (const k in x) if (!sameCategory(x[k], y[k])) out.push(k)
  for (const k in y) if (!(k in x)) out.push(k)
  return out
}

export class WatchedPresentities {
  private readonly watched = new Map<string, Watched>()
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
    for (const w of this.watched.values()) clearTimeout(w.timer)
    this.watched.clear()
    this.channelTopics.clear()
  }

  /** Watches exactly `want` (peer ids); a presentity no longer watched is forgotten, replay state included. */
  async sync (want: Set<string>): Promise<void> {
    for (const [peerId, w] of this.watched) {
      if (want.has(peerId)) continue
      clearTimeout(w.timer)
      this.setChannel(w, undefined)
      this.watched.delete(peerId)
      this.stored.delete(peerId)
      this.versions.delete(peerId)
      await this.init.store.delete(peerId)
    }
    for (const peerId of want) {
      let w = this.watched.get(peerId)
      if (w == null) {
        const s = this.stored.get(peerId)
        w = { peer: peerIdFromString(peerId), view: { peerId, status: 'offline', seq: s?.lastSeq, lastSeen: s?.lastSeen }, held: new Map(), floors: new Map(Object.entries(s?.floors ?? {})) }
        this.watched.set(peerId, w)
        if (s == null) await this.persist(w)
      }
      this.setChannel(w, channelOf(this.init.roster, peerId))
    }
  }

  /** The topics this node must listen on. */
  topics (): string[] {
    return [...this.channelTopics.keys()]
  }

  /** The presentities heard on a pair channel (contacts that may see this node): those whose notify stream this node takes. */
  heardOnPairChannel (): string[] {
    return [...this.watched.values()].filter(w => w.channel?.sealed === true).map(w => w.view.peerId)
  }

  isChannel (topic: string): boolean {
    return this.channelTopics.has(topic)
  }

  list (): PresenceView[] {
    return [...this.watched.values()].filter(w => !this.init.roster.isBlocked(w.view.peerId)).map(w => this.shown(w.view))
  }

  get (peer: string): PresenceView | undefined {
    const w = this.watched.get(peer)
    return w == null ? undefined : this.shown(w.view)
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

  /** The gossipsub validator for a watched channel's topic (the pair key's seal proves the sender: no signature check). */
  validate (topic: string, data: Uint8Array): TopicValidatorResult {
    const presentity = this.channelTopics.get(topic)
    const w = presentity == null ? undefined : this.watched.get(presentity)
    if (presentity == null || w?.channel == null) return TopicValidatorResult.Ignore
    return this.receive(presentity, w.channel.open(data), topic, w.channel.sealed)
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
      const ctx = { now, floors: this.floorsOf(w), held: this.heldSeqs(w), maxClockSkewMs: this.init.maxClockSkewMs }
      // unsigned items only where the stream proved the sender (parseInner never reads version 3 off a pair topic)
      const res: BundleResult = message.version === BUNDLE_VERSION
        ? openBundle(message.bundle, { ...ctx, presentity, authenticated })
        : authenticated ? openDirectBundle(message.bundle, w.peer, ctx) : { ok: false, reason: 'malformed', detail: 'version 3 off a notify stream' }
      if (!res.ok) return this.rejected(via, res.reason, res.detail)
      this.learnVersion(presentity, BUNDLE_VERSION)
      const next = new Map<CategoryKey, Held>()
      for (const key of res.kept) next.set(key, w.held.get(key) as Held)
      for (const item of res.accepted) {
        next.set(categoryKey(item.category), { category: item.category, seq: item.seq })
        if (item.category.kind !== 'state') w.floors.set(categoryKey(item.category), item.seq)
      }
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
    const before = w.view
    clearTimeout(w.timer)
    w.timer = undefined
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
    if (online) this.armExpiry(w, expiresAt, Math.max(0, expiresAt - now))
    this.init.onPresence({ view: this.shown(w.view), changed: !sameShown(before, w.view), changedCategories: changedCategories(before, w.view), cause: 'record' })
    // after the event: what a person sees never waits for the disk
    this.persistSoon(w)
  }

  // ---- expiry, judged against this node's own lag (expiry.ts) ----

  private armExpiry (w: Watched, due: number, delayMs: number): void {
    w.timer = setTimeout(() => { this.expire(w, due) }, delayMs)
    w.timer.unref?.()
  }

  private expire (w: Watched, due: number): void {
    if (this.watched.get(w.view.peerId) !== w || w.view.expiresAt == null || w.view.lastSeen == null) return
    const now = Date.now()
    const recheck = expiryRecheckMs(w.view.expiresAt, due, now, w.view.expiresAt - w.view.lastSeen)
    if (recheck > 0) {
      this.armExpiry(w, now + recheck, recheck)
      return
    }
    w.timer = undefined
    const lateMs = now - w.view.expiresAt
    this.init.log('presence of %s expired (%d ms after its local expiry)', w.view.peerId, lateMs)
    // a presentity that is gone shows nothing but its last sighting
    const before = w.view
    w.held = new Map()
    w.view = { peerId: w.view.peerId, status: 'offline', seq: w.view.seq, lastSeen: w.view.lastSeen }
    this.init.onPresence({ view: this.shown(w.view), changed: true, changedCategories: changedCategories(before, w.view), cause: 'expired', lateMs })
  }

  private learnVersion (peerId: string, version: PresenceVersion): void {
    if (this.versionOf(peerId) === version) return
    this.versions.set(peerId, version)
    this.init.onVersion(peerId, version)
    const w = this.watched.get(peerId)
    if (w != null) this.persistSoon(w)
  }

  /** The replay floors of `w` (the state's is its view's seq), read in place. */
  private floorsOf (w: Watched): SeqLookup {
    return { get: key => key === 'state' ? w.view.seq : w.floors.get(key) }
  }

  /** The seq of each item `w` holds, read in place. */
  private heldSeqs (w: Watched): SeqLookup {
    return { get: key => w.held.get(key as CategoryKey)?.seq }
  }

  private setChannel (w: Watched, channel: WatchChannel | undefined): void {
    if (w.channel != null && this.channelTopics.get(w.channel.topic) === w.view.peerId) this.channelTopics.delete(w.channel.topic)
    w.channel = channel
    if (channel != null) this.channelTopics.set(channel.topic, w.view.peerId)
  }

  /** A copy of a view with the roster's name for the presentity. */
  private shown (v: PresenceView): PresenceView {
    return { ...v, categories: v.categories == null ? undefined : { ...v.categories }, alias: this.init.roster.get(v.peerId)?.alias }
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
