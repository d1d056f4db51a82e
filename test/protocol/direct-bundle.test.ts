import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { encodeBundle, openPairMessage, sealPairMessage } from '../../protocol/category-bundle.js'
import { categoryEnvelopeSize, encodeCategoryItem, encodeCheckedItem, openCategory, sealCategory, sealCategoryPayload } from '../../protocol/category-item.js'
import { DIRECT_VERSION, directInner, openDirectBundle, parseDirect } from '../../protocol/direct-bundle.js'
import { MAX_BUNDLE_BYTES } from '../../protocol/limits.js'
import type { Category } from '../../protocol/categories.js'
import type { CategoryItem } from '../../protocol/category-item.js'

const NOW = 1_750_000_000_000
const key32 = new Uint8Array(32).fill(7)
const topic = '/presence-mesh/pair/1/testtopic'

describe('version 3: unsigned items on a notify stream', async () => {
  const alice = await generateKeyPair('Ed25519')
  const self = peerIdFromPrivateKey(alice)
  const mallory = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
  const item = (category: Category, seq: bigint, over: Partial<CategoryItem> = {}): Uint8Array =>
    encodeCheckedItem({ presentity: self, seq, issuedAt: NOW, expiresAt: NOW + 60_000, category, ...over })
  const state = (seq = 100n, over: Partial<CategoryItem> = {}): Uint8Array => item({ kind: 'state', availability: 'away', source: 'manual' }, seq, over)
  const note = (seq: bigint, text = 'lunch'): Uint8Array => item({ kind: 'note', text }, seq)
  const ctx = (floors: Record<string, bigint> = {}, held: Record<string, bigint> = {}): Parameters<typeof openDirectBundle>[2] =>
    ({ now: NOW + 1_000, floors: new Map(Object.entries(floors)), held: new Map(Object.entries(held)) })
  const open = (payload: Uint8Array, c = ctx(), from = self): ReturnType<typeof openDirectBundle> => {
    const m = parseDirect(payload)
    if (m.version !== DIRECT_VERSION) throw new Error(`version ${String(m.version)}`)
    return openDirectBundle(m.bundle, from, c)
  }

  it('carries the payloads an envelope signs: the same item, read without the envelope', () => {
    const payload = state(100n)
    const envelope = sealCategoryPayload(payload, alice)
    expect(envelope).toEqual(sealCategory({ presentity: self, seq: 100n, issuedAt: NOW, expiresAt: NOW + 60_000, category: { kind: 'state', availability: 'away', source: 'manual' } }, alice))
    expect(categoryEnvelopeSize(payload.byteLength)).toBe(envelope.byteLength)
    const long = encodeCategoryItem({ presentity: self, seq: 1n, issuedAt: NOW, expiresAt: NOW + 60_000, category: { kind: 'note', text: 'x'.repeat(300) } })
    expect(categoryEnvelopeSize(long.byteLength)).toBe(sealCategoryPayload(long, alice).byteLength)
    const res = open(directInner([payload, note(90n)]))
    expect(res).toMatchObject({ ok: true, kept: [] })
    if (!res.ok) return
    expect(res.accepted.map(i => [i.category, i.seq])).toEqual([[{ kind: 'state', availability: 'away', source: 'manual' }, 100n], [{ kind: 'note', text: 'lunch' }, 90n]])
    const opened = openCategory(envelope, { now: NOW + 1_000, expectedPresentity: self })
    expect(opened.ok && opened.item).toEqual(res.state)
  })

  it('applies the rules of a version 2 bundle: floors, held items, one state', () => {
    expect(open(directInner([state(100n), note(90n)]), ctx({ state: 99n, note: 90n }, { note: 90n }))).toMatchObject({ ok: true, kept: ['note'] })
    expect(open(directInner([state(100n)]), ctx({ state: 100n }))).toMatchObject({ ok: false, reason: 'replay' })
    expect(open(directInner([state(101n), note(80n)]), ctx({ state: 100n, note: 90n }))).toMatchObject({ ok: false, reason: 'replay' })
    expect(open(directInner([note(90n)]))).toMatchObject({ ok: false, reason: 'missing-state' })
    expect(open(directInner([state(100n), state(101n)]))).toMatchObject({ ok: false, reason: 'duplicate-category' })
    expect(open(directInner([state(100n, { issuedAt: NOW - 60_000, expiresAt: NOW + 500 })]))).toMatchObject({ ok: false, reason: 'expired' })
  })

  it('takes items only when they name the stream\'s peer', () => {
    // the stream proved who sent it: an item naming anyone else is refused
    expect(open(directInner([state()]), ctx(), mallory)).toMatchObject({ ok: false, reason: 'wrong-presentity' })
    const forged = encodeCheckedItem({ presentity: mallory, seq: 100n, issuedAt: NOW, expiresAt: NOW + 60_000, category: { kind: 'state', availability: 'online' } })
    expect(open(directInner([forged]))).toMatchObject({ ok: false, reason: 'wrong-presentity' })
  })

  it('refuses bad bytes with a reason, never throwing', () => {
    expect(open(Uint8Array.from([0, DIRECT_VERSION, 0x0a, 0x03, 1, 2]))).toMatchObject({ ok: false, reason: 'malformed' })
    expect(open(Uint8Array.from([0, DIRECT_VERSION, ...encodeBundle([Uint8Array.from([0x08, 0x80])])]))).toMatchObject({ ok: false, reason: 'malformed' })
    expect(open(directInner(Array.from({ length: 17 }, (_, i) => note(BigInt(i + 1)))))).toMatchObject({ ok: false, reason: 'too-many-items' })
  })

  it('takes an item known from the same stream (the same bytes) with only its clock and floor checked again', () => {
    const caps = item({ kind: 'capabilities', features: ['chat'] }, 50n)
    const first = open(directInner([state(100n), caps]))
    if (!first.ok) throw new Error(first.reason)
    // what the watcher keeps of it: the item as read, and its bytes
    const known = { payload: first.payloads[1], item: first.accepted[1], key: 'capabilities' as const }
    expect(known.payload).toEqual(caps)
    let asked = 0
    const lookup = (payload: Uint8Array): typeof known | undefined => { asked++; return Buffer.compare(payload, known.payload) === 0 ? known : undefined }
    const again = open(directInner([state(101n), caps]), { ...ctx({ state: 100n, capabilities: 50n }, { capabilities: 50n }), known: lookup })
    expect(again).toMatchObject({ ok: true, kept: ['capabilities'] })
    expect(asked).toBe(2)
    // not read again: a known item stands for its bytes (here one that says something else, to tell the paths apart)
    const other = { ...known, item: { ...known.item, seq: 49n } }
    expect(open(directInner([state(101n), caps]), { ...ctx({ state: 100n }), known: p => Buffer.compare(p, caps) === 0 ? other : undefined })).toMatchObject({ ok: true, accepted: [{ seq: 101n }, { seq: 49n }] })
    // the clock still: a known item past its expiry refuses the bundle, as a new one would
    const late = { ...ctx({ state: 100n }), now: NOW + 60_000, known: lookup }
    expect(open(directInner([state(101n, { issuedAt: NOW + 30_000, expiresAt: NOW + 90_000 }), caps]), late)).toMatchObject({ ok: false, reason: 'expired' })
    // and the floor: a known item below the category's floor is a replay
    expect(open(directInner([state(101n), caps]), { ...ctx({ state: 100n, capabilities: 60n }), known: lookup })).toMatchObject({ ok: false, reason: 'replay' })
    // other bytes are read whole: a forged item naming someone else is still refused
    const forged = encodeCheckedItem({ presentity: mallory, seq: 51n, issuedAt: NOW, expiresAt: NOW + 60_000, category: { kind: 'capabilities', features: ['chat'] } })
    expect(open(directInner([state(101n), forged]), { ...ctx({ state: 100n }), known: lookup })).toMatchObject({ ok: false, reason: 'wrong-presentity' })
  })

  it('is a notify stream\'s only: a pair-topic message of version 3 is of an unknown version', () => {
    const inner = directInner([state()])
    expect(openPairMessage(key32, topic, sealPairMessage(key32, topic, inner))).toMatchObject({ version: 'unknown' })
    // the stream still reads what the pair topic carries
    expect(parseDirect(Uint8Array.from([0, 2, 1]))).toMatchObject({ version: 2 })
  })

  it('writes the header and protons\' CategoryBundle encoding of any items, byte for byte, in one pass', () => {
    fc.assert(fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 17 }), (items) => {
      const bundle = encodeBundle(items)
      if (bundle.byteLength > MAX_BUNDLE_BYTES) {
        expect(() => directInner(items)).toThrow(/larger than/)
        return
      }
      expect(directInner(items)).toEqual(Uint8Array.from([0x00, DIRECT_VERSION, ...bundle]))
    }), { numRuns: 2000 })
    // lengths of one and two varint bytes (the largest bundle needs no more); an empty item is written (tag and length 0)
    for (const sizes of [[0], [127, 128], [MAX_BUNDLE_BYTES - 3]]) {
      const items = sizes.map(n => new Uint8Array(n).fill(5))
      expect(directInner(items)).toEqual(Uint8Array.from([0x00, DIRECT_VERSION, ...encodeBundle(items)]))
    }
    expect(() => directInner([new Uint8Array(MAX_BUNDLE_BYTES)])).toThrow(/larger than/)
  })
})
