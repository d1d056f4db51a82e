/**
 * The locator record: how a contact finds this node's addresses when the node
 * is not public. A signed envelope (domain "presence-mesh-locator") of a
 * LocatorRecord, sealed like pair presence under the pair's 'locator' key
 * with the DHT key as associated data, stored under locatorDhtKey(). Pure.
 */
import { equals as uint8ArrayEquals } from 'uint8arrays/equals'
import { toString as uint8ArrayToString } from 'uint8arrays/to-string'
import { MAX_TIME_MS } from './limits.js'
import { LOCATOR_DHT_NAMESPACE } from './pair-keys.js'
import { LocatorRecord as LocatorRecordPb } from './pb/contact.js'
import { openBytes, sealBytes, sealedSize, SEALED_NONCE_BYTES, SEALED_PAD_BYTES, SEALED_TAG_BYTES } from './sealed-box.js'
import { decodeSignedRecord, sealSignedRecord, verifySignedRecord } from './signed-envelope.js'
import type { MessageRules } from './strict-protobuf.js'
import type { PeerId, PrivateKey } from '@libp2p/interface'

export const LOCATOR_DOMAIN = 'presence-mesh-locator'
/** Envelope payload type: ASCII "pl" followed by the record version 1. */
export const LOCATOR_PAYLOAD_TYPE = Uint8Array.from([0x70, 0x6c, 0x01])
export const MAX_LOCATOR_ADDRS = 8
export const MAX_LOCATOR_ADDR_BYTES = 128
export const MAX_LOCATOR_ENVELOPE_BYTES = 2048
/** The largest sealed locator (a DHT value) anyone reads: 24 + 2,304 + 16 = 2,344 bytes. */
export const MAX_SEALED_LOCATOR_BYTES = sealedSize(MAX_LOCATOR_ENVELOPE_BYTES)
export const MAX_LOCATOR_TTL_MS = 48 * 3600_000
export const MAX_LOCATOR_SKEW_MS = 5 * 60_000

export interface Locator {
  publisher: PeerId
  audience: PeerId
  /** Binary multiaddrs. */
  addrs: Uint8Array[]
  seq: bigint
  issuedAt: number
  expiresAt: number
}

/** protocol/contact.proto LocatorRecord, field by field (strict-protobuf.ts). */
export const LOCATOR_RECORD_RULES: MessageRules = {
  1: { type: 'bytes' },
  2: { type: 'bytes' },
  3: { type: 'bytes', repeated: true },
  4: { type: 'uint64' },
  5: { type: 'uint64' },
  6: { type: 'uint64' }
}

export class LocatorFieldError extends Error {
  override name = 'LocatorFieldError'
}

function checkLocator (l: Locator): string | undefined {
  if (l.addrs.length > MAX_LOCATOR_ADDRS) return 'too many addresses'
  if (l.addrs.some(a => a.length === 0 || a.length > MAX_LOCATOR_ADDR_BYTES)) return 'address size'
  if (l.seq === 0n) return 'seq'
  if (!(l.issuedAt >= 0 && l.issuedAt <= MAX_TIME_MS && l.expiresAt >= 0 && l.expiresAt <= MAX_TIME_MS)) return 'time'
  if (l.expiresAt <= l.issuedAt) return 'expiry'
  if (l.expiresAt - l.issuedAt > MAX_LOCATOR_TTL_MS) return 'ttl too long'
  return undefined
}

/** Signs and seals a locator for one contact; the result is the DHT value. */
export async function sealLocator (l: Locator, key: PrivateKey, locatorKey: Uint8Array, dhtKey: Uint8Array, nonce?: Uint8Array): Promise<Uint8Array> {
  const bad = checkLocator(l)
  if (bad != null) throw new LocatorFieldError(bad)
  const pb = LocatorRecordPb.encode({
    publisher: l.publisher.toMultihash().bytes,
    audience: l.audience.toMultihash().bytes,
    addrs: l.addrs.map(a => Uint8Array.from(a)),
    seq: l.seq,
    issuedAt: BigInt(l.issuedAt),
    expiresAt: BigInt(l.expiresAt)
  })
  const envelope = sealSignedRecord(LOCATOR_DOMAIN, LOCATOR_PAYLOAD_TYPE, pb, key)
  return sealBytes(locatorKey, locatorAad(dhtKey), envelope, MAX_LOCATOR_ENVELOPE_BYTES, nonce)
}

