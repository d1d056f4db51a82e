/**
 * What the vector generators share: fixed identities, a fixed clock, hex,
 * the JSON shape of a case and a check that the implementation agrees with
 * every outcome the generator states. docs/protocol.md §9 describes the files.
 */
import { writeFileSync } from 'node:fs'
import { privateKeyFromRaw, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { ed25519 } from '@noble/curves/ed25519.js'
import { isDeepStrictEqual } from 'node:util'
import { runCase } from '../../test/protocol/vectors/adapters.js'
import type { Expect, VectorFile } from '../../test/protocol/vectors/adapters.js'
import type { PeerId, PrivateKey } from '@libp2p/interface'

export type { Expect, VectorCase, VectorFile } from '../../test/protocol/vectors/adapters.js'

export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
export const unhex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'))
export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)

/** RFC 4648 base32, lowercase, no padding: written out, so the generators do not use what they check. */
export function base32 (bytes: Uint8Array): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567'
  let bits = 0
  let value = 0
  let out = ''
  for (const b of bytes) {
    value = (value << 8) | b
    bits += 8
    while (bits >= 5) { out += alphabet[(value >>> (bits - 5)) & 31]; bits -= 5 }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31]
  return out
}

/** The receivers' clock in every case that does not name its own: 2027-01-15T08:00:00Z. */
export const NOW = 1_800_000_000_000

export interface Identity {
  name: string
  seed: Uint8Array
  key: PrivateKey
  peerId: PeerId
  multihash: Uint8Array
  publicKey: Uint8Array
}

/** An identity whose 32-byte Ed25519 seed is `fill` repeated. */
export function identity (name: string, fill: number): Identity {
  const seed = new Uint8Array(32).fill(fill)
  const publicKey = ed25519.getPublicKey(seed)
  const key = privateKeyFromRaw(Uint8Array.from([...seed, ...publicKey]))
  const peerId = peerIdFromPrivateKey(key)
  return { name, seed, key, peerId, multihash: peerId.toMultihash().bytes, publicKey }
}

/** A: 32 x 0x01, B: 32 x 0x02, C: 32 x 0x03 (the third party: another contact, or an attacker). */
export const A = identity('A', 1)
export const B = identity('B', 2)
export const C = identity('C', 3)
export const IDENTITIES = [A, B, C]

/** How an identity appears in a vector file. */
export function identityJson (id: Identity): { seed: string, publicKey: string, peerId: string, multihash: string, identityKeyFile: string } {
  return {
    seed: hex(id.seed),
    publicKey: hex(id.publicKey),
    peerId: id.peerId.toString(),
    multihash: hex(id.multihash),
    identityKeyFile: hex(privateKeyToProtobuf(id.key))
  }
}

export const byName = (name: string): Identity => {
  const id = IDENTITIES.find(i => i.name === name)
  if (id == null) throw new Error(`no identity ${name}`)
  return id
}

/**
 * Runs every case through the implementation (test/protocol/vectors/adapters.ts)
 * and throws unless the encoder makes exactly `bytes` and the decoder gives
 * exactly `expect`: the generator states each outcome, the code must agree.
 */
export async function verified (file: VectorFile): Promise<VectorFile> {
  for (const [section, cases] of Object.entries(file.sections)) {
    for (const c of cases) {
      const got = await runCase(file, section, c)
      if (c.encode != null && got.encoded != null && got.encoded !== c.bytes) {
        throw new Error(`${file.type}/${section} "${c.name}": the encoder gives ${got.encoded}, the vector says ${String(c.bytes)}`)
      }
      if (!isDeepStrictEqual(JSON.parse(JSON.stringify(got.outcome)), JSON.parse(JSON.stringify(c.expect)))) {
        throw new Error(`${file.type}/${section} "${c.name}": the implementation gives ${JSON.stringify(got.outcome)}, the vector says ${JSON.stringify(c.expect)}`)
      }
    }
  }
  return file
}

export const refused = (reason: string): Expect => ({ ok: false, reason })
export const accepted = (decoded: unknown): Expect => ({ ok: true, decoded })

export function writeVectors (path: string, doc: VectorFile): void {
  writeFileSync(path, JSON.stringify(doc, null, 2) + '\n')
}
