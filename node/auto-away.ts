/**
 * The presence the user sets by hand, and automatic away on idle.
 *
 * The state set by hand is stored, so it survives a restart (a manual
 * "away" comes back as "away"). A client reports when its user was last
 * active (`reportActivity`, e.g. on every keypress, or an XMPP client's idle
 * time); once nobody was active for `awayAfterMs`, a node whose manual state
 * is "online" shows "away" automatically, with the same note, and is back to
 * the manual state on the next activity. A manual state other than online
 * always wins; a node no client reports to never goes away by itself.
 *
 * Minimal stand-in for the automatic/manual state of the enhanced-presence
 * work (issue 15): there the flag also goes on the wire.
 */
import { jsonCodec, Store } from './store/records.js'
import { InvalidOptionError } from './errors.js'
import type { RecordSet } from './store/records.js'
import type { PresenceUpdate } from '../protocol/presence-record.js'
import type { Datastore } from 'interface-datastore'

export const SELF_PREFIX = '/presence-mesh/presence/self'
/** Default idle time before automatic away. */
export const DEFAULT_AWAY_AFTER_MS = 10 * 60_000
/** The longest idle time a user can choose (a day). */
export const MAX_AWAY_AFTER_MS = 24 * 3600_000

interface StoredSettings { awayAfterMs: number | null }

export interface SelfState {
  /** What is announced now. */
  shown: PresenceUpdate
  /** What the user set by hand. */
  manual: PresenceUpdate
  /** Whether `shown` is the automatic away. */
  auto: boolean
  /** Idle time before automatic away; null: never. */
  awayAfterMs: number | null
  /** When a client last reported the user active. */
  lastActivity?: number
}

export class AutoAway {
  private readonly store: Store
  private readonly manualRecord: RecordSet<PresenceUpdate>
  private readonly settingsRecord: RecordSet<StoredSettings>
  private manual: PresenceUpdate = { status: 'online' }
  private awayAfterMs: number | null = DEFAULT_AWAY_AFTER_MS
  private auto = false
  private lastActivity?: number
  private timer?: ReturnType<typeof setTimeout>
  private stopped = false
  /** Announcements go out one at a time, in order. */
  private applying: Promise<void> = Promise.resolve()

  constructor (datastore: Datastore, private readonly apply: (update: PresenceUpdate, auto: boolean) => Promise<void>) {
    this.store = new Store(datastore)
    this.manualRecord = this.store.records(`${SELF_PREFIX}/manual`, jsonCodec<PresenceUpdate>())
    this.settingsRecord = this.store.records(`${SELF_PREFIX}/auto`, jsonCodec<StoredSettings>())
  }

  /** The stored manual state (online if none): what the node announces at start. */
  async load (): Promise<PresenceUpdate> {
    this.manual = await this.manualRecord.get('state') ?? { status: 'online' }
    const settings = await this.settingsRecord.get('settings')
    if (settings != null) this.awayAfterMs = settings.awayAfterMs
    return { ...this.manual }
  }

  state (): SelfState {
    const shown = this.auto ? this.awayOf(this.manual) : this.manual
    return { shown: { ...shown }, manual: { ...this.manual }, auto: this.auto, awayAfterMs: this.awayAfterMs, lastActivity: this.lastActivity }
  }

  /** The user set a state by hand: stored, announced, and the idle clock restarts from it. */
  async setManual (update: PresenceUpdate): Promise<void> {
    const manual: PresenceUpdate = { status: update.status, note: update.note, activity: update.activity }
    await this.run(async () => {
      await this.apply(manual, false)
      await this.store.write((tx) => { this.manualRecord.put(tx, 'state', manual) })
      this.manual = manual
      this.auto = false
      this.arm()
    })
  }

  /** The user was active at `at` (default now). */
  reportActivity (at: number = Date.now()): void {
    if (!Number.isFinite(at)) throw new InvalidOptionError('activity time', String(at), 'a time in milliseconds')
    const latest = Math.min(at, Date.now())
    if (this.lastActivity != null && latest <= this.lastActivity) return
    this.lastActivity = latest
    if (this.auto && this.idleMs() < (this.awayAfterMs ?? Infinity)) {
      void this.run(async () => {
        if (!this.auto) return
        await this.apply(this.manual, false)
        this.auto = false
        this.arm()
      }).catch(() => {})
    }
    this.arm()
  }

  /** Sets the idle time before automatic away (null: never), stored. */
  async setAwayAfter (ms: number | null): Promise<void> {
    if (ms != null && (!Number.isInteger(ms) || ms < 1000 || ms > MAX_AWAY_AFTER_MS)) {
      throw new InvalidOptionError('away-after', String(ms), `between 1 s and ${MAX_AWAY_AFTER_MS / 3600_000} h, or off`)
    }
    await this.store.write((tx) => { this.settingsRecord.put(tx, 'settings', { awayAfterMs: ms }) })
    this.awayAfterMs = ms
    if (this.auto && ms == null) {
      await this.run(async () => {
        await this.apply(this.manual, false)
        this.auto = false
      })
    }
    this.arm()
  }

  stop (): void {
    this.stopped = true
    clearTimeout(this.timer)
  }

  private idleMs (): number {
    return this.lastActivity == null ? 0 : Date.now() - this.lastActivity
  }

  private awayOf (manual: PresenceUpdate): PresenceUpdate {
    return { ...manual, status: 'away' }
  }

  /** (Re)starts the idle timer: it fires when the user has been idle for awayAfterMs. */
  private arm (): void {
    clearTimeout(this.timer)
    this.timer = undefined
    if (this.stopped || this.auto || this.awayAfterMs == null || this.lastActivity == null || this.manual.status !== 'online') return
    this.timer = setTimeout(() => {
      this.timer = undefined
      void this.run(async () => {
        if (this.auto || this.manual.status !== 'online') return
        // a timer may fire a millisecond early: then it waits the rest
        if (this.idleMs() < (this.awayAfterMs ?? Infinity)) {
          this.arm()
          return
        }
        await this.apply(this.awayOf(this.manual), true)
        this.auto = true
      }).catch(() => {})
    }, Math.max(0, this.lastActivity + this.awayAfterMs - Date.now()))
    this.timer.unref?.()
  }

  private async run (fn: () => Promise<void>): Promise<void> {
    const next = this.applying.then(async () => { if (!this.stopped) await fn() })
    this.applying = next.catch(() => {})
    await next
  }
}