/** The associated data of a sealed locator: its DHT key in base64, RFC 4648 standard alphabet, no padding. */
export function locatorAad (dhtKey: Uint8Array): string {
  return uint8ArrayToString(dhtKey, 'base64')
}

export const LOCATOR_REJECT_REASONS = [
  'undecryptable', 'oversize', 'malformed', 'wrong-payload-type', 'unsupported-key', 'signer-mismatch',
  'wrong-publisher', 'wrong-audience', 'invalid-field', 'expired', 'future', 'replay', 'bad-signature'
] as const
export type LocatorRejectReason = typeof LOCATOR_REJECT_REASONS[number]

export interface LocatorOpenOptions {
  now: number
  /** Who must have signed it (the contact we look up). */
  publisher: PeerId
  /** Who it must be for (us). */
  audience: PeerId
  lastSeq?: bigint
}

export type LocatorOpenResult =
  | { ok: true, locator: Locator }
  | { ok: false, reason: LocatorRejectReason, detail?: string }

const reject = (reason: LocatorRejectReason, detail?: string): LocatorOpenResult => ({ ok: false, reason, detail })

/** Opens a DHT value found under dhtKey. Never throws. */
export async function openLocator (sealed: Uint8Array, locatorKey: Uint8Array, dhtKey: Uint8Array, opts: LocatorOpenOptions): Promise<LocatorOpenResult> {
  const bytes = openBytes(locatorKey, locatorAad(dhtKey), sealed, MAX_SEALED_LOCATOR_BYTES)
  if (bytes == null) return reject('undecryptable')
  if (bytes.byteLength > MAX_LOCATOR_ENVELOPE_BYTES) return reject('oversize')
  const decoded = decodeSignedRecord(bytes, LOCATOR_PAYLOAD_TYPE, LOCATOR_RECORD_RULES, LocatorRecordPb)
  if (!decoded.ok) return reject(decoded.reason, decoded.detail)
  const { signer, record: pb } = decoded
  if (!uint8ArrayEquals(pb.publisher, signer.multihash)) return reject('signer-mismatch')
  if (!signer.peerId.equals(opts.publisher)) return reject('wrong-publisher')
  if (!uint8ArrayEquals(pb.audience, opts.audience.toMultihash().bytes)) return reject('wrong-audience')
  if (pb.issuedAt > BigInt(MAX_TIME_MS) || pb.expiresAt > BigInt(MAX_TIME_MS)) return reject('invalid-field', 'time')
  const locator: Locator = {
    publisher: signer.peerId,
    audience: opts.audience,
    addrs: pb.addrs,
    seq: pb.seq,
    issuedAt: Number(pb.issuedAt),
    expiresAt: Number(pb.expiresAt)
  }
  const bad = checkLocator(locator)
  if (bad != null) return reject('invalid-field', bad)
  if (locator.issuedAt > opts.now + MAX_LOCATOR_SKEW_MS) return reject('future')
  if (locator.expiresAt <= opts.now) return reject('expired')
  if (opts.lastSeq != null && locator.seq <= opts.lastSeq) return reject('replay')
  if (!verifySignedRecord(decoded, LOCATOR_DOMAIN)) return reject('bad-signature')
  return { ok: true, locator }
}

export class LocatorDhtValueError extends Error {
  override name = 'LocatorDhtValueError'
  /** What the validator reports to kad-dht: the key or the value does not have a locator's shape. */
  readonly reason = 'malformed'
}

/**
 * What any DHT node can check of a locator record without the pair key: the
 * key is `/pm-locator/` + 32 bytes and the value has the shape of a sealed
 * record (nonce, padded ciphertext, tag). Throws LocatorDhtValueError.
 */
export function checkLocatorDhtValue (key: Uint8Array, value: Uint8Array): void {
  const prefix = new TextEncoder().encode(`/${LOCATOR_DHT_NAMESPACE}/`)
  if (key.length !== prefix.length + 32 || !uint8ArrayEquals(key.subarray(0, prefix.length), prefix)) {
    throw new LocatorDhtValueError('not a locator key')
  }
  const body = value.length - SEALED_NONCE_BYTES - SEALED_TAG_BYTES
  if (value.length > MAX_SEALED_LOCATOR_BYTES || body <= 0 || body % SEALED_PAD_BYTES !== 0) {
    throw new LocatorDhtValueError('not a sealed locator record')
  }
}
