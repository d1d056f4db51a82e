/**
 * Ed25519 for signed envelopes with node:crypto KeyObjects reused per key.
 * @libp2p/crypto rebuilds a KeyObject from JWK on every sign and verify and
 * @libp2p/peer-record copies the signed bytes through a Uint8ArrayList; for
 * presence records (one verify per record per hop) that overhead is most of
 * the gap to native verify. Same signatures, same signed bytes: this module
 * only caches. Pure: no I/O.
 */
import crypto from 'node:crypto'
import { peerIdFromPublicKey } from '@libp2p/peer-id'
import type { Ed25519PublicKey, PeerId, PrivateKey } from '@libp2p/interface'

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

const prefixes = new Map<string, Uint8Array>()

/** varint(len(domain)) || domain || varint(len(type)) || type, built once per domain and type. */
function signingPrefix (domain: string, payloadType: Uint8Array): Uint8Array {
  const key = `${domain}\u0000${Buffer.from(payloadType).toString('latin1')}`
  let prefix = prefixes.get(key)
  if (prefix == null) {
    const d = new TextEncoder().encode(domain)
    prefix = Uint8Array.from([...varint(d.byteLength), ...d, ...varint(payloadType.byteLength), ...payloadType])
    // envelopes name their own payload type: do not let a flood of odd ones grow the map
    if (prefixes.size < 16) prefixes.set(key, prefix)
  }
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
  /** Built at the first verification, so records refused by cheaper checks never pay for it. */
  keyObject?: crypto.KeyObject
  cacheKey: string
}

/**
 * Bounds the cache. Only signers whose signature verified are cached, so a
 * flood of records with fresh or forged keys cannot evict real contacts.
 */
export const SIGNER_CACHE_SIZE = 1024
const signers = new Map<string, Signer>()

/** The signer of an Ed25519 public key: from the cache, else derived now (and cached once it verifies). */
export function signerOf (publicKey: Ed25519PublicKey): Signer {
  const cacheKey = Buffer.from(publicKey.raw.buffer, publicKey.raw.byteOffset, publicKey.raw.byteLength).toString('latin1')
  const cached = signers.get(cacheKey)
  if (cached != null) return cached
  const peerId = peerIdFromPublicKey(publicKey)
  return { publicKey, peerId, id: peerId.toString(), multihash: peerId.toMultihash().bytes, cacheKey }
}

/** Verifies an Ed25519 signature; throws if node:crypto refuses the key bytes. */
export function verifyEd25519 (signer: Signer, data: Uint8Array, signature: Uint8Array): boolean {
  if (signature.byteLength !== 64) return false
  signer.keyObject ??= crypto.createPublicKey({
    format: 'jwk',
    key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(signer.publicKey.raw).toString('base64url') }
  })
  const ok = crypto.verify(null, data, signer.keyObject, signature)
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

const privateKeyObjects = new WeakMap<PrivateKey, crypto.KeyObject>()

/** Signs with an Ed25519 libp2p private key; the KeyObject is built once per key. */
export function signEd25519 (key: PrivateKey, data: Uint8Array): Uint8Array {
  if (key.type !== 'Ed25519') throw new TypeError(`expected an Ed25519 key, got ${key.type}`)
  let obj = privateKeyObjects.get(key)
  if (obj == null) {
    obj = crypto.createPrivateKey({
      format: 'jwk',
      key: {
        kty: 'OKP',
        crv: 'Ed25519',
        d: Buffer.from(key.raw.subarray(0, 32)).toString('base64url'),
        x: Buffer.from(key.publicKey.raw).toString('base64url')
      }
    })
    privateKeyObjects.set(key, obj)
  }
  const sig = crypto.sign(null, data, obj)
  return new Uint8Array(sig.buffer, sig.byteOffset, sig.byteLength)
}
