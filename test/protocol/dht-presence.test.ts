import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { RecordEnvelope } from '@libp2p/peer-record'
import { describe, expect, it } from 'vitest'
import {
  checkPresenceDhtRecord, presenceDhtKey, presentityOfDhtKey, PRESENCE_DHT_NAMESPACE, selectPresenceDhtRecord
} from '../../protocol/dht-presence.js'
import { sealPresence } from '../../protocol/presence-record.js'
import type { Presence } from '../../protocol/presence-record.js'
import type { PrivateKey } from '@libp2p/interface'

const NOW = 1_700_000_000_000

async function keyPair (): Promise<{ key: PrivateKey, id: ReturnType<typeof peerIdFromPrivateKey> }> {
  const key = await generateKeyPair('Ed25519')
  return { key, id: peerIdFromPrivateKey(key) }
}

async function record (key: PrivateKey, over: Partial<Presence> = {}): Promise<Uint8Array> {
  return await sealPresence({
    presentity: peerIdFromPrivateKey(key), status: 'online', seq: 5n, issuedAt: NOW, expiresAt: NOW + 60_000, ...over
  }, key)
}

describe('presence DHT keys', () => {
  it('round-trips the presentity through /pm-presence/<multihash>', async () => {
    const { id } = await keyPair()
    const key = presenceDhtKey(id)
    expect(new TextDecoder().decode(key.subarray(0, PRESENCE_DHT_NAMESPACE.length + 2))).toBe(`/${PRESENCE_DHT_NAMESPACE}/`)
    expect(presentityOfDhtKey(key).equals(id)).toBe(true)
  })

  it('refuses keys of other namespaces', async () => {
    const { id } = await keyPair()
    expect(() => presentityOfDhtKey(new TextEncoder().encode(`/pk/${id.toString()}`))).toThrow(/pm-presence/)
    expect(() => presentityOfDhtKey(new TextEncoder().encode('/pm-presence/'))).toThrow()
  })
})

describe('presence DHT validator', () => {
  it('accepts a genuine, current record', async () => {
    const { key, id } = await keyPair()
    const res = await checkPresenceDhtRecord(presenceDhtKey(id), await record(key), { now: NOW })
    expect(res.ok).toBe(true)
  })

  it('rejects a record signed by someone other than the presentity the key names (forged)', async () => {
    const owner = await keyPair()
    const forger = await keyPair()
    // the forger's own genuine record, stored under the owner's key
    const own = await checkPresenceDhtRecord(presenceDhtKey(owner.id), await record(forger.key), { now: NOW })
    expect(own).toMatchObject({ ok: false, reason: 'wrong-presentity' })
    // a record naming the owner, signed by the forger
    const claimed = await sealPresence({ presentity: owner.id, status: 'online', seq: 9n, issuedAt: NOW, expiresAt: NOW + 60_000 }, forger.key)
    expect(await checkPresenceDhtRecord(presenceDhtKey(owner.id), claimed, { now: NOW })).toMatchObject({ ok: false, reason: 'signer-mismatch' })
  })

  it('rejects a record whose signature does not cover its payload', async () => {
    const { key, id } = await keyPair()
    const env = RecordEnvelope.createFromProtobuf(await record(key))
    const tampered = new RecordEnvelope({ publicKey: env.publicKey, payloadType: env.payloadType, payload: RecordEnvelope.createFromProtobuf(await record(key, { status: 'busy' })).payload, signature: env.signature })
    expect(await checkPresenceDhtRecord(presenceDhtKey(id), tampered.marshal(), { now: NOW })).toMatchObject({ ok: false, reason: 'bad-signature' })
  })

  it('rejects expired, future and malformed records', async () => {
    const { key, id } = await keyPair()
    const k = presenceDhtKey(id)
    expect(await checkPresenceDhtRecord(k, await record(key), { now: NOW + 60_001 })).toMatchObject({ ok: false, reason: 'expired' })
    expect(await checkPresenceDhtRecord(k, await record(key), { now: NOW - 120_000 })).toMatchObject({ ok: false, reason: 'future' })
    expect(await checkPresenceDhtRecord(k, Uint8Array.from([1, 2, 3]), { now: NOW })).toMatchObject({ ok: false, reason: 'malformed' })
  })

  it('rejects a replay: a lower sequence number than the record already held', async () => {
    const { key, id } = await keyPair()
    const k = presenceDhtKey(id)
    expect(await checkPresenceDhtRecord(k, await record(key, { seq: 5n }), { now: NOW, storedSeq: 6n })).toMatchObject({ ok: false, reason: 'replay' })
    // the same record arriving again is not a replay
    expect((await checkPresenceDhtRecord(k, await record(key, { seq: 6n }), { now: NOW, storedSeq: 6n })).ok).toBe(true)
  })
})

describe('presence DHT selector', () => {
  it('picks the highest sequence number, then the later expiry', async () => {
    const { key } = await keyPair()
    const a = await record(key, { seq: 3n })
    const b = await record(key, { seq: 7n })
    const c = await record(key, { seq: 7n, expiresAt: NOW + 90_000 })
    expect(selectPresenceDhtRecord([a, b])).toBe(1)
    expect(selectPresenceDhtRecord([b, a])).toBe(0)
    expect(selectPresenceDhtRecord([a, b, c])).toBe(2)
  })

  it('never prefers an unreadable record to a readable one', async () => {
    const { key } = await keyPair()
    expect(selectPresenceDhtRecord([Uint8Array.from([9, 9]), await record(key)])).toBe(1)
  })
})
