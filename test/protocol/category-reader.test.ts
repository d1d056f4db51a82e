/**
 * The receive path's item reader (protocol/category-reader.ts) against the
 * well-kept decoder it replaces: for any bytes, it builds what protons'
 * generated decoder builds from bytes that follow the strict wire rules
 * (strict-protobuf.ts), and refuses everything else: every input protons
 * refuses, and every input the strict rules refuse.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { CATEGORY_BODY_RULES, CATEGORY_ITEM_RULES, categoryProblem } from '../../protocol/categories.js'
import { checkDirectItem, encodeCheckedItem } from '../../protocol/category-item.js'
import { readCategoryBody, readCategoryItem } from '../../protocol/category-reader.js'
import {
  Activity, ActivityCategory, AppCategory, Availability, CalendarCategory, CapabilitiesCategory, CardCategory, CategoryItem,
  FreeBusy, Mobility, NoteCategory, StateCategory, StateSource
} from '../../protocol/pb/categories.js'
import { scanMessage, walkMessage } from '../../protocol/strict-protobuf.js'

const BODY_CODECS: Record<number, { decode: (b: Uint8Array) => unknown }> = {
  10: StateCategory, 11: NoteCategory, 12: ActivityCategory, 13: CardCategory, 14: CapabilitiesCategory, 15: CalendarCategory, 16: AppCategory
}

/** What protons gives, where it gives anything. */
function protons<T> (decode: () => T): { ok: true, value: T } | { ok: false } {
  try {
    return { ok: true, value: decode() }
  } catch {
    return { ok: false }
  }
}

/** The reference: the strict scan of the item and of every body present, then protons' decode of the whole item. */
function referenceItem (bytes: Uint8Array): { ok: true, value: CategoryItem } | { ok: false } {
  const scan = scanMessage(bytes, CATEGORY_ITEM_RULES)
  if (!scan.ok) return { ok: false }
  for (let field = 10; field <= 16; field++) {
    const body = scan.fields.get(field)?.[0] as Uint8Array | undefined
    if (body != null && !scanMessage(body, CATEGORY_BODY_RULES.get(field) ?? {}).ok) return { ok: false }
  }
  return protons(() => CategoryItem.decode(bytes))
}

function expectSame (bytes: Uint8Array): void {
  const ours = readCategoryItem(bytes)
  const ref = referenceItem(bytes)
  expect(ours.ok).toBe(ref.ok)
  if (ours.ok && ref.ok) expect(ours.value).toEqual(ref.value)
  // whatever protons refuses, we refuse
  if (!protons(() => CategoryItem.decode(bytes)).ok) expect(ours.ok).toBe(false)
}

const enumValue = <E extends string>(e: Record<string, unknown>): fc.Arbitrary<E> => fc.constantFrom(...Object.values(e).filter(v => typeof v === 'string') as E[])
const u64 = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })
// any code point, or half of a surrogate pair alone ('binary' alone never makes one)
const unit = fc.oneof({ weight: 9, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) }, { weight: 1, arbitrary: fc.integer({ min: 0xd800, max: 0xdfff }).map(c => String.fromCharCode(c)) })
// any text, lone surrogates and a leading byte order mark included (protons keeps the BOM)
const text = fc.oneof(fc.string({ unit, maxLength: 20 }), fc.string({ unit, maxLength: 5 }).map(s => `\ufeff${s}`))
const opt = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(a, { nil: undefined })
const bytes = (max: number): fc.Arbitrary<Uint8Array<ArrayBuffer>> => fc.uint8Array({ maxLength: max }) as fc.Arbitrary<Uint8Array<ArrayBuffer>>

