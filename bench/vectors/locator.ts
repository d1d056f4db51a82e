/** Vectors of locator records (docs/protocol.md §8.6). */
import { multiaddr } from '@multiformats/multiaddr'
import { MAX_TIME_MS } from '../../protocol/limits.js'
import { derivePairKeys, locatorDhtKey, pairSharedSecret } from '../../protocol/pair-keys.js'
import { A, accepted, B, C, hex, identityJson, NOW, refused, verified } from './common.js'
import { encodeFields, envelope, signed } from './envelopes.js'
import { box, nonce, plaintext } from './sealed-presence.js'
import type { Field } from './envelopes.js'
import type { Identity, VectorCase, VectorFile } from './common.js'

const DOMAIN = 'presence-mesh-locator'
const PL = Uint8Array.of(0x70, 0x6c, 0x01)
const HOUR = 3_600_000

interface LocatorJson { publisher: string, audience: string, addrs: string[], seq: string, issuedAt: number, expiresAt: number }

const ADDRS = ['/ip4/127.0.0.1/tcp/4791', '/ip6/::1/tcp/4791'].map(a => hex(multiaddr(a).bytes))

const locator = (over: Partial<LocatorJson> = {}): LocatorJson =>
  ({ publisher: A.peerId.toString(), audience: B.peerId.toString(), addrs: ADDRS, seq: String(NOW), issuedAt: NOW, expiresAt: NOW + HOUR, ...over })

const mh = (peer: string): Uint8Array => [A, B, C].find(x => x.peerId.toString() === peer)!.multihash

function fields (l: LocatorJson): Field[] {
  return [
    { n: 1, bytes: mh(l.publisher) },
    { n: 2, bytes: mh(l.audience) },
    ...l.addrs.map(a => ({ n: 3, bytes: Uint8Array.from(Buffer.from(a, 'hex')) })),
    ...(l.seq !== '0' ? [{ n: 4, varint: BigInt(l.seq) }] : []),
    { n: 5, varint: BigInt(l.issuedAt) },
    { n: 6, varint: BigInt(l.expiresAt) }
  ]
}

