/**
 * Ed25519 for signed envelopes, by libsodium (sodium-native) on raw keys.
 * @libp2p/crypto rebuilds a KeyObject from JWK on every sign and verify and
 * @libp2p/peer-record copies the signed bytes through a Uint8ArrayList; for
 * presence records (one verify per record per hop) that overhead was most of
 * the gap to native verify, and libsodium's verify takes about half the time
 * of node:crypto's (docs/benchmarks.md, session 19). Same signatures (RFC 8032
 * is deterministic), same signed bytes. Pure: no I/O.
 */
import { privateKeyFromRaw, publicKeyFromRaw } from '@libp2p/crypto/keys'
import { peerIdFromPublicKey } from '@libp2p/peer-id'
import sodium from 'sodium-native'
import { equals as uint8ArrayEquals } from 'uint8arrays/equals'
import type { Ed25519PrivateKey, Ed25519PublicKey, PeerId, PrivateKey } from '@libp2p/interface'

/** Unsigned LEB128, as libp2p's signed envelope uses for its length prefixes. */
function varint (n: number): number[] {
  const out: number[] = []
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80)
    n = Math.floor(n / 128)
  }
  out.push(n)
  return out
}

/** Per domain, the payload types seen with their prefixes (both bounded: only a few of each exist). */
const prefixes = new Map<string, Array<{ type: Uint8Array, prefix: Uint8Array }>>()

/** varint(len(domain)) || domain || varint(len(type)) || type, built once per domain and type (found by comparing a few bytes: this runs on every record). */
function signingPrefix (domain: string, payloadType: Uint8Array): Uint8Array {
  let known = prefixes.get(domain)
  if (known == null) {
    known = []
    if (prefixes.size < 16) prefixes.set(domain, known)
  }
  for (const k of known) if (uint8ArrayEquals(k.type, payloadType)) return k.prefix
  const d = new TextEncoder().encode(domain)
  const prefix = Uint8Array.from([...varint(d.byteLength), ...d, ...varint(payloadType.byteLength), ...payloadType])
  // envelopes name their own payload type: do not let a flood of odd ones grow the list
  if (known.length < 16) known.push({ type: Uint8Array.from(payloadType), prefix })
  return prefix
}

/**
 * The bytes a libp2p signed envelope signs (RFC 0002): varint-length-prefixed
 * domain, payload type and payload, in one contiguous buffer.
 */
export function envelopeSigningBytes (domain: string, payloadType: Uint8Array, payload: Uint8Array): Uint8Array {
  const prefix = signingPrefix(domain, payloadType)
  const len = varint(payload.byteLength)
  const out = new Uint8Array(prefix.byteLength + len.length + payload.byteLength)
  out.set(prefix, 0)
  out.set(len, prefix.byteLength)
  out.set(payload, prefix.byteLength + len.length)
  return out
}

/** What is derived once from an Ed25519 public key and reused for every record it signs. */
export interface Signer {
  publicKey: Ed25519PublicKey
  peerId: PeerId
  /** The peer id as a string (base58btc). */
  id: string
  /** The peer id's multihash bytes. */
  multihash: Uint8Array
  cacheKey: string
}

/**
 * Bounds the cache. Only signers whose signature verified are cached, so a
 * flood of records with fresh or forged keys cannot evict real contacts.
 */
export const SIGNER_CACHE_SIZE = 1024
const signers = new Map<string, Signer>()

/** The signer of a raw 32-byte Ed25519 public key: from the cache, else derived now (and cached once it verifies). */
export function signerOf (raw: Uint8Array): Signer {
  const cacheKey = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('latin1')
  const cached = signers.get(cacheKey)
  if (cached != null) return cached
  const publicKey = publicKeyFromRaw(Uint8Array.from(raw)) as Ed25519PublicKey
  const peerId = peerIdFromPublicKey(publicKey)
  return { publicKey, peerId, id: peerId.toString(), multihash: peerId.toMultihash().bytes, cacheKey }
}

const FIELD_P = 2n ** 255n - 19n
/** y of the Ed25519 points of order 8 (libsodium's blocklist); with 0, 1 and p - 1 the whole small-order set. */
const Y_ORDER_8 = 2707385501144840649318225287225658788936804267575313519463743609750303402022n
const le32 = (n: bigint): Uint8Array => Uint8Array.from({ length: 32 }, (_, i) => Number((n >> BigInt(8 * i)) & 0xffn))
/** Encodings (sign bit clear) of the small-order points' y. */
const SMALL_ORDER_Y = [0n, 1n, FIELD_P - 1n, Y_ORDER_8, FIELD_P - Y_ORDER_8].map(le32)