const body = fc.oneof(
  fc.record({ state: fc.record({ availability: enumValue<Availability>(Availability), source: enumValue<StateSource>(StateSource), idleSince: opt(u64), manualSince: opt(u64) }) }),
  fc.record({ note: fc.record({ text }) }),
  fc.record({ activity: fc.record({ activity: enumValue<Activity>(Activity), text: opt(text), until: opt(u64) }) }),
  fc.record({ card: fc.record({ displayName: text, title: opt(text), organization: opt(text), email: opt(text), phone: opt(text), url: opt(text) }) }),
  fc.record({ capabilities: fc.record({ description: opt(text), mobility: enumValue<Mobility>(Mobility), features: fc.array(text, { maxLength: 4 }) }) }),
  fc.record({ calendar: fc.record({ freeBusy: enumValue<FreeBusy>(FreeBusy), until: opt(u64), nextFree: opt(u64) }) }),
  fc.record({ app: fc.record({ namespace: text, data: bytes(20) }) })
)
const item = fc.record({ presentity: bytes(40), seq: u64, issuedAt: u64, expiresAt: u64 }).chain(top => fc.array(body, { minLength: 0, maxLength: 2 }).map(bodies => Object.assign({}, top, ...bodies) as CategoryItem))

/** Damage an attacker could do to valid bytes: flip, cut, insert, duplicate a slice, append any field. */
const mutation = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat(7) }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), with: bytes(6) }),
  fc.record({ kind: fc.constant('repeat' as const), at: fc.nat(), len: fc.nat(12) }),
  fc.record({ kind: fc.constant('append' as const), with: fc.oneof(bytes(12), fc.tuple(fc.integer({ min: 1, max: 40 }), fc.nat(7), bytes(10)).map(([f, w, b]) => Uint8Array.from([(f << 3) | w, ...b]))) })
)

type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never

function mutate (b: Uint8Array, m: Mutation): Uint8Array {
  const at = b.length === 0 || !('at' in m) ? 0 : m.at % b.length
  switch (m.kind) {
    case 'flip': { const c = b.slice(); if (c.length > 0) c[at] ^= 1 << m.bit; return c }
    case 'cut': return b.slice(0, at)
    case 'insert': return Uint8Array.from([...b.subarray(0, at), ...m.with, ...b.subarray(at)])
    case 'repeat': return Uint8Array.from([...b, ...b.subarray(at, at + m.len)])
    case 'append': return Uint8Array.from([...b, ...m.with])
  }
}

describe('the category item reader', () => {
  it('reads what protons encodes exactly as protons decodes it', () => {
    fc.assert(fc.property(item, (it) => {
      const encoded = CategoryItem.encode(it)
      const ours = readCategoryItem(encoded)
      // a lone surrogate has no UTF-8: protons writes bytes the strict rules refuse
      expect(ours.ok).toBe(strings(it).every(wellFormed))
      if (ours.ok) expect(ours.value).toEqual(CategoryItem.decode(encoded))
      expectSame(encoded)
    }), { numRuns: 1500 })
  })

  it('gives the same result as the strict scan and protons, or both refuse, for damaged items', () => {
    fc.assert(fc.property(item, fc.array(mutation, { minLength: 1, maxLength: 3 }), (it, ms) => {
      let b: Uint8Array = CategoryItem.encode(it)
      for (const m of ms) b = mutate(b, m)
      expectSame(b)
    }), { numRuns: 4000 })
  })

  it('gives the same result, or both refuse, for any bytes', () => {
    fc.assert(fc.property(bytes(120), expectSame), { numRuns: 4000 })
  })

  it('reads any category body as the strict scan and protons do, or both refuse', () => {
    fc.assert(fc.property(fc.integer({ min: 10, max: 16 }), fc.oneof(bytes(40), body.map(b => Object.values(b)[0]).map(b => {
      // a body of any kind under any field number: the wrong kind's bytes must be read by the right rules
      const codecs = [StateCategory, NoteCategory, ActivityCategory, CardCategory, CapabilitiesCategory, CalendarCategory, AppCategory] as Array<{ encode: (x: any) => Uint8Array }>
      for (const c of codecs) { try { return c.encode(b) } catch {} }
      return new Uint8Array(0)
    })), (field, b) => {
      const into: Record<string, unknown> = {}
      const problem = readCategoryBody(field, b, into as unknown as CategoryItem)
      const strict = scanMessage(b, CATEGORY_BODY_RULES.get(field) ?? {})
      const ref = strict.ok ? protons(() => BODY_CODECS[field].decode(b)) : { ok: false as const }
      expect(problem == null).toBe(ref.ok)
      if (problem == null && ref.ok) expect(Object.values(into)[0]).toEqual(ref.value)
      if (!protons(() => BODY_CODECS[field].decode(b)).ok) expect(problem).toBeDefined()
    }), { numRuns: 4000 })
  })

  it('keeps a leading byte order mark, as protons does', () => {
    const encoded = CategoryItem.encode({ presentity: new Uint8Array(2), seq: 1n, issuedAt: 2n, expiresAt: 3n, note: { text: '\ufeffhi' } })
    const ours = readCategoryItem(encoded)
    expect(ours.ok && ours.value.note?.text).toBe('\ufeffhi')
  })

  it('refuses what the strict rules refuse and protons takes', () => {
    const ok = (b: number[]): boolean => readCategoryItem(Uint8Array.from(b)).ok
    expect(ok([0x10, 0x01])).toBe(true) // seq = 1
    expect(ok([0x10, 0x01, 0x10, 0x02])).toBe(false) // seq twice
    expect(ok([0x52, 0x02, 0x08, 0x06])).toBe(false) // state.availability 6: not declared
    expect(ok([0x52, 0x06, 0x08, 0x81, 0x80, 0x80, 0x80, 0x00])).toBe(false) // an enum in 5 bytes
    expect(ok([0x5a, 0x03, 0x0a, 0x01, 0xff])).toBe(false) // note text not UTF-8
    expect(ok([0x12, 0x01, 0x00])).toBe(false) // seq with wire type 2
    expect(ok([0x0b])).toBe(false) // a group
    expect(ok([0xf8, 0x01, 0x05, 0x10, 0x01])).toBe(true) // unknown field 31 skipped
  })
})

