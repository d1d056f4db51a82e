/**
 * The locator record: how a contact finds this node's addresses when the node
 * is not public. A signed envelope (domain "presence-mesh-locator") of a
 * LocatorRecord, sealed like pair presence under the pair's 'locator' key
 * with the DHT key as associated data, stored under locatorDhtKey(). Pure.
 */
import { peerIdFromPublicKey } from '@libp2p/peer-id'
import { RecordEnvelope } from '@libp2p/peer-record'
import { decodeSignedRecord } from './signed-envelope.js'
import { equals as uint8ArrayEquals } from 'uint8arrays/equals'
import { toString as uint8ArrayToString } from 'uint8arrays/to-string'
import { LocatorRecord as LocatorRecordPb } from './pb/contact.js'
import { LOCATOR_DHT_NAMESPACE } from './pair-keys.js'
import { openBytes, sealBytes, SEALED_NONCE_BYTES, SEALED_PAD_BYTES, SEALED_TAG_BYTES } from './sealed-box.js'
import type { PeerId, PrivateKey, Record as Libp2pRecord } from '@libp2p/interface'

export const LOCATOR_DOMAIN = 'presence-mesh-locator'
/** Envelope payload type: ASCII "pl" followed by the record version 1. */
export const LOCATOR_PAYLOAD_TYPE = Uint8Array.from([0x70, 0x6c, 0x01])
export const MAX_LOCATOR_ADDRS = 8
export const MAX_LOCATOR_ADDR_BYTES = 128
export const MAX_LOCATOR_ENVELOPE_BYTES = 2048
export const MAX_SEALED_LOCATOR_BYTES = SEALED_NONCE_BYTES + MAX_LOCATOR_ENVELOPE_BYTES + SEALED_PAD_BYTES + SEALED_TAG_BYTES
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

class LocatorPayload implements Libp2pRecord {
  readonly domain = LOCATOR_DOMAIN
  readonly codec = LOCATOR_PAYLOAD_TYPE
  constructor (private readonly bytes: Uint8Array) {}
  marshal (): Uint8Array { return this.bytes }
  equals (other: Libp2pRecord): boolean {
    return other.domain === this.domain && uint8ArrayEquals(other.marshal(), this.bytes)
  }
}

export class LocatorFieldError extends Error {
  override name = 'LocatorFieldError'
}

function checkLocator (l: Locator): string | undefined {
  if (l.addrs.length > MAX_LOCATOR_ADDRS) return 'too many addresses'
  if (l.addrs.some(a => a.length === 0 || a.length > MAX_LOCATOR_ADDR_BYTES)) return 'address size'
  if (l.seq === 0n) return 'seq'
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
  const envelope = (await RecordEnvelope.seal(new LocatorPayload(pb), key)).marshal()
  return sealBytes(locatorKey, aad(dhtKey), envelope, MAX_LOCATOR_ENVELOPE_BYTES, nonce)
}

const aad = (dhtKey: Uint8Array): string => uint8ArrayToString(dhtKey, 'base64')

export const LOCATOR_REJECT_REASONS = [
  'undecryptable', 'malformed', 'wrong-payload-type', 'unsupported-key', 'signer-mismatch',
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
  const bytes = openBytes(locatorKey, aad(dhtKey), sealed, MAX_SEALED_LOCATOR_BYTES)
  if (bytes == null) return reject('undecryptable')
  const decoded = decodeSignedRecord(bytes, LOCATOR_PAYLOAD_TYPE, LocatorRecordPb)
  if (!decoded.ok) return reject(decoded.reason, decoded.detail)
  const { envelope, record: pb } = decoded
  const signer = peerIdFromPublicKey(envelope.publicKey)
  if (!uint8ArrayEquals(pb.publisher, signer.toMultihash().bytes)) return reject('signer-mismatch')
  if (!signer.equals(opts.publisher)) return reject('wrong-publisher')
  if (!uint8ArrayEquals(pb.audience, opts.audience.toMultihash().bytes)) return reject('wrong-audience')
  const locator: Locator = {
    publisher: signer,
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
  try {
    if (!await envelope.validate(LOCATOR_DOMAIN)) return reject('bad-signature')
  } catch (err: any) {
    return reject('bad-signature', err?.message)
  }
  return { ok: true, locator }
}

export class LocatorDhtValueError extends Error {
  override name = 'LocatorDhtValueError'
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
