/**
 * Fuzz target: openPresence (protocol/presence-record.ts), the decoder every
 * presence record from the network goes through. The oracle is independent of
 * the code under test: libp2p's own RecordEnvelope.openAndCertify for the
 * signature, a hand-written protobuf reader for the record, BigInt arithmetic
 * for the limits, and the set of records this fuzzer signed with the
 * presentity's own key.
 */
import { generateKeyPair, publicKeyToProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey, peerIdFromPublicKey } from '@libp2p/peer-id'
import { RecordEnvelope } from '@libp2p/peer-record'
import {
  MAX_ACTIVITY_CHARS, MAX_CLOCK_SKEW_MS, MAX_NOTE_CHARS, MAX_PRESENCE_ENVELOPE_BYTES, MAX_PRESENCE_TTL_MS, MIN_PRESENCE_TTL_MS
} from '../protocol/limits.js'
import { openPresence, PRESENCE_DOMAIN, PRESENCE_PAYLOAD_TYPE, STATUSES } from '../protocol/presence-record.js'
import type { FuzzTarget, Random } from './fuzz.js'
import type { OpenOptions, OpenResult } from '../protocol/presence-record.js'
import type { PrivateKey } from '@libp2p/interface'

import { bytesOf, decodeFields, encodeFields, eq, hex, varint, varintOf } from './fuzz-proto.js'
import type { Field } from './fuzz-proto.js'

/** Field list of a presence record (field numbers of protocol/presence.proto). */
interface RecordFields {
  presentity: Uint8Array
  status: bigint
  note?: string
  activity?: string
  seq: bigint
  issuedAt: bigint
  expiresAt: bigint
  extra?: Field[]
}

function encodeRecord (r: RecordFields): Uint8Array {
  const enc = new TextEncoder()
  const f: Field[] = [{ n: 1, bytes: r.presentity }]
  if (r.status !== 0n) f.push({ n: 2, varint: r.status })
  if (r.note != null) f.push({ n: 3, bytes: enc.encode(r.note) })
  if (r.activity != null) f.push({ n: 4, bytes: enc.encode(r.activity) })
  if (r.seq !== 0n) f.push({ n: 5, varint: r.seq })
  if (r.issuedAt !== 0n) f.push({ n: 6, varint: r.issuedAt })
  if (r.expiresAt !== 0n) f.push({ n: 7, varint: r.expiresAt })
  return encodeFields([...f, ...(r.extra ?? [])])
}

export function signingBytes (domain: string, type: Uint8Array, payload: Uint8Array): Uint8Array {
  const d = new TextEncoder().encode(domain)
  return Uint8Array.from([...varint(BigInt(d.length)), ...d, ...varint(BigInt(type.length)), ...type, ...varint(BigInt(payload.length)), ...payload])
}

export function encodeEnvelope (publicKey: Uint8Array, type: Uint8Array, payload: Uint8Array, signature: Uint8Array, extra: Field[] = []): Uint8Array {
  return encodeFields([{ n: 1, bytes: publicKey }, { n: 2, bytes: type }, { n: 3, bytes: payload }, { n: 5, bytes: signature }, ...extra])
}

const codePoints = (s: string): number => [...s].length

