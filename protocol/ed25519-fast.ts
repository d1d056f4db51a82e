/**
 * Ed25519 for signed envelopes on raw keys, by libsodium (sodium-native)
 * where its addon loads, else by node:crypto KeyObjects reused per key
 * (protocol/sodium.ts chooses, once). @libp2p/crypto rebuilds a KeyObject
 * from JWK on every sign and verify and @libp2p/peer-record copies the signed
 * bytes through a Uint8ArrayList; for presence records (one verify per record
 * per hop) that overhead was most of the gap to native verify, and
 * libsodium's verify takes about half the time of node:crypto's
 * (docs/benchmarks.md, session 19). Both make the same signatures (RFC 8032
 * is deterministic) over the same signed bytes and accept the same ones
 * (test/protocol/ed25519-fast.test.ts runs each against the other). Pure: no I/O.
 */
import crypto from 'node:crypto'
import { privateKeyFromRaw, publicKeyFromRaw } from '@libp2p/crypto/keys'
import { peerIdFromPublicKey } from '@libp2p/peer-id'
import { equals as uint8ArrayEquals } from 'uint8arrays/equals'
import { cryptoBackend } from './sodium.js'
import type { CryptoBackend, Sodium } from './sodium.js'
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
  /** node:crypto's key, built at the first verification by the fallback (so records refused by cheaper checks never pay for it). */
  keyObject?: crypto.KeyObject
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
 * OpenSSL). libsodium's verify refuses both for keys and for R; the
 * node:crypto fallback refuses them with this check, as do keys read without
 * a signature to verify (a device certificate's identities) and an envelope's
 * key, with its own reason, before anything is derived from it. Byte
 * comparisons only: it runs on every record.
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
 * Caches a signer whose key is known to be real: its signature verified, or
 * the channel it came on authenticated it (so forged keys never enter).
 */
export function rememberSigner (signer: Signer): void {
  if (signers.has(signer.cacheKey)) return
  if (signers.size >= SIGNER_CACHE_SIZE) signers.delete(signers.keys().next().value as string)
  signers.set(signer.cacheKey, signer)
}

/** One implementation of Ed25519: libsodium's (sodiumEd25519) or node:crypto's (nodeEd25519). */
export interface Ed25519Impl {
  /** RFC 8032, cofactorless: S < L, and neither the key nor R non-canonical or of small order (isWeakEd25519Point). `signature` is 64 bytes; never throws. */
  verify: (signer: Signer, data: Uint8Array, signature: Uint8Array) => boolean
  /** The signature of `data` under the key of key.raw's seed (its first half). */
  sign: (key: PrivateKey, data: Uint8Array) => Uint8Array
  /** The public key of a 32-byte seed. */
  publicKeyOfSeed: (seed: Uint8Array) => Uint8Array
}

/**
 * The view itself, or a copy when its memory is not this realm's
 * ArrayBuffer: sodium-native's verify reads (buffer, offset, length) and
 * returns undefined, not false, for a SharedArrayBuffer; node:crypto takes
 * either, so the copy keeps both accepting the same signatures.
 */
const unshared = (view: Uint8Array): Uint8Array => view.buffer instanceof ArrayBuffer ? view : Uint8Array.from(view)

/**
 * Ed25519 by libsodium. Secret keys are derived from the seed (key.raw's
 * first half) rather than taken whole from key.raw: libsodium hashes the
 * public half into every signature, and a raw key whose halves do not match
 * would sign under a key nobody has.
 */
export function sodiumEd25519 (sodium: Sodium): Ed25519Impl {
  /** Per private key, libsodium's secret key (seed || public key), derived once. */
  const secretKeys = new WeakMap<PrivateKey, Uint8Array>()
  return {
    // `=== true`: a boolean whatever the addon returns (undefined for views it cannot read)
    verify: (signer, data, signature) => sodium.crypto_sign_verify_detached(unshared(signature), unshared(data), unshared(signer.publicKey.raw)) === true,
    sign: (key, data) => {
      let sk = secretKeys.get(key)
      if (sk == null) {
        sk = new Uint8Array(64)
        sodium.crypto_sign_seed_keypair(new Uint8Array(32), sk, key.raw.subarray(0, 32))
        secretKeys.set(key, sk)
      }
      const sig = new Uint8Array(64)
      sodium.crypto_sign_detached(sig, data, sk)
      return sig
    },
    publicKeyOfSeed: (seed) => {
      const pk = new Uint8Array(32)
      const sk = new Uint8Array(64)
      sodium.crypto_sign_seed_keypair(pk, sk, seed)
      sk.fill(0)
      return pk
    }
  }
}

/** PKCS #8 of an Ed25519 private key (RFC 8410) up to its 32-byte seed. */
const PKCS8_ED25519_SEED = Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20])

