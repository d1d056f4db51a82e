/**
 * Contact codes (docs/protocol.md §8.7): what a person shares so that others
 * can find this node and ask to become a contact. A code is the node's peer
 * id and a random secret; from the secret both sides derive, without
 * talking, an intake identity (an Ed25519 key only code holders can use to
 * connect) and the keys of an intake locator record (the node's addresses,
 * sealed, under a DHT key only code holders can compute). Rotating the secret
 * makes every old code worthless. Pure.
 */
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import { hkdf } from '@noble/hashes/hkdf.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { CHECK_BYTES, concat, formatSecret, newSecret, parseSecret, SECRET_BYTES, SECRET_CHARS, secretCheck, utf8 } from './code-secret.js'
import { ed25519KeyFromSeed } from './ed25519-fast.js'
import type { Ed25519PrivateKey, PeerId } from '@libp2p/interface'

/** `pmc1:<peer id>:<base32 of secret || check>` */
export const CONTACT_CODE_PREFIX = 'pmc1'
export const CODE_SECRET_BYTES = SECRET_BYTES
export const CODE_CHECK_BYTES = CHECK_BYTES
export const CODE_SALT = 'presence-mesh/code/v1'
export const CODE_LABELS = ['intake-identity', 'locator', 'locator-id'] as const
export type CodeLabel = typeof CODE_LABELS[number]
/** Length of the secret part: base32 (RFC 4648, lowercase, no padding) of 18 bytes. */
export const CODE_SECRET_CHARS = SECRET_CHARS

export const CONTACT_CODE_REJECT_REASONS = ['not-a-code', 'bad-peer-id', 'bad-secret', 'checksum'] as const
export type ContactCodeRejectReason = typeof CONTACT_CODE_REJECT_REASONS[number]

export class ContactCodeError extends Error {
  static override name = 'ContactCodeError'
  constructor (readonly reason: ContactCodeRejectReason) {
    super(`not a valid contact code (${reason})`)
    this.name = 'ContactCodeError'
  }
}

export interface ContactCode {
  /** The node the code finds. */
  peer: PeerId
  secret: Uint8Array
}

/** What holders of a code derive from it. */
export interface CodeKeys {
  /** Seed of the intake identity's Ed25519 key. */
  intakeSeed: Uint8Array
  /** XChaCha20-Poly1305 key of the intake locator record (as a pair's `locator` key, §8.6). */
  locator: Uint8Array
  /** Seed of the intake locator's DHT key (as a pair's `locator-id`). */
  locatorId: Uint8Array
}


export const newCodeSecret = newSecret

/** The two check bytes: SHA-256(salt || mh(peer) || secret)[0..2]; they catch a mistyped code. */
export function codeCheck (peer: PeerId, secret: Uint8Array): Uint8Array {
  return secretCheck(CODE_SALT, peer, secret)
}

export function formatContactCode (code: ContactCode): string {
  if (code.secret.length !== CODE_SECRET_BYTES) throw new ContactCodeError('bad-secret')
  return `${CONTACT_CODE_PREFIX}:${code.peer.toString()}:${formatSecret(CODE_SALT, code.peer, code.secret)}`
}

/** Whether a string is meant as a contact code (it may still be invalid). */
export function looksLikeContactCode (text: string): boolean {
  return text.trim().toLowerCase().startsWith(`${CONTACT_CODE_PREFIX}:`)
}

/** Parses a shared code; throws ContactCodeError. Surrounding spaces and the prefix's case are forgiven. */
export function parseContactCode (text: string): ContactCode {
  const parts = text.trim().split(':')
  if (parts.length !== 3 || parts[0].toLowerCase() !== CONTACT_CODE_PREFIX) throw new ContactCodeError('not-a-code')
  let peer: PeerId
  try {
    peer = peerIdFromString(parts[1])
  } catch {
    throw new ContactCodeError('bad-peer-id')
  }
  // only the canonical spelling: the base58 decoder lets some stray characters through
  if (peer.type !== 'Ed25519' || peer.toString() !== parts[1]) throw new ContactCodeError('bad-peer-id')
  const secret = parseSecret(parts[2], CODE_SALT, peer)
  if (!secret.ok) throw new ContactCodeError(secret.reason)
  return { peer, secret: secret.secret }
}

/** HKDF-SHA256(ikm = secret, salt = CODE_SALT, info = label || mh(owner)), 32 bytes. */
export function deriveCodeLabel (secret: Uint8Array, label: CodeLabel, owner: PeerId): Uint8Array {
  return hkdf(sha256, secret, utf8(CODE_SALT), concat(utf8(label), owner.toMultihash().bytes), 32)
}

export function deriveCodeKeys (code: ContactCode): CodeKeys {
  return {
    intakeSeed: deriveCodeLabel(code.secret, 'intake-identity', code.peer),
    locator: deriveCodeLabel(code.secret, 'locator', code.peer),
    locatorId: deriveCodeLabel(code.secret, 'locator-id', code.peer)
  }
}

/** The intake identity: the key code holders connect with, and its peer id (the only one the owner admits for it). */
export async function intakeIdentity (keys: CodeKeys): Promise<{ key: Ed25519PrivateKey, peerId: PeerId }> {
  const key = ed25519KeyFromSeed(keys.intakeSeed)
  return { key, peerId: peerIdFromPrivateKey(key) }
}
