import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { describe, expect, it } from 'vitest'
import { checkLocatorDhtValue, LocatorDhtValueError, openLocator, sealLocator } from '../../protocol/locator-record.js'
import { derivePairKeys, locatorDhtKey, pairSharedSecret } from '../../protocol/pair-keys.js'

describe('locator record', () => {
  it('opens only for the pair, only from its publisher, only under its DHT key, and refuses stale and replayed records', async () => {
    const [ka, kb, kc] = await Promise.all([generateKeyPair('Ed25519'), generateKeyPair('Ed25519'), generateKeyPair('Ed25519')])
    const [a, b, c] = [ka, kb, kc].map(k => peerIdFromPrivateKey(k))
    const pair = derivePairKeys(pairSharedSecret(ka.raw.subarray(0, 32), kb.publicKey.raw), a.toMultihash().bytes, b.toMultihash().bytes)
    const bSide = derivePairKeys(pairSharedSecret(kb.raw.subarray(0, 32), ka.publicKey.raw), b.toMultihash().bytes, a.toMultihash().bytes)
    const other = derivePairKeys(pairSharedSecret(kc.raw.subarray(0, 32), kb.publicKey.raw), c.toMultihash().bytes, b.toMultihash().bytes)
    const dhtKey = locatorDhtKey(pair, a.toMultihash().bytes)
    const now = Date.now()
    const addrs = [multiaddr('/ip4/127.0.0.1/tcp/4791').bytes]
    const value = await sealLocator({ publisher: a, audience: b, addrs, seq: 7n, issuedAt: now, expiresAt: now + 3600_000 }, ka, pair.locator, dhtKey)

    const ok = await openLocator(value, bSide.locator, dhtKey, { now, publisher: a, audience: b })
    expect(ok.ok && multiaddr(ok.locator.addrs[0]).toString()).toBe('/ip4/127.0.0.1/tcp/4791')
    const reason = async (p: Promise<{ ok: boolean, reason?: string }>): Promise<string | undefined> => (await p).reason
    expect(await reason(openLocator(value, other.locator, dhtKey, { now, publisher: a, audience: b }))).toBe('undecryptable')
    expect(await reason(openLocator(value, pair.locator, locatorDhtKey(pair, b.toMultihash().bytes), { now, publisher: a, audience: b }))).toBe('undecryptable')
    expect(await reason(openLocator(value, pair.locator, dhtKey, { now, publisher: c, audience: b }))).toBe('wrong-publisher')
    expect(await reason(openLocator(value, pair.locator, dhtKey, { now, publisher: a, audience: c }))).toBe('wrong-audience')
    expect(await reason(openLocator(value, pair.locator, dhtKey, { now: now + 7200_000, publisher: a, audience: b }))).toBe('expired')
    expect(await reason(openLocator(value, pair.locator, dhtKey, { now, publisher: a, audience: b, lastSeq: 7n }))).toBe('replay')
    // B cannot forge A's locator: it can seal under the pair key but not sign as A
    const forged = await sealLocator({ publisher: a, audience: b, addrs, seq: 8n, issuedAt: now, expiresAt: now + 3600_000 }, kb, pair.locator, dhtKey)
    expect(await reason(openLocator(forged, pair.locator, dhtKey, { now, publisher: a, audience: b }))).toBe('signer-mismatch')

    // what a DHT node can check without the key
    expect(() => { checkLocatorDhtValue(dhtKey, value) }).not.toThrow()
    expect(() => { checkLocatorDhtValue(dhtKey, value.subarray(1)) }).toThrow(LocatorDhtValueError)
    expect(() => { checkLocatorDhtValue(dhtKey.subarray(1), value) }).toThrow(LocatorDhtValueError)
    expect(() => { checkLocatorDhtValue(dhtKey, new Uint8Array(5000)) }).toThrow(LocatorDhtValueError)
  })
})
