import { xchacha20poly1305 } from '@noble/ciphers/chacha.js'
import fc from 'fast-check'
import sodium from 'sodium-native'
import { describe, expect, it } from 'vitest'
import { openContent, openSlot, sealContent, sealSlot } from '../../protocol/group-crypto.js'
import { openPresenceFromPair, sealPresenceForPair } from '../../protocol/sealed-box.js'
import { chooseCryptoBackend } from '../../protocol/sodium.js'
import { nobleXchacha, sodiumXchacha, xchachaOf, xchachaOpenWith, xchachaSealWith } from '../../protocol/xchacha.js'
import type { XchachaImpl } from '../../protocol/xchacha.js'

// The reference is what sealed boxes and group texts were made with before libsodium: @noble/ciphers, called
// here directly. Both implementations (libsodium's and the @noble/ciphers fallback) are held to it.
const noble = (key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plain: Uint8Array): Uint8Array =>
  Uint8Array.from([...nonce, ...xchacha20poly1305(key, nonce, aad).encrypt(plain)])

const bytes = (n: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength: n, maxLength: n })
const key32 = bytes(32)
const nonce24 = bytes(24)
const aad = fc.uint8Array({ maxLength: 80 })
const plain = fc.uint8Array({ maxLength: 600 })
/** The same bytes as a subarray at an offset of a larger buffer, as fields of decoded messages are. */
const framed = (b: Uint8Array, offset: number): Uint8Array => {
  const out = new Uint8Array(offset + b.byteLength + 5)
  out.set(b, offset)
  return out.subarray(offset, offset + b.byteLength)
}

const IMPLS: Array<[string, XchachaImpl]> = [['libsodium', sodiumXchacha(sodium)], ['@noble/ciphers (the fallback)', nobleXchacha]]

describe.each(IMPLS)('XChaCha20-Poly1305 by %s', (_, impl) => {
  const xchachaSeal = (key: Uint8Array, nonce: Uint8Array, ad: Uint8Array, p: Uint8Array): Uint8Array => xchachaSealWith(impl, key, nonce, ad, p)
  const xchachaOpen = (key: Uint8Array, ad: Uint8Array, sealed: Uint8Array): Uint8Array | undefined => xchachaOpenWith(impl, key, ad, sealed)

  it('seals byte for byte as @noble/ciphers does, and each opens the other\'s, for any key, nonce, aad and plaintext', () => {
    fc.assert(fc.property(key32, nonce24, aad, plain, fc.nat({ max: 9 }), (key, nonce, ad, p, offset) => {
      const expected = noble(key, nonce, ad, p)
      expect(xchachaSeal(key, nonce, ad, p)).toEqual(expected)
      expect(xchachaSeal(framed(key, offset), framed(nonce, offset), framed(ad, offset), framed(p, offset))).toEqual(expected)
      expect(xchachaOpen(key, ad, expected)).toEqual(p)
      expect(xchachaOpen(framed(key, offset), framed(ad, offset), framed(expected, offset))).toEqual(p)
      expect(xchacha20poly1305(key, nonce, ad).decrypt(expected.subarray(24))).toEqual(p)
    }), { numRuns: 150 })
  })

  it('opens nothing with any bit flipped, a wrong key or aad, or a truncated box', () => {
    fc.assert(fc.property(key32, nonce24, aad, plain, fc.nat(), fc.nat({ max: 7 }), (key, nonce, ad, p, pos, bit) => {
      const sealed = xchachaSeal(key, nonce, ad, p)
      const flipped = sealed.slice()
      flipped[pos % sealed.byteLength] ^= 1 << bit
      expect(xchachaOpen(key, ad, flipped)).toBeUndefined()
      const otherKey = key.slice()
      otherKey[pos % 32] ^= 1 << bit
      expect(xchachaOpen(otherKey, ad, sealed)).toBeUndefined()
      expect(xchachaOpen(key, Uint8Array.from([...ad, 0]), sealed)).toBeUndefined()
      expect(xchachaOpen(key, ad, sealed.subarray(0, pos % sealed.byteLength))).toBeUndefined()
      expect(xchachaOpen(key.subarray(1), ad, sealed)).toBeUndefined()
    }), { numRuns: 150 })
  })

  it('refuses arguments that are not bytes before the cipher sees them (sodium-native crashes the process on a string aad)', () => {
    const key = new Uint8Array(32)
    const nonce = new Uint8Array(24)
    const sealed = noble(key, nonce, new Uint8Array(3), new Uint8Array(5))
    const notBytes: unknown[] = ['abc', { length: 3 }, [1, 2, 3], new Uint16Array(3), new DataView(new ArrayBuffer(3)), null]
    for (const bad of notBytes) {
      const b = bad as Uint8Array
      expect(() => xchachaSeal(key, nonce, b, new Uint8Array(5))).toThrow(TypeError)
      expect(() => xchachaSeal(b, nonce, new Uint8Array(3), new Uint8Array(5))).toThrow(TypeError)
      expect(() => xchachaSeal(key, nonce, new Uint8Array(3), b)).toThrow(TypeError)
      expect(() => xchachaSeal(key, b, new Uint8Array(3), new Uint8Array(5))).toThrow(TypeError)
      expect(xchachaOpen(key, b, sealed)).toBeUndefined()
      expect(xchachaOpen(b, new Uint8Array(3), sealed)).toBeUndefined()
      expect(xchachaOpen(key, new Uint8Array(3), b)).toBeUndefined()
    }
    expect(xchachaOpen(key, new Uint8Array(3), sealed)).toEqual(new Uint8Array(5))
  })
})

