import crypto from 'node:crypto'
import { ed25519 } from '@noble/curves/ed25519.js'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ed25519KeyFromSeed, isWeakEd25519Point, signerOf, signEd25519, verifyEd25519 } from '../../protocol/ed25519-fast.js'
import { L, le32, P, pointOfOrder8 } from './ed25519-points.js'

// The reference is what this module did before libsodium: node:crypto (OpenSSL) plus the weak-point rule on the key and R.
const leToBig = (b: Uint8Array): bigint => b.reduceRight((n, x) => (n << 8n) | BigInt(x), 0n)
const sha512 = (...parts: Uint8Array[]): Uint8Array => Uint8Array.from(crypto.createHash('sha512').update(Buffer.concat(parts)).digest())
const PKCS8_SEED = Buffer.from('302e020100300506032b657004220420', 'hex')

function nodeSign (seed: Uint8Array, data: Uint8Array): Uint8Array {
  const key = crypto.createPrivateKey({ key: Buffer.concat([PKCS8_SEED, seed]), format: 'der', type: 'pkcs8' })
  return Uint8Array.from(crypto.sign(null, data, key))
}

function referenceVerify (pub: Uint8Array, data: Uint8Array, sig: Uint8Array): boolean {
  if (sig.byteLength !== 64 || isWeakEd25519Point(pub) || isWeakEd25519Point(sig.subarray(0, 32))) return false
  try {
    const key = crypto.createPublicKey({ format: 'jwk', key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(pub).toString('base64url') } })
    return crypto.verify(null, data, key, sig)
  } catch {
    return false
  }
}

const verify = (pub: Uint8Array, data: Uint8Array, sig: Uint8Array): boolean => verifyEd25519(signerOf(pub), data, sig)

/** The secret scalar of a seed (RFC 8032 §5.1.5), to build signatures libsodium would never make. */
function scalarOf (seed: Uint8Array): bigint {
  const h = sha512(seed).subarray(0, 32)
  h[0] &= 248
  h[31] &= 127
  h[31] |= 64
  return leToBig(h)
}

/** s = r + H(R || A || M)·a mod L for a chosen R = r·B + extra and key A: a signature that verifies whenever the extra parts vanish. */
function forge (a: bigint, pub: Uint8Array, R: Uint8Array, r: bigint, data: Uint8Array): Uint8Array {
  const h = leToBig(sha512(R, pub, data)) % L
  const sig = new Uint8Array(64)
  sig.set(R)
  sig.set(le32((r + h * a) % L), 32)
  return sig
}

const seed32 = fc.uint8Array({ minLength: 32, maxLength: 32 })
const message = fc.uint8Array({ maxLength: 300 })

