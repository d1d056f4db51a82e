/**
 * Types of the sodium-native (libsodium) functions this project calls; the
 * package ships JavaScript only and @types/sodium-native (2.x) describes an
 * older API in Buffers. Each takes any typed array, subarrays included
 * (the addon reads buffer, offset and length), and throws on wrong sizes.
 */
declare module 'sodium-native' {
  /** Writes the 64-byte signature of `m` under the 64-byte secret key seed || pub. */
  export function crypto_sign_detached (sig: Uint8Array, m: Uint8Array, sk: Uint8Array): void
  /** True when `sig` (64 bytes) is a valid signature of `m` under the 32-byte key `pk`. */
  export function crypto_sign_verify_detached (sig: Uint8Array, m: Uint8Array, pk: Uint8Array): boolean
  /** Writes the key pair of a 32-byte seed: pk (32 bytes) and sk = seed || pk (64 bytes). */
  export function crypto_sign_seed_keypair (pk: Uint8Array, sk: Uint8Array, seed: Uint8Array): void
  /** Writes ciphertext || tag (m.length + 16 bytes) into `c`; returns its length. */
  export function crypto_aead_xchacha20poly1305_ietf_encrypt (c: Uint8Array, m: Uint8Array, ad: Uint8Array | null, nsec: null, npub: Uint8Array, k: Uint8Array): number
  /** Writes the plaintext (c.length - 16 bytes) into `m`; throws when the tag does not verify. */
  export function crypto_aead_xchacha20poly1305_ietf_decrypt (m: Uint8Array, nsec: null, c: Uint8Array, ad: Uint8Array | null, npub: Uint8Array, k: Uint8Array): number
}
