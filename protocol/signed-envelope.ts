/**
 * The one seal/open path of every signed record of ours (presence, contact
 * messages, locators): a libp2p signed envelope (RFC 0002) signed by an
 * Ed25519 identity. Opening is split in two so that each record runs its own
 * cheap field checks between them: decodeSignedRecord (envelope, payload
 * type, key, payload) first, verifySignedRecord (the costly signature) last.
 * Pure; neither throws on bad input.
 */
import { publicKeyFromProtobuf } from '@libp2p/crypto/keys'
import { RecordEnvelope } from '@libp2p/peer-record'
import { equals as uint8ArrayEquals } from 'uint8arrays/equals'
import { envelopeSigningBytes, isWeakEd25519Point, signEd25519, signerOf, verifyEd25519 } from './ed25519-fast.js'
import { ENVELOPE_RULES, scanMessage } from './strict-protobuf.js'
import type { Signer } from './ed25519-fast.js'
import type { MessageRules, ScanFields } from './strict-protobuf.js'
import type { PrivateKey } from '@libp2p/interface'

export type EnvelopeRejectReason = 'malformed' | 'wrong-payload-type' | 'unsupported-key'

/** The only public key encoding accepted in an envelope: libp2p PublicKey { Type: Ed25519 (1), Data: 32 bytes }. */
export const ED25519_PUBLIC_KEY_PREFIX = Uint8Array.of(0x08, 0x01, 0x12, 0x20)

export interface SignedRecord<T> {
  signer: Signer
  payloadType: Uint8Array
  payload: Uint8Array
  signature: Uint8Array
  record: T
  /** The payload's known fields as the strict scan read them (a caller checking nested messages reads them here, not by scanning again). */
  fields: ScanFields
  /**
   * Asked for (`canonical`) and the envelope is not the encoders' encoding of
   * its fields: that encoding (a re-encoded copy's original). Absent otherwise.
   */
  reencoded?: Uint8Array
}

export type DecodedEnvelope<T> =
  | ({ ok: true } & SignedRecord<T>)
  | { ok: false, reason: EnvelopeRejectReason, detail?: string }

const EMPTY = new Uint8Array(0)
const only = (fields: Map<number, Array<Uint8Array | bigint | number>>, n: number): Uint8Array => (fields.get(n)?.[0] as Uint8Array | undefined) ?? EMPTY

/**
 * Steps 2-5 of every signed record's validation (docs/protocol.md §3):
 * the envelope decodes, carries `payloadType`, is signed by a canonical,
 * not small-order Ed25519 key, and its payload decodes under `rules`.
 * `codec` decodes the payload, or builds the record from the fields the
 * strict scan read of it (`fromScan`: the payload is read once).
 * `canonical`: say whether the envelope is the encoders' encoding (records
 * named by the hash of their envelope: `reencoded` when it is not).
 */
export function decodeSignedRecord<T> (bytes: Uint8Array, payloadType: Uint8Array, rules: MessageRules, codec: { decode: (bytes: Uint8Array) => T } | { fromScan: (fields: ScanFields) => T }, canonical = false): DecodedEnvelope<T> {
  const envelope = scanMessage(bytes, ENVELOPE_RULES)
  if (!envelope.ok) return { ok: false, reason: 'malformed', detail: `envelope: ${envelope.problem}` }
  const type = only(envelope.fields, 2)
  if (!uint8ArrayEquals(type, payloadType)) return { ok: false, reason: 'wrong-payload-type' }
  const key = only(envelope.fields, 1)
  if (key.byteLength !== 36 || !uint8ArrayEquals(key.subarray(0, 4), ED25519_PUBLIC_KEY_PREFIX)) {
    return { ok: false, reason: 'unsupported-key', detail: 'not an Ed25519 key' }
  }
  const raw = key.subarray(4)
  if (isWeakEd25519Point(raw)) return { ok: false, reason: 'unsupported-key', detail: 'non-canonical or small-order Ed25519 key' }
  const payload = only(envelope.fields, 3)
  const scanned = scanMessage(payload, rules)
  if (!scanned.ok) return { ok: false, reason: 'malformed', detail: `payload: ${scanned.problem}` }
  let record: T
  try {
    record = 'fromScan' in codec ? codec.fromScan(scanned.fields) : codec.decode(payload)
  } catch (err: any) {
    return { ok: false, reason: 'malformed', detail: err?.message }
  }
  const signature = only(envelope.fields, 5)
  const reencoded = canonical && !isCanonical(bytes, key, type, payload, signature) ? encodeEnvelope(key, type, payload, signature) : undefined
  return { ok: true, signer: signerOf(raw), payloadType: type, payload, signature, record, fields: scanned.fields, ...(reencoded != null ? { reencoded } : {}) }
}

