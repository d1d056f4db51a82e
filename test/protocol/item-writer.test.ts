/**
 * The hot path's item writer (protocol/item-writer.ts) against the protons
 * encoder it stands in for: for any state or note item it writes, the bytes
 * are exactly protons'; what it does not write (other categories, values
 * out of its range) it leaves to protons, and encodeCategoryItem gives
 * protons' bytes either way.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { STATE_SOURCES, categoryToPb } from '../../protocol/categories.js'
import { encodeCategoryItem } from '../../protocol/category-item.js'
import { readCategoryItem } from '../../protocol/category-reader.js'
import { writeHotItem } from '../../protocol/item-writer.js'
import { CategoryItem as CategoryItemPb } from '../../protocol/pb/categories.js'
import { STATUSES } from '../../protocol/presence-record.js'
import type { Category } from '../../protocol/categories.js'

const protons = (presentity: Uint8Array, seq: bigint, issuedAt: number, expiresAt: number, category: Category): Uint8Array =>
  CategoryItemPb.encode({ presentity: presentity as Uint8Array<ArrayBuffer>, seq, issuedAt: BigInt(issuedAt), expiresAt: BigInt(expiresAt), ...categoryToPb(category) })

// protons-runtime 7.1.2 writes a uint64 in [2^31, 2^32) wrongly (zero bytes; it reads them back as 0 or not at all):
// compared with protons outside that range, checked on its own below (no time or seq of ours lies in it)
const time = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.integer({ min: 2 ** 32, max: Number.MAX_SAFE_INTEGER }))
const state = fc.record({
  kind: fc.constant('state' as const),
  availability: fc.constantFrom(...STATUSES),
  source: fc.option(fc.constantFrom(...STATE_SOURCES), { nil: undefined }),
  idleSince: fc.option(time, { nil: undefined }),
  manualSince: fc.option(time, { nil: undefined })
}, { requiredKeys: ['kind', 'availability'] })
// any UTF-16: lone surrogate halves included (left to protons), long texts included (two-byte length prefixes)
const text = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 300 }), fc.string({ unit: fc.constantFrom('a', '\uD800', '\uDC00', 'é', '😀'), maxLength: 200 }))
const note = fc.record({ kind: fc.constant('note' as const), text })

describe('writeHotItem', async () => {
  const self = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
  const presentity = self.toMultihash().bytes

  it('writes exactly what protons writes for any state or note item, and leaves the rest to it', () => {
    fc.assert(fc.property(
      fc.oneof(fc.constant(presentity), fc.uint8Array({ maxLength: 200 })),
      fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 31n - 1n }), fc.bigInt({ min: 2n ** 32n, max: 2n ** 53n }), fc.bigInt({ min: 2n ** 32n, max: 2n ** 64n - 1n })),
      time, time, fc.oneof(state, note),
      (who, seq, issuedAt, expiresAt, category) => {
        const hot = writeHotItem(who, seq, issuedAt, expiresAt, category)
        const expected = protons(who, seq, issuedAt, expiresAt, category)
        if (hot != null) expect(hot).toEqual(expected)
        // inside its range it always writes (the hot path is taken): safe integers, well-formed text
        const wellFormed = category.kind === 'state' || !/[\uD800-\uDFFF]/u.test(category.text)
        if (seq <= BigInt(Number.MAX_SAFE_INTEGER) && wellFormed) expect(hot).toBeDefined()
      }
    ), { numRuns: 4000 })
  })

  it('writes a uint64 in [2^31, 2^32) as the varint every reader reads back (where protons 7.1.2 does not)', () => {
    for (const t of [2 ** 31, 3_000_000_000, 2 ** 32 - 1]) {
      const hot = writeHotItem(presentity, BigInt(t), t, t + 1, { kind: 'state', availability: 'online', idleSince: t }) as Uint8Array
      const read = readCategoryItem(hot)
      expect(read.ok && [read.value.seq, read.value.issuedAt, read.value.expiresAt, read.value.state?.idleSince]).toEqual([BigInt(t), BigInt(t), BigInt(t + 1), BigInt(t)])
    }
  })

  it('leaves other categories to protons; encodeCategoryItem gives protons\' bytes either way', () => {
    const others: Category[] = [
      { kind: 'activity', activity: 'meeting' },
      { kind: 'capabilities', features: ['chat'], mobility: 'fixed' },
      { kind: 'card', displayName: 'Alice' }
    ]
    for (const c of others) {
      expect(writeHotItem(presentity, 5n, 1_750_000_000_000, 1_750_000_060_000, c)).toBeUndefined()
      expect(encodeCategoryItem({ presentity: self, seq: 5n, issuedAt: 1_750_000_000_000, expiresAt: 1_750_000_060_000, category: c })).toEqual(protons(presentity, 5n, 1_750_000_000_000, 1_750_000_060_000, c))
    }
    const lone: Category = { kind: 'note', text: 'x\uD800' }
    expect(writeHotItem(presentity, 5n, 1, 2, lone)).toBeUndefined()
    expect(encodeCategoryItem({ presentity: self, seq: 5n, issuedAt: 1, expiresAt: 2, category: lone })).toEqual(protons(presentity, 5n, 1, 2, lone))
    const big = 2n ** 60n
    expect(writeHotItem(presentity, big, 1, 2, { kind: 'state', availability: 'away' })).toBeUndefined()
    expect(encodeCategoryItem({ presentity: self, seq: big, issuedAt: 1, expiresAt: 2, category: { kind: 'state', availability: 'away' } })).toEqual(protons(presentity, big, 1, 2, { kind: 'state', availability: 'away' }))
  })
})
