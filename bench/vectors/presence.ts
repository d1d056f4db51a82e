/** Vectors of the presence envelope (docs/protocol.md §2, §3). */
import { MAX_TIME_MS } from '../../protocol/limits.js'
import { A, accepted, B, C, hex, identityJson, NOW, refused, utf8, verified } from './common.js'
import {
  ed25519KeyProto, encodeFields, envelope, IDENTITY_POINT, identityRSignature, nonCanonicalPoint, nonCanonicalS, sign, signed, signingBytes
} from './envelopes.js'
import type { Field } from './envelopes.js'
import type { Identity, VectorCase, VectorFile } from './common.js'

export const PRESENCE_DOMAIN = 'presence-mesh-presence'
export const PM = Uint8Array.of(0x70, 0x6d, 0x01)
const STATUS = { online: 1, away: 2, busy: 3, dnd: 4, offline: 5 } as const

export interface RecordJson {
  presentity: string
  status: keyof typeof STATUS
  note?: string
  activity?: string
  seq: string
  issuedAt: number
  expiresAt: number
  maxVersion?: number
}

export const record = (over: Partial<RecordJson> = {}): RecordJson =>
  ({ presentity: A.peerId.toString(), status: 'online', seq: String(NOW), issuedAt: NOW, expiresAt: NOW + 60_000, ...over })

/** The payload fields as our encoder writes them: field order, proto3 defaults omitted. */
export function payloadFields (r: RecordJson, id: Identity = A): Field[] {
  const f: Field[] = [{ n: 1, bytes: id.peerId.toString() === r.presentity ? id.multihash : [A, B, C].find(x => x.peerId.toString() === r.presentity)!.multihash }]
  f.push({ n: 2, varint: BigInt(STATUS[r.status]) })
  if (r.note != null) f.push({ n: 3, bytes: utf8(r.note) })
  if (r.activity != null) f.push({ n: 4, bytes: utf8(r.activity) })
  f.push({ n: 5, varint: BigInt(r.seq) }, { n: 6, varint: BigInt(r.issuedAt) }, { n: 7, varint: BigInt(r.expiresAt) })
  if (r.maxVersion != null) f.push({ n: 8, varint: BigInt(r.maxVersion) })
  return f
}

export const signedRecord = (id: Identity, r: RecordJson): Uint8Array => signed(id, PRESENCE_DOMAIN, PM, encodeFields(payloadFields(r, id)))

/** A payload of arbitrary fields, signed by A. */
const signedPayload = (fields: Field[], id: Identity = A, extra: Field[] = []): Uint8Array => signed(id, PRESENCE_DOMAIN, PM, encodeFields(fields), extra)

const base = (): Field[] => payloadFields(record())
const replace = (n: number, field: Field | undefined): Field[] => base().flatMap(f => f.n === n ? (field != null ? [field] : []) : [f])
const ctx = (over: Record<string, unknown> = {}): Record<string, unknown> => ({ now: NOW, ...over })

/** The decoded form, keys in schema order. */
export const decodedRecord = (r: RecordJson): Record<string, unknown> => ({
  presentity: r.presentity,
  status: r.status,
  ...(r.note != null && r.note !== '' ? { note: r.note } : {}),
  ...(r.activity != null && r.activity !== '' ? { activity: r.activity } : {}),
  seq: r.seq,
  issuedAt: r.issuedAt,
  expiresAt: r.expiresAt,
  ...(r.maxVersion != null ? { maxVersion: r.maxVersion } : {})
})

function valid (name: string, r: RecordJson, context: Record<string, unknown> = ctx(), why?: string, id: Identity = A): VectorCase {
  const decoded = decodedRecord(r)
  return { name, why, encode: { signer: id.name, record: r }, bytes: hex(signedRecord(id, r)), context, expect: accepted(decoded) }
}

const decodeOnly = (name: string, why: string, bytes: Uint8Array, decoded: RecordJson, context = ctx()): VectorCase =>
  ({ name, why, bytes: hex(bytes), context, expect: accepted(decodedRecord(decoded)) })

const refusal = (name: string, why: string, bytes: Uint8Array, reason: string, context = ctx()): VectorCase =>
  ({ name, why, bytes: hex(bytes), context, expect: refused(reason) })

