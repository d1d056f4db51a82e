import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { RecordEnvelope } from '@libp2p/peer-record'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { MAX_PRESENCE_ENVELOPE_BYTES } from '../../protocol/limits.js'
import { PresenceRecord as PresenceRecordPb } from '../../protocol/pb/presence.js'
import { checkPresenceUpdate, encodePresence, openPresence, PRESENCE_DOMAIN, PRESENCE_PAYLOAD_TYPE, sealPresence } from '../../protocol/presence-record.js'
import type { Presence } from '../../protocol/presence-record.js'
import type { PrivateKey } from '@libp2p/interface'

const key = await generateKeyPair('Ed25519')
const other = await generateKeyPair('Ed25519')
const me = peerIdFromPrivateKey(key)
const NOW = 1_800_000_000_000

function record (over: Partial<Presence> = {}): Presence {
  return { presentity: me, status: 'online', note: 'hi', seq: 10n, issuedAt: NOW, expiresAt: NOW + 60_000, ...over }
}

/** Signs arbitrary payload bytes the way sealPresence does, to build records our encoder refuses to make. */
async function sealRaw (payload: Uint8Array, k: PrivateKey = key, payloadType = PRESENCE_PAYLOAD_TYPE): Promise<Uint8Array> {
  const env = await RecordEnvelope.seal({ domain: PRESENCE_DOMAIN, codec: payloadType, marshal: () => payload, equals: () => false }, k)
  return env.marshal()
}

describe('openPresence', () => {
  it('accepts a valid record and returns its fields', async () => {
    const res = await openPresence(await sealPresence(record(), key), { now: NOW })
    expect(res.ok).toBe(true)
    if (!res.ok) return
    expect(res.presence.presentity.equals(me)).toBe(true)
    expect(res.presence).toMatchObject({ status: 'online', note: 'hi', seq: 10n, issuedAt: NOW, expiresAt: NOW + 60_000 })
  })

  it('fits the largest legal record under the size limit', async () => {
    const bytes = await sealPresence(record({ note: '😀'.repeat(280), activity: '😀'.repeat(64), seq: 2n ** 64n - 1n }), key)
    expect(bytes.byteLength).toBeLessThanOrEqual(MAX_PRESENCE_ENVELOPE_BYTES)
    expect((await openPresence(bytes, { now: NOW })).ok).toBe(true)
  })

  const cases: Array<[string, () => Promise<Uint8Array>, Parameters<typeof openPresence>[1], string]> = [
    ['oversize', async () => new Uint8Array(MAX_PRESENCE_ENVELOPE_BYTES + 1), { now: NOW }, 'oversize'],
    ['garbage', async () => Uint8Array.from([1, 2, 3, 250, 251]), { now: NOW }, 'malformed'],
    ['bad signature', async () => { const b = await sealPresence(record(), key); b[b.length - 1] ^= 1; return b }, { now: NOW }, 'bad-signature'],
    ['signed by another key', async () => await sealRaw(encodePresence(record()), other), { now: NOW }, 'signer-mismatch'],
    ['someone else on this topic', async () => await sealPresence(record({ presentity: peerIdFromPrivateKey(other) }), other), { now: NOW, expectedPresentity: me }, 'wrong-presentity'],
    ['wrong payload type', async () => await sealRaw(encodePresence(record()), key, Uint8Array.from([1, 2])), { now: NOW }, 'wrong-payload-type'],
    ['expired', async () => await sealPresence(record(), key), { now: NOW + 60_000 }, 'expired'],
    ['from the future', async () => await sealPresence(record({ issuedAt: NOW + 31_000, expiresAt: NOW + 91_000 }), key), { now: NOW }, 'future'],
    ['ttl too long', async () => await sealPresence(record({ expiresAt: NOW + 3_600_000 }), key), { now: NOW }, 'ttl-too-long'],
    ['replayed', async () => await sealPresence(record(), key), { now: NOW, lastSeq: 10n }, 'replay'],
    ['older than last accepted', async () => await sealPresence(record({ seq: 9n }), key), { now: NOW, lastSeq: 10n }, 'replay'],
    ['note too long', async () => await sealRaw(encodePresence(record({ note: 'x'.repeat(281) }))), { now: NOW }, 'invalid-field'],
    ['unknown status', async () => await sealRaw(PresenceRecordPb.encode({ ...PresenceRecordPb.decode(encodePresence(record())), status: 'STATUS_UNSPECIFIED' as any })), { now: NOW }, 'invalid-field'],
    ['zero sequence', async () => await sealRaw(encodePresence(record({ seq: 0n }))), { now: NOW }, 'invalid-field'],
    ['payload not a record', async () => await sealRaw(Uint8Array.from([0xff, 0xff, 0xff])), { now: NOW }, 'malformed']
  ]
  for (const [what, make, opts, reason] of cases) {
    it(`rejects ${what} as ${reason}`, async () => {
      const res = await openPresence(await make(), opts)
      expect(res).toMatchObject({ ok: false, reason })
    })
  }

  it('refuses to seal a note over 280 characters but counts code points, not bytes', async () => {
    expect(() => { checkPresenceUpdate({ status: 'online', note: 'x'.repeat(281) }) }).toThrow(/280/)
    expect(() => { checkPresenceUpdate({ status: 'online', note: '😀'.repeat(280) }) }).not.toThrow()
    expect(() => { checkPresenceUpdate({ status: 'sleeping' as any }) }).toThrow(/status/)
  })
})

describe('openPresence under mutation (property)', () => {
  it('never throws and never accepts a record that was not signed as is', async () => {
    const original = record({ note: 'property', activity: 'testing' })
    const valid = await sealPresence(original, key)
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
      fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('splice' as const), at: fc.nat(), bytes: fc.uint8Array({ maxLength: 16 }) }),
      fc.record({ kind: fc.constant('random' as const), bytes: fc.uint8Array({ maxLength: 2200 }) })
    )
    await fc.assert(fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 4 }), async (muts) => {
      let b: Uint8Array = valid.slice()
      for (const m of muts) {
        if (m.kind === 'random') b = m.bytes
        else if (b.length === 0) continue
        else if (m.kind === 'flip') { b = b.slice(); b[m.at % b.length] ^= 1 << m.bit }
        else if (m.kind === 'truncate') b = b.slice(0, m.at % b.length)
        else b = Uint8Array.from([...b.slice(0, m.at % b.length), ...m.bytes, ...b.slice(m.at % b.length)])
      }
      const res = await openPresence(b, { now: NOW })
      if (res.ok) {
        // the only acceptable outcome: exactly the record we signed
        expect(res.presence.presentity.equals(me)).toBe(true)
        expect({ ...res.presence, presentity: undefined }).toEqual({ ...original, presentity: undefined })
      }
    }), { numRuns: 3000 })
  })
})
