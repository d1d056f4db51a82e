/** Vectors of contact messages and receipts (docs/protocol.md §8.4). */
import { MAX_TIME_MS } from '../../protocol/limits.js'
import { A, accepted, B, C, hex, identityJson, NOW, refused, utf8, verified } from './common.js'
import { ed25519KeyProto, encodeFields, envelope, signed } from './envelopes.js'
import type { Field } from './envelopes.js'
import type { Identity, VectorCase, VectorFile } from './common.js'

const DOMAIN = 'presence-mesh-contact'
const PC = Uint8Array.of(0x70, 0x63, 0x01)
const KIND = { request: 1, accept: 2, deny: 3, cancel: 4, remove: 5 } as const
const DAY = 24 * 3_600_000
const REQUEST_ID = '000102030405060708090a0b0c0d0e0f'

interface MessageJson { kind: keyof typeof KIND, requestId: string, from: string, to: string, greeting?: string, sentAt: number, replyAddrs?: string[] }

/** Binary multiaddrs: /ip4/192.0.2.7/tcp/4791, and /ip6/2001:db8::7/tcp/4791. */
const REPLY_ADDRS = ['04c00002070612b7', '292001' + '0db8' + '00000000000000000000' + '0007' + '0612b7']

const message = (over: Partial<MessageJson> = {}): MessageJson =>
  ({ kind: 'request', requestId: REQUEST_ID, from: A.peerId.toString(), to: B.peerId.toString(), sentAt: NOW, ...over })

const mh = (peer: string): Uint8Array => [A, B, C].find(x => x.peerId.toString() === peer)!.multihash

function fields (m: MessageJson): Field[] {
  return [
    { n: 1, varint: BigInt(KIND[m.kind]) },
    { n: 2, bytes: Uint8Array.from(Buffer.from(m.requestId, 'hex')) },
    { n: 3, bytes: mh(m.from) },
    { n: 4, bytes: mh(m.to) },
    ...(m.greeting != null ? [{ n: 5, bytes: utf8(m.greeting) }] : []),
    { n: 6, varint: BigInt(m.sentAt) },
    ...(m.replyAddrs ?? []).map(a => ({ n: 7, bytes: Uint8Array.from(Buffer.from(a, 'hex')) }))
  ]
}

const replace = (f: Field[], n: number, by: Field | undefined): Field[] => f.flatMap(x => x.n === n ? (by != null ? [by] : []) : [x])
const signedFields = (f: Field[], by: Identity = A): Uint8Array => signed(by, DOMAIN, PC, encodeFields(f))
const ctx = (over: Record<string, unknown> = {}): Record<string, unknown> => ({ now: NOW, me: B.peerId.toString(), ...over })

function valid (name: string, m: MessageJson, context = ctx(), why?: string): VectorCase {
  return { name, why, encode: { signer: 'A', message: m }, bytes: hex(signedFields(fields(m))), context, expect: accepted(m) }
}
const refusal = (name: string, why: string, bytes: Uint8Array, reason: string, context = ctx()): VectorCase =>
  ({ name, why, bytes: hex(bytes), context, expect: refused(reason) })

