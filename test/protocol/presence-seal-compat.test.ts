import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { RecordEnvelope } from '@libp2p/peer-record'
import { describe, expect, it } from 'vitest'
import { envelopeSigningBytes } from '../../protocol/ed25519-fast.js'
import { encodePresence, openPresence, PRESENCE_DOMAIN, PRESENCE_PAYLOAD_TYPE, sealPresence } from '../../protocol/presence-record.js'
import type { Presence } from '../../protocol/presence-record.js'

// sealPresence/openPresence use cached node:crypto keys instead of
// RecordEnvelope.seal/validate; they must stay wire-identical to them.
describe('presence envelopes and libp2p RecordEnvelope', () => {
  it('seals the same bytes as RecordEnvelope.seal and certify as valid', async () => {
    const key = await generateKeyPair('Ed25519')
    const now = 1_700_000_000_000
    const p: Presence = { presentity: peerIdFromPrivateKey(key), status: 'busy', note: 'ünïcödé ✓', seq: 7n, issuedAt: now, expiresAt: now + 60_000 }
    const ours = await sealPresence(p, key)
    const payload = encodePresence(p)
    const theirs = await RecordEnvelope.seal({ domain: PRESENCE_DOMAIN, codec: PRESENCE_PAYLOAD_TYPE, marshal: () => payload, equals: () => false }, key)
    expect(ours).toEqual(theirs.marshal())
    await expect(RecordEnvelope.openAndCertify(ours, PRESENCE_DOMAIN)).resolves.toBeDefined()
    await expect(RecordEnvelope.openAndCertify(ours, 'another-domain')).rejects.toThrow()
  })

  it('accepts a RecordEnvelope sealed by libp2p and rejects one with a wrong signature', async () => {
    const key = await generateKeyPair('Ed25519')
    const other = await generateKeyPair('Ed25519')
    const now = Date.now()
    const payload = encodePresence({ presentity: peerIdFromPrivateKey(key), status: 'online', seq: 1n, issuedAt: now, expiresAt: now + 60_000 })
    const good = new RecordEnvelope({ publicKey: key.publicKey, payloadType: PRESENCE_PAYLOAD_TYPE, payload, signature: await key.sign(envelopeSigningBytes(PRESENCE_DOMAIN, PRESENCE_PAYLOAD_TYPE, payload)) })
    expect((await openPresence(good.marshal(), { now })).ok).toBe(true)
    const forged = new RecordEnvelope({ publicKey: key.publicKey, payloadType: PRESENCE_PAYLOAD_TYPE, payload, signature: await other.sign(envelopeSigningBytes(PRESENCE_DOMAIN, PRESENCE_PAYLOAD_TYPE, payload)) })
    expect(await openPresence(forged.marshal(), { now })).toMatchObject({ ok: false, reason: 'bad-signature' })
  })

  it('encodes long lengths as multi-byte varints like libp2p', () => {
    const payload = new Uint8Array(300).fill(1)
    const bytes = envelopeSigningBytes('d', Uint8Array.from([9]), payload)
    expect([...bytes.subarray(0, 6)]).toEqual([1, 100, 1, 9, 0xac, 0x02])
    expect(bytes.byteLength).toBe(6 + 300)
  })
})