/** An unknown payload field 15 whose bytes bring the whole envelope to exactly `size` bytes. */
export function paddedTo (size: number): Uint8Array {
  for (let n = 0; n < size; n++) {
    const bytes = signedPayload([...base(), { n: 15, bytes: new Uint8Array(n) }])
    if (bytes.byteLength === size) return bytes
  }
  throw new Error(`cannot pad an envelope to ${size} bytes`)
}

export async function presenceVectors (): Promise<VectorFile> {
  const r = record()
  const good = signedRecord(A, r)
  const sig = good.subarray(good.byteLength - 64)
  const payload = encodeFields(base())
  const maxTimes = { issuedAt: MAX_TIME_MS - 600_000, expiresAt: MAX_TIME_MS }
  const largest = record({ status: 'away', note: '😀'.repeat(280), activity: '😀'.repeat(64), seq: (2n ** 64n - 1n).toString(), ...maxTimes })
  if (signedRecord(A, largest).byteLength !== 1565) throw new Error(`the largest record is ${signedRecord(A, largest).byteLength} bytes`)
  const flipped = good.slice()
  flipped[flipped.byteLength - 1] ^= 1

  const records: VectorCase[] = [
    valid('online, nothing else', r),
    valid('away with a note and an activity (non-ASCII)', record({ status: 'away', note: 'lunch 🍜 — back at 2', activity: 'eating' })),
    valid('busy', record({ status: 'busy' })),
    valid('dnd', record({ status: 'dnd' })),
    valid('offline goodbye', record({ status: 'offline' })),
    valid('ttl of exactly 1 s', record({ expiresAt: NOW + 1_000 })),
    valid('ttl of exactly 10 min', record({ expiresAt: NOW + 600_000 })),
    valid('issued exactly 30 s ahead of the receiver', record({ issuedAt: NOW + 30_000, expiresAt: NOW + 90_000 }), ctx(), 'clock-skew bound is inclusive'),
    valid('largest legal record: 1,565 bytes', largest, ctx({ now: MAX_TIME_MS - 1_000 }), '280 and 64 four-byte code points, seq 2^64 - 1, times with 8-byte varints up to 2^53 - 1; over the 1,024 bytes §6.2 once stated'),
    valid('on its own topic, after an older record', r, ctx({ expectedPresentity: A.peerId.toString(), lastSeq: String(NOW - 1) })),
    valid('signed by B', record({ presentity: B.peerId.toString(), status: 'dnd' }), ctx(), undefined, B),
    valid('from a node that reads category bundles: max_version 2', record({ status: 'away', note: 'n', maxVersion: 2 }), ctx(), 'field 8 (§2, §10.4); a version 1 reader skips it'),
    valid('max_version of a later version', record({ maxVersion: 7 }), ctx(), 'any value is valid'),
    decodeOnly('empty note and activity on the wire mean none', 'a present empty string decodes as absent', signedPayload([...base().slice(0, 2), { n: 3, bytes: new Uint8Array(0) }, { n: 4, bytes: new Uint8Array(0) }, ...base().slice(2)]), r),
    decodeOnly('unknown payload fields are ignored', 'forward compatibility; the signature covers them', signedPayload([...base(), { n: 15, varint: 7n }, { n: 16, bytes: utf8('later') }, { n: 17, fixed: new Uint8Array(8) }, { n: 18, fixed: new Uint8Array(4) }]), r),
    decodeOnly('unknown envelope fields are ignored', 'envelope field 4 is not in RFC 0002', signedPayload(base(), A, [{ n: 4, bytes: utf8('x') }]), r),
    decodeOnly('fields in reverse order', 'protobuf does not fix the order', signedPayload([...base()].reverse()), r),
    decodeOnly('a non-minimal varint', 'status 1 written as 0x81 0x00', signed(A, PRESENCE_DOMAIN, PM, Uint8Array.from([...encodeFields(base().slice(0, 1)), 0x10, 0x81, 0x00, ...encodeFields(base().slice(2))])), r),
    decodeOnly('an envelope of exactly 2,048 bytes', 'the size limit is inclusive', paddedTo(2048), r),

    refusal('2,049 bytes', 'checked before decoding', paddedTo(2049), 'oversize'),
    refusal('not an envelope', 'the envelope does not decode', Uint8Array.of(0xff, 0xff, 0xff), 'malformed'),
    refusal('truncated envelope', 'a length runs past the end', good.subarray(0, good.byteLength - 1), 'malformed'),
    refusal('envelope payload given twice', 'a singular field occurs at most once', envelope(ed25519KeyProto(A.publicKey), PM, payload, sig, [{ n: 3, bytes: payload }]), 'malformed'),
    refusal('envelope field with the wrong wire type', 'payload_type as a varint', encodeFields([{ n: 1, bytes: ed25519KeyProto(A.publicKey) }, { n: 2, varint: 1n }, { n: 3, bytes: payload }, { n: 5, bytes: sig }]), 'malformed'),
    refusal('an envelope with a group', 'wire types 3 and 4 are refused', Uint8Array.from([...good, 0x33, 0x34]), 'malformed'),
    refusal('contact payload type', 'the payload type must be 0x706d01', signed(A, PRESENCE_DOMAIN, Uint8Array.of(0x70, 0x63, 0x01), payload), 'wrong-payload-type'),
    refusal('secp256k1 key', 'only Ed25519', envelope(encodeFields([{ n: 1, varint: 2n }, { n: 2, bytes: Uint8Array.from(Buffer.from('0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798', 'hex')) }]), PM, payload, new Uint8Array(64)), 'unsupported-key'),
    refusal('Ed25519 key protobuf with its fields swapped', 'only the canonical 36-byte key encoding', envelope(encodeFields([{ n: 2, bytes: A.publicKey }, { n: 1, varint: 1n }]), PM, payload, sig), 'unsupported-key'),
    refusal('identity point as key, R = identity, S = 0', 'a small-order key verifies any message under OpenSSL: refused before the signature', envelope(ed25519KeyProto(IDENTITY_POINT), PM, encodeFields(replace(1, { n: 1, bytes: Uint8Array.from([0x00, 0x24, ...ed25519KeyProto(IDENTITY_POINT)]) })), Uint8Array.from([...IDENTITY_POINT, ...new Uint8Array(32)])), 'unsupported-key'),
    refusal('non-canonical key encoding (y >= p)', 'RFC 8032 decoding refuses it', envelope(ed25519KeyProto(nonCanonicalPoint()), PM, payload, sig), 'unsupported-key'),
    refusal('payload not protobuf', 'the payload does not decode', signed(A, PRESENCE_DOMAIN, PM, Uint8Array.of(0xff, 0xff, 0xff)), 'malformed'),
    refusal('status 6', 'an enum value the schema does not declare is malformed, not invalid-field', signedPayload(replace(2, { n: 2, varint: 6n })), 'malformed'),
    refusal('status 2^32 + 1', 'no int32 truncation: the value itself must be declared', signedPayload(replace(2, { n: 2, varint: 2n ** 32n + 1n })), 'malformed'),
    refusal('status given twice', 'a singular field occurs at most once', signedPayload([...base(), { n: 2, varint: 2n }]), 'malformed'),
    refusal('status with the wrong wire type', 'a known field must use its wire type', signedPayload(replace(2, { n: 2, bytes: Uint8Array.of(1) })), 'malformed'),
    refusal('note not UTF-8', '0xc3 0x28', signedPayload([...base(), { n: 3, bytes: Uint8Array.of(0xc3, 0x28) }]), 'malformed'),
    refusal('note with an encoded surrogate', '0xed 0xa0 0x80 (U+D800)', signedPayload([...base(), { n: 3, bytes: Uint8Array.of(0xed, 0xa0, 0x80) }]), 'malformed'),
    refusal('note with an overlong encoding', '0xc0 0xaf', signedPayload([...base(), { n: 3, bytes: Uint8Array.of(0xc0, 0xaf) }]), 'malformed'),
    refusal('an 11-byte varint', 'varints are at most 10 bytes', signed(A, PRESENCE_DOMAIN, PM, Uint8Array.from([...encodeFields(base().slice(0, 2)), 0x28, ...new Array(10).fill(0x80), 0x01])), 'malformed'),
    refusal('a varint above 2^64 - 1', 'the 10th byte of a varint is 0 or 1', signed(A, PRESENCE_DOMAIN, PM, Uint8Array.from([...encodeFields(base().slice(0, 2)), 0x28, ...new Array(9).fill(0xff), 0x02])), 'malformed'),
    refusal('field number 0', 'no field has number 0', signed(A, PRESENCE_DOMAIN, PM, Uint8Array.from([...encodeFields(base()), 0x00, 0x01])), 'malformed'),
    refusal('presentity is B, signed by A', 'presentity = the envelope signer', signedPayload(replace(1, { n: 1, bytes: B.multihash })), 'signer-mismatch'),
    refusal('A on B\'s topic', 'the presentity is the topic owner', good, 'wrong-presentity', ctx({ expectedPresentity: B.peerId.toString() })),
    refusal('status absent (0)', 'declared but unspecified: invalid-field', signedPayload(replace(2, undefined)), 'invalid-field'),
    refusal('status 0 written explicitly', 'same as absent', signedPayload(replace(2, { n: 2, varint: 0n })), 'invalid-field'),
    refusal('note of 281 code points', 'limit 280', signedPayload([...base(), { n: 3, bytes: utf8('x'.repeat(281)) }]), 'invalid-field'),
    refusal('activity of 65 code points', 'limit 64', signedPayload([...base(), { n: 4, bytes: utf8('😀'.repeat(65)) }]), 'invalid-field'),
    refusal('seq 0', 'seq > 0', signedPayload(replace(5, undefined)), 'invalid-field'),
    refusal('ttl 999 ms', 'ttl >= 1 s', signedPayload(replace(7, { n: 7, varint: BigInt(NOW + 999) })), 'invalid-field'),
    refusal('expires before it was issued', 'ttl >= 1 s', signedPayload(replace(7, { n: 7, varint: BigInt(NOW - 1) })), 'invalid-field'),
    refusal('issued_at 2^53', 'times are at most 2^53 - 1', signedPayload([...replace(6, { n: 6, varint: 2n ** 53n })].map(f => f.n === 7 ? { n: 7, varint: 2n ** 53n + 60_000n } : f)), 'invalid-field', ctx({ now: MAX_TIME_MS - 1_000 })),
    refusal('ttl 10 min + 1 ms', 'ttl <= 10 min', signedRecord(A, record({ expiresAt: NOW + 600_001 })), 'ttl-too-long'),
    refusal('issued 30 s + 1 ms ahead', 'issued_at <= now + 30 s', signedRecord(A, record({ issuedAt: NOW + 30_001, expiresAt: NOW + 90_001 })), 'future'),
    refusal('expires now', 'expires_at > now', good, 'expired', ctx({ now: NOW + 60_000 })),
    refusal('seq equal to the last accepted', 'seq > last accepted', good, 'replay', ctx({ lastSeq: String(NOW) })),
    refusal('one bit of the signature flipped', 'the signature covers domain, type and payload', flipped, 'bad-signature'),
    refusal('signed in the contact domain', 'the domain is part of what is signed', envelope(ed25519KeyProto(A.publicKey), PM, payload, sign(A, 'presence-mesh-contact', PM, payload)), 'bad-signature'),
    refusal('R is the identity point', 'OpenSSL accepts S = k·a with R = identity; small-order R is refused', envelope(ed25519KeyProto(A.publicKey), PM, payload, identityRSignature(A, signingBytes(PRESENCE_DOMAIN, PM, payload))), 'bad-signature'),
    refusal('S + L', 'S < L', envelope(ed25519KeyProto(A.publicKey), PM, payload, nonCanonicalS(sig)), 'bad-signature'),
    refusal('expired and forged', 'checks run in order: expiry before the signature', flipped, 'expired', ctx({ now: NOW + 60_000 }))
  ]
  return await verified({
    type: 'presence-envelope',
    spec: 'docs/protocol.md §2, §3',
    description: 'Signed presence envelopes. encode: sealPresence(record, key of signer) must give bytes. Decode: openPresence(bytes, context) must give expect. context: now (receiver clock, ms), expectedPresentity (owner of the topic), lastSeq (highest seq accepted from the presentity).',
    identities: { A: identityJson(A), B: identityJson(B), C: identityJson(C) },
    sections: { records }
  })
}
