import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { RecordEnvelope } from '@libp2p/peer-record'
import { describe, expect, it } from 'vitest'
import {
  activityFromText, activityText, categoryFromPb, categoryKey, categoryProblem, categoryToPb, isCategoryKey, sameCategory
} from '../../protocol/categories.js'
import { CATEGORY_DOMAIN, checkCategory, encodeCategoryItem, openCategory, sealCategory } from '../../protocol/category-item.js'
import { MAX_CATEGORY_ENVELOPE_BYTES, MAX_CATEGORY_TTL_MS, MAX_PRESENCE_TTL_MS } from '../../protocol/limits.js'
import { CategoryItem as CategoryItemPb } from '../../protocol/pb/categories.js'
import type { Category } from '../../protocol/categories.js'
import type { CategoryItem } from '../../protocol/category-item.js'

const NOW = 1_750_000_000_000

const valid: Category[] = [
  { kind: 'state', availability: 'online', source: 'automatic' },
  { kind: 'state', availability: 'away', source: 'automatic', idleSince: NOW - 300_000 },
  { kind: 'state', availability: 'dnd', source: 'manual' },
  { kind: 'state', availability: 'busy', source: 'manual', manualSince: NOW - 60_000 },
  { kind: 'note', text: 'in the lab 🧪' },
  { kind: 'activity', activity: 'meeting', until: NOW + 3_600_000 },
  { kind: 'activity', activity: 'other', text: 'gardening' },
  { kind: 'card', displayName: 'Alice Anders', title: 'Engineer', organization: 'ACME', email: 'alice@example.org', phone: '+1 555 0100', url: 'https://example.org/alice' },
  { kind: 'capabilities', description: 'laptop', mobility: 'fixed', features: ['chat', 'receipts', 'x.example.thing'] },
  { kind: 'calendar', freeBusy: 'busy', until: NOW + 1_800_000, nextFree: NOW + 1_800_000 },
  { kind: 'app', namespace: 'org.example.game', data: Uint8Array.from([1, 2, 3]) }
]

