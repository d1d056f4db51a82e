import crypto from 'node:crypto'
import { ed25519 } from '@noble/curves/ed25519.js'
import fc from 'fast-check'
import sodium from 'sodium-native'
import { describe, expect, it, vi } from 'vitest'
import { ed25519KeyFromSeed, ed25519Of, isWeakEd25519Point, nodeEd25519, signerOf, signEd25519, sodiumEd25519, verifyEd25519 } from '../../protocol/ed25519-fast.js'
import { chooseCryptoBackend, cryptoBackend, FALLBACK, LIBSODIUM } from '../../protocol/sodium.js'
import { L, le32, P, pointOfOrder8 } from './ed25519-points.js'
import type { Ed25519Impl } from '../../protocol/ed25519-fast.js'
import type { Sodium } from '../../protocol/sodium.js'

// The reference is what this module did before libsodium, written out here: node:crypto (OpenSSL) plus the
// weak-point rule on the key and R. Both implementations (libsodium's and the node:crypto fallback) are held to it.
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

const IMPLS: Array<[string, Ed25519Impl]> = [['libsodium', sodiumEd25519(sodium)], ['node:crypto (the fallback)', nodeEd25519]]

describe.each(IMPLS)('Ed25519 by %s', (_, impl) => {
  const verify = (pub: Uint8Array, data: Uint8Array, sig: Uint8Array): boolean => impl.verify(signerOf(pub), data, sig)
  const signEd25519 = impl.sign

  it('signs byte for byte as node:crypto does, for random keys and messages, on subarrays too', () => {
    fc.assert(fc.property(seed32, message, fc.nat({ max: 7 }), (seed, data, offset) => {
      const key = ed25519KeyFromSeed(seed)
      const expected = nodeSign(seed, data)
      expect(signEd25519(key, data)).toEqual(expected)
      const framed = new Uint8Array(offset + data.byteLength + 3)
      framed.set(data, offset)
      expect(signEd25519(key, framed.subarray(offset, offset + data.byteLength))).toEqual(expected)
    }), { numRuns: 80 })
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
    }), { numRuns: 150 })
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
    expect(verify(identity, data, anyMessage)).toBe(false)
    expect(referenceVerify(identity, data, anyMessage)).toBe(false)
    // identity key with an honest-looking R = r·B and S = r: [S]B = R + [h]·identity for every message,
    // OpenSSL accepts it; only the key's own check refuses it
    const r = leToBig(Uint8Array.from(crypto.randomBytes(32))) % (L - 1n) + 1n
    const plainR = forge(0n, identity, ed25519.Point.BASE.multiply(r).toBytes(), r, data)
    expect(crypto.verify(null, data, crypto.createPublicKey({ format: 'jwk', key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(identity).toString('base64url') } }), plainR)).toBe(true)
    expect(verify(identity, data, plainR)).toBe(false)
    expect(referenceVerify(identity, data, plainR)).toBe(false)

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
        expect(verify(k, data, sig)).toBe(false)
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
    }), { numRuns: 120 })
    // about one in eight hashes is a multiple of 8: both outcomes were seen
    expect(accepted).toBeGreaterThan(0)
    expect(accepted).toBeLessThan(120)
  })

  it('verifies signatures, messages and keys in shared memory as in an ArrayBuffer: a boolean, true for a valid signature', () => {
    const shared = (b: Uint8Array): Uint8Array => {
      const out = new Uint8Array(new SharedArrayBuffer(b.byteLength + 3), 3)
      out.set(b)
      return out
    }
    fc.assert(fc.property(seed32, message, fc.nat(), (seed, data, pos) => {
      const key = ed25519KeyFromSeed(seed)
      const sig = signEd25519(key, data)
      const mutated = sig.slice()
      mutated[pos % 64] ^= 1
      const pub = shared(key.publicKey.raw)
      expect(impl.verify({ ...signerOf(key.publicKey.raw), publicKey: { ...key.publicKey, raw: pub } }, shared(data), shared(sig))).toBe(true)
      expect(verify(key.publicKey.raw, shared(data), shared(sig))).toBe(true)
      expect(verify(key.publicKey.raw, shared(data), shared(mutated))).toBe(false)
      expect(signEd25519(key, shared(data))).toEqual(sig)
      expect(impl.publicKeyOfSeed(shared(seed))).toEqual(key.publicKey.raw)
    }), { numRuns: 30 })
  })

  it('derives the public key of a seed as the other implementation does', () => {
    fc.assert(fc.property(seed32, (seed) => {
      expect(impl.publicKeyOfSeed(seed)).toEqual(IMPLS[0][1].publicKeyOfSeed(seed))
      expect(impl.publicKeyOfSeed(seed)).toEqual(IMPLS[1][1].publicKeyOfSeed(seed))
    }), { numRuns: 50 })
  })

  it('signs with the seed alone, as the other implementation does, when a raw key\'s halves do not match', () => {
    const key = ed25519KeyFromSeed(Uint8Array.from(crypto.randomBytes(32)))
    const other = ed25519KeyFromSeed(Uint8Array.from(crypto.randomBytes(32)))
    const mismatched = { ...key, raw: Uint8Array.from([...key.raw.subarray(0, 32), ...other.publicKey.raw]), publicKey: other.publicKey } as unknown as typeof key
    const data = Uint8Array.from(crypto.randomBytes(40))
    expect(impl.sign(mismatched, data)).toEqual(nodeSign(key.raw.subarray(0, 32), data))
  })
})

describe('which Ed25519 a process runs', () => {
  const cannotLoad = (): Sodium => { throw new Error("Cannot find addon '.' imported from 'file:///node_modules/sodium-native/'") }

  it('falls back to node:crypto when sodium-native does not load, saying why', () => {
    const backend = chooseCryptoBackend(cannotLoad)
    expect(backend.name).toBe(FALLBACK)
    expect(backend.sodium).toBeUndefined()
    expect(backend.loadError?.message).toMatch(/Cannot find addon/)
    expect(ed25519Of(backend)).toBe(nodeEd25519)
    // a loader that throws something other than an Error still falls back
    expect(chooseCryptoBackend(() => { throw 'no' }).loadError?.message).toBe('no') // eslint-disable-line @typescript-eslint/only-throw-error
  })

  it('takes libsodium where it loads: here, where the prebuild does (docs/operations.md), and what verifyEd25519 and signEd25519 call', () => {
    const backend = chooseCryptoBackend(() => sodium)
    expect(backend).toEqual({ name: LIBSODIUM, sodium })
    expect(ed25519Of(backend)).not.toBe(nodeEd25519)
    // this process: every machine this project runs its tests on has a prebuild (else this says so)
    expect(cryptoBackend().loadError).toBeUndefined()
    expect(cryptoBackend().name).toBe(LIBSODIUM)
    const spy = vi.spyOn(sodium, 'crypto_sign_verify_detached')
    const key = ed25519KeyFromSeed(Uint8Array.from(crypto.randomBytes(32)))
    const data = Uint8Array.from(crypto.randomBytes(40))
    expect(verifyEd25519(signerOf(key.publicKey.raw), data, signEd25519(key, data))).toBe(true)
    expect(spy).toHaveBeenCalledTimes(1)
  })
})