/**
 * True for a 32-byte point encoding that is not canonical (y >= p) or names a
 * point of small order (y in SMALL_ORDER_Y, either sign). RFC 8032 decoding
 * refuses the first; the second would let anyone "sign" for the key (with the
 * identity as key, R = identity and S = 0 verify for every message under
 * OpenSSL). libsodium's verify refuses both for keys and for R; this check
 * is for keys read without a signature to verify (a device certificate's
 * identities) and for refusing an envelope's key with its own reason before
 * anything is derived from it. Byte comparisons only: it runs on every record.
 */
export function isWeakEd25519Point (encoded: Uint8Array): boolean {
  if (encoded.byteLength !== 32) return true
  const top = encoded[31] & 0x7f
  // y >= p = 2^255 - 19: 0x7f, then 30 bytes of 0xff, then a low byte of at least 0xed
  if (top === 0x7f && encoded[0] >= 0xed) {
    let i = 30
    while (i > 0 && encoded[i] === 0xff) i--
    if (i === 0) return true
  }
  next: for (const y of SMALL_ORDER_Y) {
    if (top !== y[31]) continue
    for (let i = 0; i < 31; i++) if (encoded[i] !== y[i]) continue next
    return true
  }
  return false
}

/**
 * Verifies an Ed25519 signature (RFC 8032, cofactorless) as libsodium does:
 * S < L, and neither the key nor R non-canonical or of small order (the rule
 * isWeakEd25519Point states). Never throws for a signer from signerOf.
 */
export function verifyEd25519 (signer: Signer, data: Uint8Array, signature: Uint8Array): boolean {
  if (signature.byteLength !== 64) return false
  const ok = sodium.crypto_sign_verify_detached(signature, data, signer.publicKey.raw)
  if (ok) rememberSigner(signer)
  return ok
}

/**
 * Caches a signer whose key is known to be real: its signature verified, or
 * the channel it came on authenticated it (so forged keys never enter).
 */
export function rememberSigner (signer: Signer): void {
  if (signers.has(signer.cacheKey)) return
  if (signers.size >= SIGNER_CACHE_SIZE) signers.delete(signers.keys().next().value as string)
  signers.set(signer.cacheKey, signer)
}

/** Per private key, libsodium's secret key (seed || public key) derived from its seed once. */
const secretKeys = new WeakMap<PrivateKey, Uint8Array>()

/**
 * Signs with an Ed25519 libp2p private key. The secret key is derived from the
 * seed (key.raw's first half) rather than taken whole from key.raw: libsodium
 * hashes the public half into every signature, and a raw key whose halves do
 * not match would sign under a key nobody has.
 */
export function signEd25519 (key: PrivateKey, data: Uint8Array): Uint8Array {
  if (key.type !== 'Ed25519') throw new TypeError(`expected an Ed25519 key, got ${key.type}`)
  let sk = secretKeys.get(key)
  if (sk == null) {
    sk = new Uint8Array(64)
    sodium.crypto_sign_seed_keypair(new Uint8Array(32), sk, key.raw.subarray(0, 32))
    secretKeys.set(key, sk)
  }
  const sig = new Uint8Array(64)
  sodium.crypto_sign_detached(sig, data, sk)
  return sig
}

/**
 * The public key of a 32-byte Ed25519 seed (RFC 8032 §5.1.5), by libsodium.
 * @noble/curves (what @libp2p/crypto's generateKeyPairFromSeed uses in Node)
 * first builds its base-point tables: about 0.1 s of CPU in every process
 * that starts a node, some microseconds here.
 */
export function ed25519PublicKeyOfSeed (seed: Uint8Array): Uint8Array {
  if (seed.byteLength !== 32) throw new TypeError(`an Ed25519 seed is 32 bytes, not ${seed.byteLength}`)
  const pk = new Uint8Array(32)
  const sk = new Uint8Array(64)
  sodium.crypto_sign_seed_keypair(pk, sk, seed)
  sk.fill(0)
  return pk
}

/** The Ed25519 key pair of a 32-byte seed: the key generateKeyPairFromSeed('Ed25519', seed) makes, without @noble's tables. */
export function ed25519KeyFromSeed (seed: Uint8Array): Ed25519PrivateKey {
  const raw = new Uint8Array(64)
  raw.set(seed)
  raw.set(ed25519PublicKeyOfSeed(seed), 32)
  return privateKeyFromRaw(raw) as Ed25519PrivateKey
}
