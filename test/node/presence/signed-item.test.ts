/**
 * A change seen only as a version 1 record (the public topic) encodes no
 * category item before its record is made: each item is encoded at its first
 * use (a bundle, a notify frame, a query), once.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { describe, expect, it, vi } from 'vitest'
import { Announcement } from '../../../node/presence/announcement.js'
import { SignedItem } from '../../../node/presence/signed-item.js'
import { openPresence } from '../../../protocol/presence-record.js'
import type { CategoryKey } from '../../../protocol/categories.js'

const encoded = vi.hoisted(() => ({ count: 0 }))
vi.mock('../../../protocol/category-item.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../../protocol/category-item.js')>()
  return { ...original, encodeCheckedItem: (...a: Parameters<typeof original.encodeCheckedItem>) => { encoded.count++; return original.encodeCheckedItem(...a) } }
})

describe('SignedItem', () => {
  it('encodes its item at the first use, once; the public record needs none', async () => {
    const key = await generateKeyPair('Ed25519')
    const self = peerIdFromPrivateKey(key)
    const now = Date.now()
    encoded.count = 0
    const note = new SignedItem({ presentity: self, seq: 1n, issuedAt: now, expiresAt: now + 60_000, category: { kind: 'note', text: 'at lunch' } }, key)
    const announcement = new Announcement({ self, key, seq: 2n, now, ttlMs: 60_000, state: { kind: 'state', availability: 'away', source: 'manual', manualSince: now }, items: new Map([['note', note]]) })
    const seen = new Set<CategoryKey>(['state', 'note'])
    const record = await openPresence(announcement.inner(1, seen), { now, expectedPresentity: self })
    expect(record).toMatchObject({ ok: true, presence: { status: 'away', note: 'at lunch', seq: 2n } })
    expect(encoded.count).toBe(0)
    // a reader of bundles gets the items: each encoded now, once, whatever reads it after
    const bundle = announcement.inner(2, seen)
    expect(bundle.byteLength).toBeGreaterThan(0)
    expect(encoded.count).toBe(2)
    expect(announcement.state.payload).toBe(announcement.state.payload)
    expect(note.envelopeBytes).toBe(note.envelope.byteLength)
    expect(encoded.count).toBe(2)
  })
})
