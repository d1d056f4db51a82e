/** Vectors of identities and pair-key derivation (docs/protocol.md §1, §8.2). */
import { createHash, createPrivateKey, createPublicKey, diffieHellman, hkdfSync } from 'node:crypto'
import { ed25519 } from '@noble/curves/ed25519.js'
import { A, accepted, B, base32, C, hex, identityJson, refused, verified } from './common.js'
import { le32, nonCanonicalPoint } from './envelopes.js'
import type { Identity, VectorCase, VectorFile } from './common.js'

const P = 2n ** 255n - 19n
const Y_ORDER_8 = 2707385501144840649318225287225658788936804267575313519463743609750303402022n

/** The first y >= 2 with no x on the curve: an off-curve encoding. */
function offCurve (): Uint8Array {
  for (let y = 2n; ; y++) {
    try { ed25519.Point.fromBytes(le32(y), false) } catch { return le32(y) }
  }
}

const le = (b: Uint8Array): bigint => b.reduceRight((n, x) => (n << 8n) | BigInt(x), 0n)
const pow = (b: bigint, e: bigint): bigint => { let r = 1n; b %= P; while (e > 0n) { if ((e & 1n) === 1n) r = r * b % P; b = b * b % P; e >>= 1n } return r }
const b64url = (b: Uint8Array): string => Buffer.from(b).toString('base64url')

/**
 * Everything the derivation yields, computed without protocol/ or @noble:
 * u = (1 + y) / (1 - y) mod p, the RFC 8032 secret scalar, X25519 and HKDF
 * from node:crypto (OpenSSL), SHA-256 and base64 from Node.
 */
function derivedIndependently (me: Identity, them: Identity): Record<string, string> {
  const y = le(them.publicKey) & ((1n << 255n) - 1n)
  const u = (1n + y) * pow((1n - y + P) % P, P - 2n) % P
  const scalar = createHash('sha512').update(me.seed).digest().subarray(0, 32)
  const priv = createPrivateKey({ format: 'jwk', key: { kty: 'OKP', crv: 'X25519', d: b64url(scalar), x: '' } })
  const pub = createPublicKey({ format: 'jwk', key: { kty: 'OKP', crv: 'X25519', x: b64url(le32(u)) } })
  const shared = diffieHellman({ privateKey: priv, publicKey: pub })
  const [lo, hi] = Buffer.compare(Buffer.from(me.multihash), Buffer.from(them.multihash)) <= 0 ? [me.multihash, them.multihash] : [them.multihash, me.multihash]
  const label = (l: string): Uint8Array => new Uint8Array(hkdfSync('sha256', shared, 'presence-mesh/pair/v1', Buffer.concat([Buffer.from(l), lo, hi]), 32))
  const locatorId = label('locator-id')
  const dhtKey = (publisher: Uint8Array): Buffer => Buffer.concat([Buffer.from('/pm-locator/'), createHash('sha256').update(Buffer.concat([locatorId, publisher])).digest()])
  const mine = dhtKey(me.multihash)
  const theirs = dhtKey(them.multihash)
  const aad = (k: Buffer): string => k.toString('base64').replace(/=+$/, '')
  return {
    shared: hex(shared),
    topic: `/presence-mesh/pair/1/${base32(label('topic').subarray(0, 16))}`,
    presence: hex(label('presence')),
    locator: hex(label('locator')),
    locatorId: hex(locatorId),
    myLocatorDhtKey: hex(mine),
    myLocatorAad: aad(mine),
    theirLocatorDhtKey: hex(theirs),
    theirLocatorAad: aad(theirs)
  }
}

const withSign = (b: Uint8Array): Uint8Array => { const c = b.slice(); c[31] |= 0x80; return c }

export async function pairKeyVectors (): Promise<VectorFile> {
  const identityFiles: VectorCase[] = [A, B, C].map(id => ({
    name: `identity ${id.name}`,
    why: 'libp2p PrivateKey protobuf: Type = Ed25519 (1), Data = seed (32) || public key (32)',
    encode: { seed: hex(id.seed) },
    bytes: identityJson(id).identityKeyFile,
    expect: accepted({ seed: hex(id.seed), publicKey: hex(id.publicKey), peerId: id.peerId.toString() })
  }))

  const derivation = (name: string, me: Identity, them: Identity, why?: string): VectorCase => ({
    name,
    why,
    context: { mySeed: hex(me.seed), theirPublicKey: hex(them.publicKey), myMultihash: hex(me.multihash), theirMultihash: hex(them.multihash) },
    expect: accepted(derivedIndependently(me, them))
  })
  const refusal = (name: string, why: string, theirPublicKey: Uint8Array, reason: string, mySeed = A.seed): VectorCase => ({
    name,
    why,
    context: { mySeed: hex(mySeed), theirPublicKey: hex(theirPublicKey), myMultihash: hex(A.multihash), theirMultihash: hex(B.multihash) },
    expect: refused(reason)
  })
  // a mixed-order key: B's point plus a point of order 8 (an honest key is always [a]B, of prime order)
  const order8 = ed25519.Point.fromBytes(le32(Y_ORDER_8), false)
  const mixed = ed25519.Point.fromBytes(B.publicKey).add(order8).toBytes()

  const derivations: VectorCase[] = [
    derivation('A with B, from A\'s side', A, B),
    derivation('A with B, from B\'s side', B, A, 'both sides derive the same keys'),
    derivation('A with C', A, C),
    refusal('a seed of 31 bytes', 'seeds are 32 bytes', B.publicKey, 'seed-length', A.seed.subarray(0, 31)),
    refusal('a key of 33 bytes', 'keys are 32 bytes', new Uint8Array(33), 'key-length'),
    refusal('an off-curve key', 'y has no x on the curve', offCurve(), 'invalid-point'),
    refusal('a non-canonical key (y >= p)', 'RFC 8032 decoding refuses y >= p', nonCanonicalPoint(), 'invalid-point'),
    refusal('x = 0 with the sign bit set', 'RFC 8032 decoding refuses it', withSign(le32(1n)), 'invalid-point'),
    refusal('the identity point', 'order 1', le32(1n), 'small-order'),
    refusal('the point of order 2', 'y = p - 1', le32(P - 1n), 'small-order'),
    refusal('a point of order 4', 'y = 0', le32(0n), 'small-order'),
    refusal('a point of order 8', 'libsodium\'s blocklist', le32(Y_ORDER_8), 'small-order'),
    refusal('B\'s key plus a point of order 8', 'not in the prime-order subgroup', mixed, 'mixed-order')
  ]
  const file: VectorFile = {
    type: 'pair-keys',
    spec: 'docs/protocol.md §1, §8.2',
    description: 'identity-files: the identity key file (<home>/identity.key); privateKeyToProtobuf of the seed must give bytes; reading bytes gives the seed (pair-key input), public key and peer id. derivations: pairSharedSecret(context.mySeed, context.theirPublicKey), then every label with HKDF-SHA256 (myMultihash, theirMultihash sorted), the pair topic, both locator DHT keys and their AAD strings; or why no pair exists.',
    identities: { A: identityJson(A), B: identityJson(B), C: identityJson(C) },
    sections: { 'identity-files': identityFiles, derivations }
  }
  return await verified(file)
}
