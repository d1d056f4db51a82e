/**
 * Presence categories (docs/protocol.md §10): what each one holds, its key,
 * the rules its fields follow, and its protobuf form. Pure.
 */
import {
  MAX_ACTIVITY_CHARS, MAX_APP_DATA_BYTES, MAX_APP_NAMESPACE_CHARS, MAX_CARD_LONG_CHARS, MAX_CARD_SHORT_CHARS,
  MAX_DEVICE_DESCRIPTION_CHARS, MAX_FEATURE_CHARS, MAX_FEATURES, MAX_NOTE_CHARS
} from './limits.js'
import {
  Activity as ActivityPb, Availability as AvailabilityPb, FreeBusy as FreeBusyPb, Mobility as MobilityPb, StateSource as StateSourcePb
} from './pb/categories.js'
import { STATUSES } from './presence-record.js'
import { isUnicode, longerThan } from './text.js'
import type { CategoryItem as CategoryItemPb } from './pb/categories.js'
import type { PresenceStatus } from './presence-record.js'
import type { MessageRules } from './strict-protobuf.js'

/** The categories every node knows, in the order a bundle lists them. */
export const BUILTIN_CATEGORIES = ['state', 'note', 'activity', 'card', 'capabilities', 'calendar'] as const
export type BuiltinCategory = typeof BUILTIN_CATEGORIES[number]
/** A category's name: a built-in one, or `app:<namespace>`. */
export type CategoryKey = BuiltinCategory | `app:${string}`

export const APP_PREFIX = 'app:'
export const STATE_SOURCES = ['manual', 'automatic'] as const
export type StateSource = typeof STATE_SOURCES[number]
/** RFC 4480 §3.2 activities; `other` carries its own text. */
export const ACTIVITIES = [
  'other', 'appointment', 'away', 'breakfast', 'busy', 'dinner', 'holiday', 'in-transit', 'looking-for-work', 'lunch',
  'meal', 'meeting', 'on-the-phone', 'performance', 'permanent-absence', 'playing', 'presentation', 'shopping', 'sleeping',
  'spectator', 'steering', 'travel', 'tv', 'unknown', 'vacation', 'working', 'worship'
] as const
export type ActivityToken = typeof ACTIVITIES[number]
export const MOBILITIES = ['fixed', 'mobile'] as const
export type Mobility = typeof MOBILITIES[number]
export const FREE_BUSY = ['free', 'tentative', 'busy', 'out-of-office'] as const
export type FreeBusy = typeof FREE_BUSY[number]
/** Feature tokens of the capabilities category this implementation defines (others may follow). */
export const KNOWN_FEATURES = ['chat', 'receipts', 'typing', 'query', 'groups', 'xmpp'] as const

export interface StateCategory {
  kind: 'state'
  availability: PresenceStatus
  /** How the availability was chosen; absent when it came from a version 1 record. */
  source?: StateSource
  /** Automatic away: the time of the last user input. */
  idleSince?: number
  /** A state chosen by hand: when it was chosen (the presentity's clock). */
  manualSince?: number
}
export interface NoteCategory { kind: 'note', text: string }
export interface ActivityCategory { kind: 'activity', activity: ActivityToken, text?: string, until?: number }
export interface CardCategory {
  kind: 'card'
  displayName: string
  title?: string
  organization?: string
  email?: string
  phone?: string
  url?: string
}
export interface CapabilitiesCategory { kind: 'capabilities', description?: string, mobility?: Mobility, features: string[] }
export interface CalendarCategory { kind: 'calendar', freeBusy: FreeBusy, until?: number, nextFree?: number }
export interface AppCategory { kind: 'app', namespace: string, data: Uint8Array }

export type Category = StateCategory | NoteCategory | ActivityCategory | CardCategory | CapabilitiesCategory | CalendarCategory | AppCategory
export type CategoryKind = Category['kind']