export async function contactVectors (): Promise<VectorFile> {
  const m = message({ greeting: 'hi, it is Ann 👋' })
  const good = signedFields(fields(m))
  const base = fields(message())
  const flipped = good.slice()
  flipped[flipped.byteLength - 1] ^= 1
  let pad = 0
  while (signedFields([...base, { n: 15, bytes: new Uint8Array(pad) }]).byteLength < 2_049) pad++

  const messages: VectorCase[] = [
    valid('request with a greeting', m),
    valid('request without a greeting', message()),
    valid('request with the longest greeting (280 four-byte code points)', message({ greeting: '😀'.repeat(280) })),
    valid('accept', message({ kind: 'accept', from: A.peerId.toString() })),
    valid('deny', message({ kind: 'deny' })),
    valid('cancel', message({ kind: 'cancel' })),
    valid('remove (an unsubscribe, with a request id of its own)', message({ kind: 'remove' })),
    valid('sent exactly 5 min ahead', message({ sentAt: NOW + 300_000 }), ctx(), 'skew bound inclusive'),
    valid('sent exactly 30 days ago', message({ sentAt: NOW - 30 * DAY }), ctx(), 'age bound inclusive'),
    valid('a processed answer does not make the request a duplicate', message(), ctx({ seen: [`accept:${REQUEST_ID}`] }), 'duplicates are per kind and id'),
    { name: 'an empty greeting means none', why: 'a present empty string decodes as absent', bytes: hex(signedFields([...base.slice(0, 4), { n: 5, bytes: new Uint8Array(0) }, ...base.slice(4)])), context: ctx(), expect: accepted(message()) },
    { name: 'an accept with an empty greeting', why: 'empty is absent, so no greeting on an answer', bytes: hex(signedFields([...replace(base, 1, { n: 1, varint: 2n }).slice(0, 4), { n: 5, bytes: new Uint8Array(0) }, ...base.slice(4)])), context: ctx(), expect: accepted(message({ kind: 'accept' })) },
    { name: 'unknown fields are ignored', bytes: hex(signedFields([...base, { n: 9, bytes: utf8('later') }])), context: ctx(), expect: accepted(message()) },
    valid('request with reply addresses', message({ replyAddrs: REPLY_ADDRS }), ctx(), 'where the sender can be reached for the answer (§8.7)'),
    valid('request from its signer, over the signer\'s connection', message(), ctx({ sender: 'A' }), 'sender = signer'),
    valid('request signed by A through B\'s contact-code intake', message(), ctx({ intake: true }), 'an intake carries any signer\'s request'),

    refusal('2,049 bytes', 'checked before decoding', signedFields([...base, { n: 15, bytes: new Uint8Array(pad) }]), 'oversize'),
    refusal('not an envelope', 'the envelope does not decode', Uint8Array.of(0x0a, 0x05, 0x01), 'malformed'),
    refusal('presence payload type', 'the payload type must be 0x706301', signed(A, DOMAIN, Uint8Array.of(0x70, 0x6d, 0x01), encodeFields(base)), 'wrong-payload-type'),
    refusal('secp256k1 key', 'only Ed25519', envelope(encodeFields([{ n: 1, varint: 2n }, { n: 2, bytes: new Uint8Array(33).fill(2) }]), PC, encodeFields(base), new Uint8Array(64)), 'unsupported-key'),
    refusal('kind 6', 'an undeclared enum value is malformed', signedFields(replace(base, 1, { n: 1, varint: 6n })), 'malformed'),
    refusal('greeting not UTF-8', 'strings are strict UTF-8', signedFields([...base, { n: 5, bytes: Uint8Array.of(0xff) }]), 'malformed'),
    refusal('from C, signed by A', 'from = signer', signedFields(fields(message({ from: C.peerId.toString() }))), 'signer-mismatch'),
    refusal('signed by A, over C\'s connection', 'the signer must be the connection\'s peer (§8.4)', good, 'wrong-sender', ctx({ sender: 'C' })),
    refusal('an accept through an intake', 'an intake carries requests only (§8.7)', signedFields(fields(message({ kind: 'accept' }))), 'wrong-sender', ctx({ intake: true })),
    refusal('to C, received by B', 'a message cannot be redirected', signedFields(fields(message({ to: C.peerId.toString() }))), 'wrong-recipient'),
    refusal('kind absent (0)', 'declared but unspecified', signedFields(replace(base, 1, undefined)), 'invalid-field'),
    refusal('request id of 15 bytes', 'exactly 16 bytes', signedFields(fields(message({ requestId: REQUEST_ID.slice(2) }))), 'invalid-field'),
    refusal('request id of 17 bytes', 'exactly 16 bytes', signedFields(fields(message({ requestId: REQUEST_ID + '10' }))), 'invalid-field'),
    refusal('a greeting on an accept', 'only REQUEST carries one', signedFields(fields(message({ kind: 'accept', greeting: 'hi' }))), 'invalid-field'),
    refusal('a greeting on a remove', 'only REQUEST carries one', signedFields(fields(message({ kind: 'remove', greeting: 'bye' }))), 'invalid-field'),
    refusal('greeting of 281 code points', 'limit 280', signedFields(fields(message({ greeting: 'x'.repeat(281) }))), 'invalid-field'),
    refusal('reply addresses on an accept', 'only REQUEST carries them', signedFields(fields(message({ kind: 'accept', replyAddrs: REPLY_ADDRS.slice(0, 1) }))), 'invalid-field'),
    refusal('5 reply addresses', 'at most 4', signedFields(fields(message({ replyAddrs: [...REPLY_ADDRS, ...REPLY_ADDRS, REPLY_ADDRS[0]] }))), 'invalid-field'),
    refusal('a reply address of 129 bytes', 'each at most 128 bytes', signedFields(fields(message({ replyAddrs: ['00'.repeat(129)] }))), 'invalid-field'),
    refusal('sent_at 2^53', 'times are at most 2^53 - 1', signedFields(fields(message({ sentAt: 2 ** 53 }))), 'invalid-field', ctx({ now: MAX_TIME_MS - 1_000 })),
    refusal('sent 5 min + 1 ms ahead', 'sent_at <= now + 5 min', signedFields(fields(message({ sentAt: NOW + 300_001 }))), 'future'),
    refusal('sent 30 days + 1 ms ago', 'sent_at >= now - 30 days', signedFields(fields(message({ sentAt: NOW - 30 * DAY - 1 }))), 'expired'),
    refusal('already processed', 'messageKey = kind:hex(request_id)', good, 'duplicate', ctx({ seen: [`request:${REQUEST_ID}`] })),
    refusal('one bit of the signature flipped', 'checked last', flipped, 'bad-signature'),
    refusal('signed in the presence domain', 'the domain is signed', envelope(ed25519KeyProto(A.publicKey), PC, encodeFields(fields(m)), signed(A, 'presence-mesh-presence', PC, encodeFields(fields(m))).subarray(-64)), 'bad-signature')
  ]

  const receipt = (name: string, r: { requestId: string, kind?: keyof typeof KIND, accepted: boolean, retryLater?: boolean }, bytes: string, why?: string): VectorCase =>
    ({ name, why, encode: r, bytes, expect: accepted(r) })
  const receipts: VectorCase[] = [
    receipt('a request stored now', { requestId: REQUEST_ID, kind: 'request', accepted: true }, `0a10${REQUEST_ID}10011801`, 'request_id and kind repeat the message'),
    receipt('an accept stored now', { requestId: REQUEST_ID, kind: 'accept', accepted: true }, `0a10${REQUEST_ID}10021801`),
    receipt('a remove stored now', { requestId: REQUEST_ID, kind: 'remove', accepted: true }, `0a10${REQUEST_ID}10051801`),
    receipt('a duplicate', { requestId: '', accepted: true }, '1801', 'no id and no kind; accepted, so the sender stops'),
    receipt('a refused message', { requestId: '', accepted: false }, '', 'every field at its default: zero bytes (a length prefix of 0)'),
    receipt('try again later', { requestId: '', accepted: false, retryLater: true }, '2001', 'not stored now (a full quota, a sender too fast): send it again later'),
    { name: 'retry_later on a stored message means nothing', why: 'retry_later counts only with accepted = false', bytes: `0a10${REQUEST_ID}100118012001`, expect: accepted({ requestId: REQUEST_ID, kind: 'request', accepted: true }) },
    { name: 'unknown fields are ignored', bytes: `1801${hex(encodeFields([{ n: 9, varint: 1n }]))}`, expect: accepted({ requestId: '', accepted: true }) },
    { name: 'kind 7', why: 'an undeclared enum value is malformed', bytes: '1007', expect: refused('malformed') },
    { name: 'accepted = 2', why: 'a bool is 0 or 1', bytes: '1802', expect: refused('malformed') },
    { name: '257 bytes', why: 'receipts are at most 256 bytes', bytes: hex(encodeFields([{ n: 9, bytes: new Uint8Array(254) }])), expect: refused('oversize') }
  ]
  const oversize = receipts.find(r => r.name === '257 bytes')!
  if (oversize.bytes!.length / 2 !== 257) throw new Error(`the oversize receipt is ${oversize.bytes!.length / 2} bytes`)

  return await verified({
    type: 'contact',
    spec: 'docs/protocol.md §8.4',
    description: 'Contact messages from A to B and the receipts B answers with. messages: sealContactMessage(message, key of signer) must give bytes; openContactMessage(bytes, {now, me, seen, sender, intake}) must give expect (seen lists messageKey()s already processed; sender names the connection\'s peer when the message must come from its signer; intake: it came through a contact code\'s intake, §8.7). receipts: the ContactReceipt protobuf, both ways (each is sent with an unsigned-varint length prefix).',
    identities: { A: identityJson(A), B: identityJson(B), C: identityJson(C) },
    sections: { messages, receipts }
  })
}
