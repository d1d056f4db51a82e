/**
 * Vectors of several devices (docs/protocol.md §14): device certificates,
 * device lists, link requests and link codes, built by hand (a protobuf field
 * writer, @noble/curves, node:crypto), independently of protocol/.
 * A is the person key (its first device), B a device A linked, C a third
 * party (the code's intake identity in the requests, or an attacker).
 */
import { createHash, hkdfSync } from 'node:crypto'
import { peerIdFromPublicKey } from '@libp2p/peer-id'
import { publicKeyFromRaw } from '@libp2p/crypto/keys'
import { ed25519 } from '@noble/curves/ed25519.js'
import { A, accepted, B, base32, C, hex, identityJson, NOW, refused, utf8, verified } from './common.js'
import { encodeFields, envelope, signed } from './envelopes.js'
import type { Identity, VectorCase, VectorFile } from './common.js'
import type { Field } from './envelopes.js'

const CERT_DOMAIN = 'presence-mesh-device-cert'
const LIST_DOMAIN = 'presence-mesh-device-list'
const LINK_DOMAIN = 'presence-mesh-link'
const PK = Uint8Array.of(0x70, 0x6b, 0x01)
const PD = Uint8Array.of(0x70, 0x64, 0x01)
const PI = Uint8Array.of(0x70, 0x69, 0x01)
const flip = (b: Uint8Array): Uint8Array => { const c = b.slice(); c[c.byteLength - 1] ^= 1; return c }

function requestFields (to: Identity, intake: Identity, name: string, sentAt: number): Field[] {
  return [{ n: 1, bytes: to.multihash }, { n: 2, bytes: intake.multihash }, { n: 3, bytes: utf8(name) }, { n: 4, varint: BigInt(sentAt) }]
}
const request = (by: Identity, f: Field[]): Uint8Array => signed(by, LINK_DOMAIN, PI, encodeFields(f))

function certFields (person: Identity, device: Identity, name: string, issuedAt: number, epoch: bigint, consent?: Uint8Array): Field[] {
  const f: Field[] = [{ n: 1, bytes: person.multihash }, { n: 2, bytes: device.multihash }, { n: 3, bytes: utf8(name) }, { n: 4, varint: BigInt(issuedAt) }]
  if (epoch !== 0n) f.push({ n: 5, varint: epoch })
  if (consent != null) f.push({ n: 6, bytes: consent })
  return f
}
const cert = (by: Identity, f: Field[]): Uint8Array => signed(by, CERT_DOMAIN, PK, encodeFields(f))

function listFields (person: Identity, epoch: bigint, issuedAt: number, certs: Uint8Array[], revoked: Identity[]): Field[] {
  return [{ n: 1, bytes: person.multihash }, { n: 2, varint: epoch }, { n: 3, varint: BigInt(issuedAt) },
    ...certs.map(c => ({ n: 4, bytes: c })), ...revoked.map(r => ({ n: 5, bytes: r.multihash }))]
}
const list = (by: Identity, f: Field[]): Uint8Array => signed(by, LIST_DOMAIN, PD, encodeFields(f))

/** Pads an envelope with an unknown field of its own until it is exactly `size` bytes. */
function padTo (size: number, make: (pad: Uint8Array) => Uint8Array): Uint8Array {
  for (let n = 0; n < size; n++) {
    const b = make(new Uint8Array(n))
    if (b.byteLength === size) return b
  }
  throw new Error(`cannot pad to ${size}`)
}

