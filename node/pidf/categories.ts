/**
 * What each kind of presence information becomes in PIDF (RFC 3863) with
 * the data model (RFC 4479) and rich presence (RFC 4480). One mapper per
 * category: each category of enhanced presence (docs/protocol.md §10.7) is
 * one entry in CATEGORY_MAPPERS that adds its elements to the parts; the
 * document builder does not change.
 */
import { xml } from '@xmpp/xml'
import type { PresenceView } from '../presence/index.js'
import type { CalendarCategory, CapabilitiesCategory, CardCategory, StateCategory } from '../../protocol/categories.js'
import type { Element } from '@xmpp/xml'

export const PIDF_NS = {
  pidf: 'urn:ietf:params:xml:ns:pidf',
  dm: 'urn:ietf:params:xml:ns:pidf:data-model',
  rpid: 'urn:ietf:params:xml:ns:pidf:rpid',
  cipid: 'urn:ietf:params:xml:ns:pidf:cipid',
  caps: 'urn:ietf:params:xml:ns:pidf:caps'
} as const

/** The pieces of a PIDF document that mappers fill in. */
export interface PidfParts {
  /** RFC 3863 <basic>: open when the presentity can be reached. */
  basic?: 'open' | 'closed'
  /** RFC 4480 activity elements of the person (rpid:away, rpid:busy, rpid:other, ...). */
  activities: Element[]
  /** More person elements (rpid:mood, rpid:place-is, cipid:card, ...), in document order. */
  person: Element[]
  /** Person notes (dm:note). */
  notes: string[]
  /** More service (tuple) elements, after <status>. */
  tuple: Element[]
  /** Device elements (dm:device, RFC 4479 §3.3). */
  devices: Element[]
  /** When this information was last known true (ms). */
  timestamp?: number
  /** When the activities end (RFC 4480 `until` of <activities>), the earliest any category gives. */
  until?: number
}

export type CategoryMapper = (view: PresenceView, parts: PidfParts) => void

/** RFC 4480 §3.2 activities that have an element of their own. */
export const RPID_ACTIVITIES = [
  'appointment', 'away', 'breakfast', 'busy', 'dinner', 'holiday', 'in-transit', 'looking-for-work',
  'lunch', 'meal', 'meeting', 'on-the-phone', 'performance', 'permanent-absence', 'playing',
  'presentation', 'shopping', 'sleeping', 'spectator', 'steering', 'travel', 'tv', 'vacation',
  'working', 'worship'
] as const

const rpid = (name: string, text?: string): Element => xml(`rpid:${name}`, {}, text ?? null)

/** availability: basic open/closed; away, busy and dnd as RFC 4480 activities (dnd is busy, said so). */
const state: CategoryMapper = (view, parts) => {
  parts.basic = view.status === 'offline' ? 'closed' : 'open'
  if (view.status === 'away') parts.activities.push(rpid('away'))
  if (view.status === 'busy') parts.activities.push(rpid('busy'))
  if (view.status === 'dnd') parts.activities.push(rpid('busy'), rpid('other', 'do not disturb'))
  if (view.lastSeen != null) parts.timestamp = view.lastSeen
}

/** the free-text activity: an RFC 4480 element when it names one, else rpid:other with the text. */
const activity: CategoryMapper = (view, parts) => {
  if (view.activity == null || view.activity.trim() === '' || view.status === 'offline') return
  const token = view.activity.trim().toLowerCase().replace(/\s+/g, '-')
  const known = (RPID_ACTIVITIES as readonly string[]).includes(token)
  if (known && parts.activities.some(a => a.getName() === token)) return
  parts.activities.push(known ? rpid(token) : rpid('other', view.activity.trim()))
}

const note: CategoryMapper = (view, parts) => {
  if (view.note != null && view.note !== '') parts.notes.push(view.note)
}

const until = (parts: PidfParts, t: number | undefined): void => {
  if (t != null) parts.until = Math.min(parts.until ?? t, t)
}

const iso = (t: number): string => new Date(t).toISOString()

/** The automatic state (docs/protocol.md §10.7): RFC 4480 user-input, idle since the last input, else active. */
const userInput: CategoryMapper = (view, parts) => {
  const s = view.categories?.state as StateCategory | undefined
  if (s?.source !== 'automatic' || view.status === 'offline') return
  parts.person.push(s.idleSince != null ? xml('rpid:user-input', { 'last-input': iso(s.idleSince) }, 'idle') : xml('rpid:user-input', {}, 'active'))
}

/** The activity's end, when it gives one. */
const activityUntil: CategoryMapper = (view, parts) => {
  const a = view.categories?.activity
  if (a?.kind === 'activity' && view.status !== 'offline') until(parts, a.until)
}

/** Calendar: busy or tentative is an appointment, out of office a vacation, until the state ends. */
const calendar: CategoryMapper = (view, parts) => {
  const c = view.categories?.calendar as CalendarCategory | undefined
  if (c == null || c.freeBusy === 'free' || view.status === 'offline') return
  const token = c.freeBusy === 'out-of-office' ? 'vacation' : 'appointment'
  if (!parts.activities.some(a => a.getName() === token)) parts.activities.push(rpid(token))
  until(parts, c.until)
}

/** Contact card: RFC 4482 CIPID display-name and homepage (the other fields have no PIDF element). */
const card: CategoryMapper = (view, parts) => {
  const c = view.categories?.card as CardCategory | undefined
  if (c == null) return
  parts.person.push(xml('cipid:display-name', {}, c.displayName))
  if (c.url != null) parts.person.push(xml('cipid:homepage', {}, c.url))
}

/** Device capabilities: RFC 5196 service capabilities of the tuple (chat is text messaging). */
const capabilities: CategoryMapper = (view, parts) => {
  const c = view.categories?.capabilities as CapabilitiesCategory | undefined
  if (c == null || !c.features.includes('chat')) return
  parts.tuple.push(xml('caps:servcaps', {}, xml('caps:message', {}, 'true'), xml('caps:text', {}, 'true')))
}

/** In document order. */
export const CATEGORY_MAPPERS: Record<string, CategoryMapper> = { state, activity, note, userInput, activityUntil, calendar, card, capabilities }