/**
 * The encoders' encoding of an envelope (what RecordEnvelope.marshal makes of
 * its fields: §0.3, §12.2): `bytes` itself when it is that already, or when it
 * is no envelope at all. Where a record is named by the hash of its envelope
 * (group ops, feed entries), this is the name of the record a copy re-encodes.
 */
export function canonicalEnvelope (bytes: Uint8Array): Uint8Array {
  const envelope = scanMessage(bytes, ENVELOPE_RULES)
  if (!envelope.ok) return bytes
  const [key, type, payload, signature] = [1, 2, 3, 5].map(n => only(envelope.fields, n))
  if (isCanonical(bytes, key, type, payload, signature)) return bytes
  try {
    return encodeEnvelope(key, type, payload, signature)
  } catch {
    // no key libp2p reads (stored bytes are checked before they are stored: not met in practice)
    return bytes
  }
}

/**
 * Whether `bytes`, whose envelope fields the strict scan read as these, is
 * exactly their encoding by the encoders: fields 1, 2, 3, 5 in that order,
 * shortest lengths, empty ones left out, nothing else. The signature covers
 * the payload alone, so anyone can re-encode an envelope around it (another
 * field order, a longer length, an unknown field): a copy with the same
 * signature under another hash. Reads tags and lengths in place: the scan let
 * each field occur once, so these in this order, ending at the end, are that
 * encoding (no copies, no comparisons).
 */
function isCanonical (bytes: Uint8Array, key: Uint8Array, type: Uint8Array, payload: Uint8Array, signature: Uint8Array): boolean {
  let at = field(bytes, 0, 0x0a, key.byteLength)
  at = field(bytes, at, 0x12, type.byteLength)
  at = field(bytes, at, 0x1a, payload.byteLength)
  return field(bytes, at, 0x2a, signature.byteLength) === bytes.byteLength
}

/** Where the field after this one starts, if `bytes` holds at `at` the tag and shortest length of a field of `length` bytes (none when empty); else -1. */
function field (bytes: Uint8Array, at: number, tag: number, length: number): number {
  if (at < 0 || length === 0) return at
  if (bytes[at++] !== tag) return -1
  let n = length
  for (; n >= 0x80; n >>>= 7) if (bytes[at++] !== ((n & 0x7f) | 0x80)) return -1
  return bytes[at++] === n ? at + length : -1
}

/** The envelope's fields as the encoders write them (isCanonical's encoding): libp2p's own marshal, as sealSignedRecord's. */
function encodeEnvelope (key: Uint8Array, type: Uint8Array, payload: Uint8Array, signature: Uint8Array): Uint8Array {
  return new RecordEnvelope({ publicKey: publicKeyFromProtobuf(key), payloadType: type, payload, signature }).marshal()
}

/** The last step: the signature verifies for `domain`. Never throws. */
export function verifySignedRecord (decoded: SignedRecord<unknown>, domain: string): boolean {
  try {
    return verifyEd25519(decoded.signer, envelopeSigningBytes(domain, decoded.payloadType, decoded.payload), decoded.signature)
  } catch {
    return false
  }
}

/**
 * Signs `payload` in `domain` and returns the marshaled envelope: byte for
 * byte what RecordEnvelope.seal produces, with the signing key cached.
 */
export function sealSignedRecord (domain: string, payloadType: Uint8Array, payload: Uint8Array, key: PrivateKey): Uint8Array {
  const signature = signEd25519(key, envelopeSigningBytes(domain, payloadType, payload))
  return new RecordEnvelope({ publicKey: key.publicKey, payloadType, payload, signature }).marshal()
}
