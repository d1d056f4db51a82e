/**
 * This node's own presence as the user and its clients shape it: its
 * categories (own-categories.ts), the state chosen by hand, and the automatic
 * state from reported activity (idle.ts), with the idle period the user
 * chose. The presence service announces what this says.
 */
import { activityFromText, activityText } from '../../protocol/categories.js'
import { checkPresenceUpdate } from '../../protocol/presence-record.js'
import { CategoryStore } from './category-store.js'
import { AWAY_AFTER_MS } from './constants.js'
import { checkAwayAfter, IdleTracker } from './idle.js'
import { OwnCategories } from './own-categories.js'
import type { PresenceServiceInit, SelfPresence } from './index.js'
import type { ActivityCategory, Category, NoteCategory, StateCategory } from '../../protocol/categories.js'
import type { PresenceUpdate } from '../../protocol/presence-record.js'
import type { Logger, PeerId, PrivateKey } from '@libp2p/interface'
import type { Datastore } from 'interface-datastore'

const OFFLINE: StateCategory = { kind: 'state', availability: 'offline', source: 'automatic' }

export class SelfState {
  readonly own: OwnCategories
  private readonly store: CategoryStore
  private readonly idle: IdleTracker
  /** Set while the node says goodbye: the state is OFFLINE whatever else says. */
  leaving = false

  /** `onIdleChange` runs when the automatic state changes (the node goes idle, or is back). */
  constructor (components: { datastore: Datastore, peerId: PeerId, privateKey: PrivateKey }, log: Logger, private readonly init: PresenceServiceInit, categoryTtlMs: number, onIdleChange: () => void) {
    this.store = new CategoryStore(components.datastore, log)
    this.own = new OwnCategories(this.store, components.peerId, components.privateKey, categoryTtlMs)
    if (init.capabilities != null) this.own.setDefault({ kind: 'capabilities', ...init.capabilities })
    this.idle = new IdleTracker(init.awayAfterMs === undefined ? AWAY_AFTER_MS : init.awayAfterMs, onIdleChange)
  }

  /** What was stored; the initial presence of the init when nothing was chosen by hand. */
  async load (): Promise<void> {
    await this.own.load()
    const awayAfter = await this.store.loadAwayAfter()
    if (awayAfter !== undefined) this.idle.setAwayAfter(awayAfter)
    if (this.init.initial != null && this.own.manualState() == null) await this.apply(this.init.initial)
  }

  stop (): void {
    this.idle.stop()
  }

  state (): StateCategory {
    if (this.leaving) return OFFLINE
    const manual = this.own.manualState()
    if (manual != null) return { kind: 'state', availability: manual, source: 'manual' }
    const idleSince = this.idle.idleSince()
    return idleSince != null ? { kind: 'state', availability: 'away', source: 'automatic', idleSince } : { kind: 'state', availability: 'online', source: 'automatic' }
  }

  self (seq: bigint): SelfPresence {
    const note = (this.own.get('note') as NoteCategory | undefined)?.text
    const activity = this.own.get('activity') as ActivityCategory | undefined
    const fields = { note, activity: activity == null ? undefined : activityText(activity) }
    const state = this.state()
    return {
      status: state.availability,
      ...fields,
      seq,
      auto: state.idleSince != null,
      manual: { status: this.own.manualState() ?? 'online', ...fields },
      awayAfterMs: this.idle.period
    }
  }

  /** The state by hand, note and activity of a version 1 update, checked whole before any of it is applied. */
  async apply (update: PresenceUpdate): Promise<void> {
    checkPresenceUpdate(update)
    const note: Category | undefined = update.note == null || update.note === '' ? undefined : { kind: 'note', text: update.note }
    const activity: Category | undefined = update.activity == null || update.activity === '' ? undefined : activityFromText(update.activity)
    if (note != null) this.own.check(note)
    if (activity != null) this.own.check(activity)
    await this.own.setManual(update.status)
    if (note != null) await this.own.set(note)
    else await this.own.clear('note')
    if (activity != null) await this.own.set(activity)
    else await this.own.clear('activity')
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
