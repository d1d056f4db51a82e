/**
 * Reads a received CategoryItem (protocol/categories.proto) and its
 * category body in one walk each (strict-protobuf.ts walkMessage: every wire
 * rule of docs/protocol.md §0.3 applied as the bytes are read), building
 * exactly what protons' generated decoder builds for bytes that follow the
 * rules (proto3 defaults, enum names, uint64 as bigint), without protons'
 * generic decode and without a map of fields per message: this runs for
 * every item a watcher receives. test/protocol/category-reader.test.ts holds
 * it to protons: the same result, or both refuse. Pure; never throws.
 */
import { CATEGORY_BODY_RULES, CATEGORY_ITEM_RULES } from './categories.js'
import { Activity, Availability, FreeBusy, Mobility, StateSource } from './pb/categories.js'
import { walkMessage } from './strict-protobuf.js'
import type { ActivityCategory, AppCategory, CalendarCategory, CapabilitiesCategory, CardCategory, CategoryItem, NoteCategory, StateCategory } from './pb/categories.js'
import type { FieldVisitor, MessageRules, ScanFields } from './strict-protobuf.js'

/** An enum's names by number (the generated enums declare 0..n in order; the namespace merged into each adds a function, skipped). */
const names = <E>(e: Record<string, unknown>): readonly E[] => Object.values(e).filter(v => typeof v === 'string') as E[]
const AVAILABILITY = names<Availability>(Availability)
const SOURCE = names<StateSource>(StateSource)
const ACTIVITY = names<Activity>(Activity)
const MOBILITY = names<Mobility>(Mobility)
const FREE_BUSY = names<FreeBusy>(FreeBusy)

// strict UTF-8 was checked by the walk; a leading BOM is text like any other (as protons reads it)
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true })
const text = (v: unknown): string => utf8.decode(v as Uint8Array)
const u64 = (v: unknown): bigint => typeof v === 'bigint' ? v : BigInt(v as number)
const NO_BYTES = new Uint8Array(0)

type Body = StateCategory | NoteCategory | ActivityCategory | CardCategory | CapabilitiesCategory | CalendarCategory | AppCategory
type Visit = FieldVisitor<any>

const visitState: Visit = (o: StateCategory, f, v) => {
  if (f === 1) o.availability = AVAILABILITY[v as number]
  else if (f === 2) o.source = SOURCE[v as number]
  else if (f === 3) o.idleSince = u64(v)
  else o.manualSince = u64(v)
}
const visitNote: Visit = (o: NoteCategory, _f, v) => { o.text = text(v) }
const visitActivity: Visit = (o: ActivityCategory, f, v) => {
  if (f === 1) o.activity = ACTIVITY[v as number]
  else if (f === 2) o.text = text(v)
  else o.until = u64(v)
}
const CARD_FIELDS = ['', 'displayName', 'title', 'organization', 'email', 'phone', 'url'] as const
const visitCard: Visit = (o: Record<string, string>, f, v) => { o[CARD_FIELDS[f]] = text(v) }
const visitCapabilities: Visit = (o: CapabilitiesCategory, f, v) => {
  if (f === 1) o.description = text(v)
  else if (f === 2) o.mobility = MOBILITY[v as number]
  else o.features.push(text(v))
}
const visitCalendar: Visit = (o: CalendarCategory, f, v) => {
  if (f === 1) o.freeBusy = FREE_BUSY[v as number]
  else if (f === 2) o.until = u64(v)
  else o.nextFree = u64(v)
}
const visitApp: Visit = (o: AppCategory, f, v) => {
  if (f === 1) o.namespace = text(v)
  else o.data = v as Uint8Array<ArrayBuffer>
}

