/** Vectors of contact codes and what holders derive from them (docs/protocol.md §8.7). */
import { createHash, createPrivateKey, createPublicKey, hkdfSync } from 'node:crypto'
import { publicKeyFromRaw } from '@libp2p/crypto/keys'
import { peerIdFromPublicKey } from '@libp2p/peer-id'
import { A, accepted, B, base32, hex, identityJson, refused, utf8, verified } from './common.js'
import type { VectorCase, VectorFile } from './common.js'

const SALT = 'presence-mesh/code/v1'
const SECRET = '11'.repeat(16)

const unhex = (s: string): Buffer => Buffer.from(s, 'hex')

/** The code text for `owner` and `secret`, computed with node:crypto alone. */
function codeText (owner: typeof A, secret: string): string {
  const check = createHash('sha256').update(Buffer.concat([Buffer.from(SALT), owner.multihash, unhex(secret)])).digest().subarray(0, 2)
  return `pmc1:${owner.peerId.toString()}:${base32(Buffer.concat([unhex(secret), check]))}`
}

/** Everything a holder derives, with node:crypto (HKDF, SHA-256, Ed25519) only. */
function derived (owner: typeof A, secret: string): Record<string, string> {
  const label = (l: string): Buffer => Buffer.from(hkdfSync('sha256', unhex(secret), SALT, Buffer.concat([Buffer.from(l), owner.multihash]), 32))
  const seed = label('intake-identity')
  const jwk = createPublicKey(createPrivateKey({ format: 'jwk', key: { kty: 'OKP', crv: 'Ed25519', d: seed.toString('base64url'), x: '' } })).export({ format: 'jwk' })
  const publicKey = Buffer.from(jwk.x as string, 'base64url')
  const locatorId = label('locator-id')
  const dhtKey = Buffer.concat([Buffer.from('/pm-locator/'), createHash('sha256').update(Buffer.concat([locatorId, owner.multihash])).digest()])
  return {
    intakeSeed: hex(seed),
    intakePublicKey: hex(publicKey),
    intakePeerId: peerIdFromPublicKey(publicKeyFromRaw(publicKey)).toString(),
    locator: hex(label('locator')),
    locatorId: hex(locatorId),
    intakeLocatorDhtKey: hex(dhtKey),
    intakeLocatorAad: dhtKey.toString('base64').replace(/=+$/, '')
  }
}

export async function contactCodeVectors (): Promise<VectorFile> {
  const text = codeText(A, SECRET)
  const [, peer, secretPart] = text.split(':')
  const decoded = { peerId: A.peerId.toString(), secret: SECRET }
  const code = (name: string, t: string, why?: string, encode = false): VectorCase =>
    ({ name, why, ...(encode ? { encode: { owner: 'A', secret: SECRET } } : {}), bytes: hex(utf8(t)), expect: accepted(decoded) })
  const bad = (name: string, t: string, reason: string, why: string): VectorCase => ({ name, why, bytes: hex(utf8(t)), expect: refused(reason) })
  const other = secretPart.slice(0, -1) + (secretPart.endsWith('a') ? 'b' : 'a')

  const codes: VectorCase[] = [
    code('A\'s code with secret 16 x 0x11', text, 'pmc1:<peer id>:<base32(secret || SHA-256(salt || mh(owner) || secret)[0..2])>', true),
    code('spaces around, prefix in capitals', `  PMC1:${peer}:${secretPart}\n`, 'surrounding white space and the prefix\'s case are forgiven'),
    code('secret part in capitals', `pmc1:${peer}:${secretPart.toUpperCase()}`, 'base32 is read case-insensitively'),
    bad('another prefix', `pmc2:${peer}:${secretPart}`, 'not-a-code', 'the prefix names the version'),
    bad('two parts', `pmc1:${peer}`, 'not-a-code', 'exactly three parts'),
    bad('not a peer id', `pmc1:12D3KooWnope:${secretPart}`, 'bad-peer-id', 'a base58btc peer id'),
    bad('a peer id with a stray U+FFFD', `pmc1:${peer[0]}\ufffd${peer.slice(1)}:${secretPart}`, 'bad-peer-id', 'only the canonical spelling (some base58 decoders skip this character)'),
    bad('a peer id that is not Ed25519', `pmc1:QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N:${secretPart}`, 'bad-peer-id', 'codes name Ed25519 identities only'),
    bad('secret part of 28 characters', `pmc1:${peer}:${secretPart.slice(1)}`, 'bad-secret', '29 characters: 18 bytes'),
    bad('a character outside base32', `pmc1:${peer}:${secretPart.slice(0, -1)}1`, 'bad-secret', 'RFC 4648 alphabet'),
    bad('one character mistyped', `pmc1:${peer}:${other}`, 'checksum', 'the two check bytes catch a typo')
  ]
  const keys: VectorCase[] = [
    { name: 'A with secret 16 x 0x11', context: { owner: 'A', secret: SECRET }, expect: accepted(derived(A, SECRET)) },
    { name: 'B with secret 16 x 0x11', why: 'the owner is part of every derivation', context: { owner: 'B', secret: SECRET }, expect: accepted(derived(B, SECRET)) }
  ]
  return await verified({
    type: 'contact-code',
    spec: 'docs/protocol.md §8.7',
    description: 'Contact codes. codes: formatContactCode({peer: owner, secret}) must give the UTF-8 text in bytes; parseContactCode(text) must give expect. keys: from the owner and the secret, the intake identity (seed, public key, peer id) and the intake locator record\'s keys, DHT key and associated data (HKDF-SHA256, salt "presence-mesh/code/v1", info = label || mh(owner)).',
    identities: { A: identityJson(A), B: identityJson(B) },
    sections: { codes, keys }
  })
}
