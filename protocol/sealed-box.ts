/**
 * Presence for one contact: the signed presence envelope, padded and sealed
 * with XChaCha20-Poly1305 under the pair's 'presence' key, bound to the pair
 * topic as associated data. Pure; the nonce source is a parameter for tests.
 *
 *   message   = nonce (24 bytes) || ciphertext
 *   plaintext = uint16be(len(envelope)) || envelope || zero padding
 *               to a multiple of SEALED_PAD_BYTES
 *   aad       = UTF-8 bytes of the pair topic
 */
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js'
import { MAX_PRESENCE_ENVELOPE_BYTES } from './limits.js'

export const SEALED_NONCE_BYTES = 24
export const SEALED_TAG_BYTES = 16
/** Plaintexts are padded to a multiple of this, so a relay cannot tell a note's length (or a status-only view) by size. */
export const SEALED_PAD_BYTES = 256
const LEN_BYTES = 2

function padded (n: number): number {
  return Math.ceil((n + LEN_BYTES) / SEALED_PAD_BYTES) * SEALED_PAD_BYTES
}

/** The largest sealed message a receiver reads. */
export const MAX_SEALED_PRESENCE_BYTES = SEALED_NONCE_BYTES + padded(MAX_PRESENCE_ENVELOPE_BYTES) + SEALED_TAG_BYTES

const randomNonce = (): Uint8Array => crypto.getRandomValues(new Uint8Array(SEALED_NONCE_BYTES))

/** Seals `inner` (at most maxInner bytes) for the holders of `key`, bound to `topic`. */
export function sealBytes (key: Uint8Array, topic: string, inner: Uint8Array, maxInner: number, nonce: Uint8Array = randomNonce()): Uint8Array {
  if (key.length !== 32) throw new Error('key must be 32 bytes')
  if (nonce.length !== SEALED_NONCE_BYTES) throw new Error(`nonce must be ${SEALED_NONCE_BYTES} bytes`)
  if (inner.length > maxInner || inner.length > 0xffff) throw new Error(`payload larger than ${maxInner} bytes`)
  const plain = new Uint8Array(padded(inner.length))
  plain[0] = inner.length >> 8
  plain[1] = inner.length & 0xff
  plain.set(inner, LEN_BYTES)
  const ct = xchacha20poly1305(key, nonce, new TextEncoder().encode(topic)).encrypt(plain)
  const out = new Uint8Array(nonce.length + ct.length)
  out.set(nonce)
  out.set(ct, nonce.length)
  return out
}

/** The inner bytes, or undefined if the message was not sealed with this key for this topic. Never throws. */
export function openBytes (key: Uint8Array, topic: string, sealed: Uint8Array, maxSealed: number): Uint8Array | undefined {
  if (sealed.length > maxSealed || sealed.length < SEALED_NONCE_BYTES + SEALED_TAG_BYTES + LEN_BYTES) return undefined
  let plain: Uint8Array
  try {
    plain = xchacha20poly1305(key, sealed.subarray(0, SEALED_NONCE_BYTES), new TextEncoder().encode(topic))
      .decrypt(sealed.subarray(SEALED_NONCE_BYTES))
  } catch {
    return undefined
  }
  const len = (plain[0] << 8) | plain[1]
  if (len + LEN_BYTES > plain.length) return undefined
  return plain.slice(LEN_BYTES, LEN_BYTES + len)
}

export function sealPresenceForPair (key: Uint8Array, topic: string, envelope: Uint8Array, nonce?: Uint8Array): Uint8Array {
  return sealBytes(key, topic, envelope, MAX_PRESENCE_ENVELOPE_BYTES, nonce)
}

export function openPresenceFromPair (key: Uint8Array, topic: string, sealed: Uint8Array): Uint8Array | undefined {
  return openBytes(key, topic, sealed, MAX_SEALED_PRESENCE_BYTES)
}
