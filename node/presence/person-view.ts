/**
 * One watched person, seen through each of their devices (docs/protocol.md
 * §15): the latest view of every device, its local expiry, a goodbye; the
 * person's view composed from them (protocol/presence-composition.ts). A
 * `change` event is emitted only when what the composed view shows changed,
 * and every input is composed at once, synchronously: a device leaving while
 * another is live never shows the person offline, in whichever order the
 * goodbye and the other device's record arrive.
 *
 * A device's expiry is judged against this node's own lag (expiry.ts), as
 * for any watched presentity (§5).
 */
import { TypedEventEmitter } from '@libp2p/interface'
import { sameCategory } from '../../protocol/categories.js'
import { composePresence } from '../../protocol/presence-composition.js'
import { expiryRecheckMs } from './expiry.js'
import type { PresenceView } from './index.js'
import type { Category, StateCategory } from '../../protocol/categories.js'
import type { Composition, DeviceDetail, DeviceInput } from '../../protocol/presence-composition.js'
import type { Logger } from '@libp2p/interface'

export type { DeviceDetail } from '../../protocol/presence-composition.js'

/** What one input did to the person's view. */
export interface PersonOutcome {
  /** The person's view now. */
  view: PresenceView
  /** Whether what a person sees by default (status, note, activity) changed. */
  changed: boolean
  /** The categories that changed (added, removed or different). */
  changedCategories: string[]
}

export interface PersonChangeDetail extends PersonOutcome {
  cause: 'record' | 'goodbye' | 'expired' | 'devices'
  /** The device whose record, goodbye or expiry it was (none for a change of the device set). */
  device?: string
  /** cause 'expired': how long after the device's local expiry (§5). */
  lateMs?: number
}

export interface PersonViewEvents {
  /** The composed view changed (status, note, activity or a category). */
  change: CustomEvent<PersonChangeDetail>
}

export interface PersonViewOptions {
  log?: Logger
  /** A device's record expired: it was turned offline, and this is what that did to the person. */
  onExpired?: (device: string, lateMs: number, outcome: PersonOutcome) => void
}

interface Device {
  /** Its latest view: from its latest record once heard, else what was known of it (primed). */
  view?: PresenceView
  heard: boolean
  expired: boolean
  goodbye: boolean
  timer?: ReturnType<typeof setTimeout>
  /** The view it was primed from, while not heard: priming again from the same one changes nothing. */
  primedFrom?: PresenceView
  /** When the timer fires (it may be due before the view's expiry: it then re-arms for it). */
  due?: number
}

/** What a person sees by default: status, note, activity. */
export const sameShown = (a: PresenceView, b: PresenceView): boolean => a.status === b.status && a.note === b.note && a.activity === b.activity

const NO_CATEGORIES: Partial<Record<string, Category>> = {}

/** The keys of the categories that differ between two views (added, removed or changed). */
export function changedCategories (a: PresenceView, b: PresenceView): string[] {
  const x = a.categories ?? NO_CATEGORIES
  const y = b.categories ?? NO_CATEGORIES
  const out: string[] = []
  for (const k in x) if (!sameCategory(x[k], y[k])) out.push(k)
  for (const k in y) if (!(k in x)) out.push(k)
  return out
}

/** A device that is gone shows nothing but its last sighting. */
const offlineOf = (v: PresenceView): PresenceView => ({ peerId: v.peerId, status: 'offline', seq: v.seq, lastSeen: v.lastSeen })

export class PersonView extends TypedEventEmitter<PersonViewEvents> {
  private readonly devices = new Map<string, Device>()
  private current: PresenceView
  private composition: Composition<PresenceView>

  constructor (readonly personId: string, devices: Iterable<string>, private readonly opts: PersonViewOptions = {}) {
    super()
    for (const id of devices) this.devices.set(id, { heard: false, expired: false, goodbye: false })
    this.composition = this.compose()
    this.current = this.build()
  }

  /** The person's composed view. */
  view (): PresenceView {
    return this.current
  }

  /** Every device: its condition, what it counts for, and which one the view comes from (by device id). */
  detail (): DeviceDetail[] {
    return this.composition.devices.map(d => ({ ...d }))
  }

  deviceIds (): string[] {
    return [...this.devices.keys()]
  }

  /** What was known of a device before anything was heard from it (its last sighting, stored): no event. */
  prime (deviceId: string, view: PresenceView): void {
    const d = this.device(deviceId)
    // the presence service primes every device each time it follows the roster
    if (d.heard || d.primedFrom === view) return
    d.primedFrom = view
    d.view = offlineOf(view)
    this.composition = this.compose()
    this.current = this.build()
  }

  /** A device's newest accepted record, as its view (`expiresAt`: its local expiry). */
  update (deviceId: string, view: PresenceView): PersonOutcome {
    const d = this.device(deviceId)
    d.view = view
    d.heard = true
    d.expired = false
    d.goodbye = false
    if (view.status === 'offline' || view.expiresAt == null) {
      clearTimeout(d.timer)
      d.timer = undefined
    } else if (d.timer == null || (d.due as number) > view.expiresAt) {
      // a timer due before this expiry is kept (expire re-arms it): records come far more often than they expire
      clearTimeout(d.timer)
      this.arm(deviceId, d, view.expiresAt, Math.max(0, view.expiresAt - Date.now()))
    }
    return this.recompose('record', deviceId)
  }