/** Item field number -> the body's name in CategoryItem, its rules, a fresh body with protons' defaults, its field visitor. */
const BODIES = new Map<number, [keyof CategoryItem, MessageRules, () => Body, Visit]>([
  [10, ['state', CATEGORY_BODY_RULES.get(10) as MessageRules, () => ({ availability: Availability.AVAILABILITY_UNSPECIFIED, source: StateSource.SOURCE_UNSPECIFIED }), visitState]],
  [11, ['note', CATEGORY_BODY_RULES.get(11) as MessageRules, () => ({ text: '' }), visitNote]],
  [12, ['activity', CATEGORY_BODY_RULES.get(12) as MessageRules, () => ({ activity: Activity.ACTIVITY_UNSPECIFIED }), visitActivity]],
  [13, ['card', CATEGORY_BODY_RULES.get(13) as MessageRules, () => ({ displayName: '' }), visitCard]],
  [14, ['capabilities', CATEGORY_BODY_RULES.get(14) as MessageRules, () => ({ mobility: Mobility.MOBILITY_UNSPECIFIED, features: [] }), visitCapabilities]],
  [15, ['calendar', CATEGORY_BODY_RULES.get(15) as MessageRules, () => ({ freeBusy: FreeBusy.FREE_BUSY_UNSPECIFIED }), visitCalendar]],
  [16, ['app', CATEGORY_BODY_RULES.get(16) as MessageRules, () => ({ namespace: '', data: new Uint8Array(0) }), visitApp]]
])

export type ReadResult<T> = { ok: true, value: T } | { ok: false, problem: string }

/**
 * Reads the category body carried in item field `field` (10-16) into
 * `item`, as protons decodes it; returns the rule it breaks, else undefined.
 */
export function readCategoryBody (field: number, bytes: Uint8Array, item: CategoryItem): string | undefined {
  const body = BODIES.get(field)
  if (body == null) return `no category in field ${field}`
  const value = body[2]()
  const problem = walkMessage(bytes, body[1], value, body[3])
  if (problem != null) return `category field ${field}: ${problem}`
  ;(item as any)[body[0]] = value
  return undefined
}

/** What the item's walk collects: the fields in place, category bodies by field number (each read once the walk ends). */
interface ItemWalk { item: CategoryItem, bodies?: Array<[number, Uint8Array]> }

const visitItem: FieldVisitor<ItemWalk> = (w, f, v) => {
  if (f === 1) w.item.presentity = v as Uint8Array<ArrayBuffer>
  else if (f === 2) w.item.seq = u64(v)
  else if (f === 3) w.item.issuedAt = u64(v)
  else if (f === 4) w.item.expiresAt = u64(v)
  else (w.bodies ??= []).push([f, v as Uint8Array])
}

const newWalk = (): ItemWalk => ({ item: { presentity: NO_BYTES as Uint8Array<ArrayBuffer>, seq: 0n, issuedAt: 0n, expiresAt: 0n } })

/** The item of the walk, once each category body it collected is read into it (in the order collected). */
function readBodies (walk: ItemWalk): ReadResult<CategoryItem> {
  for (const [field, b] of walk.bodies ?? []) {
    const bad = readCategoryBody(field, b, walk.item)
    if (bad != null) return { ok: false, problem: bad }
  }
  return { ok: true, value: walk.item }
}

/** A CategoryItem payload as protons decodes it (every category body present read too), or the rule it breaks. */
export function readCategoryItem (bytes: Uint8Array): ReadResult<CategoryItem> {
  const walk = newWalk()
  const problem = walkMessage(bytes, CATEGORY_ITEM_RULES, walk, visitItem)
  if (problem != null) return { ok: false, problem }
  return readBodies(walk)
}

/** The item's fields in ascending order (integer keys): bodies are read 10 to 16. */
const ITEM_FIELDS = Object.keys(CATEGORY_ITEM_RULES).map(Number)

/**
 * The same item from the fields scanMessage already read of a payload under
 * CATEGORY_ITEM_RULES (a signed envelope's: its top level is read once).
 */
export function categoryItemFromScan (fields: ScanFields): ReadResult<CategoryItem> {
  const walk = newWalk()
  for (const field of ITEM_FIELDS) {
    const value = fields.get(field)?.[0]
    if (value != null) visitItem(walk, field, value)
  }
  return readBodies(walk)
}
