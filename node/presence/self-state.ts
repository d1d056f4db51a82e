/**
 * This node's own presence as the user and its clients shape it: its
 * categories (own-categories.ts), the state chosen by hand, and the automatic
 * state from reported activity (idle.ts), with the idle period the user
 * chose; and the sequence numbers it signs with (seq-reservation.ts). The
 * presence service announces what this says.
 */
import { activityFromText, activityText } from '../../protocol/categories.js'
import { checkPresenceUpdate } from '../../protocol/presence-record.js'
import { Announcement } from './announcement.js'
import { CategoryStore } from './category-store.js'
import { AWAY_AFTER_MS } from './constants.js'
import { checkAwayAfter, IdleTracker } from './idle.js'
import { OwnCategories } from './own-categories.js'
import { SeqReservation } from './seq-reservation.js'
import type { PresenceServiceInit, SelfPresence } from './index.js'
import type { OwnChange, SignedItem, StagedChange } from './own-categories.js'
import type { SeqStore } from './seq-reservation.js'
import type { ActivityCategory, Category, CategoryKey, NoteCategory, StateCategory } from '../../protocol/categories.js'
import type { PresenceStatus, PresenceUpdate } from '../../protocol/presence-record.js'
import type { Logger, PeerId, PrivateKey } from '@libp2p/interface'
import type { Datastore } from 'interface-datastore'

/** What a goodbye shows: offline, not by anyone's choice. */
const OFFLINE: StateCategory = { kind: 'state', availability: 'offline', source: 'automatic' }

export class SelfState {
  readonly own: OwnCategories
  readonly seqs: SeqReservation
  private readonly store: CategoryStore
  private readonly idle: IdleTracker
  /** Set while the node says goodbye: the state is OFFLINE whatever else says. */
  leaving = false
  /** What changedSelf() last returned. */
  private shownSelf?: string

  /** `onIdleChange` runs when the automatic state changes (the node goes idle, or is back). */
  constructor (private readonly components: { datastore: Datastore, peerId: PeerId, privateKey: PrivateKey }, log: Logger, private readonly init: PresenceServiceInit, categoryTtlMs: number, seqStore: SeqStore, onIdleChange: () => void) {
    this.store = new CategoryStore(components.datastore, log)
    this.own = new OwnCategories(this.store, components.peerId, components.privateKey, categoryTtlMs)
    this.seqs = new SeqReservation(seqStore)
    if (init.capabilities != null) this.own.setDefault({ kind: 'capabilities', ...init.capabilities })
    this.idle = new IdleTracker(init.awayAfterMs === undefined ? AWAY_AFTER_MS : init.awayAfterMs, onIdleChange)
  }

  /** What was stored; the initial presence of the init when nothing was chosen by hand. */
  async load (): Promise<void> {
    await this.seqs.start()
    await this.own.load()
    const awayAfter = await this.store.loadAwayAfter()
    if (awayAfter !== undefined) this.idle.setAwayAfter(awayAfter)
    if (this.init.initial != null && this.own.manualState() == null) await this.stage(this.init.initial).commit()
    this.idle.start()
  }

  stop (): void {
    this.idle.stop()
  }

  state (): StateCategory {
    if (this.leaving) return OFFLINE
    const manual = this.own.manualState()
    if (manual != null) return { kind: 'state', availability: manual, source: 'manual', manualSince: this.own.manualSince() }
    const idleSince = this.idle.idleSince()
    return idleSince != null ? { kind: 'state', availability: 'away', source: 'automatic', idleSince } : { kind: 'state', availability: 'online', source: 'automatic' }
  }

  self (): SelfPresence {
    const note = (this.own.get('note') as NoteCategory | undefined)?.text
    const activity = this.own.get('activity') as ActivityCategory | undefined
    const fields = { note, activity: activity == null ? undefined : activityText(activity) }
    const state = this.state()
    return {
      status: state.availability,
      ...fields,
      seq: this.seqs.current,
      auto: state.idleSince != null,
      manual: { status: this.own.manualState() ?? 'online', ...fields },
      awayAfterMs: this.idle.period
    }
  }

  /** self(), when what it shows (status, note, activity, automatic) differs from the last time this said so. */
  changedSelf (): SelfPresence | undefined {
    const self = this.self()
    const shown = JSON.stringify([self.status, self.note, self.activity, self.auto])
    if (shown === this.shownSelf) return undefined
    this.shownSelf = shown
    return self
  }

  /**
   * The state by hand, note and activity of a version 1 update (absent ones
   * cleared), checked whole before any of it is applied (one bundle must hold
   * them together), then applied in memory; the caller stores it.
   */
  stage (update: PresenceUpdate): StagedChange {
    checkPresenceUpdate(update)
    const note: Category | undefined = update.note == null || update.note === '' ? undefined : { kind: 'note', text: update.note }
    const activity: Category | undefined = update.activity == null || update.activity === '' ? undefined : activityFromText(update.activity)
    const change: OwnChange = { manual: update.status, set: [], clear: [] }
    if (note != null) change.set?.push(note)
    else change.clear?.push('note')
    if (activity != null) change.set?.push(activity)
    else change.clear?.push('activity')
    return this.own.stageChange(change)
  }

  /** The state chosen by hand alone (online: automatic again). */
  stageState (availability: PresenceStatus): StagedChange {
    checkPresenceUpdate({ status: availability })
    return this.own.stageChange({ manual: availability })
  }

  /**
   * This node's presence at `now`, signed (a goodbye: the OFFLINE state
   * alone). Each item signed anew takes a seq of its own and the state the
   * highest, all taken at once without a disk write unless they pass the
   * stored ceiling: then synchronously (nothing between a change and the
   * wire), else once the new ceiling is written; the categories may change
   * while that write runs, so the seqs are taken again, synchronously with
   * the signing.
   */
  announcement (now: number, goodbye: boolean, ttlMs: number): Announcement | Promise<Announcement> {
    const stale = goodbye ? [] : this.own.stale(now)
    const first = this.seqs.next(now, stale.length + 1)
    // the seqs it took are not used: seqs need to rise, not to be contiguous
    if (typeof first !== 'bigint') return first.then(async () => await this.announcement(now, goodbye, ttlMs))
    stale.forEach((key, i) => this.own.sign(key, first + BigInt(i), now))
    const items = new Map<CategoryKey, SignedItem>()
    if (!goodbye) for (const key of this.own.keys()) items.set(key, this.own.signedItem(key) as SignedItem)
    const { peerId: self, privateKey: key } = this.components
    return new Announcement({ self, key, seq: first + BigInt(stale.length), now, ttlMs, state: goodbye ? OFFLINE : this.state(), items })
  }

  reportActivity (at?: number, source?: string): void {
    this.idle.report(at, source)
  }

  async setAwayAfter (ms: number | null): Promise<void> {
    checkAwayAfter(ms)
    await this.store.saveAwayAfter(ms)
    this.idle.setAwayAfter(ms)
  }
}
