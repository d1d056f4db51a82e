/**
 * XChaCha20-Poly1305 (IETF, libsodium's crypto_aead_xchacha20poly1305_ietf)
 * in the one layout every box of ours uses: nonce (24 bytes) || ciphertext ||
 * tag (16 bytes), the bytes @noble/ciphers' xchacha20poly1305 made before
 * (docs/protocol.md §8.3, §12.4), so stored data and older nodes still
 * read. By libsodium rather than the pure-JS cipher: it runs per record and
 * per group text (docs/benchmarks.md, session 19). Pure.
 */
import sodium from 'sodium-native'

export const XCHACHA_NONCE_BYTES = 24
export const XCHACHA_TAG_BYTES = 16

/** nonce || AEAD(key, nonce, aad, plain), in one allocation. Throws on a key or nonce of the wrong size. */
export function xchachaSeal (key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plain: Uint8Array): Uint8Array {
  if (nonce.byteLength !== XCHACHA_NONCE_BYTES) throw new Error(`nonce must be ${XCHACHA_NONCE_BYTES} bytes`)
  const out = new Uint8Array(XCHACHA_NONCE_BYTES + plain.byteLength + XCHACHA_TAG_BYTES)
  out.set(nonce)
  sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(out.subarray(XCHACHA_NONCE_BYTES), plain, aad, null, nonce, key)
  return out
}

/** The plaintext of nonce || ciphertext || tag, or undefined unless it was sealed with this key and aad. Never throws. */
export function xchachaOpen (key: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Uint8Array | undefined {
  if (sealed.byteLength < XCHACHA_NONCE_BYTES + XCHACHA_TAG_BYTES) return undefined
  const plain = new Uint8Array(sealed.byteLength - XCHACHA_NONCE_BYTES - XCHACHA_TAG_BYTES)
  try {
    sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(plain, null, sealed.subarray(XCHACHA_NONCE_BYTES), aad, sealed.subarray(0, XCHACHA_NONCE_BYTES), key)
  } catch {
    return undefined
  }
  return plain
}
