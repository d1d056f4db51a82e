/** Vectors of presence sealed for a pair topic (docs/protocol.md §8.3). */
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js'
import { MAX_TIME_MS } from '../../protocol/limits.js'
import { derivePairKeys, pairSharedSecret } from '../../protocol/pair-keys.js'
import { A, accepted, B, C, hex, identityJson, NOW, refused, utf8, verified } from './common.js'
import { encodeFields } from './envelopes.js'
import { decodedRecord, PM, PRESENCE_DOMAIN, record, signedRecord } from './presence.js'
import { signed } from './envelopes.js'
import type { RecordJson } from './presence.js'
import type { VectorCase, VectorFile } from './common.js'

/** The 24-byte nonce of case `n`: n, n + 1, ..., n + 23. */
export const nonce = (n: number): Uint8Array => Uint8Array.from({ length: 24 }, (_, i) => (n + i) & 0xff)

/** uint16_be(len) || inner || zero padding to `size` bytes (by default the next multiple of 256, none when aligned). */
export function plaintext (inner: Uint8Array, size = Math.ceil((inner.byteLength + 2) / 256) * 256, prefix = inner.byteLength): Uint8Array {
  const out = new Uint8Array(size)
  out[0] = prefix >> 8
  out[1] = prefix & 0xff
  out.set(inner, 2)
  return out
}

/** nonce || XChaCha20-Poly1305(key, nonce, aad, plain) (ciphertext || 16-byte tag), built with @noble/ciphers directly. */
export const box = (key: Uint8Array, aad: string, n: Uint8Array, plain: Uint8Array): Uint8Array =>
  Uint8Array.from([...n, ...xchacha20poly1305(key, n, utf8(aad)).encrypt(plain)])

export async function sealedPresenceVectors (): Promise<VectorFile> {
  const keys = derivePairKeys(pairSharedSecret(B.seed, A.publicKey), B.multihash, A.multihash)
  const key = keys.presence
  const topic = keys.topic
  const ctx = (over: Record<string, unknown> = {}): Record<string, unknown> =>
    ({ key: hex(key), topic, now: NOW, expectedPresentity: A.peerId.toString(), ...over })

  const valid = (name: string, r: RecordJson, n: number, context = ctx(), why?: string): VectorCase => {
    const envelope = signedRecord(A, r)
    return {
      name, why,
      encode: { nonce: hex(nonce(n)), envelope: hex(envelope) },
      bytes: hex(box(key, topic, nonce(n), plaintext(envelope))),
      context,
      expect: accepted({ envelope: hex(envelope), presence: decodedRecord(r) })
    }
  }
  const refusal = (name: string, why: string, bytes: Uint8Array, reason: string, context = ctx()): VectorCase =>
    ({ name, why, bytes: hex(bytes), context, expect: refused(reason) })

  const r = record()
  const env = signedRecord(A, r)
  // a note that brings the envelope to 254 bytes: with its 2-byte length, exactly one 256-byte block
  let aligned: RecordJson | undefined
  for (let n = 1; n < 200 && aligned == null; n++) {
    const candidate = record({ note: 'n'.repeat(n) })
    if (signedRecord(A, candidate).byteLength === 254) aligned = candidate
  }
  if (aligned == null) throw new Error('no 254-byte envelope')
  const largest = record({ status: 'away', note: '😀'.repeat(280), activity: '😀'.repeat(64), seq: (2n ** 64n - 1n).toString(), issuedAt: MAX_TIME_MS - 600_000, expiresAt: MAX_TIME_MS })
  const sealed = box(key, topic, nonce(1), plaintext(env))
  const flipped = sealed.slice()
  flipped[flipped.byteLength - 1] ^= 1
  const dirtyPadding = plaintext(env)
  dirtyPadding[dirtyPadding.byteLength - 1] = 1
  const oversizeEnvelope = signed(A, PRESENCE_DOMAIN, PM, encodeFields([{ n: 15, bytes: new Uint8Array(2_000) }]))

  const messages: VectorCase[] = [
    valid('A online, sealed for the A-B pair', r, 1),
    valid('a 254-byte envelope fills one block exactly: no extra block', aligned, 2, ctx(), 'aligned plaintext gets no padding'),
    valid('the largest legal record: 1,792-byte plaintext', largest, 3, ctx({ now: MAX_TIME_MS - 1_000 })),
    valid('after a public record with a lower seq', r, 4, ctx({ lastSeq: String(NOW - 1) })),
    refusal('sealed for another topic', 'the pair topic is the associated data', box(key, `${topic}x`, nonce(5), plaintext(env)), 'undecryptable'),
    refusal('sealed under the locator key', 'each label has its own key', box(keys.locator, topic, nonce(6), plaintext(env)), 'undecryptable'),
    refusal('one bit of the tag flipped', 'Poly1305 authenticates everything', flipped, 'undecryptable'),
    refusal('a non-zero padding byte', 'padding is zero bytes', box(key, topic, nonce(7), dirtyPadding), 'undecryptable'),
    refusal('one block more padding than needed', 'padding ends at the first multiple of 256', box(key, topic, nonce(8), plaintext(env, 512)), 'undecryptable'),
    refusal('length prefix past the plaintext', 'uint16 length <= plaintext - 2', box(key, topic, nonce(9), plaintext(env, 256, 300)), 'undecryptable'),
    refusal('ciphertext not a whole number of blocks', 'checked before decrypting', box(key, topic, nonce(10), plaintext(env).subarray(0, 255)), 'undecryptable'),
    refusal('2,600 bytes, authentic', 'larger than 24 + 2,304 + 16 = 2,344 bytes: not opened', box(key, topic, nonce(11), plaintext(new Uint8Array(2_400))), 'undecryptable'),
    refusal('an authentic box holding a 2,049-byte envelope', 'the envelope limit applies inside the box', box(key, topic, nonce(12), plaintext(oversizeEnvelope)), 'oversize'),
    refusal('B\'s own record echoed back to B', 'on a pair topic the presentity is the other member', box(key, topic, nonce(13), plaintext(signedRecord(B, record({ presentity: B.peerId.toString() })))), 'wrong-presentity'),
    refusal('the same seq as the public copy already accepted', 'replay state is per presentity, shared by all its topics', box(key, topic, nonce(14), plaintext(env)), 'replay', ctx({ lastSeq: String(NOW) }))
  ]
  if (oversizeEnvelope.byteLength < 2_049) throw new Error('oversize envelope too small')
  return await verified({
    type: 'sealed-presence',
    spec: 'docs/protocol.md §8.3',
    description: 'Presence sealed for the A-B pair topic, as B receives it. encode: sealPresenceForPair(context.key, context.topic, envelope, nonce) must give bytes. Decode: open the box with context.key and context.topic, then openPresence(envelope, context) with expectedPresentity = A; the outcome is the envelope and its record, or the reason (undecryptable for anything wrong with the box).',
    identities: { A: identityJson(A), B: identityJson(B), C: identityJson(C) },
    pair: { members: ['A', 'B'], topic, presenceKey: hex(key) },
    sections: { messages }
  })
}