export async function deviceVectors (): Promise<VectorFile> {
  const consentB = request(B, requestFields(A, C, 'phone', NOW))
  const certA = cert(A, certFields(A, A, 'laptop', NOW, 1n))
  const certB = cert(A, certFields(A, B, 'phone', NOW + 1000, 2n, consentB))
  const decodedA = { person: A.peerId.toString(), device: A.peerId.toString(), name: 'laptop', issuedAt: NOW, epoch: '1' }
  const decodedB = { person: A.peerId.toString(), device: B.peerId.toString(), name: 'phone', issuedAt: NOW + 1000, epoch: '2' }
  const forA = { expectedPerson: A.peerId.toString() }
  const bad = (name: string, why: string, bytes: Uint8Array, reason: string, context: Record<string, unknown> = forA): VectorCase => ({ name, why, bytes: hex(bytes), context, expect: refused(reason) })

  const certificates: VectorCase[] = [
    { name: 'the person key\'s own device', why: 'no consent: device = person', encode: { signer: 'A', device: A.peerId.toString(), name: 'laptop', issuedAt: NOW, epoch: '1' }, bytes: hex(certA), context: forA, expect: accepted(decodedA) },
    { name: 'a linked device with its consent', encode: { signer: 'A', device: B.peerId.toString(), name: 'phone', issuedAt: NOW + 1000, epoch: '2', consent: hex(consentB) }, bytes: hex(certB), context: { ...forA, expectedDevice: B.peerId.toString() }, expect: accepted(decodedB) },
    { name: 'an unknown field', why: 'skipped (§0.3)', bytes: hex(cert(A, [...certFields(A, A, 'laptop', NOW, 1n), { n: 9, varint: 1n }])), expect: accepted(decodedA) },
    bad('1,025 bytes', 'checked before decoding', padTo(1025, p => signed(A, CERT_DOMAIN, PK, encodeFields(certFields(A, A, 'laptop', NOW, 1n)), [{ n: 9, bytes: p }])), 'oversize'),
    bad('not an envelope', 'does not decode', Uint8Array.of(0x0a, 0x05, 0x01), 'malformed'),
    bad('name given twice', 'a singular field occurs once', cert(A, [...certFields(A, A, 'laptop', NOW, 1n), { n: 3, bytes: utf8('x') }]), 'malformed'),
    bad('the device list\'s payload type', 'the payload type must be 0x706b01', signed(A, CERT_DOMAIN, PD, encodeFields(certFields(A, A, 'laptop', NOW, 1n))), 'wrong-payload-type'),
    bad('secp256k1 key', 'only Ed25519', envelope(encodeFields([{ n: 1, varint: 2n }, { n: 2, bytes: new Uint8Array(33).fill(2) }]), PK, encodeFields(certFields(A, A, 'laptop', NOW, 1n)), new Uint8Array(64)), 'unsupported-key'),
    bad('person B, signed by A', 'person = signer', cert(A, certFields(B, A, 'laptop', NOW, 1n)), 'signer-mismatch'),
    bad('C\'s own device, where A\'s was expected', 'the expected person', cert(C, certFields(C, C, 'x', NOW, 1n)), 'wrong-person'),
    bad('B\'s certificate, where C\'s was expected', 'the expected device', certB, 'wrong-device', { ...forA, expectedDevice: C.peerId.toString() }),
    bad('epoch 0', 'at least 1', cert(A, certFields(A, A, 'laptop', NOW, 0n)), 'invalid-field'),
    bad('a name with a line break', 'one line', cert(A, certFields(A, A, 'lap\ntop', NOW, 1n)), 'invalid-field'),
    bad('a name of 33 characters', 'at most 32 code points', cert(A, certFields(A, A, 'x'.repeat(33), NOW, 1n)), 'invalid-field'),
    bad('B without a consent', 'every device but the person key\'s own has one', cert(A, certFields(A, B, 'phone', NOW, 2n)), 'invalid-field'),
    bad('the person key\'s own device with a consent', 'and only those', cert(A, certFields(A, A, 'laptop', NOW, 1n, consentB)), 'invalid-field'),
    bad('B\'s certificate with C\'s consent', 'a person key cannot claim a device that did not ask', cert(A, certFields(A, B, 'phone', NOW, 2n, request(C, requestFields(A, C, 'phone', NOW)))), 'bad-consent'),
    bad('B\'s consent to another person', 'the consent names the person key', cert(A, certFields(A, B, 'phone', NOW, 2n, request(B, requestFields(C, C, 'phone', NOW)))), 'bad-consent'),
    bad('one bit of the signature flipped', 'the person key\'s signature', flip(certB), 'bad-signature'),
    bad('one bit of the consent\'s signature flipped', 'checked last', cert(A, certFields(A, B, 'phone', NOW, 2n, flip(consentB))), 'bad-consent')
  ]

  const listAB = list(A, listFields(A, 2n, NOW + 1000, [certA, certB], []))
  const decodedList = { person: A.peerId.toString(), epoch: '2', issuedAt: NOW + 1000, devices: [decodedA, decodedB], revoked: [] }
  const lists: VectorCase[] = [
    { name: 'A\'s laptop and phone', encode: { signer: 'A', epoch: '2', issuedAt: NOW + 1000, certificates: [hex(certA), hex(certB)], revoked: [] }, bytes: hex(listAB), context: { expectedPerson: A.peerId.toString(), lastEpoch: '1' }, expect: accepted(decodedList) },
    { name: 'the phone revoked', encode: { signer: 'A', epoch: '3', issuedAt: NOW + 2000, certificates: [hex(certA)], revoked: [B.peerId.toString()] }, bytes: hex(list(A, listFields(A, 3n, NOW + 2000, [certA], [B]))), context: { lastEpoch: '2' }, expect: accepted({ person: A.peerId.toString(), epoch: '3', issuedAt: NOW + 2000, devices: [decodedA], revoked: [B.peerId.toString()] }) },
    bad('16,385 bytes', 'checked before decoding', padTo(16385, p => signed(A, LIST_DOMAIN, PD, encodeFields(listFields(A, 2n, NOW, [certA], [])), [{ n: 9, bytes: p }])), 'oversize', {}),
    bad('person B, signed by A', 'person = signer', list(A, listFields(B, 2n, NOW, [certA], [])), 'signer-mismatch', {}),
    bad('A\'s list where B\'s was expected', 'the expected person', listAB, 'wrong-person', { expectedPerson: B.peerId.toString() }),
    bad('no device', '1 to 16', list(A, listFields(A, 2n, NOW, [], [])), 'invalid-field', {}),
    bad('B listed and revoked', 'a listed device is not revoked', list(A, listFields(A, 2n, NOW, [certA, certB], [B])), 'invalid-field', {}),
    bad('a certificate of C\'s in A\'s list', 'every certificate is the list\'s person\'s', list(A, listFields(A, 2n, NOW, [certA, cert(C, certFields(C, C, 'x', NOW, 1n))], [])), 'bad-certificate', {}),
    bad('a certificate newer than the list', 'each certificate\'s epoch is at most the list\'s', list(A, listFields(A, 1n, NOW, [certA, certB], [])), 'bad-certificate', {}),
    bad('the epoch held already', 'a list replaces only an older one', listAB, 'replay', { lastEpoch: '2' }),
    bad('one bit of the signature flipped', 'the list\'s signature', flip(listAB), 'bad-signature', {}),
    bad('a certificate whose signature is flipped', 'checked after the list\'s', list(A, listFields(A, 2n, NOW, [certA, flip(certB)], [])), 'bad-certificate', {})
  ]

  const ctx = { me: A.peerId.toString(), intake: C.peerId.toString(), now: NOW }
  const reqOk = { device: B.peerId.toString(), to: A.peerId.toString(), intake: C.peerId.toString(), name: 'phone', sentAt: NOW }
  const linkRequests: VectorCase[] = [
    { name: 'B asks A through the code\'s intake C', encode: { signer: 'B', to: A.peerId.toString(), intake: C.peerId.toString(), name: 'phone', sentAt: NOW }, bytes: hex(consentB), context: ctx, expect: accepted(reqOk) },
    { name: 'sent 5 minutes ahead', why: 'within the skew', bytes: hex(request(B, requestFields(A, C, 'phone', NOW + 300_000))), context: ctx, expect: accepted({ ...reqOk, sentAt: NOW + 300_000 }) },
    bad('513 bytes', 'checked before decoding', padTo(513, p => signed(B, LINK_DOMAIN, PI, encodeFields(requestFields(A, C, 'phone', NOW)), [{ n: 9, bytes: p }])), 'oversize', ctx),
    bad('a device certificate', 'the payload type must be 0x706901', certA, 'wrong-payload-type', ctx),
    bad('to C', 'the receiver', request(B, requestFields(C, C, 'phone', NOW)), 'wrong-recipient', ctx),
    bad('through another intake', 'the connection\'s peer', consentB, 'wrong-intake', { ...ctx, intake: B.peerId.toString() }),
    bad('no name', 'a device name', request(B, requestFields(A, C, '', NOW)), 'invalid-field', ctx),
    bad('sent 5 minutes and 1 ms ahead', 'at most 5 minutes', request(B, requestFields(A, C, 'phone', NOW + 300_001)), 'future', ctx),
    bad('sent 5 minutes and 1 ms ago', 'at most 5 minutes', request(B, requestFields(A, C, 'phone', NOW - 300_001)), 'expired', ctx),
    bad('one bit of the signature flipped', 'checked last', flip(consentB), 'bad-signature', ctx)
  ]

  const secret = new Uint8Array(16).fill(0x11)
  const check = createHash('sha256').update(utf8('presence-mesh/link/v1')).update(A.multihash).update(secret).digest().subarray(0, 2)
  const codeText = `pml1:${A.peerId.toString()}:${base32(Uint8Array.from([...secret, ...check]))}@/ip4/127.0.0.1/tcp/4801,/ip6/::1/tcp/4801`
  const seed = new Uint8Array(hkdfSync('sha256', secret, utf8('presence-mesh/link/v1'), Uint8Array.from([...utf8('intake-identity'), ...A.multihash]), 32))
  const intake = peerIdFromPublicKey(publicKeyFromRaw(ed25519.getPublicKey(seed))).toString()
  const parsed = { peer: A.peerId.toString(), secret: hex(secret), addrs: ['/ip4/127.0.0.1/tcp/4801', '/ip6/::1/tcp/4801'], intake }
  const code = (name: string, why: string, text: string, reason: string): VectorCase => ({ name, why, bytes: hex(utf8(text)), expect: refused(reason) })
  const [head] = codeText.split('@')
  const linkCodes: VectorCase[] = [
    { name: 'A\'s code with two addresses', encode: { owner: 'A', secret: hex(secret), addrs: parsed.addrs }, bytes: hex(utf8(codeText)), expect: accepted(parsed) },
    { name: 'upper case, white space, /p2p/ of A', why: 'forgiven', bytes: hex(utf8(`  ${codeText.replace('pml1', 'PML1').replace(head.split(':')[2], head.split(':')[2].toUpperCase())}/p2p/${A.peerId.toString()}\n`)), expect: accepted(parsed) },
    code('a contact code', 'another prefix', `pmc1:${A.peerId.toString()}:${head.split(':')[2]}`, 'not-a-code'),
    code('a peer id cut short', 'a canonical Ed25519 peer id', codeText.replace(A.peerId.toString(), A.peerId.toString().slice(0, -1)), 'bad-peer-id'),
    code('a secret cut short', '29 base32 characters', codeText.replace(`${head.split(':')[2]}@`, `${head.split(':')[2].slice(1)}@`), 'bad-secret'),
    code('B\'s peer id with A\'s check', 'the check binds the peer id', codeText.replace(A.peerId.toString(), B.peerId.toString()), 'checksum'),
    code('no address', '1 to 4', head, 'bad-address'),
    code('an address of B\'s', 'a trailing /p2p/ names the code\'s peer', `${head}@/ip4/127.0.0.1/tcp/1/p2p/${B.peerId.toString()}`, 'bad-address')
  ]

  return await verified({
    type: 'devices',
    spec: 'docs/protocol.md §14',
    description: 'Several devices. certificates: sealDeviceCertificate({device, name, issuedAt, epoch, consent}, key of signer) must give bytes; openDeviceCertificate(bytes, context) must give expect. lists: sealDeviceList({epoch, issuedAt, certificates, revoked}, key of signer); openDeviceList(bytes, {expectedPerson, lastEpoch}). link-requests: sealLinkRequest({to, intake, name, sentAt}, key of signer); openLinkRequest(bytes, {me, intake, now}). link-codes: bytes are the UTF-8 of the code; formatLinkCode({peer of owner, secret, addrs}) must give it; parseLinkCode must give expect, with the peer id of the intake identity derived from the secret (§14.5). Epochs are decimal strings.',
    identities: { A: identityJson(A), B: identityJson(B), C: identityJson(C) },
    sections: { certificates, lists, 'link-requests': linkRequests, 'link-codes': linkCodes }
  })
}
