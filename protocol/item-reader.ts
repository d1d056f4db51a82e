/**
 * The two items every presence change carries, the state and a note, read
 * in one pass (the watcher's side of item-writer.ts): a notify stream's
 * version 3 bundle holds them unsigned, and the watcher reads them cold (a
 * change comes once in minutes), where the general reader's three walks
 * with a visitor per field, the protons-shaped object between and the
 * bigint times cost about as much as the rest of the watcher's work
 * (docs/benchmarks.md, "presence.direct on `s9-direct`").
 *
 * It takes only the layout item-writer.ts and protons write (fields 1-4 in
 * order, each once, then the state or note body, its own fields in order,
 * every varint within 7 bytes, nothing unknown, nothing after) and gives
 * exactly what category-reader.ts and categoryFromPb give for those bytes
 * (test/protocol/item-reader.test.ts); any other bytes, malformed ones
 * included, give undefined and go to the general reader, which decides.
 * Pure; never throws.
 */
import { isUtf8 } from 'node:buffer'
import type { NoteCategory, StateCategory, StateSource } from './categories.js'
import type { PresenceStatus } from './presence-record.js'

/** An item's fields as the checks take them (category-item.ts checkItem). */
export interface HotItem {
  presentity: Uint8Array
  seq: bigint
  issuedAt: number
  expiresAt: number
  category: StateCategory | NoteCategory
}

/** Availability 1-5 and StateSource 1-2 of categories.proto (0, unspecified, goes to the general reader). */
const AVAILABILITY: ReadonlyArray<PresenceStatus | undefined> = [undefined, 'online', 'away', 'busy', 'dnd', 'offline']
const SOURCE: ReadonlyArray<StateSource | undefined> = [undefined, 'manual', 'automatic']

// what category-reader.ts decodes strict UTF-8 with (a leading BOM is text like any other)
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true })

/** Where the last varint ended (one module-level cursor: no tuple per varint). */
let end = 0

/** A varint of at most 7 bytes (below 2^49: a plain number) at `pos` before `limit`, else -1. */
function varint (b: Uint8Array, pos: number, limit: number): number {
  let value = 0
  let scale = 1
  for (let i = 0; i < 7 && pos < limit; i++) {
    const byte = b[pos++]
    value += (byte & 0x7f) * scale
    if ((byte & 0x80) === 0) {
      end = pos
      return value
    }
    scale *= 128
  }
  return -1
}

function stateBody (b: Uint8Array, pos: number, limit: number): StateCategory | undefined {
  if (pos + 2 > limit || b[pos] !== 0x08) return undefined
  const availability = AVAILABILITY[b[pos + 1]]
  if (availability == null) return undefined
  pos += 2
  let source: StateSource | undefined
  let idleSince: number | undefined
  let manualSince: number | undefined
  if (pos < limit && b[pos] === 0x10) {
    // 0 (unspecified) reads as no source, as categoryFromPb reads it
    if (pos + 2 > limit || b[pos + 1] > 2) return undefined
    const s = b[pos + 1]
    source = SOURCE[s]
    pos += 2
  }
  if (pos < limit && b[pos] === 0x18) {
    idleSince = varint(b, pos + 1, limit)
    if (idleSince < 0) return undefined
    pos = end
  }
  if (pos < limit && b[pos] === 0x20) {
    manualSince = varint(b, pos + 1, limit)
    if (manualSince < 0) return undefined
    pos = end
  }
  if (pos !== limit) return undefined
  return { kind: 'state', availability, source, idleSince, manualSince }
}

function noteBody (b: Uint8Array, pos: number, limit: number): NoteCategory | undefined {
  if (pos === limit) return { kind: 'note', text: '' }
  if (b[pos] !== 0x0a) return undefined
  const len = varint(b, pos + 1, limit)
  if (len < 0 || len !== limit - end) return undefined
  const text = b.subarray(end, limit)
  if (!isUtf8(text)) return undefined
  return { kind: 'note', text: utf8.decode(text) }
}

/** A state or note item in the writer's layout, else undefined (the general reader's). */
export function readHotItem (b: Uint8Array): HotItem | undefined {
  const size = b.byteLength
  if (size < 2 || b[0] !== 0x0a) return undefined
  const idLength = b[1]
  if (idLength >= 0x80 || 2 + idLength > size) return undefined
  const presentity = b.subarray(2, 2 + idLength)
  let pos = 2 + idLength
  if (b[pos] !== 0x10) return undefined
  const seq = varint(b, pos + 1, size)
  if (seq < 0) return undefined
  pos = end
  if (b[pos] !== 0x18) return undefined
  const issuedAt = varint(b, pos + 1, size)
  if (issuedAt < 0) return undefined
  pos = end
  if (b[pos] !== 0x20) return undefined
  const expiresAt = varint(b, pos + 1, size)
  if (expiresAt < 0) return undefined
  pos = end
  const tag = b[pos]
  if (tag !== 0x52 && tag !== 0x5a) return undefined
  const bodyLength = varint(b, pos + 1, size)
  if (bodyLength < 0 || bodyLength !== size - end) return undefined
  const category = tag === 0x52 ? stateBody(b, end, size) : noteBody(b, end, size)
  if (category == null) return undefined
  return { presentity, seq: BigInt(seq), issuedAt, expiresAt, category }
}