/** What is wrong with a category, as field and problem (the node words it into a typed error). */
export interface CategoryProblem {
  field: string
  problem: 'missing' | 'too-long' | 'too-many' | 'unknown-value' | 'bad-format' | 'duplicate'
  limit?: number
}

const APP_NAMESPACE = /^[a-z0-9-]+(\.[a-z0-9-]+)+$/
const FEATURE = /^[a-z0-9][a-z0-9.-]*$/
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/u

export function categoryKey (c: Category): CategoryKey {
  return c.kind === 'app' ? `${APP_PREFIX}${c.namespace}` : c.kind
}

export function isAppNamespace (ns: string): boolean {
  return ns.length <= MAX_APP_NAMESPACE_CHARS && APP_NAMESPACE.test(ns)
}

export function isCategoryKey (key: string): key is CategoryKey {
  if ((BUILTIN_CATEGORIES as readonly string[]).includes(key)) return true
  return key.startsWith(APP_PREFIX) && isAppNamespace(key.slice(APP_PREFIX.length))
}

const isTime = (t: number | undefined): boolean => t == null || (Number.isSafeInteger(t) && t > 0)

function text (field: string, value: string | undefined, max: number, opts: { required?: boolean, singleLine?: boolean } = {}): CategoryProblem | undefined {
  if (value == null || value === '') return opts.required === true ? { field, problem: 'missing' } : undefined
  if (longerThan(value, max)) return { field, problem: 'too-long', limit: max }
  if (!isUnicode(value)) return { field, problem: 'bad-format' }
  if (opts.singleLine === true && CONTROL.test(value)) return { field, problem: 'bad-format' }
  return undefined
}

function time (field: string, value: number | undefined): CategoryProblem | undefined {
  return isTime(value) ? undefined : { field, problem: 'bad-format' }
}

function oneOf (field: string, value: string | undefined, allowed: readonly string[], required: boolean): CategoryProblem | undefined {
  if (value == null) return required ? { field, problem: 'missing' } : undefined
  return allowed.includes(value) ? undefined : { field, problem: 'unknown-value' }
}

const first = (...problems: Array<CategoryProblem | undefined>): CategoryProblem | undefined => problems.find(p => p != null)

