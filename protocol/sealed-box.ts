/**
 * Presence for one contact: the signed presence envelope, padded and sealed
 * with XChaCha20-Poly1305 (protocol/xchacha.ts) under the pair's 'presence' key, bound to the pair
 * topic as associated data. Locator records use the same box. Pure; the
 * nonce source is a parameter for tests and vectors.
 *
 *   message   = nonce (24 bytes) || ciphertext || tag (16 bytes)
 *   plaintext = uint16be(len(inner)) || inner || zero bytes up to the next
 *               multiple of SEALED_PAD_BYTES (none when already a multiple)
 *   aad       = UTF-8 bytes of the pair topic (locators: base64 of the DHT key)
 *
 * A receiver accepts exactly what a sender makes: the padding must be that
 * minimal run of zero bytes (docs/protocol.md §8.3).
 */
import { MAX_PRESENCE_ENVELOPE_BYTES } from './limits.js'
import { XCHACHA_NONCE_BYTES, XCHACHA_TAG_BYTES, xchachaOpen, xchachaSeal } from './xchacha.js'

export const SEALED_NONCE_BYTES = XCHACHA_NONCE_BYTES
export const SEALED_TAG_BYTES = XCHACHA_TAG_BYTES
/** Plaintexts are padded to a multiple of this, so a relay cannot tell a note's length (or a status-only view) by size. */
export const SEALED_PAD_BYTES = 256
const LEN_BYTES = 2

/** The plaintext length for `n` inner bytes: the length prefix and `n`, rounded up to a whole number of pad blocks. */
function padded (n: number): number {
  return Math.ceil((n + LEN_BYTES) / SEALED_PAD_BYTES) * SEALED_PAD_BYTES
}

/** The size of the sealed message that carries `n` inner bytes. */
export function sealedSize (n: number): number {
  return SEALED_NONCE_BYTES + padded(n) + SEALED_TAG_BYTES
}

/** The largest sealed presence message a receiver reads: 24 + 2,304 + 16 = 2,344 bytes. */
export const MAX_SEALED_PRESENCE_BYTES = sealedSize(MAX_PRESENCE_ENVELOPE_BYTES)

const randomNonce = (): Uint8Array => crypto.getRandomValues(new Uint8Array(SEALED_NONCE_BYTES))

/** Seals `inner` (at most maxInner bytes) for the holders of `key`, bound to `aad`. */
export function sealBytes (key: Uint8Array, aad: string, inner: Uint8Array, maxInner: number, nonce: Uint8Array = randomNonce()): Uint8Array {
  if (key.length !== 32) throw new Error('key must be 32 bytes')
  if (nonce.length !== SEALED_NONCE_BYTES) throw new Error(`nonce must be ${SEALED_NONCE_BYTES} bytes`)
  if (inner.length > maxInner || inner.length > 0xffff) throw new Error(`payload larger than ${maxInner} bytes`)
  const plain = new Uint8Array(padded(inner.length))
  plain[0] = inner.length >> 8
  plain[1] = inner.length & 0xff
  plain.set(inner, LEN_BYTES)
  return xchachaSeal(key, nonce, new TextEncoder().encode(aad), plain)
}

/**
 * The inner bytes, or undefined if the message was not sealed with this key
 * for this aad, or not as sealBytes seals (size, length prefix, padding).
 * Never throws.
 */
export function openBytes (key: Uint8Array, aad: string, sealed: Uint8Array, maxSealed: number): Uint8Array | undefined {
  const body = sealed.length - SEALED_NONCE_BYTES - SEALED_TAG_BYTES
  if (sealed.length > maxSealed || body <= 0 || body % SEALED_PAD_BYTES !== 0) return undefined
  const plain = xchachaOpen(key, new TextEncoder().encode(aad), sealed)
  if (plain == null) return undefined
  const len = (plain[0] << 8) | plain[1]
  if (padded(len) !== plain.length) return undefined
  for (let i = LEN_BYTES + len; i < plain.length; i++) if (plain[i] !== 0) return undefined
  return plain.slice(LEN_BYTES, LEN_BYTES + len)
}

export function sealPresenceForPair (key: Uint8Array, topic: string, envelope: Uint8Array, nonce?: Uint8Array): Uint8Array {
  return sealBytes(key, topic, envelope, MAX_PRESENCE_ENVELOPE_BYTES, nonce)
}

export function openPresenceFromPair (key: Uint8Array, topic: string, sealed: Uint8Array): Uint8Array | undefined {
  return openBytes(key, topic, sealed, MAX_SEALED_PRESENCE_BYTES)
}