describe('category rules', () => {
  it('accepts every valid category and round-trips it through protobuf', () => {
    for (const c of valid) {
      expect(categoryProblem(c)).toBeUndefined()
      expect(categoryFromPb(CategoryItemPb.decode(CategoryItemPb.encode({ presentity: new Uint8Array(1), seq: 1n, issuedAt: 1n, expiresAt: 2n, ...categoryToPb(c) })))).toEqual(c)
    }
  })

  it('names each problem with its field', () => {
    const cases: Array<[Category, object]> = [
      [{ kind: 'state', availability: 'sleepy' as any }, { field: 'availability', problem: 'unknown-value' }],
      [{ kind: 'state', availability: 'busy', idleSince: NOW }, { field: 'idleSince', problem: 'bad-format' }],
      [{ kind: 'state', availability: 'away', source: 'automatic', manualSince: NOW }, { field: 'manualSince', problem: 'bad-format' }],
      [{ kind: 'state', availability: 'away', source: 'manual', manualSince: 0 }, { field: 'manualSince', problem: 'bad-format' }],
      [{ kind: 'note', text: '' }, { field: 'text', problem: 'missing' }],
      [{ kind: 'note', text: 'é'.repeat(281) }, { field: 'text', problem: 'too-long', limit: 280 }],
      [{ kind: 'activity', activity: 'other' }, { field: 'text', problem: 'missing' }],
      [{ kind: 'activity', activity: 'meeting', text: 'a\nb' }, { field: 'text', problem: 'bad-format' }],
      [{ kind: 'activity', activity: 'meeting', until: -1 }, { field: 'until', problem: 'bad-format' }],
      [{ kind: 'card', displayName: '' }, { field: 'displayName', problem: 'missing' }],
      [{ kind: 'card', displayName: 'A', url: 'u'.repeat(257) }, { field: 'url', problem: 'too-long', limit: 256 }],
      [{ kind: 'capabilities', features: Array.from({ length: 17 }, (_, i) => `f${i}`) }, { field: 'features', problem: 'too-many', limit: 16 }],
      [{ kind: 'capabilities', features: ['chat', 'chat'] }, { field: 'features', problem: 'duplicate' }],
      [{ kind: 'capabilities', features: ['Chat'] }, { field: 'features', problem: 'bad-format' }],
      [{ kind: 'capabilities', features: ['x'.repeat(33)] }, { field: 'features', problem: 'too-long', limit: 32 }],
      [{ kind: 'calendar', freeBusy: 'maybe' as any }, { field: 'freeBusy', problem: 'unknown-value' }],
      [{ kind: 'calendar', freeBusy: 'free', nextFree: Number.MAX_SAFE_INTEGER + 2 }, { field: 'nextFree', problem: 'bad-format' }],
      [{ kind: 'app', namespace: 'game', data: new Uint8Array() }, { field: 'namespace', problem: 'bad-format' }],
      [{ kind: 'app', namespace: 'org.example.game', data: new Uint8Array(513) }, { field: 'data', problem: 'too-long', limit: 512 }]
    ]
    for (const [c, problem] of cases) expect(categoryProblem(c), JSON.stringify(c)).toEqual(problem)
  })

  it('keys: built-in names and app:<reverse-dns>', () => {
    expect(valid.map(categoryKey)).toContain('app:org.example.game')
    for (const k of ['state', 'note', 'calendar', 'app:org.example.game', 'app:io.x-y.z']) expect(isCategoryKey(k)).toBe(true)
    for (const k of ['', 'mood', 'app:', 'app:game', 'app:Org.Example', 'app:org..example', 'APP:org.example']) expect(isCategoryKey(k)).toBe(false)
  })

  it('maps version 1 activity strings to RFC 4480 tokens and back', () => {
    expect(activityFromText('meeting')).toEqual({ kind: 'activity', activity: 'meeting' })
    expect(activityFromText('eating cake')).toEqual({ kind: 'activity', activity: 'other', text: 'eating cake' })
    expect(activityText(activityFromText('on-the-phone'))).toBe('on-the-phone')
    expect(activityText({ kind: 'activity', activity: 'meeting', text: 'weekly sync' })).toBe('weekly sync')
  })

  it('compares values field by field: an absent field and one set to undefined are alike', () => {
    expect(sameCategory({ kind: 'state', availability: 'away', source: 'manual', idleSince: undefined }, { kind: 'state', availability: 'away', source: 'manual' })).toBe(true)
    expect(sameCategory({ kind: 'state', availability: 'away' }, { kind: 'state', availability: 'away', source: 'manual' })).toBe(false)
    expect(sameCategory({ kind: 'note', text: 'a' }, { kind: 'note', text: 'b' })).toBe(false)
    expect(sameCategory({ kind: 'capabilities', features: ['chat', 'typing'] }, { kind: 'capabilities', features: ['chat', 'typing'] })).toBe(true)
    expect(sameCategory({ kind: 'capabilities', features: ['chat'] }, { kind: 'capabilities', features: ['chat', 'typing'] })).toBe(false)
    expect(sameCategory({ kind: 'app', namespace: 'org.x', data: Uint8Array.of(1, 2) }, { kind: 'app', namespace: 'org.x', data: Uint8Array.of(1, 2) })).toBe(true)
    expect(sameCategory({ kind: 'app', namespace: 'org.x', data: Uint8Array.of(1, 2) }, { kind: 'app', namespace: 'org.x', data: Uint8Array.of(1, 3) })).toBe(false)
    expect(sameCategory({ kind: 'note', text: 'a' }, undefined)).toBe(false)
    expect(sameCategory(undefined, undefined)).toBe(true)
  })

  it('a decoded item with no category, or two, is refused', () => {
    expect(categoryFromPb({})).toEqual({ field: 'category', problem: 'missing' })
    expect(categoryFromPb({ note: { text: 'a' }, calendar: { freeBusy: 'FREE' as any } })).toEqual({ field: 'category', problem: 'too-many' })
  })
})