export async function locatorVectors (): Promise<VectorFile> {
  const keys = derivePairKeys(pairSharedSecret(A.seed, B.publicKey), A.multihash, B.multihash)
  const dhtKey = locatorDhtKey(keys, A.multihash)
  const aad = Buffer.from(dhtKey).toString('base64').replace(/=+$/, '')
  const paddedAad = Buffer.from(dhtKey).toString('base64')
  if (aad === paddedAad) throw new Error('the DHT key needs base64 padding for this vector to mean anything')
  const seal = (envelope: Uint8Array, n: number, over: { key?: Uint8Array, aad?: string, plain?: Uint8Array } = {}): Uint8Array =>
    box(over.key ?? keys.locator, over.aad ?? aad, nonce(n), over.plain ?? plaintext(envelope))
  const signedFields = (f: Field[], by: Identity = A): Uint8Array => signed(by, DOMAIN, PL, encodeFields(f))
  const ctx = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
    locatorKey: hex(keys.locator), dhtKey: hex(dhtKey), aad, now: NOW, publisher: A.peerId.toString(), audience: B.peerId.toString(), ...over
  })
  let n = 0
  const valid = (name: string, l: LocatorJson, context = ctx(), why?: string): VectorCase => {
    n++
    const envelope = signedFields(fields(l))
    return { name, why, encode: { signer: 'A', locator: l, nonce: hex(nonce(n)) }, bytes: hex(seal(envelope, n)), context, expect: accepted(l) }
  }
  const refusal = (name: string, why: string, envelope: Uint8Array, reason: string, context = ctx(), over: Parameters<typeof seal>[2] = {}): VectorCase => {
    n++
    return { name, why, bytes: hex(seal(envelope, n, over)), context, expect: refused(reason) }
  }
  const l = locator()
  const env = signedFields(fields(l))
  const longAddr = hex(multiaddr(`/dns4/${'a'.repeat(123)}/tcp/443`).bytes)
  if (longAddr.length !== 256) throw new Error('the long address is not 128 bytes')
  const flipped = env.slice()
  flipped[flipped.byteLength - 1] ^= 1
  const dirty = plaintext(env)
  dirty[dirty.byteLength - 1] = 7
  let big = 0
  while (signedFields([...fields(l), { n: 15, bytes: new Uint8Array(big) }]).byteLength < 2_049) big++

  const records: VectorCase[] = [
    valid('two addresses', l),
    valid('no address: the retiring locator', locator({ addrs: [] }), ctx(), 'a clean stop, a block or invisibility leaves this'),
    valid('8 addresses of 128 bytes', locator({ addrs: new Array(8).fill(longAddr) })),
    valid('an address that is no multiaddr', locator({ addrs: [hex(Uint8Array.of(0xff, 0xff))] }), ctx(), 'the record is valid; readers skip what they cannot parse'),
    valid('lifetime of exactly 48 h', locator({ expiresAt: NOW + 48 * HOUR })),
    valid('issued exactly 5 min ahead', locator({ issuedAt: NOW + 300_000, expiresAt: NOW + 300_000 + HOUR })),
    valid('after an older locator', l, ctx({ lastSeq: String(NOW - 1) })),
    refusal('AAD with base64 padding', 'the AAD is base64 without "=" padding', env, 'undecryptable', ctx(), { aad: paddedAad }),
    refusal('AAD of the other member\'s DHT key', 'each publisher has its own key K', env, 'undecryptable', ctx(), { aad: Buffer.from(locatorDhtKey(keys, B.multihash)).toString('base64').replace(/=+$/, '') }),
    refusal('sealed under the presence key', 'labels do not mix', env, 'undecryptable', ctx(), { key: keys.presence }),
    refusal('a non-zero padding byte', 'as sealed presence', env, 'undecryptable', ctx(), { plain: dirty }),
    refusal('a 2,049-byte envelope', 'the envelope limit applies inside the box', signedFields([...fields(l), { n: 15, bytes: new Uint8Array(big) }]), 'oversize'),
    refusal('presence payload type', 'the payload type must be 0x706c01', signed(A, DOMAIN, Uint8Array.of(0x70, 0x6d, 0x01), encodeFields(fields(l))), 'wrong-payload-type'),
    refusal('secp256k1 key', 'only Ed25519', envelope(encodeFields([{ n: 1, varint: 2n }, { n: 2, bytes: new Uint8Array(33).fill(2) }]), PL, encodeFields(fields(l)), new Uint8Array(64)), 'unsupported-key'),
    refusal('addrs with the wrong wire type', 'field 3 is bytes', signedFields([...fields(locator({ addrs: [] })), { n: 3, varint: 1n }]), 'malformed'),
    refusal('publisher given twice', 'a singular field occurs at most once', signedFields([...fields(l), { n: 1, bytes: A.multihash }]), 'malformed'),
    refusal('publisher A, signed by B', 'publisher = signer', signedFields(fields(l), B), 'signer-mismatch'),
    refusal('B\'s own locator where A\'s is expected', 'B holds the pair key but is not A', signedFields(fields(locator({ publisher: B.peerId.toString() })), B), 'wrong-publisher'),
    refusal('audience C', 'the record must be for the reader', signedFields(fields(locator({ audience: C.peerId.toString() }))), 'wrong-audience'),
    refusal('9 addresses', 'at most 8', signedFields(fields(locator({ addrs: new Array(9).fill(ADDRS[0]) }))), 'invalid-field'),
    refusal('an address of 129 bytes', 'at most 128 bytes each', signedFields(fields(locator({ addrs: [longAddr + '00'] }))), 'invalid-field'),
    refusal('an empty address', '1 to 128 bytes each', signedFields(fields(locator({ addrs: [''] }))), 'invalid-field'),
    refusal('seq 0', 'seq > 0', signedFields(fields(locator({ seq: '0' }))), 'invalid-field'),
    refusal('expires when issued', 'expires_at > issued_at', signedFields(fields(locator({ expiresAt: NOW }))), 'invalid-field'),
    refusal('lifetime 48 h + 1 ms', 'at most 48 h', signedFields(fields(locator({ expiresAt: NOW + 48 * HOUR + 1 }))), 'invalid-field'),
    refusal('issued_at 2^53', 'times are at most 2^53 - 1', signedFields(fields(locator({ issuedAt: 2 ** 53, expiresAt: 2 ** 53 + HOUR }))), 'invalid-field', ctx({ now: MAX_TIME_MS - 1_000 })),
    refusal('issued 5 min + 1 ms ahead', 'issued_at <= now + 5 min', env, 'future', ctx({ now: NOW - 300_001 })),
    refusal('expires now', 'expires_at > now', env, 'expired', ctx({ now: NOW + HOUR })),
    refusal('seq equal to the last accepted', 'seq > last accepted', env, 'replay', ctx({ lastSeq: String(NOW) })),
    refusal('one bit of the signature flipped', 'checked last', flipped, 'bad-signature')
  ]

  const value = Buffer.from(records[0].bytes!, 'hex')
  const shape = (name: string, key: Uint8Array, bytes: Uint8Array, ok: boolean, why?: string): VectorCase =>
    ({ name, why, bytes: hex(bytes), context: { key: hex(key) }, expect: ok ? accepted({}) : refused('malformed') })
  const prefix = dhtKey.subarray(0, dhtKey.byteLength - 32)
  const dhtShape: VectorCase[] = [
    shape('a sealed locator under its key', dhtKey, value, true, 'any DHT node checks only the shape'),
    shape('the largest sealed locator: 2,344 bytes', dhtKey, new Uint8Array(24 + 2_304 + 16), true),
    shape('2,600 bytes', dhtKey, new Uint8Array(24 + 2_560 + 16), false),
    shape('not a whole number of blocks', dhtKey, value.subarray(1), false),
    shape('no block at all', dhtKey, new Uint8Array(40), false),
    shape('a key of 31 bytes after the prefix', dhtKey.subarray(0, dhtKey.byteLength - 1), value, false),
    shape('another namespace', Uint8Array.from([...Buffer.from('/pm-presence/'), ...dhtKey.subarray(prefix.byteLength)]), value, false)
  ]

  return await verified({
    type: 'locator',
    spec: 'docs/protocol.md §8.6',
    description: 'Locator records A publishes for B, as B reads them from the DHT. encode: sealLocator(locator, key of signer, context.locatorKey, context.dhtKey, nonce) must give bytes. Decode: openLocator(bytes, context.locatorKey, context.dhtKey, {now, publisher, audience, lastSeq}); context.aad is the associated data, base64 (RFC 4648 §4 alphabet, no padding) of context.dhtKey. dht-shape: what every DHT node checks without the pair key (checkLocatorDhtValue(context.key, bytes)).',
    identities: { A: identityJson(A), B: identityJson(B), C: identityJson(C) },
    pair: { members: ['A', 'B'], locatorKey: hex(keys.locator), locatorDhtKeyOfA: hex(dhtKey), aadOfA: aad },
    sections: { records, 'dht-shape': dhtShape }
  })
}