export const presenceEnvelopeTarget: FuzzTarget = {
  name: 'openPresence',
  setup: async (random: Random) => {
    const int = (n: number): number => Math.floor(random() * n)
    const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]
    const NOW = 1_750_000_000_000
    const keys: PrivateKey[] = await Promise.all([0, 1, 2].map(async () => generateKeyPair('Ed25519')))
    const attacker = await generateKeyPair('Ed25519')
    const peerIds = keys.map(k => peerIdFromPrivateKey(k))
    /** `${signer peer id}:${payload hex}` of every payload this fuzzer signed in the presence domain */
    const signed = new Set<string>()

    const sign = async (key: PrivateKey, payload: Uint8Array, domain = PRESENCE_DOMAIN, type = PRESENCE_PAYLOAD_TYPE): Promise<Uint8Array> => {
      if (domain === PRESENCE_DOMAIN && eq(type, PRESENCE_PAYLOAD_TYPE)) signed.add(`${peerIdFromPrivateKey(key).toString()}:${hex(payload)}`)
      return await key.sign(signingBytes(domain, type, payload))
    }
    /** An envelope carrying key's public key and its signature of payload. */
    const seal = async (key: PrivateKey, payload: Uint8Array): Promise<Uint8Array> =>
      encodeEnvelope(publicKeyToProtobuf(key.publicKey), PRESENCE_PAYLOAD_TYPE, payload, await sign(key, payload))

    const strings = ['', 'at my desk', 'ü', '😀'.repeat(10), 'x'.repeat(MAX_NOTE_CHARS), '😀'.repeat(MAX_NOTE_CHARS), 'x'.repeat(MAX_NOTE_CHARS + 1), '😀'.repeat(MAX_NOTE_CHARS + 1), 'a'.repeat(MAX_ACTIVITY_CHARS), 'a'.repeat(MAX_ACTIVITY_CHARS + 1), '\u0000\uffff']
    const randomRecord = (k: number): RecordFields => {
      const issuedAt = BigInt(NOW - int(120_000))
      return {
        presentity: peerIds[k].toMultihash().bytes,
        status: BigInt(1 + int(5)),
        note: random() < 0.5 ? pick(strings.slice(0, 6)) : undefined,
        activity: random() < 0.3 ? pick(['coding', 'a'.repeat(MAX_ACTIVITY_CHARS)]) : undefined,
        seq: BigInt(1 + int(1000)),
        issuedAt,
        expiresAt: issuedAt + BigInt(MIN_PRESENCE_TTL_MS + int(MAX_PRESENCE_TTL_MS - MIN_PRESENCE_TTL_MS)) + 150_000n
      }
    }
    const seeds: Uint8Array[] = []
    for (let i = 0; i < 60; i++) {
      const k = i % keys.length
      seeds.push(await seal(keys[k], encodeRecord(randomRecord(k))))
    }

    const mutateRecord = (r: RecordFields): RecordFields => {
      const m = { ...r }
      switch (int(10)) {
        case 0: m.status = pick([0n, 6n, 7n, 255n, 2n ** 32n, 2n ** 64n - 1n, BigInt(1 + int(5))]); break
        case 1: m.note = random() < 0.2 ? undefined : pick(strings); break
        case 2: m.activity = random() < 0.2 ? undefined : pick(strings); break
        case 3: m.seq = pick([0n, 1n, 2n ** 63n, 2n ** 64n - 1n, BigInt(int(2000))]); break
        case 4: {
          // ttl boundaries
          const ttl = pick([MIN_PRESENCE_TTL_MS - 1, MIN_PRESENCE_TTL_MS, MAX_PRESENCE_TTL_MS, MAX_PRESENCE_TTL_MS + 1, 0, -1])
          m.issuedAt = BigInt(NOW - int(1000)); m.expiresAt = m.issuedAt + BigInt(ttl); break
        }
        case 5: {
          // clock boundaries: future, expired
          m.issuedAt = BigInt(NOW + pick([MAX_CLOCK_SKEW_MS - 1, MAX_CLOCK_SKEW_MS, MAX_CLOCK_SKEW_MS + 1, -MAX_PRESENCE_TTL_MS]))
          m.expiresAt = m.issuedAt + BigInt(pick([MIN_PRESENCE_TTL_MS, MAX_PRESENCE_TTL_MS])); break
        }
        case 6: m.issuedAt = pick([0n, 2n ** 53n, 2n ** 63n, 2n ** 64n - 1n]); m.expiresAt = pick([m.issuedAt + 60_000n, 0n, 2n ** 64n - 1n]); break
        case 7: m.presentity = pick([new Uint8Array(0), peerIds[int(3)].toMultihash().bytes, peerIdFromPrivateKey(attacker).toMultihash().bytes, Uint8Array.from({ length: 38 }, () => int(256))]); break
        case 8: m.extra = [pick<Field>([{ n: 99, varint: 1n }, { n: 3, bytes: new TextEncoder().encode('dup') }, { n: 2, varint: 9n }, { n: 5, varint: 0n }, { n: 1, bytes: peerIds[int(3)].toMultihash().bytes }])]; break
        default: m.expiresAt = m.issuedAt + BigInt(int(MAX_PRESENCE_TTL_MS * 2))
      }
      return m
    }

    const mutate = async (seed: Uint8Array): Promise<Uint8Array> => {
      const env = decodeFields(seed)
      const payload = bytesOf(env, 3)!
      const ownerIdx = peerIds.findIndex(p => eq(p.toMultihash().bytes, bytesOf(decodeFields(payload), 1)!))
      const owner = keys[ownerIdx]
      const rec = decodeFields(payload)
      const r: RecordFields = {
        presentity: bytesOf(rec, 1)!,
        status: varintOf(rec, 2) ?? 0n,
        note: bytesOf(rec, 3) != null ? new TextDecoder().decode(bytesOf(rec, 3)) : undefined,
        activity: bytesOf(rec, 4) != null ? new TextDecoder().decode(bytesOf(rec, 4)) : undefined,
        seq: varintOf(rec, 5) ?? 0n,
        issuedAt: varintOf(rec, 6) ?? 0n,
        expiresAt: varintOf(rec, 7) ?? 0n
      }
      const pk = bytesOf(env, 1)!
      const sig = bytesOf(env, 5)!
      switch (int(12)) {
        case 0: case 1: case 2: {
          // a field edit signed by the presentity itself: valid exactly when the fields are
          return await seal(owner, encodeRecord(mutateRecord(r)))
        }
        case 3: {
          // a field edit re-signed by a wrong key, envelope carries that key
          const wrong = random() < 0.5 ? attacker : keys[(ownerIdx + 1) % keys.length]
          return await seal(wrong, encodeRecord(mutateRecord(r)))
        }
        case 4: {
          // a field edit re-signed by a wrong key, envelope still names the owner's key
          const p = encodeRecord(mutateRecord(r))
          return encodeEnvelope(pk, PRESENCE_PAYLOAD_TYPE, p, await sign(attacker, p))
        }
        case 5: return encodeEnvelope(pk, PRESENCE_PAYLOAD_TYPE, encodeRecord(mutateRecord(r)), sig)
        case 6: {
          // right key, wrong domain or payload type in the signature
          const p = encodeRecord(mutateRecord(r))
          return random() < 0.5
            ? encodeEnvelope(pk, PRESENCE_PAYLOAD_TYPE, p, await sign(owner, p, 'libp2p-peer-record'))
            : encodeEnvelope(pk, Uint8Array.from([0x03, 0x01]), p, await sign(owner, p, PRESENCE_DOMAIN, Uint8Array.from([0x03, 0x01])))
        }
        case 7: {
          // public key edits: other key type, truncated key, another peer's key
          const data = pk.subarray(4)
          const variants = [
            encodeFields([{ n: 1, varint: 2n }, { n: 2, bytes: data }]),
            encodeFields([{ n: 1, varint: 0n }, { n: 2, bytes: data }]),
            encodeFields([{ n: 1, varint: 1n }, { n: 2, bytes: data.subarray(0, 31) }]),
            encodeFields([{ n: 1, varint: 9n }, { n: 2, bytes: data }]),
            publicKeyToProtobuf(keys[(ownerIdx + 1) % keys.length].publicKey),
            encodeFields([{ n: 1, varint: 1n }, { n: 2, bytes: new Uint8Array(32) }])
          ]
          return encodeEnvelope(pick(variants), PRESENCE_PAYLOAD_TYPE, payload, sig)
        }
        case 8: {
          // envelope-level re-encoding: unknown and duplicated fields, a second payload
          const other = bytesOf(decodeFields(pick(seeds)), 3)!
          return encodeEnvelope(pk, PRESENCE_PAYLOAD_TYPE, payload, sig, [pick<Field>([{ n: 4, varint: 1n }, { n: 3, bytes: other }, { n: 5, bytes: new Uint8Array(64) }, { n: 2, bytes: new Uint8Array(0) }, { n: 17, bytes: new Uint8Array(2000) }])])
        }
        case 9: {
          const s = Uint8Array.from(sig)
          s[int(s.length)] ^= 1 << int(8)
          return encodeEnvelope(pk, PRESENCE_PAYLOAD_TYPE, payload, random() < 0.5 ? s : s.subarray(0, int(64)))
        }
        case 10: {
          // the owner signs a record naming another presentity
          return await seal(owner, encodeRecord({ ...r, presentity: peerIds[(ownerIdx + 1) % keys.length].toMultihash().bytes }))
        }
        default: return encodeEnvelope(pk, PRESENCE_PAYLOAD_TYPE, payload, sig)
      }
    }

    const decode = async (input: Uint8Array, rnd: Random): Promise<{ accepted: boolean, reason?: string, value?: unknown, context?: unknown }> => {
      const opts: OpenOptions = { now: NOW }
      const x = rnd()
      if (x < 0.3) opts.expectedPresentity = pick(peerIds).toString()
      else if (x < 0.45) opts.expectedPresentity = pick(peerIds)
      if (rnd() < 0.3) opts.lastSeq = BigInt(Math.floor(rnd() * 1200))
      const res: OpenResult = await openPresence(input, opts)
      if (typeof res !== 'object' || res == null || typeof res.ok !== 'boolean') throw new Error(`openPresence returned ${String(res)}`)
      return res.ok ? { accepted: true, value: res.presence, context: opts } : { accepted: false, reason: res.reason }
    }

    const oracle = async (input: Uint8Array, outcome: { value?: unknown, context?: unknown }): Promise<string | undefined> => {
      const p = outcome.value as Extract<OpenResult, { ok: true }>['presence']
      const opts = outcome.context as OpenOptions
      if (input.byteLength > MAX_PRESENCE_ENVELOPE_BYTES) return 'oversize'
      let env: RecordEnvelope
      try {
        env = await RecordEnvelope.openAndCertify(input, PRESENCE_DOMAIN)
      } catch (err: any) {
        return `libp2p does not certify it: ${err.message}`
      }
      if (!eq(env.payloadType, PRESENCE_PAYLOAD_TYPE)) return 'payload type'
      if (env.publicKey.type !== 'Ed25519') return 'key type'
      const signer = peerIdFromPublicKey(env.publicKey)
      if (!signed.has(`${signer.toString()}:${hex(env.payload)}`)) return 'not a payload this key signed'
      const rec = decodeFields(env.payload)
      const presentity = bytesOf(rec, 1) ?? new Uint8Array(0)
      if (!eq(presentity, signer.toMultihash().bytes)) return 'presentity is not the signer'
      const status = varintOf(rec, 2) ?? 0n
      if (status < 1n || status > 5n) return `status ${status}`
      // an empty note or activity means none (docs/protocol.md §0.3)
      const note = (bytesOf(rec, 3)?.byteLength ?? 0) > 0 ? new TextDecoder().decode(bytesOf(rec, 3)) : undefined
      const activity = (bytesOf(rec, 4)?.byteLength ?? 0) > 0 ? new TextDecoder().decode(bytesOf(rec, 4)) : undefined
      if (note != null && codePoints(note) > MAX_NOTE_CHARS) return 'note too long'
      if (activity != null && codePoints(activity) > MAX_ACTIVITY_CHARS) return 'activity too long'
      const seq = varintOf(rec, 5) ?? 0n
      const issuedAt = varintOf(rec, 6) ?? 0n
      const expiresAt = varintOf(rec, 7) ?? 0n
      if (seq === 0n) return 'seq 0'
      if (issuedAt > BigInt(Number.MAX_SAFE_INTEGER) || expiresAt > BigInt(Number.MAX_SAFE_INTEGER)) return 'time above 2^53 - 1'
      const ttl = expiresAt - issuedAt
      if (ttl < BigInt(MIN_PRESENCE_TTL_MS) || ttl > BigInt(MAX_PRESENCE_TTL_MS)) return `ttl ${ttl}`
      if (issuedAt > BigInt(opts.now + (opts.maxClockSkewMs ?? MAX_CLOCK_SKEW_MS))) return 'issued in the future'
      if (expiresAt <= BigInt(opts.now)) return 'expired'
      if (opts.lastSeq != null && seq <= opts.lastSeq) return 'replay'
      if (opts.expectedPresentity != null && opts.expectedPresentity.toString() !== signer.toString()) return 'wrong presentity'
      // what the decoder returned must be what was signed
      if (p.presentity.toString() !== signer.toString()) return 'returned presentity differs'
      if (p.status !== STATUSES[Number(status) - 1]) return `returned status ${p.status}`
      if (p.note !== note || p.activity !== activity) return 'returned note/activity differ'
      if (p.seq !== seq || BigInt(p.issuedAt) !== issuedAt || BigInt(p.expiresAt) !== expiresAt) return 'returned seq/times differ'
      return undefined
    }

    return { seeds, mutate: async (seed) => await mutate(seed), decode, oracle }
  }
}