describe('what a presentity may publish', () => {
  it('is read by every watcher: a text the rules accept has UTF-8 (a lone surrogate is refused when set)', async () => {
    const me = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
    const now = Date.now()
    const anyText = fc.string({ unit, minLength: 1, maxLength: 60 })
    const category = fc.oneof(
      anyText.map(t => ({ kind: 'note' as const, text: t })),
      anyText.map(t => ({ kind: 'activity' as const, activity: 'other' as const, text: t })),
      anyText.map(t => ({ kind: 'card' as const, displayName: t }))
    )
    fc.assert(fc.property(category, (c) => {
      if (categoryProblem(c) != null) return
      const res = checkDirectItem(encodeCheckedItem({ presentity: me, seq: 1n, issuedAt: now, expiresAt: now + 60_000, category: c }), me, { now })
      expect(res.ok).toBe(true)
    }), { numRuns: 3000 })
    expect(categoryProblem({ kind: 'note', text: 'a\ud800b' })).toEqual({ field: 'text', problem: 'bad-format' })
    expect(categoryProblem({ kind: 'note', text: 'a\ud83d\ude00b' })).toBeUndefined()
  })
})

describe('walkMessage', () => {
  it('refuses a singular field seen twice, whatever its number', () => {
    const visit = (): void => {}
    for (const field of [1, 30, 31, 32, 33, 1000, 2 ** 29 - 1]) {
      const rules = { [field]: { type: 'uint64' as const } }
      const tag = [...varint(BigInt(field) << 3n)]
      expect(walkMessage(Uint8Array.from([...tag, 1]), rules, undefined, visit)).toBeUndefined()
      expect(walkMessage(Uint8Array.from([...tag, 1, ...tag, 2]), rules, undefined, visit)).toBe(`field ${field} occurs twice`)
      const repeated = { [field]: { type: 'uint64' as const, repeated: true } }
      expect(walkMessage(Uint8Array.from([...tag, 1, ...tag, 2]), repeated, undefined, visit)).toBeUndefined()
    }
  })
})

const wellFormed = (s: string): boolean => !/[\uD800-\uDFFF]/u.test(s)
/** Every string in a value, at any depth. */
const strings = (x: unknown): string[] => typeof x === 'string' ? [x] : x != null && typeof x === 'object' && !(x instanceof Uint8Array) ? Object.values(x).flatMap(strings) : []

function * varint (n: bigint): Generator<number> {
  while (n >= 0x80n) { yield Number(n & 0x7fn) | 0x80; n >>= 7n }
  yield Number(n)
}
