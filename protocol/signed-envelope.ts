/**
 * The one seal/open path of every signed record of ours (presence, contact
 * messages, locators): a libp2p signed envelope (RFC 0002) signed by an
 * Ed25519 identity. Opening is split in two so that each record runs its own
 * cheap field checks between them: decodeSignedRecord (envelope, payload
 * type, key, payload) first, verifySignedRecord (the costly signature) last.
 * Pure; neither throws on bad input.
 */
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
 */
export function decodeSignedRecord<T> (bytes: Uint8Array, payloadType: Uint8Array, rules: MessageRules, codec: { decode: (bytes: Uint8Array) => T } | { fromScan: (fields: ScanFields) => T }): DecodedEnvelope<T> {
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
  return { ok: true, signer: signerOf(raw), payloadType: type, payload, signature: only(envelope.fields, 5), record, fields: scanned.fields }
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
