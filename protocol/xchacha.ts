/**
 * XChaCha20-Poly1305 (IETF, libsodium's crypto_aead_xchacha20poly1305_ietf)
 * in the one layout every box of ours uses: nonce (24 bytes) || ciphertext ||
 * tag (16 bytes), the bytes @noble/ciphers' xchacha20poly1305 made before
 * (docs/protocol.md §8.3, §12.4), so stored data and older nodes still
 * read. By libsodium where its addon loads (it runs per record and per group
 * text: docs/benchmarks.md, session 19), else by @noble/ciphers
 * (protocol/sodium.ts chooses, once): the same bytes, the same boxes opened.
 * Pure.
 */
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js'
import { isBytes } from '@noble/ciphers/utils.js'
import { cryptoBackend } from './sodium.js'
import type { CryptoBackend, Sodium } from './sodium.js'

export const XCHACHA_NONCE_BYTES = 24
export const XCHACHA_TAG_BYTES = 16

/** One implementation: libsodium's (sodiumXchacha) or @noble/ciphers' (nobleXchacha). */
export interface XchachaImpl {
  /** Writes ciphertext || tag (plain.byteLength + 16 bytes) into `out`; throws on a key of the wrong size. */
  seal: (out: Uint8Array, key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plain: Uint8Array) => void
  /** The plaintext of ciphertext || tag (at least 16 bytes), or undefined unless it was sealed with this key, nonce and aad. Never throws. */
  open: (key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array) => Uint8Array | undefined
}

export function sodiumXchacha (sodium: Sodium): XchachaImpl {
  return {
    seal: (out, key, nonce, aad, plain) => { sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(out, plain, aad, null, nonce, key) },
    open: (key, nonce, aad, sealed) => {
      const plain = new Uint8Array(sealed.byteLength - XCHACHA_TAG_BYTES)
      try {
        sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(plain, null, sealed, aad, nonce, key)
      } catch {
        return undefined
      }
      return plain
    }
  }
}

export const nobleXchacha: XchachaImpl = {
  seal: (out, key, nonce, aad, plain) => { xchacha20poly1305(key, nonce, aad).encrypt(plain, out) },
  open: (key, nonce, aad, sealed) => {
    try {
      return xchacha20poly1305(key, nonce, aad).decrypt(sealed)
    } catch {
      return undefined
    }
  }
}

/** The implementation a backend names: libsodium's where it loaded, @noble/ciphers' elsewhere. */
export function xchachaOf (backend: CryptoBackend): XchachaImpl {
  return backend.sodium != null ? sodiumXchacha(backend.sodium) : nobleXchacha
}

let chosen: XchachaImpl | undefined
const xchacha = (): XchachaImpl => (chosen ??= xchachaOf(cryptoBackend()))

// Both check that every argument is a Uint8Array (isBytes: what @noble/ciphers takes as one) before
// the cipher: sodium-native does not check `ad` and crashes the process on a string or a plain object.

/** nonce || AEAD(key, nonce, aad, plain), in one allocation. Throws on an argument that is not bytes and on a key or nonce of the wrong size. */
export function xchachaSeal (key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plain: Uint8Array): Uint8Array {
  return xchachaSealWith(xchacha(), key, nonce, aad, plain)
}

/** The plaintext of nonce || ciphertext || tag, or undefined unless it was sealed with this key and aad (and all are bytes). Never throws. */
export function xchachaOpen (key: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Uint8Array | undefined {
  return xchachaOpenWith(xchacha(), key, aad, sealed)
}

/** xchachaSeal by the given implementation. */
export function xchachaSealWith (impl: XchachaImpl, key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plain: Uint8Array): Uint8Array {
  if (!isBytes(key) || !isBytes(nonce) || !isBytes(aad) || !isBytes(plain)) throw new TypeError('key, nonce, aad and plaintext must be Uint8Arrays')
  if (nonce.byteLength !== XCHACHA_NONCE_BYTES) throw new Error(`nonce must be ${XCHACHA_NONCE_BYTES} bytes`)
  const out = new Uint8Array(XCHACHA_NONCE_BYTES + plain.byteLength + XCHACHA_TAG_BYTES)
  out.set(nonce)
  impl.seal(out.subarray(XCHACHA_NONCE_BYTES), key, nonce, aad, plain)
  return out
}

/** xchachaOpen by the given implementation. */
export function xchachaOpenWith (impl: XchachaImpl, key: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Uint8Array | undefined {
  if (!isBytes(key) || !isBytes(aad) || !isBytes(sealed) || sealed.byteLength < XCHACHA_NONCE_BYTES + XCHACHA_TAG_BYTES) return undefined
  return impl.open(key, sealed.subarray(0, XCHACHA_NONCE_BYTES), aad, sealed.subarray(XCHACHA_NONCE_BYTES))
}
