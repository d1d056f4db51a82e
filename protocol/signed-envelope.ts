/**
 * The first steps every signed record of ours shares (presence, contact
 * messages, locators): decode the libp2p envelope, check its payload type,
 * require an Ed25519 signer, decode the payload. Pure; never throws. The
 * signature itself is checked by each caller last, after its cheap checks.
 */
import { RecordEnvelope } from '@libp2p/peer-record'
import { equals as uint8ArrayEquals } from 'uint8arrays/equals'
import type { Ed25519PublicKey } from '@libp2p/interface'

export type EnvelopeRejectReason = 'malformed' | 'wrong-payload-type' | 'unsupported-key'

export type DecodedEnvelope<T> =
  | { ok: true, envelope: RecordEnvelope, publicKey: Ed25519PublicKey, record: T }
  | { ok: false, reason: EnvelopeRejectReason, detail?: string }

export function decodeSignedRecord<T> (bytes: Uint8Array, payloadType: Uint8Array, codec: { decode: (bytes: Uint8Array) => T }): DecodedEnvelope<T> {
  let envelope: RecordEnvelope
  try {
    envelope = RecordEnvelope.createFromProtobuf(bytes)
  } catch (err: any) {
    return { ok: false, reason: 'malformed', detail: err?.message }
  }
  if (!uint8ArrayEquals(envelope.payloadType, payloadType)) return { ok: false, reason: 'wrong-payload-type' }
  const publicKey = envelope.publicKey
  if (publicKey.type !== 'Ed25519') return { ok: false, reason: 'unsupported-key', detail: publicKey.type }
  try {
    return { ok: true, envelope, publicKey, record: codec.decode(envelope.payload) }
  } catch (err: any) {
    return { ok: false, reason: 'malformed', detail: err?.message }
  }
}
