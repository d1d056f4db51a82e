/**
 * Pairwise secrets between two identities. Pure: every function is a
 * deterministic computation over the two Ed25519 identity keys, so both sides
 * derive the same keys without talking. docs/protocol.md §8 specifies it.
 */
import { ed25519, x25519 } from '@noble/curves/ed25519.js'
import { hkdf } from '@noble/hashes/hkdf.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { base32 } from 'multiformats/bases/base32'
import { PAIR_TOPIC_PREFIX } from './topics.js'

export const PAIR_SALT = 'presence-mesh/pair/v1'
export const PAIR_LABELS = ['topic', 'presence', 'locator', 'locator-id', 'group'] as const
export type PairLabel = typeof PAIR_LABELS[number]
/** Bytes of the 'topic' key that name the gossipsub topic. */
export const PAIR_TOPIC_ID_BYTES = 16
const KEY_BYTES = 32

/** Why no pair exists with a key: docs/protocol.md §8.2. */
export const PAIR_KEY_REJECT_REASONS = ['seed-length', 'key-length', 'invalid-point', 'small-order', 'mixed-order'] as const
export type PairKeyRejectReason = typeof PAIR_KEY_REJECT_REASONS[number]

export class PairKeyError extends Error {
  override name = 'PairKeyError'
  constructor (readonly reason: PairKeyRejectReason, message: string) {
    super(message)
  }
}

/** The keys one pair of identities shares. The same object on both sides. */
export interface PairKeys {
  /** The gossipsub topic both sides publish and watch on. */
  topic: string
  /** XChaCha20-Poly1305 key of the presence records on the topic. */
  presence: Uint8Array
  /** XChaCha20-Poly1305 key of the locator records. */
  locator: Uint8Array
  /** Seed of the DHT keys under which each side stores its locator record. */
  locatorId: Uint8Array
  /** XChaCha20-Poly1305 key of the group sender keys one side seals for the other (docs/protocol.md §12.4). */
  group: Uint8Array
}

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)

function compareBytes (a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i]
  return a.length - b.length
}

function concat (...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let o = 0
  for (const p of parts) { out.set(p, o); o += p.length }
  return out
}

/**
 * X25519 of our Ed25519 secret seed (32 bytes, the first half of libp2p's
 * 64-byte raw private key) and their Ed25519 public key (32 bytes), both
 * mapped to Montgomery form. Their key is decoded as RFC 8032 §5.1.3 does
 * (y < p, on the curve, no x = 0 with the sign bit set) and refused unless
 * its point lies in the prime-order subgroup, before any conversion.
 */
export function pairSharedSecret (mySeed: Uint8Array, theirEdPublic: Uint8Array): Uint8Array {
  if (mySeed.length !== 32) throw new PairKeyError('seed-length', 'our Ed25519 seed must be 32 bytes')
  if (theirEdPublic.length !== 32) throw new PairKeyError('key-length', 'their Ed25519 public key must be 32 bytes')
  let point: InstanceType<typeof ed25519.Point>
  try {
    point = ed25519.Point.fromBytes(theirEdPublic, false)
  } catch (err: any) {
    throw new PairKeyError('invalid-point', `not an Ed25519 point: ${err?.message ?? err}`)
  }
  if (point.isSmallOrder()) throw new PairKeyError('small-order', 'their Ed25519 key has small order')
  // a key with a small-order component is no honest key ([a]B always has prime order); libsodium refuses it too
  if (!point.isTorsionFree()) throw new PairKeyError('mixed-order', 'their Ed25519 key is not in the prime-order subgroup')
  const shared = x25519.getSharedSecret(ed25519.utils.toMontgomerySecret(mySeed), ed25519.utils.toMontgomery(theirEdPublic))
  // unreachable once small-order points are refused; kept as RFC 7748 §6.1 asks
  if (shared.every(b => b === 0)) throw new PairKeyError('small-order', 'all-zero shared secret')
  return shared
}

/** label || the two peer ids' multihash bytes, sorted bytewise. */
export function pairInfo (label: string, a: Uint8Array, b: Uint8Array, ...extra: Uint8Array[]): Uint8Array {
  const [lo, hi] = compareBytes(a, b) <= 0 ? [a, b] : [b, a]
  return concat(utf8(label), lo, hi, ...extra)
}

export function deriveLabel (shared: Uint8Array, label: PairLabel, a: Uint8Array, b: Uint8Array): Uint8Array {
  return hkdf(sha256, shared, utf8(PAIR_SALT), pairInfo(label, a, b), KEY_BYTES)
}

export function pairTopic (topicKey: Uint8Array): string {
  return `${PAIR_TOPIC_PREFIX}${base32.baseEncode(topicKey.subarray(0, PAIR_TOPIC_ID_BYTES))}`
}

export function isPairTopic (topic: string): boolean {
  return topic.startsWith(PAIR_TOPIC_PREFIX)
}

/**
 * All keys of a pair. `a` and `b` are the multihash bytes of the two peer ids
 * (order does not matter); `shared` comes from pairSharedSecret.
 */
export function derivePairKeys (shared: Uint8Array, a: Uint8Array, b: Uint8Array): PairKeys {
  return {
    topic: pairTopic(deriveLabel(shared, 'topic', a, b)),
    presence: deriveLabel(shared, 'presence', a, b),
    locator: deriveLabel(shared, 'locator', a, b),
    locatorId: deriveLabel(shared, 'locator-id', a, b),
    group: deriveLabel(shared, 'group', a, b)
  }
}

/**
 * The DHT key under which `publisher` stores its locator record for this
 * pair: each side has its own, and nobody without the pair secret can tell
 * whose it is. SHA-256(locatorId || publisher multihash).
 */
export function locatorDhtKey (keys: Pick<PairKeys, 'locatorId'>, publisher: Uint8Array): Uint8Array {
  return concat(utf8(`/${LOCATOR_DHT_NAMESPACE}/`), sha256(concat(keys.locatorId, publisher)))
}

/** The kad-dht namespace of locator records (`/<ns>/<32 bytes>`), beside discovery's `pm-presence`. */
export const LOCATOR_DHT_NAMESPACE = 'pm-locator'