function nodePrivateKeyOfSeed (seed: Uint8Array): crypto.KeyObject {
  const der = Buffer.alloc(PKCS8_ED25519_SEED.byteLength + 32)
  der.set(PKCS8_ED25519_SEED)
  der.set(seed, PKCS8_ED25519_SEED.byteLength)
  return crypto.createPrivateKey({ key: der, format: 'der', type: 'pkcs8' })
}

/** Per private key, node:crypto's key of its seed, built once. */
const privateKeyObjects = new WeakMap<PrivateKey, crypto.KeyObject>()

/**
 * Ed25519 by node:crypto (OpenSSL), for where libsodium does not load.
 * OpenSSL checks S < L but takes any key and R: the weak-point rule refuses
 * what libsodium refuses there. Keys come from the seed alone, as libsodium's.
 */
export const nodeEd25519: Ed25519Impl = {
  verify: (signer, data, signature) => {
    if (isWeakEd25519Point(signature.subarray(0, 32)) || isWeakEd25519Point(signer.publicKey.raw)) return false
    signer.keyObject ??= crypto.createPublicKey({
      format: 'jwk',
      key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(signer.publicKey.raw).toString('base64url') }
    })
    return crypto.verify(null, data, signer.keyObject, signature)
  },
  sign: (key, data) => {
    let obj = privateKeyObjects.get(key)
    if (obj == null) {
      obj = nodePrivateKeyOfSeed(key.raw.subarray(0, 32))
      privateKeyObjects.set(key, obj)
    }
    const sig = crypto.sign(null, data, obj)
    return new Uint8Array(sig.buffer, sig.byteOffset, sig.byteLength)
  },
  publicKeyOfSeed: (seed) => {
    const jwk = crypto.createPublicKey(nodePrivateKeyOfSeed(seed)).export({ format: 'jwk' })
    return Uint8Array.from(Buffer.from(jwk.x as string, 'base64url'))
  }
}

/** The implementation a backend names: libsodium's where it loaded, node:crypto's elsewhere. */
export function ed25519Of (backend: CryptoBackend): Ed25519Impl {
  return backend.sodium != null ? sodiumEd25519(backend.sodium) : nodeEd25519
}

let chosen: Ed25519Impl | undefined
const ed25519 = (): Ed25519Impl => (chosen ??= ed25519Of(cryptoBackend()))

/** Verifies an Ed25519 signature (Ed25519Impl.verify's rule, on either implementation) and caches a signer whose signature verified. Never throws for a signer from signerOf. */
export function verifyEd25519 (signer: Signer, data: Uint8Array, signature: Uint8Array): boolean {
  if (signature.byteLength !== 64) return false
  const ok = ed25519().verify(signer, data, signature)
  if (ok) rememberSigner(signer)
  return ok
}

/** Signs with an Ed25519 libp2p private key (from its seed, key.raw's first half). */
export function signEd25519 (key: PrivateKey, data: Uint8Array): Uint8Array {
  if (key.type !== 'Ed25519') throw new TypeError(`expected an Ed25519 key, got ${key.type}`)
  return ed25519().sign(key, data)
}

/**
 * The public key of a 32-byte Ed25519 seed (RFC 8032 §5.1.5).
 * @noble/curves (what @libp2p/crypto's generateKeyPairFromSeed uses in Node)
 * first builds its base-point tables: about 0.1 s of CPU in every process
 * that starts a node; some microseconds here (a few milliseconds on node:crypto).
 */
export function ed25519PublicKeyOfSeed (seed: Uint8Array): Uint8Array {
  if (seed.byteLength !== 32) throw new TypeError(`an Ed25519 seed is 32 bytes, not ${seed.byteLength}`)
  return ed25519().publicKeyOfSeed(seed)
}

/** The Ed25519 key pair of a 32-byte seed: the key generateKeyPairFromSeed('Ed25519', seed) makes, without @noble's tables. */
export function ed25519KeyFromSeed (seed: Uint8Array): Ed25519PrivateKey {
  const raw = new Uint8Array(64)
  raw.set(seed)
  raw.set(ed25519PublicKeyOfSeed(seed), 32)
  return privateKeyFromRaw(raw) as Ed25519PrivateKey
}