/** The first rule a category breaks, or undefined when it is valid (docs/protocol.md §10.2). */
export function categoryProblem (c: Category): CategoryProblem | undefined {
  switch (c.kind) {
    case 'state':
      return first(
        oneOf('availability', c.availability, STATUSES, true),
        oneOf('source', c.source, STATE_SOURCES, false),
        time('idleSince', c.idleSince),
        c.idleSince != null && !(c.source === 'automatic' && c.availability === 'away') ? { field: 'idleSince', problem: 'bad-format' } : undefined,
        time('manualSince', c.manualSince),
        c.manualSince != null && c.source !== 'manual' ? { field: 'manualSince', problem: 'bad-format' } : undefined
      )
    case 'note':
      return text('text', c.text, MAX_NOTE_CHARS, { required: true })
    case 'activity':
      return first(
        oneOf('activity', c.activity, ACTIVITIES, true),
        text('text', c.text, MAX_ACTIVITY_CHARS, { required: c.activity === 'other', singleLine: true }),
        time('until', c.until)
      )
    case 'card':
      return first(
        text('displayName', c.displayName, MAX_CARD_SHORT_CHARS, { required: true, singleLine: true }),
        text('title', c.title, MAX_CARD_SHORT_CHARS, { singleLine: true }),
        text('organization', c.organization, MAX_CARD_SHORT_CHARS, { singleLine: true }),
        text('email', c.email, MAX_CARD_LONG_CHARS, { singleLine: true }),
        text('phone', c.phone, MAX_CARD_SHORT_CHARS, { singleLine: true }),
        text('url', c.url, MAX_CARD_LONG_CHARS, { singleLine: true })
      )
    case 'capabilities': {
      const bad = first(
        text('description', c.description, MAX_DEVICE_DESCRIPTION_CHARS, { singleLine: true }),
        oneOf('mobility', c.mobility, MOBILITIES, false)
      )
      if (bad != null) return bad
      if (!Array.isArray(c.features)) return { field: 'features', problem: 'missing' }
      if (c.features.length > MAX_FEATURES) return { field: 'features', problem: 'too-many', limit: MAX_FEATURES }
      if (new Set(c.features).size !== c.features.length) return { field: 'features', problem: 'duplicate' }
      for (const f of c.features) {
        if (typeof f !== 'string' || f.length > MAX_FEATURE_CHARS) return { field: 'features', problem: 'too-long', limit: MAX_FEATURE_CHARS }
        if (!FEATURE.test(f)) return { field: 'features', problem: 'bad-format' }
      }
      return undefined
    }
    case 'calendar':
      return first(oneOf('freeBusy', c.freeBusy, FREE_BUSY, true), time('until', c.until), time('nextFree', c.nextFree))
    case 'app':
      if (typeof c.namespace !== 'string' || c.namespace === '') return { field: 'namespace', problem: 'missing' }
      if (c.namespace.length > MAX_APP_NAMESPACE_CHARS) return { field: 'namespace', problem: 'too-long', limit: MAX_APP_NAMESPACE_CHARS }
      if (!APP_NAMESPACE.test(c.namespace)) return { field: 'namespace', problem: 'bad-format' }
      if (!(c.data instanceof Uint8Array)) return { field: 'data', problem: 'missing' }
      if (c.data.byteLength > MAX_APP_DATA_BYTES) return { field: 'data', problem: 'too-long', limit: MAX_APP_DATA_BYTES }
      return undefined
    default:
      return { field: 'kind', problem: 'unknown-value' }
  }
}

// ---- protobuf form ----

const range = (n: number): number[] => Array.from({ length: n + 1 }, (_, i) => i)

/** protocol/categories.proto, field by field (strict-protobuf.ts): the item, then each category body. */
export const CATEGORY_ITEM_RULES: MessageRules = {
  1: { type: 'bytes' },
  2: { type: 'uint64' },
  3: { type: 'uint64' },
  4: { type: 'uint64' },
  10: { type: 'bytes' },
  11: { type: 'bytes' },
  12: { type: 'bytes' },
  13: { type: 'bytes' },
  14: { type: 'bytes' },
  15: { type: 'bytes' },
  16: { type: 'bytes' }
}

/** Item field number -> the rules of the category body it carries. */
export const CATEGORY_BODY_RULES: ReadonlyMap<number, MessageRules> = new Map<number, MessageRules>([
  [10, { 1: { type: 'enum', values: range(5) }, 2: { type: 'enum', values: range(2) }, 3: { type: 'uint64' }, 4: { type: 'uint64' } }],
  [11, { 1: { type: 'string' } }],
  [12, { 1: { type: 'enum', values: range(27) }, 2: { type: 'string' }, 3: { type: 'uint64' } }],
  [13, { 1: { type: 'string' }, 2: { type: 'string' }, 3: { type: 'string' }, 4: { type: 'string' }, 5: { type: 'string' }, 6: { type: 'string' } }],
  [14, { 1: { type: 'string' }, 2: { type: 'enum', values: range(2) }, 3: { type: 'string', repeated: true } }],
  [15, { 1: { type: 'enum', values: range(4) }, 2: { type: 'uint64' }, 3: { type: 'uint64' } }],
  [16, { 1: { type: 'string' }, 2: { type: 'bytes' } }]
])

export const CATEGORY_BUNDLE_RULES: MessageRules = { 1: { type: 'bytes', repeated: true } }
export const CATEGORY_QUERY_RULES: MessageRules = { 1: { type: 'string' } }
export const CATEGORY_ANSWER_RULES: MessageRules = { 1: { type: 'enum', values: range(2) }, 2: { type: 'bytes' } }

