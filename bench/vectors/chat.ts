/** Vectors of chat frames (docs/protocol.md §7.2). */
import { accepted, hex, refused, utf8, verified } from './common.js'
import { encodeFields } from './envelopes.js'
import type { Field } from './envelopes.js'
import type { VectorCase, VectorFile } from './common.js'

const KIND = { text: 1, delivered: 2, read: 3, typing: 4 } as const
const ID = '101112131415161718191a1b1c1d1e1f'
const REF = '202122232425262728292a2b2c2d2e2f'
const SENT = 1_800_000_000_000

interface FrameJson { kind: keyof typeof KIND, id: string, sentAt: number, text?: string, ref?: string }

const frame = (over: Partial<FrameJson> & Pick<FrameJson, 'kind'>): FrameJson => ({ id: ID, sentAt: SENT, ...over })

function fields (f: FrameJson): Field[] {
  return [
    { n: 1, bytes: Uint8Array.from(Buffer.from(f.id, 'hex')) },
    { n: 2, varint: BigInt(KIND[f.kind]) },
    { n: 3, varint: BigInt(f.sentAt) },
    ...(f.text != null ? [{ n: 4, bytes: utf8(f.text) }] : []),
    ...(f.ref != null ? [{ n: 5, bytes: Uint8Array.from(Buffer.from(f.ref, 'hex')) }] : [])
  ]
}

const bytesOf = (f: Field[]): string => hex(encodeFields(f))
const replace = (f: Field[], n: number, by: Field | undefined): Field[] => f.flatMap(x => x.n === n ? (by != null ? [by] : []) : [x])
const valid = (name: string, f: FrameJson, why?: string): VectorCase => ({ name, why, encode: { frame: f }, bytes: bytesOf(fields(f)), expect: accepted(f) })
const refusal = (name: string, why: string, f: Field[] | Uint8Array, reason: string): VectorCase =>
  ({ name, why, bytes: f instanceof Uint8Array ? hex(f) : bytesOf(f), expect: refused(reason) })

export async function chatVectors (): Promise<VectorFile> {
  const text = fields(frame({ kind: 'text', text: 'héllo 👋' }))
  const longest = frame({ kind: 'text', text: '😀'.repeat(1_000) })
  const frames: VectorCase[] = [
    valid('text', frame({ kind: 'text', text: 'héllo 👋' })),
    valid('text of 4,000 bytes', longest, 'the body limit is inclusive'),
    valid('delivered', frame({ kind: 'delivered', ref: REF })),
    valid('read', frame({ kind: 'read', ref: REF })),
    valid('typing', frame({ kind: 'typing' })),
    valid('sent_at 2^53 - 1', frame({ kind: 'typing', sentAt: Number.MAX_SAFE_INTEGER })),
    { name: 'unknown fields are ignored', bytes: bytesOf([...text, { n: 9, varint: 1n }]), expect: accepted(frame({ kind: 'text', text: 'héllo 👋' })) },
    { name: 'a text starting with U+FEFF keeps it', why: 'no BOM stripping', bytes: bytesOf(fields(frame({ kind: 'text', text: '\ufeffhi' }))), expect: accepted(frame({ kind: 'text', text: '\ufeffhi' })) },
    refusal('4,097 bytes', 'frames are at most 4,096 bytes', [...text, { n: 9, bytes: new Uint8Array(4_097 - encodeFields(text).byteLength - 3) }], 'oversize'),
    refusal('not protobuf', 'does not decode', Uint8Array.of(0xff, 0xff), 'malformed'),
    refusal('kind 5', 'an undeclared enum value is malformed', replace(text, 2, { n: 2, varint: 5n }), 'malformed'),
    refusal('id given twice', 'a singular field occurs at most once', [...text, { n: 1, bytes: new Uint8Array(16) }], 'malformed'),
    refusal('body with the wrong wire type', 'field 4 is bytes', replace(text, 4, { n: 4, varint: 1n }), 'malformed'),
    refusal('id of 15 bytes', 'exactly 16', replace(text, 1, { n: 1, bytes: new Uint8Array(15) }), 'bad-id'),
    refusal('kind absent (0)', 'declared but unspecified', replace(text, 2, undefined), 'bad-kind'),
    refusal('sent_at 0', 'sent_at > 0', replace(text, 3, undefined), 'bad-sent-at'),
    refusal('sent_at 2^53', 'times are at most 2^53 - 1', replace(text, 3, { n: 3, varint: 2n ** 53n }), 'bad-sent-at'),
    refusal('empty text', '1 to 4,000 bytes', replace(text, 4, undefined), 'bad-body'),
    refusal('text of 4,001 bytes', 'at most 4,000 bytes', replace(text, 4, { n: 4, bytes: utf8('x'.repeat(4_001)) }), 'bad-body'),
    refusal('text not UTF-8', 'the body is strict UTF-8', replace(text, 4, { n: 4, bytes: Uint8Array.of(0xed, 0xa0, 0x80) }), 'bad-body'),
    refusal('typing with a body', 'only TEXT has one', [...fields(frame({ kind: 'typing' })), { n: 4, bytes: utf8('x') }], 'bad-body'),
    refusal('text with a ref', 'only DELIVERED and READ have one', [...text, { n: 5, bytes: new Uint8Array(16) }], 'bad-ref'),
    refusal('read without a ref', 'exactly 16 bytes', fields(frame({ kind: 'read' })), 'bad-ref'),
    refusal('delivered with a ref of 17 bytes', 'exactly 16 bytes', fields(frame({ kind: 'delivered', ref: REF + '30' })), 'bad-ref')
  ]
  if (frames[8].bytes!.length / 2 !== 4_097) throw new Error(`the oversize frame is ${frames[8].bytes!.length / 2} bytes`)
  return await verified({
    type: 'chat',
    spec: 'docs/protocol.md §7.2',
    description: 'Chat frames without their unsigned-varint length prefix. encodeChatFrame(frame) must give bytes; decodeChatFrame(bytes) must give expect.',
    sections: { frames }
  })
}
