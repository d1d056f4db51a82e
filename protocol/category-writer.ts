/**
 * Encodes a CategoryItem (protocol/categories.proto) byte for byte as
 * protons' generated encoder does (proto3: a field at its default is left
 * out, an optional one written when set; fields in number order), in one
 * pass into one buffer: a presentity encodes two or three items per change
 * before its first write. test/protocol/category-writer.test.ts holds it to
 * protons for any item. Texts must be well formed (categoryProblem refuses
 * a lone surrogate before anything is encoded).
 */
import { Activity, Availability, FreeBusy, Mobility, StateSource } from './pb/categories.js'
import type { CategoryItem } from './pb/categories.js'

/** An enum's numbers by name (the generated enums declare 0..n in order; the namespace merged into each adds a function, skipped). */
const numbers = (e: Record<string, unknown>): ReadonlyMap<unknown, number> => new Map(Object.values(e).filter(v => typeof v === 'string').map((v, i) => [v, i]))
const AVAILABILITY = numbers(Availability)
const SOURCE = numbers(StateSource)
const ACTIVITY = numbers(Activity)
const MOBILITY = numbers(Mobility)
const FREE_BUSY = numbers(FreeBusy)

const utf8 = new TextEncoder()
/** One field to write: its tag (field number and wire type) and value (a varint, or bytes). */
type Field = [number, number | bigint | Uint8Array]
const VARINT = 0
const LEN = 2
const tag = (field: number, wire: number): number => field * 8 + wire

function varintSize (v: number | bigint): number {
  let n = 1
  if (typeof v === 'bigint') {
    if (v <= 0x1fffffffffffffn) v = Number(v)
    else { for (; v >= 0x80n; v >>= 7n) n++; return n }
  }
  for (; v >= 0x80; v = Math.floor(v / 128)) n++
  return n
}

function writeVarint (buf: Uint8Array, pos: number, v: number | bigint): number {
  if (typeof v === 'bigint') {
    if (v <= 0x1fffffffffffffn) v = Number(v)
    else {
      for (; v >= 0x80n; v >>= 7n) buf[pos++] = Number(v & 0x7fn) | 0x80
      buf[pos++] = Number(v)
      return pos
    }
  }
  for (; v >= 0x80; v = Math.floor(v / 128)) buf[pos++] = (v % 128) | 0x80
  buf[pos++] = v
  return pos
}

const fieldSize = ([t, v]: Field): number => varintSize(t) + (v instanceof Uint8Array ? varintSize(v.byteLength) + v.byteLength : varintSize(v))

function writeFields (buf: Uint8Array, pos: number, fields: readonly Field[]): number {
  for (const [t, v] of fields) {
    pos = writeVarint(buf, pos, t)
    if (v instanceof Uint8Array) {
      pos = writeVarint(buf, pos, v.byteLength)
      buf.set(v, pos)
      pos += v.byteLength
    } else {
      pos = writeVarint(buf, pos, v)
    }
  }
  return pos
}

/** Pushes field `n` unless it is at its default (`always`: an optional field, written whenever set). */
function put (out: Field[], n: number, v: string | number | bigint | Uint8Array | undefined, always = false): void {
  if (v == null) return
  if (typeof v === 'string') {
    if (always || v !== '') out.push([tag(n, LEN), utf8.encode(v)])
  } else if (v instanceof Uint8Array) {
    if (always || v.byteLength > 0) out.push([tag(n, LEN), v])
  } else if (always || (v !== 0 && v !== 0n)) {
    out.push([tag(n, VARINT), v])
  }
}

/** The item's category bodies (one in every item this node makes): field number and fields, as protons writes them. */
function bodies (item: CategoryItem): Array<[number, Field[]]> {
  const out: Array<[number, Field[]]> = []
  const body = (n: number): Field[] => { const f: Field[] = []; out.push([n, f]); return f }
  if (item.state != null) {
    const s = item.state
    const f = body(10)
    put(f, 1, AVAILABILITY.get(s.availability)); put(f, 2, SOURCE.get(s.source)); put(f, 3, s.idleSince, true); put(f, 4, s.manualSince, true)
  }
  if (item.note != null) put(body(11), 1, item.note.text)
  if (item.activity != null) {
    const a = item.activity
    const f = body(12)
    put(f, 1, ACTIVITY.get(a.activity)); put(f, 2, a.text, true); put(f, 3, a.until, true)
  }
  if (item.card != null) {
    const c = item.card
    const f = body(13)
    put(f, 1, c.displayName); put(f, 2, c.title, true); put(f, 3, c.organization, true); put(f, 4, c.email, true); put(f, 5, c.phone, true); put(f, 6, c.url, true)
  }
  if (item.capabilities != null) {
    const c = item.capabilities
    const f = body(14)
    put(f, 1, c.description, true); put(f, 2, MOBILITY.get(c.mobility))
    for (const feature of c.features ?? []) put(f, 3, feature, true)
  }
  if (item.calendar != null) {
    const c = item.calendar
    const f = body(15)
    put(f, 1, FREE_BUSY.get(c.freeBusy)); put(f, 2, c.until, true); put(f, 3, c.nextFree, true)
  }
  if (item.app != null) {
    const f = body(16)
    put(f, 1, item.app.namespace); put(f, 2, item.app.data)
  }
  return out
}

/** The item's bytes, as CategoryItem.encode gives them. */
export function writeCategoryItem (item: CategoryItem): Uint8Array {
  const top: Field[] = []
  put(top, 1, item.presentity); put(top, 2, item.seq); put(top, 3, item.issuedAt); put(top, 4, item.expiresAt)
  let size = 0
  for (const field of top) size += fieldSize(field)
  const nested = bodies(item)
  const sizes = nested.map(([n, fields]) => {
    let s = 0
    for (const field of fields) s += fieldSize(field)
    size += varintSize(tag(n, LEN)) + varintSize(s) + s
    return s
  })
  const buf = new Uint8Array(size)
  let pos = writeFields(buf, 0, top)
  nested.forEach(([n, fields], i) => {
    pos = writeVarint(buf, pos, tag(n, LEN))
    pos = writeVarint(buf, pos, sizes[i])
    pos = writeFields(buf, pos, fields)
  })
  return buf
}
