/**
 * Signed envelopes built by hand for the vector generators, independently of
 * protocol/ (a protobuf field writer, @noble/curves for Ed25519): the valid
 * ones must come out byte for byte as our encoders make them, the others are
 * what an attacker or a buggy peer could send.
 */
import { ed25519 } from '@noble/curves/ed25519.js'
import { sha512 } from '@noble/hashes/sha2.js'
import { encodeFields, varint } from '../fuzz-proto.js'
import { utf8 } from './common.js'
import type { Field } from '../fuzz-proto.js'
import type { Identity } from './common.js'

export type { Field }
export { encodeFields }

/** libp2p PublicKey protobuf of an Ed25519 key: Type = 1, Data = the 32 bytes. */
export const ed25519KeyProto = (raw: Uint8Array): Uint8Array => encodeFields([{ n: 1, varint: 1n }, { n: 2, bytes: raw }])

/** RFC 0002: varint-prefixed domain, payload type and payload. */
export function signingBytes (domain: string, type: Uint8Array, payload: Uint8Array): Uint8Array {
  const d = utf8(domain)
  return Uint8Array.from([...varint(BigInt(d.length)), ...d, ...varint(BigInt(type.length)), ...type, ...varint(BigInt(payload.length)), ...payload])
}

export const sign = (id: Identity, domain: string, type: Uint8Array, payload: Uint8Array): Uint8Array =>
  ed25519.sign(signingBytes(domain, type, payload), id.seed)

/** Envelope fields in the order RecordEnvelope.marshal writes them, plus any extra ones. */
export function envelope (publicKeyProto: Uint8Array, type: Uint8Array, payload: Uint8Array, signature: Uint8Array, extra: Field[] = []): Uint8Array {
  return encodeFields([{ n: 1, bytes: publicKeyProto }, { n: 2, bytes: type }, { n: 3, bytes: payload }, { n: 5, bytes: signature }, ...extra])
}

/** What an honest signer makes of `payload`. */
export const signed = (id: Identity, domain: string, type: Uint8Array, payload: Uint8Array, extra: Field[] = []): Uint8Array =>
  envelope(ed25519KeyProto(id.publicKey), type, payload, sign(id, domain, type, payload), extra)

const L = 2n ** 252n + 27742317777372353535851937790883648493n
const le = (b: Uint8Array): bigint => b.reduceRight((n, x) => (n << 8n) | BigInt(x), 0n)
const le32 = (n: bigint): Uint8Array => Uint8Array.from({ length: 32 }, (_, i) => Number((n >> BigInt(8 * i)) & 0xffn))
/** The encoding of the identity point (y = 1): small order. */
export const IDENTITY_POINT = le32(1n)

/**
 * A signature whose R is the identity point: S = k·a, which satisfies the
 * cofactorless equation [S]B = R + [k]A. OpenSSL accepts it; RFC 8032 leaves
 * small-order R open; libsodium and we refuse it.
 */
export function identityRSignature (id: Identity, message: Uint8Array): Uint8Array {
  const h = sha512(id.seed)
  const a = h.slice(0, 32)
  a[0] &= 248
  a[31] &= 127
  a[31] |= 64
  const k = le(sha512(Uint8Array.from([...IDENTITY_POINT, ...id.publicKey, ...message]))) % L
  const s = (k * le(a)) % L
  return Uint8Array.from([...IDENTITY_POINT, ...le32(s)])
}

/** The same signature with S + L: the same point equation, refused by RFC 8032's S < L. */
export function nonCanonicalS (signature: Uint8Array): Uint8Array {
  const s = le(signature.subarray(32)) + L
  return Uint8Array.from([...signature.subarray(0, 32), ...le32(s)])
}

/** A non-canonical encoding (y + p) of a curve point whose y is below 19 and which is not of small order. */
export function nonCanonicalPoint (): Uint8Array {
  const p = 2n ** 255n - 19n
  for (let y = 2n; y < 19n; y++) {
    for (const sign of [0, 0x80]) {
      const enc = le32(y)
      enc[31] |= sign
      try {
        const point = ed25519.Point.fromBytes(enc, false)
        if (point.isSmallOrder()) continue
        const nc = le32(y + p)
        nc[31] |= sign
        return nc
      } catch {}
    }
  }
  throw new Error('no non-canonical point found')
}

export { le32 }