  /** A device left (its goodbye, or it went away without a record this node can read). */
  goodbye (deviceId: string): PersonOutcome {
    const d = this.device(deviceId)
    clearTimeout(d.timer)
    d.timer = undefined
    if (d.view != null) d.view = offlineOf(d.view)
    d.goodbye = d.heard
    return this.recompose('goodbye', deviceId)
  }

  /** The person's devices now: a device no longer among them (revoked) is forgotten, a new one starts unheard. */
  setDevices (deviceIds: Iterable<string>): PersonOutcome {
    const want = new Set(deviceIds)
    // the same devices (the presence service passes every person's each time it follows the roster): nothing to compose again
    if (want.size === this.devices.size && [...want].every(id => this.devices.has(id))) {
      return { view: this.current, changed: false, changedCategories: [] }
    }
    for (const [id, d] of this.devices) {
      if (want.has(id)) continue
      clearTimeout(d.timer)
      this.devices.delete(id)
    }
    for (const id of want) if (!this.devices.has(id)) this.devices.set(id, { heard: false, expired: false, goodbye: false })
    return this.recompose('devices')
  }

  stop (): void {
    for (const d of this.devices.values()) clearTimeout(d.timer)
  }

  private device (deviceId: string): Device {
    const d = this.devices.get(deviceId)
    if (d == null) throw new Error(`${deviceId} is not a device of ${this.personId}`)
    return d
  }

  private compose (): Composition<PresenceView> {
    const inputs: Array<DeviceInput<PresenceView>> = []
    for (const [device, d] of this.devices) {
      const v = d.view
      if (!d.heard || v == null) {
        inputs.push({ device })
        continue
      }
      const state = v.categories?.state as StateCategory | undefined
      inputs.push({
        device,
        expired: d.expired,
        goodbye: d.goodbye,
        record: { availability: v.status, source: state?.source, manualSince: state?.manualSince, idleSince: state?.idleSince, receivedAt: v.lastSeen ?? 0, value: v }
      })
    }
    return composePresence(inputs)
  }

  /** The winner's view as the person's (the latest sighting of any device); with nothing heard, the latest known. */
  private build (): PresenceView {
    let lastSeen: number | undefined
    let known: PresenceView | undefined
    for (const d of this.devices.values()) {
      const seen = d.view?.lastSeen
      if (seen != null && (lastSeen == null || seen > lastSeen)) lastSeen = seen
      if (d.view != null && (known == null || (seen ?? 0) > (known.lastSeen ?? 0))) known = d.view
    }
    const base = this.composition.value ?? known ?? { peerId: this.personId, status: 'offline' }
    const view: PresenceView = { ...base, peerId: this.personId, status: this.composition.status, lastSeen }
    // a person of one device is that device: nothing to tell apart
    if (this.devices.size > 1) view.devices = this.composition.devices
    return view
  }

  private recompose (cause: PersonChangeDetail['cause'], device?: string, lateMs?: number): PersonOutcome {
    const before = this.current
    this.composition = this.compose()
    this.current = this.build()
    const outcome: PersonOutcome = { view: this.current, changed: !sameShown(before, this.current), changedCategories: changedCategories(before, this.current) }
    // an event object only for someone listening: this runs for every record received
    if ((outcome.changed || outcome.changedCategories.length > 0) && this.listenerCount('change') > 0) {
      this.safeDispatchEvent('change', { detail: { ...outcome, cause, device, lateMs } })
    }
    return outcome
  }

  // ---- expiry, judged against this node's own lag (expiry.ts) ----

  private arm (deviceId: string, d: Device, due: number, delayMs: number): void {
    d.due = due
    d.timer = setTimeout(() => { this.expire(deviceId, d, due) }, delayMs)
    d.timer.unref?.()
  }

  private expire (deviceId: string, d: Device, due: number): void {
    d.timer = undefined
    const v = d.view
    if (this.devices.get(deviceId) !== d || v?.expiresAt == null || v.lastSeen == null || v.status === 'offline') return
    const now = Date.now()
    if (due < v.expiresAt) {
      // armed for an older record: a newer one came since and expires later
      if (now < v.expiresAt) {
        this.arm(deviceId, d, v.expiresAt, v.expiresAt - now)
        return
      }
      // fired after the newer record's expiry too: that was the first firing for it, late
      due = v.expiresAt
    }
    const recheck = expiryRecheckMs(v.expiresAt, due, now, v.expiresAt - v.lastSeen)
    if (recheck > 0) {
      this.arm(deviceId, d, now + recheck, recheck)
      return
    }
    d.timer = undefined
    const lateMs = now - v.expiresAt
    this.opts.log?.('presence of %s expired (%d ms after its local expiry)', deviceId, lateMs)
    d.view = offlineOf(v)
    d.expired = true
    const outcome = this.recompose('expired', deviceId, lateMs)
    this.opts.onExpired?.(deviceId, lateMs, outcome)
  }
}
