/**
 * The two items every presence change encodes, the state and a note, written
 * exactly as protons writes them (the CategoryItem message of
 * categories.proto), in one pass into one buffer: presence's hot path before
 * the notify stream's write (docs/benchmarks.md, "session 8"). Protons'
 * writer costs about 9 µs per item there (cold: a change runs once in
 * minutes): a list of write operations per field, a fork per nested message,
 * and bigint arithmetic per 64-bit field. Held to protons byte for byte by
 * test/protocol/item-writer.test.ts (any state, any note, any times and seq).
 *
 * Anything else (another category, a seq above 2^53, a text that is not
 * well-formed UTF-16) is left to protons: writeHotItem returns undefined.
 * Pure.
 */
import { isUnicode } from './text.js'
import type { Category, StateCategory } from './categories.js'
import type { PresenceStatus } from './presence-record.js'

/** The largest seq written from a number (made once: every change writes two items). */
const MAX_SAFE_SEQ = BigInt(Number.MAX_SAFE_INTEGER)

/** The Availability and StateSource numbers of categories.proto. */
const AVAILABILITY: Record<PresenceStatus, number> = { online: 1, away: 2, busy: 3, dnd: 4, offline: 5 }
const SOURCE = { manual: 1, automatic: 2 } as const

/** Tags: CategoryItem fields 1-4, 10 (state), 11 (note); StateCategory 1-4; NoteCategory 1. */
const TAG_PRESENTITY = 0x0a
const TAG_SEQ = 0x10
const TAG_ISSUED = 0x18
const TAG_EXPIRES = 0x20
const TAG_STATE = 0x52
const TAG_NOTE = 0x5a

/** The bytes of a uvarint of `n` (a safe integer, not negative). */
export function varintSize (n: number): number {
  let size = 1
  while (n >= 0x80) {
    n = Math.floor(n / 0x80)
    size++
  }
  return size
}

/** Writes the uvarint of `n` at `pos`; returns the position after it. */
export function writeVarint (out: Uint8Array, pos: number, n: number): number {
  while (n >= 0x80) {
    out[pos++] = (n % 0x80) | 0x80
    n = Math.floor(n / 0x80)
  }
  out[pos++] = n
  return pos
}

/** A uint64 field's size with its tag; 0 when protons leaves it out (`always`: an optional field, written even when 0). */
const u64Size = (n: number | undefined, always = false): number => n == null || (n === 0 && !always) ? 0 : 1 + varintSize(n)

function stateBodySize (c: StateCategory): number {
  return 2 + (c.source == null ? 0 : 2) + u64Size(c.idleSince, true) + u64Size(c.manualSince, true)
}

/**
 * The encoded item, byte for byte what encodeCategoryItem's protons call
 * gives, for a state or note category; undefined for anything else.
 */
export function writeHotItem (presentity: Uint8Array, seq: bigint, issuedAt: number, expiresAt: number, category: Category): Uint8Array | undefined {
  if (seq > MAX_SAFE_SEQ || seq < 0n || !Number.isSafeInteger(issuedAt) || !Number.isSafeInteger(expiresAt) || issuedAt < 0 || expiresAt < 0) return undefined
  const s = Number(seq)
  let body: number
  let text: Buffer | undefined
  if (category.kind === 'state') {
    if (AVAILABILITY[category.availability] == null || (category.source != null && SOURCE[category.source] == null)) return undefined
    if ((category.idleSince != null && !Number.isSafeInteger(category.idleSince)) || (category.manualSince != null && !Number.isSafeInteger(category.manualSince))) return undefined
    if (category.idleSince != null && category.idleSince < 0) return undefined
    if (category.manualSince != null && category.manualSince < 0) return undefined
    body = stateBodySize(category)
  } else if (category.kind === 'note') {
    // protons writes a lone surrogate its own way: such a text (refused by the rules anyway) is left to it
    if (!isUnicode(category.text)) return undefined
    text = Buffer.from(category.text, 'utf8')
    body = text.byteLength === 0 ? 0 : 1 + varintSize(text.byteLength) + text.byteLength
  } else {
    return undefined
  }
  const size = (presentity.byteLength === 0 ? 0 : 1 + varintSize(presentity.byteLength) + presentity.byteLength) +
    u64Size(s) + u64Size(issuedAt) + u64Size(expiresAt) + 1 + varintSize(body) + body
  const out = new Uint8Array(size)
  let pos = 0
  if (presentity.byteLength > 0) {
    out[pos++] = TAG_PRESENTITY
    pos = writeVarint(out, pos, presentity.byteLength)
    out.set(presentity, pos)
    pos += presentity.byteLength
  }
  if (s !== 0) { out[pos++] = TAG_SEQ; pos = writeVarint(out, pos, s) }
  if (issuedAt !== 0) { out[pos++] = TAG_ISSUED; pos = writeVarint(out, pos, issuedAt) }
  if (expiresAt !== 0) { out[pos++] = TAG_EXPIRES; pos = writeVarint(out, pos, expiresAt) }
  if (category.kind === 'state') {
    out[pos++] = TAG_STATE
    pos = writeVarint(out, pos, body)
    out[pos++] = 0x08
    out[pos++] = AVAILABILITY[category.availability]
    if (category.source != null) { out[pos++] = 0x10; out[pos++] = SOURCE[category.source] }
    if (category.idleSince != null) { out[pos++] = 0x18; pos = writeVarint(out, pos, category.idleSince) }
    if (category.manualSince != null) { out[pos++] = 0x20; pos = writeVarint(out, pos, category.manualSince) }
  } else if (text != null) {
    out[pos++] = TAG_NOTE
    pos = writeVarint(out, pos, body)
    if (text.byteLength > 0) {
      out[pos++] = 0x0a
      pos = writeVarint(out, pos, text.byteLength)
      out.set(text, pos)
      pos += text.byteLength
    }
  }
  return out
}
