/**
 * The secret part of the codes people copy from one device to another
 * (contact codes, §8.7; link codes, §14.5): base32 of a 16-byte secret and
 * two check bytes, SHA-256(utf8(salt) || mh(peer) || secret)[0..2], which
 * catch a mistyped code before anything is sent. Pure.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { base32 } from 'multiformats/bases/base32'
import { equals as uint8ArrayEquals } from 'uint8arrays/equals'
import type { PeerId } from '@libp2p/interface'

export const SECRET_BYTES = 16
export const CHECK_BYTES = 2
/** base32 (RFC 4648, lowercase, no padding) of 18 bytes. */
export const SECRET_CHARS = 29

export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)

export function concat (...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let o = 0
  for (const p of parts) { out.set(p, o); o += p.length }
  return out
}

export function newSecret (): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(SECRET_BYTES))
}

/** The two check bytes of `secret` for `peer` under `salt`. */
export function secretCheck (salt: string, peer: PeerId, secret: Uint8Array): Uint8Array {
  return sha256(concat(utf8(salt), peer.toMultihash().bytes, secret)).subarray(0, CHECK_BYTES)
}

export function formatSecret (salt: string, peer: PeerId, secret: Uint8Array): string {
  return base32.baseEncode(concat(secret, secretCheck(salt, peer, secret)))
}

/** The secret of a code's secret part (any case), or why it is not one. */
export function parseSecret (part: string, salt: string, peer: PeerId): { ok: true, secret: Uint8Array } | { ok: false, reason: 'bad-secret' | 'checksum' } {
  let raw: Uint8Array
  try {
    if (part.length !== SECRET_CHARS) throw new Error('length')
    raw = base32.baseDecode(part.toLowerCase())
  } catch {
    return { ok: false, reason: 'bad-secret' }
  }
  if (raw.length !== SECRET_BYTES + CHECK_BYTES) return { ok: false, reason: 'bad-secret' }
  const secret = raw.slice(0, SECRET_BYTES)
  if (!uint8ArrayEquals(raw.subarray(SECRET_BYTES), secretCheck(salt, peer, secret))) return { ok: false, reason: 'checksum' }
  return { ok: true, secret }
}
