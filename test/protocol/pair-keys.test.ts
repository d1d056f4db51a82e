import { createPrivateKey, diffieHellman, hkdfSync, createPublicKey } from 'node:crypto'
import { privateKeyFromRaw } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { ed25519 } from '@noble/curves/ed25519.js'
import { describe, expect, it } from 'vitest'
import { derivePairKeys, isPairTopic, locatorDhtKey, PairKeyError, pairSharedSecret, pairInfo, PAIR_SALT } from '../../protocol/pair-keys.js'

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const fromHex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'))

function identity (fill: number): { seed: Uint8Array, pub: Uint8Array, id: ReturnType<typeof peerIdFromPrivateKey> } {
  const seed = new Uint8Array(32).fill(fill)
  const pub = ed25519.getPublicKey(seed)
  return { seed, pub, id: peerIdFromPrivateKey(privateKeyFromRaw(new Uint8Array([...seed, ...pub]))) }
}

// Vectors: seeds 32 x 0x01 (A) and 32 x 0x02 (B). Any second implementation must reproduce them.
const VECTOR = {
  a: '12D3KooWK99VoVxNE7XzyBwXEzW7xhK7Gpv85r9F3V3fyKSUKPH5',
  b: '12D3KooWJWoaqZhDaoEFshF7Rh1bpY9ohihFhzcW6d69Lr2NASuq',
  shared: '4181d7302557342bdb6d061c4b1eebea828ecb625c3368b7111680793307220b',
  topic: '/presence-mesh/pair/1/3ai3mvguktdnbcv64ubci2nvwu',
  presence: 'ebb17ebea3b3861b772abcbc681edf79219009603c2506df3e439ed58d034621',
  locator: 'cb492cedeccae4ccab4f1f0831c721027c0cc77935bdf5c644a07d19135236ad',
  locatorId: 'e8f171c7da19ddd1fb84733cc929ae90c63d67aa75c329c848c9d85cee05756e',
  locatorDhtKeyOfA: '2f706d2d6c6f6361746f722fdb135560fa7b543db6ab25dd84aa78a916f2d9fe064e1027bee7826d134fb700'
}

describe('pair keys', () => {
  const A = identity(1)
  const B = identity(2)

  it('reproduces the published vectors from either side', () => {
    expect(A.id.toString()).toBe(VECTOR.a)
    expect(B.id.toString()).toBe(VECTOR.b)
    const sAB = pairSharedSecret(A.seed, B.pub)
    const sBA = pairSharedSecret(B.seed, A.pub)
    expect(hex(sAB)).toBe(VECTOR.shared)
    expect(hex(sBA)).toBe(VECTOR.shared)
    const kA = derivePairKeys(sAB, A.id.toMultihash().bytes, B.id.toMultihash().bytes)
    const kB = derivePairKeys(sBA, B.id.toMultihash().bytes, A.id.toMultihash().bytes)
    for (const k of [kA, kB]) {
      expect(k.topic).toBe(VECTOR.topic)
      expect(hex(k.presence)).toBe(VECTOR.presence)
      expect(hex(k.locator)).toBe(VECTOR.locator)
      expect(hex(k.locatorId)).toBe(VECTOR.locatorId)
    }
    expect(isPairTopic(kA.topic)).toBe(true)
    expect(hex(locatorDhtKey(kA, A.id.toMultihash().bytes))).toBe(VECTOR.locatorDhtKeyOfA)
    expect(hex(locatorDhtKey(kA, B.id.toMultihash().bytes))).not.toBe(VECTOR.locatorDhtKeyOfA)
  })

  it('agrees with an independent X25519 and HKDF (node:crypto)', () => {
    const mont = ed25519.utils.toMontgomerySecret(A.seed)
    const montPub = ed25519.utils.toMontgomery(B.pub)
    const priv = createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d: Buffer.from(mont).toString('base64url'), x: '' }, format: 'jwk' })
    const pub = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: Buffer.from(montPub).toString('base64url') }, format: 'jwk' })
    expect(hex(diffieHellman({ privateKey: priv, publicKey: pub }))).toBe(VECTOR.shared)
    const info = pairInfo('presence', A.id.toMultihash().bytes, B.id.toMultihash().bytes)
    const okm = Buffer.from(hkdfSync('sha256', fromHex(VECTOR.shared), Buffer.from(PAIR_SALT), info, 32))
    expect(okm.toString('hex')).toBe(VECTOR.presence)
  })

  it('gives every pair different keys', () => {
    const C = identity(3)
    const ab = derivePairKeys(pairSharedSecret(A.seed, B.pub), A.id.toMultihash().bytes, B.id.toMultihash().bytes)
    const ac = derivePairKeys(pairSharedSecret(A.seed, C.pub), A.id.toMultihash().bytes, C.id.toMultihash().bytes)
    expect(ab.topic).not.toBe(ac.topic)
    expect(hex(ab.presence)).not.toBe(hex(ac.presence))
  })

  it('refuses low-order public keys and wrong sizes', () => {
    const lowOrder = [
      fromHex('0100000000000000000000000000000000000000000000000000000000000000'), // identity
      fromHex('ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'), // order 2
      new Uint8Array(32) // order 4
    ]
    for (const pub of lowOrder) expect(() => pairSharedSecret(A.seed, pub)).toThrow(PairKeyError)
    expect(() => pairSharedSecret(A.seed.subarray(0, 31), B.pub)).toThrow(PairKeyError)
    expect(() => pairSharedSecret(A.seed, new Uint8Array(33))).toThrow(PairKeyError)
  })
})
