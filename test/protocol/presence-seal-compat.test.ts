import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { RecordEnvelope } from '@libp2p/peer-record'
import { describe, expect, it } from 'vitest'
import { CONTACT_DOMAIN, CONTACT_PAYLOAD_TYPE, openContactMessage, sealContactMessage } from '../../protocol/contact-request.js'
import { envelopeSigningBytes } from '../../protocol/ed25519-fast.js'
import { LOCATOR_DOMAIN, LOCATOR_PAYLOAD_TYPE, locatorAad, MAX_SEALED_LOCATOR_BYTES, sealLocator } from '../../protocol/locator-record.js'
import { ContactKind, ContactMessage as ContactMessagePb, LocatorRecord as LocatorRecordPb } from '../../protocol/pb/contact.js'
import { encodePresence, openPresence, PRESENCE_DOMAIN, PRESENCE_PAYLOAD_TYPE, sealPresence } from '../../protocol/presence-record.js'
import { openBytes } from '../../protocol/sealed-box.js'
import { sealSignedRecord } from '../../protocol/signed-envelope.js'
import type { Presence } from '../../protocol/presence-record.js'

const libp2pSeal = async (domain: string, codec: Uint8Array, payload: Uint8Array, key: Awaited<ReturnType<typeof generateKeyPair>>): Promise<Uint8Array> =>
  (await RecordEnvelope.seal({ domain, codec, marshal: () => payload, equals: () => false }, key)).marshal()

// Every record is sealed by sealSignedRecord and opened by decodeSignedRecord/verifySignedRecord,
// which use cached node:crypto keys instead of RecordEnvelope.seal/validate; they must stay
// wire-identical to them.
describe('signed envelopes and libp2p RecordEnvelope', () => {
  it('sealSignedRecord gives RecordEnvelope.seal\'s bytes for every domain, and libp2p certifies them', async () => {
    const key = await generateKeyPair('Ed25519')
    for (const [domain, type] of [[PRESENCE_DOMAIN, PRESENCE_PAYLOAD_TYPE], [CONTACT_DOMAIN, CONTACT_PAYLOAD_TYPE], [LOCATOR_DOMAIN, LOCATOR_PAYLOAD_TYPE]] as const) {
      for (const payload of [new Uint8Array(0), Uint8Array.of(1, 2, 3), new Uint8Array(300).fill(7)]) {
        const ours = sealSignedRecord(domain, type, payload, key)
        expect(ours).toEqual(await libp2pSeal(domain, type, payload, key))
        await expect(RecordEnvelope.openAndCertify(ours, domain)).resolves.toBeDefined()
      }
    }
  })

  it('contact messages and locators seal the same bytes as before (RecordEnvelope.seal of the same payload)', async () => {
    const key = await generateKeyPair('Ed25519')
    const other = await generateKeyPair('Ed25519')
    const [me, them] = [peerIdFromPrivateKey(key), peerIdFromPrivateKey(other)]
    const now = 1_700_000_000_000
    const message = { kind: 'request' as const, requestId: new Uint8Array(16).fill(3), from: me, to: them, greeting: 'hi ✓', sentAt: now }
    const sealed = await sealContactMessage(message, key)
    const payload = ContactMessagePb.encode({ kind: ContactKind.REQUEST, requestId: message.requestId, from: me.toMultihash().bytes, to: them.toMultihash().bytes, greeting: message.greeting, sentAt: BigInt(now) })
    expect(sealed).toEqual(await libp2pSeal(CONTACT_DOMAIN, CONTACT_PAYLOAD_TYPE, payload, key))
    expect((await openContactMessage(sealed, { now, me: them })).ok).toBe(true)

    const locatorKey = new Uint8Array(32).fill(5)
    const dhtKey = new Uint8Array(44).fill(6)
    const locator = { publisher: me, audience: them, addrs: [Uint8Array.of(4, 127, 0, 0, 1)], seq: 9n, issuedAt: now, expiresAt: now + 3_600_000 }
    const inner = openBytes(locatorKey, locatorAad(dhtKey), await sealLocator(locator, key, locatorKey, dhtKey), MAX_SEALED_LOCATOR_BYTES)!
    const locatorPayload = LocatorRecordPb.encode({ publisher: me.toMultihash().bytes, audience: them.toMultihash().bytes, addrs: locator.addrs, seq: 9n, issuedAt: BigInt(now), expiresAt: BigInt(now + 3_600_000) })
    expect(inner).toEqual(await libp2pSeal(LOCATOR_DOMAIN, LOCATOR_PAYLOAD_TYPE, locatorPayload, key))
  })

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