describe('signed category items', async () => {
  const key = await generateKeyPair('Ed25519')
  const other = await generateKeyPair('Ed25519')
  const self = peerIdFromPrivateKey(key)
  const item = (over: Partial<CategoryItem> = {}): CategoryItem => ({ presentity: self, seq: 10n, issuedAt: NOW, expiresAt: NOW + 60_000, category: { kind: 'note', text: 'hi' }, ...over })
  const opts = { now: NOW + 1_000 }

  it('seals with libp2p\'s envelope format and opens again', async () => {
    const bytes = sealCategory(item(), key)
    // libp2p's own code agrees on the signature and domain
    const env = await RecordEnvelope.openAndCertify(bytes, CATEGORY_DOMAIN)
    expect(env.payload).toEqual(encodeCategoryItem(item()))
    expect(openCategory(bytes, opts)).toMatchObject({ ok: true, item: { seq: 10n, category: { kind: 'note', text: 'hi' } } })
    expect(checkCategory(bytes, opts)).toMatchObject({ ok: true, checked: { key: 'note' } })
  })

  it('refuses each rule break with its reason', () => {
    const signed = sealCategory(item(), key)
    const tampered = Uint8Array.from(signed)
    tampered[tampered.length - 1] ^= 1
    const forgedPayload = new RecordEnvelope({ publicKey: key.publicKey, payloadType: Uint8Array.from([0x70, 0x65, 0x01]), payload: encodeCategoryItem(item({ presentity: peerIdFromPrivateKey(other) })), signature: new Uint8Array(64) }).marshal()
    const noCategory = new RecordEnvelope({ publicKey: key.publicKey, payloadType: Uint8Array.from([0x70, 0x65, 0x01]), payload: CategoryItemPb.encode({ presentity: self.toMultihash().bytes as Uint8Array<ArrayBuffer>, seq: 1n, issuedAt: BigInt(NOW), expiresAt: BigInt(NOW + 60_000) }), signature: new Uint8Array(64) }).marshal()
    const cases: Array<[string, Uint8Array, object?]> = [
      ['oversize', new Uint8Array(MAX_CATEGORY_ENVELOPE_BYTES + 1)],
      ['malformed', Uint8Array.from([1, 2, 3])],
      ['signer-mismatch', forgedPayload],
      ['invalid-field', noCategory],
      ['invalid-field', sealCategory(item({ seq: 0n }), key)],
      ['invalid-field', sealCategory(item({ expiresAt: NOW + 999 }), key)],
      ['ttl-too-long', sealCategory(item({ category: { kind: 'state', availability: 'online' }, expiresAt: NOW + MAX_PRESENCE_TTL_MS + 1 }), key)],
      ['ttl-too-long', sealCategory(item({ expiresAt: NOW + MAX_CATEGORY_TTL_MS + 1 }), key)],
      ['future', sealCategory(item({ issuedAt: NOW + 40_000, expiresAt: NOW + 100_000 }), key)],
      ['expired', sealCategory(item({ expiresAt: NOW + 1_000 }), key)],
      ['replay', signed, { minSeq: 11n }],
      ['wrong-presentity', signed, { expectedPresentity: peerIdFromPrivateKey(other) }],
      ['wrong-category', signed, { expectedKey: 'card' }],
      ['bad-signature', tampered]
    ]
    for (const [reason, bytes, extra] of cases) expect(openCategory(bytes, { ...opts, ...extra }), reason).toMatchObject({ ok: false, reason })
    // a long-lived item other than the state is fine; an equal seq is not a replay
    expect(openCategory(sealCategory(item({ expiresAt: NOW + MAX_CATEGORY_TTL_MS }), key), opts).ok).toBe(true)
    expect(openCategory(signed, { ...opts, minSeq: 10n }).ok).toBe(true)
  })

  it('will not seal a category that breaks a rule', () => {
    expect(() => sealCategory(item({ category: { kind: 'note', text: '' } }), key)).toThrow(/text missing/)
  })
})
