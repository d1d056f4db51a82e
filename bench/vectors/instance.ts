/** Vectors of the frames of /presence-mesh/instance/1.0.0 (docs/protocol.md §13). */
import { A, accepted, B, hex, identityJson, NOW, refused, verified } from './common.js'
import { ed25519KeyProto, encodeFields, envelope, signed } from './envelopes.js'
import type { Field } from './envelopes.js'
import type { VectorCase, VectorFile } from './common.js'

const DOMAIN = 'presence-mesh-instance'
const PN = Uint8Array.of(0x70, 0x6e, 0x01)
const INSTANCE = '0f'.repeat(16)
const OTHER = 'f0'.repeat(16)
const CHALLENGE = 'c1'.repeat(32)
const unhex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'))
const frame = (f: Field[]): string => hex(encodeFields(f))
const flip = (b: Uint8Array): Uint8Array => { const c = b.slice(); c[c.byteLength - 1] ^= 1; return c }
/** /ip4/16.0.0.5/tcp/4001, written out. */
const ADDR = Uint8Array.of(0x04, 16, 0, 0, 5, 0x06, 0x0f, 0xa1)

function statementFields (peer: typeof A, instance = OTHER, startedAt = NOW, challenge = CHALLENGE): Field[] {
  return [{ n: 1, bytes: peer.multihash }, { n: 2, bytes: unhex(instance) }, { n: 3, varint: BigInt(startedAt) }, { n: 4, bytes: unhex(challenge) }]
}
const statement = (f: Field[], by = A): Uint8Array => signed(by, DOMAIN, PN, encodeFields(f))

