/**
 * A change seen only as a version 1 record (the public topic) encodes no
 * category item before its record is made: each item is encoded (and
 * checked) at its first use, a bundle, a notify frame or a query, once.
 * Seen here through an item that breaks a rule: nothing throws until
 * something reads the item.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { describe, expect, it } from 'vitest'
import { Announcement } from '../../../node/presence/announcement.js'
import { SignedItem } from '../../../node/presence/signed-item.js'
import { openPresence } from '../../../protocol/presence-record.js'
import type { CategoryKey } from '../../../protocol/categories.js'

describe('SignedItem', () => {
  it('encodes its item at the first use, once; the public record needs none', async () => {
    const key = await generateKeyPair('Ed25519')
    const self = peerIdFromPrivateKey(key)
    const now = Date.now()
    // a manualSince on an automatic state breaks the item's rules (§10.2); the version 1 record does not carry it
    const announcement = new Announcement({ self, key, seq: 2n, now, ttlMs: 60_000, state: { kind: 'state', availability: 'away', source: 'automatic', manualSince: now }, items: new Map() })
    const seen = new Set<CategoryKey>(['state', 'note'])
    expect(await openPresence(announcement.inner(1, seen), { now, expectedPresentity: self })).toMatchObject({ ok: true, presence: { status: 'away', seq: 2n } })
    // a reader of bundles needs the item: encoding it is where the rule is enforced
    expect(() => announcement.inner(2, seen)).toThrow(/manualSince/)

    const note = new SignedItem({ presentity: self, seq: 1n, issuedAt: now, expiresAt: now + 60_000, category: { kind: 'note', text: 'at lunch' } }, key)
    const payload = note.payload
    expect(note.payload).toBe(payload)
    expect(note.envelopeBytes).toBe(note.envelope.byteLength)
    expect(note.payload).toBe(payload)
  })
})
