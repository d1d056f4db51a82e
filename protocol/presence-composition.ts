/**
 * Presence composition (docs/protocol.md §15): one person, several devices,
 * each with its own presence; a watcher shows one view of the person. Pure:
 * the same device states give the same result on every watcher, in whatever
 * order they are listed.
 *
 * 1. A device is live when its latest record says an availability other than
 *    offline, has not expired and no goodbye followed it.
 * 2. Among live devices, a state chosen by hand (source manual) overrides
 *    automatic ones; of several, the latest manual choice (manual_since) wins.
 * 3. Otherwise the most available live device wins, in AVAILABILITY_ORDER.
 * 4. No live device: the person is offline, shown from the device heard last.
 * Ties: the later manual choice / the later idle_since (the device used last),
 * then the smaller device id. The status, note, activity and every other
 * category of the person come from the winning device alone.
 */
import type { StateSource } from './categories.js'
import type { PresenceStatus } from './presence-record.js'

/**
 * The availabilities from most to least available. Automatic states are only
 * online and away (§10.5), so busy and dnd are placed for states of unknown
 * source (version 1 records); dnd asks not to be disturbed at all, so it is
 * the least available state that is still reachable (XMPP lists dnd last of
 * its show values in the same sense; Lync's availability classes put Busy
 * and DND apart from Available too).
 */
export const AVAILABILITY_ORDER: readonly PresenceStatus[] = ['online', 'away', 'busy', 'dnd', 'offline']

/** What one device's latest record says, as far as composition reads it; `value` is carried through untouched. */
export interface DeviceRecord<V> {
  availability: PresenceStatus
  /** How the availability was chosen; undefined: not said (a version 1 record), counts as automatic. */
  source?: StateSource
  /** Manual only: when it was chosen (the device's clock). Absent counts as 0, older than any. */
  manualSince?: number
  /** Automatic away: the time of the device's last user input. */
  idleSince?: number
  /** The watcher's local time the record was received. */
  receivedAt: number
  value: V
}

export interface DeviceInput<V> {
  device: string
  /** Its latest accepted record; undefined: nothing heard from it yet. */
  record?: DeviceRecord<V>
  /** The record's local expiry passed with nothing newer. */
  expired?: boolean
  /** A goodbye arrived after the record. */
  goodbye?: boolean
}

/** What a device counts as: `unheard` (no record), `gone` (goodbye), `expired`, `offline` (its record says so), `live`. */
export type DeviceCondition = 'unheard' | 'gone' | 'expired' | 'offline' | 'live'

export interface DeviceDetail {
  device: string
  condition: DeviceCondition
  /** What it counts for in the composition: its record's availability when live, else offline. */
  availability: PresenceStatus
  source?: StateSource
  manualSince?: number
  idleSince?: number
  /** When its latest record was received (watcher's clock). */
  lastSeen?: number
  /** The device the person's view is taken from. */
  winner: boolean
}

/** Why the winner won: `manual` (rule 2), `most-available` (rule 3), `offline` (rule 4: no live device), `none` (no device heard at all). */
export type CompositionReason = 'manual' | 'most-available' | 'offline' | 'none'

export interface Composition<V> {
  status: PresenceStatus
  /** The winning device; undefined only when no device was ever heard. */
  winner?: string
  reason: CompositionReason
  /** The winning device's value (its note, categories, ...). */
  value?: V
  /** The latest time any device's record was received. */
  lastSeen?: number
  /** Every device, by device id. */
  devices: DeviceDetail[]
}

export function conditionOf (d: DeviceInput<unknown>): DeviceCondition {
  if (d.record == null) return 'unheard'
  if (d.goodbye === true) return 'gone'
  if (d.expired === true) return 'expired'
  return d.record.availability === 'offline' ? 'offline' : 'live'
}

const rank = (a: PresenceStatus): number => AVAILABILITY_ORDER.length - AVAILABILITY_ORDER.indexOf(a)
const byId = (a: string, b: string): number => a < b ? -1 : a > b ? 1 : 0

/** Positive when `a` beats `b` by `key` (larger wins), negative when `b` does, else the smaller device id. */
function better<V> (a: DeviceInput<V>, b: DeviceInput<V>, ...keys: Array<(d: DeviceInput<V>) => number>): number {
  for (const key of keys) {
    const diff = key(a) - key(b)
    if (diff !== 0) return diff
  }
  return byId(b.device, a.device)
}

const manualAt = (d: DeviceInput<unknown>): number => d.record?.manualSince ?? 0
const idleAt = (d: DeviceInput<unknown>): number => d.record?.idleSince ?? 0
const availability = (d: DeviceInput<unknown>): number => rank(d.record?.availability ?? 'offline')
const heardAt = (d: DeviceInput<unknown>): number => d.record?.receivedAt ?? Number.NEGATIVE_INFINITY

function best<V> (devices: Array<DeviceInput<V>>, ...keys: Array<(d: DeviceInput<V>) => number>): DeviceInput<V> | undefined {
  let top: DeviceInput<V> | undefined
  for (const d of devices) if (top == null || better(d, top, ...keys) > 0) top = d
  return top
}

/** One view of a person from the states of its devices (docs/protocol.md §15). */
export function composePresence<V> (devices: ReadonlyArray<DeviceInput<V>>): Composition<V> {
  const ids = new Set<string>()
  for (const d of devices) {
    if (ids.has(d.device)) throw new Error(`device ${d.device} listed twice`)
    ids.add(d.device)
  }
  const live = devices.filter(d => conditionOf(d) === 'live')
  const manual = live.filter(d => d.record?.source === 'manual')
  let winner: DeviceInput<V> | undefined
  let reason: CompositionReason
  if (manual.length > 0) {
    winner = best(manual, manualAt)
    reason = 'manual'
  } else if (live.length > 0) {
    winner = best(live, availability, idleAt)
    reason = 'most-available'
  } else {
    winner = best(devices.filter(d => d.record != null), heardAt)
    reason = winner == null ? 'none' : 'offline'
  }
  let lastSeen: number | undefined
  for (const d of devices) if (d.record != null && (lastSeen == null || d.record.receivedAt > lastSeen)) lastSeen = d.record.receivedAt
  const detail = [...devices].sort((a, b) => byId(a.device, b.device)).map((d): DeviceDetail => {
    const condition = conditionOf(d)
    const r = d.record
    return {
      device: d.device,
      condition,
      availability: condition === 'live' ? (r as DeviceRecord<V>).availability : 'offline',
      source: r?.source,
      manualSince: r?.manualSince,
      idleSince: r?.idleSince,
      lastSeen: r?.receivedAt,
      winner: d === winner
    }
  })
  const status = reason === 'manual' || reason === 'most-available' ? (winner?.record as DeviceRecord<V>).availability : 'offline'
  return { status, winner: winner?.device, reason, value: winner?.record?.value, lastSeen, devices: detail }
}
