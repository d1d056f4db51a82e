import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { MAX_PRESENCE_ENVELOPE_BYTES } from '../../protocol/limits.js'
import { openPresence, sealPresence } from '../../protocol/presence-record.js'
import { MAX_SEALED_PRESENCE_BYTES, openPresenceFromPair, SEALED_PAD_BYTES, sealPresenceForPair } from '../../protocol/sealed-box.js'

const TOPIC = '/presence-mesh/pair/1/3ai3mvguktdnbcv64ubci2nvwu'
const key32 = fc.uint8Array({ minLength: 32, maxLength: 32 })
const payload = fc.uint8Array({ minLength: 0, maxLength: MAX_PRESENCE_ENVELOPE_BYTES })

describe('sealed pair presence', () => {
  it('opens exactly what was sealed, only with the same key and topic, and hides the length within a pad bucket', () => {
    fc.assert(fc.property(key32, key32, payload, fc.string({ maxLength: 40 }), (key, other, inner, otherTopic) => {
      const sealed = sealPresenceForPair(key, TOPIC, inner)
      expect(sealed.length).toBeLessThanOrEqual(MAX_SEALED_PRESENCE_BYTES)
      expect((sealed.length - 24 - 16) % SEALED_PAD_BYTES).toBe(0)
      expect(openPresenceFromPair(key, TOPIC, sealed)).toEqual(inner)
      if (!Buffer.from(other).equals(Buffer.from(key))) expect(openPresenceFromPair(other, TOPIC, sealed)).toBeUndefined()
      if (otherTopic !== TOPIC) expect(openPresenceFromPair(key, otherTopic, sealed)).toBeUndefined()
    }), { numRuns: 150 })
  })

  it('refuses any single flipped bit and any truncation', () => {
    fc.assert(fc.property(key32, payload, fc.nat(), fc.integer({ min: 0, max: 7 }), (key, inner, pos, bit) => {
      const sealed = sealPresenceForPair(key, TOPIC, inner)
      const flipped = sealed.slice()
      flipped[pos % sealed.length] ^= 1 << bit
      expect(openPresenceFromPair(key, TOPIC, flipped)).toBeUndefined()
      expect(openPresenceFromPair(key, TOPIC, sealed.subarray(0, pos % sealed.length))).toBeUndefined()
    }), { numRuns: 150 })
  })

  it('uses a fresh nonce each time and rejects oversize input', () => {
    const key = new Uint8Array(32).fill(9)
    const a = sealPresenceForPair(key, TOPIC, Uint8Array.of(1, 2, 3))
    const b = sealPresenceForPair(key, TOPIC, Uint8Array.of(1, 2, 3))
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false)
    expect(() => sealPresenceForPair(key, TOPIC, new Uint8Array(MAX_PRESENCE_ENVELOPE_BYTES + 1))).toThrow()
    expect(openPresenceFromPair(key, TOPIC, new Uint8Array(MAX_SEALED_PRESENCE_BYTES + 1))).toBeUndefined()
  })

  it('carries a real signed presence envelope unchanged', async () => {
    const priv = await generateKeyPair('Ed25519')
    const now = Date.now()
    const env = await sealPresence({ presentity: peerIdFromPrivateKey(priv), status: 'away', note: 'x'.repeat(280), seq: 5n, issuedAt: now, expiresAt: now + 60_000 }, priv)
    const key = crypto.getRandomValues(new Uint8Array(32))
    const inner = openPresenceFromPair(key, TOPIC, sealPresenceForPair(key, TOPIC, env))!
    const res = await openPresence(inner, { now })
    expect(res.ok && res.presence.note).toBe('x'.repeat(280))
  })
})
