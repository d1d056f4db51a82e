import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { RecordEnvelope } from '@libp2p/peer-record'
import { describe, expect, it } from 'vitest'
import { BUNDLE_VERSION, encodeBundle, MAX_SEALED_PAIR_MESSAGE_BYTES, openBundle, openPairMessage, sealBundleForPair } from '../../protocol/category-bundle.js'
import { sealCategory } from '../../protocol/category-item.js'
import { decodeAnswer, decodeQuery, encodeAnswer, encodeQuery, MAX_QUERY_BYTES } from '../../protocol/category-query.js'
import { MAX_BUNDLE_BYTES } from '../../protocol/limits.js'
import { CategoryAnswer, CategoryQuery, QueryResult } from '../../protocol/pb/categories.js'
import { openPresence, sealPresence } from '../../protocol/presence-record.js'
import { MAX_SEALED_PRESENCE_BYTES, openPresenceFromPair, sealBytes, sealPresenceForPair } from '../../protocol/sealed-box.js'
import type { Category } from '../../protocol/categories.js'
import type { CategoryItem } from '../../protocol/category-item.js'

const NOW = 1_750_000_000_000
const key32 = new Uint8Array(32).fill(7)
const topic = '/presence-mesh/pair/1/testtopic'

describe('category bundles', async () => {
  const alice = await generateKeyPair('Ed25519')
  const mallory = await generateKeyPair('Ed25519')
  const self = peerIdFromPrivateKey(alice)
  const signed = (category: Category, seq: bigint, over: Partial<CategoryItem> = {}, key = alice): Uint8Array =>
    sealCategory({ presentity: self, seq, issuedAt: NOW, expiresAt: NOW + 60_000, category, ...over }, key)
  const state = (seq = 100n): Uint8Array => signed({ kind: 'state', availability: 'online', source: 'automatic' }, seq)
  const note = (seq: bigint, text = 'hi'): Uint8Array => signed({ kind: 'note', text }, seq)
  const ctx = (floors: Record<string, bigint> = {}, held: Record<string, bigint> = {}): Parameters<typeof openBundle>[1] =>
    ({ now: NOW + 1_000, presentity: self, floors: new Map(Object.entries(floors)), held: new Map(Object.entries(held)) })

  it('tells version 1 and version 2 messages apart inside one sealed box', async () => {
    const bundle = encodeBundle([state(), note(90n)])
    expect(openPairMessage(key32, topic, sealBundleForPair(key32, topic, bundle))).toEqual({ version: BUNDLE_VERSION, bundle })
    const record = await sealPresence({ presentity: self, status: 'away', seq: 5n, issuedAt: NOW, expiresAt: NOW + 60_000, maxVersion: 2 }, alice)
    expect(openPairMessage(key32, topic, sealPresenceForPair(key32, topic, record))).toEqual({ version: 1, envelope: record })
    expect(openPairMessage(new Uint8Array(32), topic, sealBundleForPair(key32, topic, bundle))).toBeUndefined()
    expect(openPairMessage(key32, `${topic}x`, sealBundleForPair(key32, topic, bundle))).toBeUndefined()
    expect(openPairMessage(key32, topic, sealBytes(key32, topic, Uint8Array.from([0, 3, 1]), 16))).toMatchObject({ version: 'unknown' })
    expect(MAX_SEALED_PAIR_MESSAGE_BYTES).toBe(24 + 8448 + 16)
  })

  it('a version 1 reader opens what a new node sends it, the max_version field unknown to it skipped', async () => {
    const record = await sealPresence({ presentity: self, status: 'busy', note: 'n', seq: 5n, issuedAt: NOW, expiresAt: NOW + 60_000, maxVersion: 2 }, alice)
    const sealed = sealPresenceForPair(key32, topic, record)
    expect(sealed.byteLength).toBeLessThanOrEqual(MAX_SEALED_PRESENCE_BYTES)
    const res = await openPresence(openPresenceFromPair(key32, topic, sealed) as Uint8Array, { now: NOW, expectedPresentity: self })
    expect(res).toMatchObject({ ok: true, presence: { status: 'busy', note: 'n', maxVersion: 2 } })
    // the field is the last one of the payload: without it the bytes are a version 1 record's
    const env = RecordEnvelope.createFromProtobuf(record)
    expect(Array.from(env.payload.subarray(-2))).toEqual([0x40, 0x02])
  })

  it('accepts a fresh bundle: new items verified, held ones kept as they are', () => {
    const res = openBundle(encodeBundle([state(100n), note(90n), signed({ kind: 'calendar', freeBusy: 'free' }, 95n)]), ctx({ state: 99n, note: 90n, calendar: 80n }, { note: 90n }))
    expect(res).toMatchObject({ ok: true, kept: ['note'] })
    if (!res.ok) return
    expect(res.state.category).toEqual({ kind: 'state', availability: 'online', source: 'automatic' })
    expect(res.accepted.map(i => i.category.kind)).toEqual(['state', 'calendar'])
    // an item seen before (equal seq) but not held now is verified and accepted again
    const again = openBundle(encodeBundle([state(101n), note(90n)]), ctx({ state: 100n, note: 90n }))
    expect(again).toMatchObject({ ok: true, kept: [] })
  })

  it('refuses a bundle whole, with the reason', () => {
    const forged = Uint8Array.from(note(120n))
    forged[forged.length - 1] ^= 1
    const apps = Array.from({ length: 9 }, (_, i) => signed({ kind: 'app', namespace: `org.example.a${i}`, data: new Uint8Array(1) }, BigInt(200 + i)))
    const cases: Array<[string, Uint8Array, Parameters<typeof openBundle>[1]?]> = [
      ['oversize', new Uint8Array(MAX_BUNDLE_BYTES + 1)],
      ['malformed', Uint8Array.from([0x0a, 0x05, 1])],
      ['too-many-items', encodeBundle(Array.from({ length: 17 }, () => state()))],
      ['too-many-items', encodeBundle([state(), ...apps])],
      ['missing-state', encodeBundle([note(90n)])],
      ['duplicate-category', encodeBundle([state(), note(90n), note(91n)])],
      ['wrong-presentity', encodeBundle([state(), sealCategory({ presentity: peerIdFromPrivateKey(mallory), seq: 1n, issuedAt: NOW, expiresAt: NOW + 60_000, category: { kind: 'note', text: 'x' } }, mallory)])],
      ['replay', encodeBundle([state(100n), note(90n)]), ctx({ state: 100n })],
      ['replay', encodeBundle([state(101n), note(89n)]), ctx({ state: 100n, note: 90n })],
      ['bad-signature', encodeBundle([state(), forged])],
      ['invalid-field', encodeBundle([state(), Uint8Array.from(signed({ kind: 'note', text: 'x' }, 0n, {}, alice))])]
    ]
    for (const [reason, bundle, c] of cases) expect(openBundle(bundle, c ?? ctx()), reason).toMatchObject({ ok: false, reason })
  })
})