describe('XChaCha20-Poly1305 of this process', () => {
  it('is @noble/ciphers\' when sodium-native does not load, libsodium\'s when it does', () => {
    expect(xchachaOf(chooseCryptoBackend(() => { throw new Error("Cannot find addon '.'") }))).toBe(nobleXchacha)
    expect(xchachaOf(chooseCryptoBackend(() => sodium))).not.toBe(nobleXchacha)
  })

  it('makes the sealed presence, slot and group text bytes @noble/ciphers made', () => {
    fc.assert(fc.property(key32, nonce24, fc.uint8Array({ maxLength: 300 }), bytes(16), bytes(38), bytes(38), bytes(16), fc.nat(), (key, nonce, inner, group, author, member, keyId, seq) => {
      const topic = '/presence-mesh/pair/1/3ai3mvguktdnbcv64ubci2nvwu'
      const sealed = sealPresenceForPair(key, topic, inner, nonce)
      const padded = new Uint8Array(sealed.byteLength - 40)
      padded.set([inner.byteLength >> 8, inner.byteLength & 0xff, ...inner])
      expect(sealed).toEqual(noble(key, nonce, new TextEncoder().encode(topic), padded))
      expect(openPresenceFromPair(key, topic, sealed)).toEqual(inner)

      const slot = { group, author, member, keyId }
      const senderKey = Uint8Array.from([...key].reverse())
      const sealedSlot = sealSlot(key, slot, senderKey, nonce)
      expect(sealedSlot).toEqual(noble(key, nonce, Uint8Array.from([...new TextEncoder().encode('presence-mesh/group-key/1'), ...group, ...author, ...member, ...keyId]), senderKey))
      expect(openSlot(key, slot, sealedSlot)).toEqual(senderKey)

      const content = { group, author, seq, keyId }
      const sealedText = sealContent(senderKey, content, inner, nonce)
      const seq8 = new Uint8Array(8)
      new DataView(seq8.buffer).setBigUint64(0, BigInt(seq))
      const plainText = new Uint8Array(sealedText.byteLength - 40)
      plainText.set([inner.byteLength >> 8, inner.byteLength & 0xff, ...inner])
      expect(sealedText).toEqual(noble(senderKey, nonce, Uint8Array.from([...new TextEncoder().encode('presence-mesh/group-content/1'), ...group, ...author, ...seq8, ...keyId]), plainText))
      expect(openContent(senderKey, content, sealedText)).toEqual(inner)
    }), { numRuns: 100 })
  })
})