describe('Ed25519 by libsodium', () => {
  it('signs byte for byte as node:crypto does, for random keys and messages, on subarrays too', () => {
    fc.assert(fc.property(seed32, message, fc.nat({ max: 7 }), (seed, data, offset) => {
      const key = ed25519KeyFromSeed(seed)
      const expected = nodeSign(seed, data)
      expect(signEd25519(key, data)).toEqual(expected)
      const framed = new Uint8Array(offset + data.byteLength + 3)
      framed.set(data, offset)
      expect(signEd25519(key, framed.subarray(offset, offset + data.byteLength))).toEqual(expected)
    }), { numRuns: 150 })
  })

  it('verifies as node:crypto with the weak-point rule does, on real and mutated signatures', () => {
    fc.assert(fc.property(seed32, message, fc.nat(), fc.nat({ max: 7 }), fc.constantFrom('sig', 'data', 'key'), (seed, data, pos, bit, what) => {
      const key = ed25519KeyFromSeed(seed)
      const pub = key.publicKey.raw
      const sig = signEd25519(key, data)
      expect(verify(pub, data, sig)).toBe(true)
      // the signature as a subarray of a larger message, as envelopes carry it
      const framed = new Uint8Array(70)
      framed.set(sig, 5)
      expect(verify(pub, data, framed.subarray(5, 69))).toBe(true)
      const [p, d, s] = [pub.slice(), data.slice(), sig.slice()]
      const target = what === 'sig' ? s : what === 'key' ? p : d
      if (target.byteLength === 0) return
      target[pos % target.byteLength] ^= 1 << bit
      expect(verify(p, d, s)).toBe(referenceVerify(p, d, s))
      expect(verify(p, d, s)).toBe(false)
    }), { numRuns: 300 })
  })

  it('refuses S >= L, which node:crypto refuses too', () => {
    fc.assert(fc.property(seed32, message, (seed, data) => {
      const key = ed25519KeyFromSeed(seed)
      const sig = signEd25519(key, data)
      const big = sig.slice()
      big.set(le32(leToBig(sig.subarray(32)) + L), 32)
      expect(referenceVerify(key.publicKey.raw, data, big)).toBe(false)
      expect(verify(key.publicKey.raw, data, big)).toBe(false)
    }), { numRuns: 50 })
  })

  it('refuses small-order and non-canonical keys and R, where OpenSSL alone accepts some', () => {
    const identity = le32(1n)
    const data = Uint8Array.from(crypto.randomBytes(50))
    // identity key, R = identity, S = 0: OpenSSL accepts it for every message
    const anyMessage = new Uint8Array(64)
    anyMessage.set(identity)
    expect(verifyEd25519(signerOf(identity), data, anyMessage)).toBe(false)
    expect(referenceVerify(identity, data, anyMessage)).toBe(false)

    const seed = Uint8Array.from(crypto.randomBytes(32))
    const key = ed25519KeyFromSeed(seed)
    const pub = key.publicKey.raw
    const a = scalarOf(seed)
    // R = identity and s = H(R || A || M)·a: a valid equation with a small-order R
    const smallR = forge(a, pub, identity, 0n, data)
    expect(crypto.verify(null, data, crypto.createPublicKey({ format: 'jwk', key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(pub).toString('base64url') } }), smallR)).toBe(true)
    expect(verify(pub, data, smallR)).toBe(false)
    expect(referenceVerify(pub, data, smallR)).toBe(false)
    // the same with R = identity encoded non-canonically (y = p + 1), and every other y >= p
    for (let y = 0n; y < 19n; y++) {
      const R = le32(P + y)
      const sig = forge(a, pub, R, 0n, data)
      expect(verify(pub, data, sig)).toBe(referenceVerify(pub, data, sig))
      expect(verify(pub, data, sig)).toBe(false)
    }
    // the small-order points and non-canonical encodings as keys, with the identity-R signature for them
    const weakKeys = [0n, 1n, P - 1n, 2707385501144840649318225287225658788936804267575313519463743609750303402022n,
      P - 2707385501144840649318225287225658788936804267575313519463743609750303402022n, P, P + 1n, P + 5n].map(le32)
    for (const weak of weakKeys) {
      for (const sign of [0, 0x80]) {
        const k = weak.slice()
        k[31] |= sign
        const sig = new Uint8Array(64)
        sig.set(identity)
        expect(verifyEd25519(signerOf(k), data, sig)).toBe(false)
        expect(referenceVerify(k, data, sig)).toBe(false)
      }
    }
  })

  it('agrees with node:crypto on keys with a torsion part (cofactorless: valid only when the hash kills the torsion)', () => {
    const B = ed25519.Point.BASE
    const torsion = pointOfOrder8()
    let accepted = 0
    fc.assert(fc.property(seed32, seed32, message, (seed, nonce, data) => {
      const a = scalarOf(seed)
      const mixed = B.multiply(a % L).add(torsion).toBytes()
      const r = leToBig(nonce) % (L - 1n) + 1n
      const sig = forge(a, mixed, B.multiply(r).toBytes(), r, data)
      const expected = referenceVerify(mixed, data, sig)
      if (expected) accepted++
      expect(verify(mixed, data, sig)).toBe(expected)
    }), { numRuns: 200 })
    // about one in eight hashes is a multiple of 8: both outcomes were seen
    expect(accepted).toBeGreaterThan(0)
    expect(accepted).toBeLessThan(200)
  })
})