describe('query frames', () => {
  it('carry one valid category key, and FOUND with an item or NONE without', () => {
    expect(decodeQuery(encodeQuery('calendar'))).toEqual({ ok: true, key: 'calendar' })
    expect(decodeQuery(CategoryQuery.encode({ category: 'mood' }))).toMatchObject({ ok: false, reason: 'invalid-field' })
    expect(decodeQuery(new Uint8Array(MAX_QUERY_BYTES + 1))).toMatchObject({ ok: false, reason: 'oversize' })
    expect(decodeQuery(Uint8Array.from([0x0a, 0x09]))).toMatchObject({ ok: false, reason: 'malformed' })
    expect(decodeAnswer(encodeAnswer(Uint8Array.from([1, 2])))).toEqual({ ok: true, item: Uint8Array.from([1, 2]) })
    expect(decodeAnswer(encodeAnswer())).toEqual({ ok: true })
    expect(decodeAnswer(CategoryAnswer.encode({ result: QueryResult.FOUND }))).toMatchObject({ ok: false, reason: 'invalid-field' })
    expect(decodeAnswer(CategoryAnswer.encode({ result: QueryResult.NONE, item: Uint8Array.from([1]) }))).toMatchObject({ ok: false, reason: 'invalid-field' })
    expect(decodeAnswer(CategoryAnswer.encode({ result: QueryResult.RESULT_UNSPECIFIED }))).toMatchObject({ ok: false, reason: 'invalid-field' })
  })
})
