/**
 * The watcher's one-pass reader of a change's state and note items
 * (protocol/item-reader.ts) against the general reader it stands in for:
 * whatever bytes it takes, it gives exactly what category-reader.ts and
 * categoryFromPb give (category, seq, times, presentity); whatever it does
 * not take goes to the general reader. Items as the presentity writes them
 * are taken.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { categoryFromPb, STATE_SOURCES } from '../../protocol/categories.js'
import { encodeCategoryItem } from '../../protocol/category-item.js'
import { readCategoryItem } from '../../protocol/category-reader.js'
import { readHotItem } from '../../protocol/item-reader.js'
import { STATUSES } from '../../protocol/presence-record.js'
import { isUnicode } from '../../protocol/text.js'
import type { Category } from '../../protocol/categories.js'

const NOW = 1_750_000_000_000

describe('the one-pass reader of state and note items', async () => {
  const self = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
  const time = fc.oneof(fc.constant(undefined), fc.constant(0), fc.integer({ min: 1, max: 2 ** 28 }), fc.integer({ min: NOW - 1e9, max: NOW + 1e9 }), fc.constant(Number.MAX_SAFE_INTEGER))
  const state = fc.record({
    kind: fc.constant('state' as const),
    availability: fc.constantFrom(...STATUSES),
    source: fc.option(fc.constantFrom(...STATE_SOURCES), { nil: undefined }),
    idleSince: time,
    manualSince: time
  })
  const note = fc.record({ kind: fc.constant('note' as const), text: fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ maxLength: 300 }), fc.constant('')) })
  // mostly what a presentity writes (the reader's case), sometimes the edges it leaves to the general reader
  const seq = fc.oneof({ arbitrary: fc.bigInt({ min: 1n, max: 2n ** 20n }), weight: 8 }, fc.constant(0n), fc.bigInt({ min: 2n ** 40n, max: 2n ** 64n - 1n }))
  const times = fc.oneof({ arbitrary: fc.integer({ min: NOW - 1e9, max: NOW + 1e9 }), weight: 8 }, fc.constant(0), fc.constant(2 ** 49 - 1), fc.constant(2 ** 49), fc.constant(Number.MAX_SAFE_INTEGER))
  const encoded = fc.tuple(fc.oneof(state, note), seq, times, times).map(([category, s, issuedAt, expiresAt]) => {
    try {
      return encodeCategoryItem({ presentity: self, seq: s, issuedAt, expiresAt, category: category as Category })
    } catch {
      // a category protons cannot write (a time beyond uint64): no bytes to read
      return new Uint8Array(0)
    }
  })
  // edits a broken or hostile writer could make: a byte changed (a length or value nudged), inserted or dropped, the end cut
  const edit = fc.oneof(
    fc.record({ op: fc.constant('nudge' as const), at: fc.nat(), byte: fc.integer({ min: -3, max: 3 }) }),
    fc.record({ op: fc.constant('set' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ op: fc.constant('insert' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ op: fc.constant('drop' as const), at: fc.nat(), byte: fc.constant(0) }),
    fc.record({ op: fc.constant('cut' as const), at: fc.nat(), byte: fc.constant(0) })
  )
  const apply = (bytes: Uint8Array, edits: Array<{ op: string, at: number, byte: number }>): Uint8Array => {
    let b = [...bytes]
    for (const e of edits) {
      const at = b.length === 0 ? 0 : e.at % b.length
      if (e.op === 'set' && b.length > 0) b[at] = e.byte
      else if (e.op === 'nudge' && b.length > 0) b[at] = (b[at] + e.byte + 256) % 256
      else if (e.op === 'insert') b.splice(at, 0, e.byte)
      else if (e.op === 'drop') b.splice(at, 1)
      else if (e.op === 'cut') b = b.slice(0, at)
    }
    return Uint8Array.from(b)
  }

  /** What the general path hands the checks for `bytes`, or undefined where it refuses them before. */
  const general = (bytes: Uint8Array): unknown => {
    const read = readCategoryItem(bytes)
    if (!read.ok) return undefined
    return { presentity: read.value.presentity, seq: read.value.seq, issuedAt: Number(read.value.issuedAt), expiresAt: Number(read.value.expiresAt), category: categoryFromPb(read.value) }
  }

  it('gives what the general reader gives, for any bytes it takes', () => {
    fc.assert(fc.property(encoded, fc.array(edit, { maxLength: 3 }), (bytes, edits) => {
      const b = apply(bytes, edits)
      const hot = readHotItem(b)
      if (hot == null) return
      expect(hot).toStrictEqual(general(b))
    }), { numRuns: 5000 })
  })

  it('gives what the general reader gives for every one-byte change and every cut of a change\'s items', () => {
    const items = [
      encodeCategoryItem({ presentity: self, seq: 300n, issuedAt: NOW, expiresAt: NOW + 60_000, category: { kind: 'state', availability: 'away', source: 'manual', manualSince: NOW - 5 } }),
      encodeCategoryItem({ presentity: self, seq: 301n, issuedAt: NOW, expiresAt: NOW + 60_000, category: { kind: 'state', availability: 'away', source: 'automatic', idleSince: NOW - 9 } }),
      encodeCategoryItem({ presentity: self, seq: 302n, issuedAt: NOW, expiresAt: NOW + 60_000, category: { kind: 'note', text: 'run 12 😀' } })
    ]
    let taken = 0
    for (const item of items) {
      const variants = [...Array.from({ length: item.byteLength }, (_, i) => item.subarray(0, i))]
      for (let i = 0; i < item.byteLength; i++) {
        for (const delta of [-2, -1, 1, 2, 0x80]) variants.push(Uint8Array.from(item, (v, j) => j === i ? (v + delta + 256) % 256 : v))
      }
      for (const b of variants) {
        const hot = readHotItem(b)
        if (hot == null) continue
        taken++
        expect(hot).toStrictEqual(general(b))
      }
    }
    // the reader did take changed bytes (a changed time, seq or text), each read as the general reader reads it
    expect(taken).toBeGreaterThan(50)
  })

  it('takes the state and note items a presentity writes', () => {
    fc.assert(fc.property(fc.oneof(state, note), fc.bigInt({ min: 1n, max: 2n ** 48n - 1n }), (category, s) => {
      const bytes = encodeCategoryItem({ presentity: self, seq: s, issuedAt: NOW, expiresAt: NOW + 60_000, category })
      const idle = category.kind === 'state' && ((category.idleSince ?? 0) >= 2 ** 49 || (category.manualSince ?? 0) >= 2 ** 49)
      const lone = category.kind === 'note' && !isUnicode(category.text)
      if (idle || lone) return
      expect(readHotItem(bytes)).toStrictEqual(general(bytes))
    }), { numRuns: 1000 })
    // what a change writes: a manual away with its time, and a note
    const away = encodeCategoryItem({ presentity: self, seq: 77n, issuedAt: NOW, expiresAt: NOW + 60_000, category: { kind: 'state', availability: 'away', source: 'manual', manualSince: NOW - 5 } })
    expect(readHotItem(away)).toMatchObject({ seq: 77n, issuedAt: NOW, category: { kind: 'state', availability: 'away', source: 'manual', manualSince: NOW - 5 } })
    expect(readHotItem(encodeCategoryItem({ presentity: self, seq: 78n, issuedAt: NOW, expiresAt: NOW + 60_000, category: { kind: 'note', text: 'run 12 😀' } }))).toMatchObject({ category: { kind: 'note', text: 'run 12 😀' } })
  })

  it('leaves every other item to the general reader', () => {
    const caps = encodeCategoryItem({ presentity: self, seq: 5n, issuedAt: NOW, expiresAt: NOW + 60_000, category: { kind: 'capabilities', features: ['chat'] } })
    expect(readHotItem(caps)).toBeUndefined()
    const unspecified = encodeCategoryItem({ presentity: self, seq: 5n, issuedAt: NOW, expiresAt: NOW + 60_000, category: { kind: 'state', availability: 'online' } })
    // availability 0 (unspecified), an unknown field after the body, an 8-byte seq
    expect(readHotItem(Uint8Array.from(unspecified.map((v, i, a) => i === a.length - 1 && v === 1 ? 0 : v)))).toBeUndefined()
    expect(readHotItem(Uint8Array.from([...unspecified, 0x78, 0x01]))).toBeUndefined()
    expect(readHotItem(encodeCategoryItem({ presentity: self, seq: 2n ** 60n, issuedAt: NOW, expiresAt: NOW + 60_000, category: { kind: 'note', text: 'x' } }))).toBeUndefined()
  })
})