const AVAILABILITY_PB: Record<PresenceStatus, AvailabilityPb> = {
  online: AvailabilityPb.ONLINE, away: AvailabilityPb.AWAY, busy: AvailabilityPb.BUSY, dnd: AvailabilityPb.DND, offline: AvailabilityPb.OFFLINE
}
const SOURCE_PB: Record<StateSource, StateSourcePb> = { manual: StateSourcePb.MANUAL, automatic: StateSourcePb.AUTOMATIC }
const MOBILITY_PB: Record<Mobility, MobilityPb> = { fixed: MobilityPb.FIXED, mobile: MobilityPb.MOBILE }
const FREE_BUSY_PB: Record<FreeBusy, FreeBusyPb> = {
  free: FreeBusyPb.FREE, tentative: FreeBusyPb.TENTATIVE, busy: FreeBusyPb.BUSY_CALENDAR, 'out-of-office': FreeBusyPb.OUT_OF_OFFICE
}
/** The activity enum's names differ from the tokens only where they would clash with other enums. */
const ACTIVITY_PB = Object.fromEntries(ACTIVITIES.map(a => [a, a === 'away' ? ActivityPb.AWAY_ACTIVITY : a === 'busy' ? ActivityPb.BUSY_ACTIVITY : a.toUpperCase().replace(/-/g, '_') as ActivityPb])) as Record<ActivityToken, ActivityPb>

/** The key of a value (the first key that has it), by a lookup made once: every item received has its enums read. */
function reverse<K extends string, V> (map: Record<K, V>): (v: V) => K | undefined {
  const keys = new Map<V, K>()
  for (const [k, v] of Object.entries(map) as Array<[K, V]>) if (!keys.has(v)) keys.set(v, k)
  return (v) => keys.get(v)
}
const availabilityOf = reverse(AVAILABILITY_PB)
const sourceOf = reverse(SOURCE_PB)
const mobilityOf = reverse(MOBILITY_PB)
const freeBusyOf = reverse(FREE_BUSY_PB)
const activityOf = reverse(ACTIVITY_PB)

const big = (t: number | undefined): bigint | undefined => t == null ? undefined : BigInt(t)
/** A time field as a number, or NaN when it is beyond 2^53 - 1 (the rules then refuse it). */
const MAX_SAFE_TIME = BigInt(Number.MAX_SAFE_INTEGER)
const num = (t: bigint | undefined): number | undefined => t == null ? undefined : t > MAX_SAFE_TIME ? Number.NaN : Number(t)
/** An empty optional string means none: it is never sent, and one received counts as absent. */
const orNone = (s: string | undefined): string | undefined => s === '' ? undefined : s

/** The category fields of a CategoryItem protobuf. */
export type CategoryFields = Pick<CategoryItemPb, 'state' | 'note' | 'activity' | 'card' | 'capabilities' | 'calendar' | 'app'>

export function categoryToPb (c: Category): CategoryFields {
  switch (c.kind) {
    case 'state': return { state: { availability: AVAILABILITY_PB[c.availability], source: c.source == null ? StateSourcePb.SOURCE_UNSPECIFIED : SOURCE_PB[c.source], idleSince: big(c.idleSince), manualSince: big(c.manualSince) } }
    case 'note': return { note: { text: c.text } }
    case 'activity': return { activity: { activity: ACTIVITY_PB[c.activity], text: orNone(c.text), until: big(c.until) } }
    case 'card': return { card: { displayName: c.displayName, title: orNone(c.title), organization: orNone(c.organization), email: orNone(c.email), phone: orNone(c.phone), url: orNone(c.url) } }
    case 'capabilities': return { capabilities: { description: orNone(c.description), mobility: c.mobility == null ? MobilityPb.MOBILITY_UNSPECIFIED : MOBILITY_PB[c.mobility], features: [...c.features] } }
    case 'calendar': return { calendar: { freeBusy: FREE_BUSY_PB[c.freeBusy], until: big(c.until), nextFree: big(c.nextFree) } }
    case 'app': return { app: { namespace: c.namespace, data: Uint8Array.from(c.data) } }
  }
}