export async function instanceVectors (): Promise<VectorFile> {
  const hello: Field[] = [{ n: 1, bytes: unhex(INSTANCE) }, { n: 2, bytes: unhex(CHALLENGE) }]
  const hellos: VectorCase[] = [
    { name: 'a hello', encode: { instance: INSTANCE, challenge: CHALLENGE }, bytes: frame(hello), expect: accepted({ instance: INSTANCE, challenge: CHALLENGE }) },
    { name: 'unknown fields are ignored', bytes: frame([...hello, { n: 5, varint: 1n }]), expect: accepted({ instance: INSTANCE, challenge: CHALLENGE }) },
    { name: '513 bytes', why: 'an instance frame is at most 512 bytes', bytes: frame([...hello, { n: 5, bytes: new Uint8Array(513 - 52 - 3) }]), expect: refused('oversize') },
    { name: 'instance given twice', why: 'a singular field occurs at most once', bytes: frame([...hello, hello[0]]), expect: refused('malformed') },
    { name: 'an instance of 15 bytes', why: 'exactly 16 bytes', bytes: frame([{ n: 1, bytes: unhex(INSTANCE).subarray(1) }, hello[1]]), expect: refused('invalid-field') },
    { name: 'no challenge', why: 'exactly 32 bytes', bytes: frame([hello[0]]), expect: refused('invalid-field') }
  ]
  if (hellos[2].bytes!.length / 2 !== 513) throw new Error('the oversize hello is not 513 bytes')

  const theirs = statement(statementFields(A))
  const probes: VectorCase[] = [
    { name: 'sign this challenge', encode: { kind: 'sign', challenge: CHALLENGE }, bytes: frame([{ n: 1, bytes: unhex(CHALLENGE) }]), expect: accepted({ kind: 'sign', challenge: CHALLENGE }) },
    { name: 'a duplicate, with the other\'s address', encode: { kind: 'duplicate', statement: hex(theirs), otherAddr: hex(ADDR) }, bytes: frame([{ n: 2, bytes: theirs }, { n: 3, bytes: ADDR }]), expect: accepted({ kind: 'duplicate', statement: hex(theirs), otherAddr: hex(ADDR) }) },
    { name: 'a duplicate without an address', encode: { kind: 'duplicate', statement: hex(theirs) }, bytes: frame([{ n: 2, bytes: theirs }]), expect: accepted({ kind: 'duplicate', statement: hex(theirs) }) },
    { name: 'sign and duplicate together', why: 'exactly one', bytes: frame([{ n: 1, bytes: unhex(CHALLENGE) }, { n: 2, bytes: theirs }]), expect: refused('invalid-field') },
    { name: 'neither', why: 'exactly one', bytes: '', expect: refused('invalid-field') },
    { name: 'a challenge of 33 bytes', why: 'exactly 32', bytes: frame([{ n: 1, bytes: new Uint8Array(33) }]), expect: refused('invalid-field') },
    { name: 'an address with sign', why: 'only a duplicate names the other', bytes: frame([{ n: 1, bytes: unhex(CHALLENGE) }, { n: 3, bytes: ADDR }]), expect: refused('invalid-field') },
    { name: 'an address of 129 bytes', why: 'at most 128', bytes: frame([{ n: 2, bytes: theirs }, { n: 3, bytes: new Uint8Array(129) }]), expect: refused('invalid-field') },
    { name: 'sign with the wrong wire type', why: 'field 1 is bytes', bytes: frame([{ n: 1, varint: 1n }]), expect: refused('malformed') }
  ]

  const ctx = { expectedPeer: A.peerId.toString(), challenge: CHALLENGE }
  const good = statementFields(A)
  const bad = (name: string, why: string, bytes: Uint8Array, reason: string, context: Record<string, unknown> = ctx): VectorCase => ({ name, why, bytes: hex(bytes), context, expect: refused(reason) })
  let pad = 0
  while (statement([...good, { n: 9, bytes: new Uint8Array(pad) }]).byteLength < 513) pad++
  const statements: VectorCase[] = [
    { name: 'the other instance of A signed our challenge', encode: { signer: 'A', statement: { instance: OTHER, startedAt: NOW, challenge: CHALLENGE } }, bytes: hex(theirs), context: ctx, expect: accepted({ peer: A.peerId.toString(), instance: OTHER, startedAt: NOW, challenge: CHALLENGE }) },
    { name: 'our own instance', why: 'decodes; the same node twice is no duplicate, which the receiver sees', bytes: hex(statement(statementFields(A, INSTANCE))), context: ctx, expect: accepted({ peer: A.peerId.toString(), instance: INSTANCE, startedAt: NOW, challenge: CHALLENGE }) },
    bad('513 bytes', 'checked before decoding', statement([...good, { n: 9, bytes: new Uint8Array(pad) }]), 'oversize'),
    bad('not an envelope', 'the envelope does not decode', Uint8Array.of(0x0a, 0x05, 0x01), 'malformed'),
    bad('the presence payload type', 'the payload type must be 0x706e01', signed(A, DOMAIN, Uint8Array.of(0x70, 0x6d, 0x01), encodeFields(good)), 'wrong-payload-type'),
    bad('secp256k1 key', 'only Ed25519', envelope(encodeFields([{ n: 1, varint: 2n }, { n: 2, bytes: new Uint8Array(33).fill(2) }]), PN, encodeFields(good), new Uint8Array(64)), 'unsupported-key'),
    bad('peer B, signed by A', 'peer = signer', statement(statementFields(B)), 'signer-mismatch'),
    bad('B\'s statement', 'only a holder of our own key speaks for our peer id', statement(statementFields(B), B), 'wrong-peer'),
    bad('an instance of 17 bytes', 'exactly 16', statement(statementFields(A, OTHER + '00')), 'invalid-field'),
    bad('started_at 0', 'a time is set', statement(statementFields(A, OTHER, 0)), 'invalid-field'),
    bad('over another challenge', 'the receiver\'s challenge of this stream: an old statement cannot be replayed', statement(statementFields(A, OTHER, NOW, 'c2'.repeat(32))), 'wrong-challenge'),
    bad('one bit of the signature flipped', 'checked last', flip(theirs), 'bad-signature'),
    bad('signed in the contact domain', 'the domain is signed', envelope(ed25519KeyProto(A.publicKey), PN, encodeFields(good), signed(A, 'presence-mesh-contact', PN, encodeFields(good)).subarray(-64)), 'bad-signature')
  ]
  if (statements[2].bytes!.length / 2 !== 513) throw new Error(`the oversize statement is ${statements[2].bytes!.length / 2} bytes`)

  return await verified({
    type: 'instance',
    spec: 'docs/protocol.md §13',
    description: 'Duplicate identity probes. hellos (instance -> prober) and probes (prober -> instance): the protobufs without their length prefix, both ways. statements: sealInstanceStatement(statement, key of signer) must give bytes; openInstanceStatement(bytes, {expectedPeer, challenge}) must give expect.',
    identities: { A: identityJson(A), B: identityJson(B) },
    sections: { hellos, probes, statements }
  })
}