/**
 * The one category a decoded item carries, or a problem: none or several
 * category fields, or an enum value that is unspecified (field rules are
 * checked separately by categoryProblem).
 */
const CATEGORY_FIELDS = ['state', 'note', 'activity', 'card', 'capabilities', 'calendar', 'app'] as const
const unknown = (field: string): CategoryProblem => ({ field, problem: 'unknown-value' })

export function categoryFromPb (pb: CategoryFields): Category | CategoryProblem {
  let present = 0
  for (const k of CATEGORY_FIELDS) if (pb[k] != null) present++
  if (present !== 1) return { field: 'category', problem: present === 0 ? 'missing' : 'too-many' }
  if (pb.state != null) {
    const availability = availabilityOf(pb.state.availability)
    if (availability == null) return unknown('availability')
    return { kind: 'state', availability, source: sourceOf(pb.state.source), idleSince: num(pb.state.idleSince), manualSince: num(pb.state.manualSince) }
  }
  if (pb.note != null) return { kind: 'note', text: pb.note.text }
  if (pb.activity != null) {
    const activity = activityOf(pb.activity.activity)
    if (activity == null) return unknown('activity')
    return { kind: 'activity', activity, text: orNone(pb.activity.text), until: num(pb.activity.until) }
  }
  if (pb.card != null) {
    const c = pb.card
    return { kind: 'card', displayName: c.displayName, title: orNone(c.title), organization: orNone(c.organization), email: orNone(c.email), phone: orNone(c.phone), url: orNone(c.url) }
  }
  if (pb.capabilities != null) {
    return { kind: 'capabilities', description: orNone(pb.capabilities.description), mobility: mobilityOf(pb.capabilities.mobility), features: pb.capabilities.features }
  }
  if (pb.calendar != null) {
    const freeBusy = freeBusyOf(pb.calendar.freeBusy)
    if (freeBusy == null) return unknown('freeBusy')
    return { kind: 'calendar', freeBusy, until: num(pb.calendar.until), nextFree: num(pb.calendar.nextFree) }
  }
  const app = pb.app as NonNullable<CategoryFields['app']>
  return { kind: 'app', namespace: app.namespace, data: app.data }
}

/** Whether two categories hold the same value (a field set to undefined counts as absent). */
export function sameCategory (a: Category | undefined, b: Category | undefined): boolean {
  if (a === b) return true
  if (a == null || b == null || a.kind !== b.kind) return false
  const x = a as unknown as Record<string, unknown>
  const y = b as unknown as Record<string, unknown>
  for (const k in x) if (!sameField(x[k], y[k])) return false
  for (const k in y) if (!(k in x) && y[k] !== undefined) return false
  return true
}

function sameField (a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (a instanceof Uint8Array && b instanceof Uint8Array) return a.byteLength === b.byteLength && a.every((v, i) => v === b[i])
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => v === b[i])
  return false
}

export function isCategoryProblem (x: Category | CategoryProblem): x is CategoryProblem {
  return 'problem' in x
}

// ---- the version 1 record's view of categories ----

/** The activity string of a version 1 record for an activity category: its text, else its token. */
export function activityText (a: ActivityCategory): string {
  return a.text ?? a.activity
}

/** An activity category from a version 1 record's activity string: an RFC 4480 token, else `other`. */
export function activityFromText (s: string): ActivityCategory {
  return (ACTIVITIES as readonly string[]).includes(s) && s !== 'other'
    ? { kind: 'activity', activity: s as ActivityToken }
    : { kind: 'activity', activity: 'other', text: s }
}
