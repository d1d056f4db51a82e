/**
 * Fuzz targets for the group records that arrive from the network: feed
 * entries (openGroupEntry, run by every topic validator and catch-up) and
 * membership ops (openGroupOp). The oracle: an accepted input must decode to
 * one of the records this fuzzer signed (by an honest author or the
 * attacker), field for field, in the group the receiver expects. Ops are
 * compared with the fields they were sealed from; entries (whose slots and
 * boxes carry random nonces) with what the decoder made of the honest bytes
 * when they were signed. Anything else would take a signature nobody made.
 *
 * Structure-aware mutations are what a malicious member can build: its own
 * valid record for another group, the honest authors' bodies signed by
 * itself, and honest records moved between groups.
 */
import { generateKeyPair, publicKeyToProtobuf } from '@libp2p/crypto/keys'
import { RecordEnvelope } from '@libp2p/peer-record'
import { equals as uint8ArrayEquals } from 'uint8arrays/equals'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { openEntryContent, openGroupEntry, sealContentEntry, sealKeyEntry } from '../protocol/group-entry.js'
import { GROUP_OP_KINDS, openGroupOp, sealGroupOp } from '../protocol/group-op.js'
import { hex } from './fuzz-proto.js'
import type { FuzzTarget, Random } from './fuzz.js'
import type { GroupEntry } from '../protocol/group-entry.js'
import type { GroupOp, GroupOpFields } from '../protocol/group-op.js'
import type { PrivateKey } from '@libp2p/interface'

const NOW = 1_750_000_000_000
const int = (random: Random, n: number): number => Math.floor(random() * n)
const pick = <T>(random: Random, xs: readonly T[]): T => xs[int(random, xs.length)]
const bytes = (random: Random, n: number): Uint8Array => Uint8Array.from({ length: n }, () => int(random, 256))

interface Parties { keys: PrivateKey[], ids: string[], mhs: Uint8Array[], groups: Uint8Array[] }

async function parties (random: Random): Promise<Parties> {
  // three honest members and the attacker (last)
  const keys = await Promise.all([0, 1, 2, 3].map(async () => generateKeyPair('Ed25519')))
  const peers = keys.map(k => peerIdFromPrivateKey(k))
  return { keys, ids: peers.map(p => p.toString()), mhs: peers.map(p => p.toMultihash().bytes), groups: [bytes(random, 16), bytes(random, 16)] }
}

const entryKey = (e: GroupEntry): string =>
  [hex(e.group), e.author, e.seq, e.lamport, e.sentAt, hex(e.prev), e.kind, hex(e.keyId), e.kind === 'key' ? e.slots.map(s => hex(s.member) + hex(s.sealed)).join(',') : hex(e.sealed)].join('|')

export const groupEntryTarget: FuzzTarget = {
  name: 'openGroupEntry',
  setup: async (random) => {
    const p = await parties(random)
    const senderKey = bytes(random, 32)
    const make = (author: number, group = p.groups[0]): Uint8Array => {
      const seq = 1 + int(random, 50)
      const h = { group, seq, lamport: seq + int(random, 10), sentAt: NOW, prev: seq === 1 ? new Uint8Array(0) : bytes(random, 32) }
      if (random() < 0.3) {
        const members = [0, 1, 2, 3].filter(i => i !== author).slice(0, 1 + int(random, 3))
        return sealKeyEntry(h, p.mhs[author], bytes(random, 16), senderKey, members.map(i => ({ multihash: p.mhs[i], pairGroupKey: bytes(random, 32) })), p.keys[author])
      }
      return sealContentEntry(h, p.mhs[author], bytes(random, 16), senderKey, { kind: 'text', text: pick(random, ['hi', 'x'.repeat(4000), '😀 group']) }, p.keys[author])
    }
    const signed = new Set<string>()
    const remember = (b: Uint8Array, group: Uint8Array): Uint8Array => {
      const res = openGroupEntry(b, group)
      if (!res.ok) throw new Error(`an honest entry does not open: ${res.reason}`)
      signed.add(entryKey(res.entry))
      return b
    }
    const seeds: Uint8Array[] = []
    for (let i = 0; i < 40; i++) seeds.push(remember(make(i % 3), p.groups[0]))
    return {
      seeds,
      // the attacker's own entries (valid, for either group): accepted as the attacker's, never as anyone else's
      mutate: async (base) => {
        if (random() < 0.25) return reencodeEnvelope(base, random)
        const group = pick(random, p.groups)
        return remember(make(3, group), group)
      },
      decode: async (input) => {
        const res = openGroupEntry(input, p.groups[0])
        if (!res.ok) return { accepted: false, reason: res.reason }
        // opening the content must never throw either
        openEntryContent(res.entry, senderKey)
        return { accepted: true, value: res.entry }
      },
      oracle: async (input, outcome) => {
        const e = outcome.value as GroupEntry
        if (hex(e.group) !== hex(p.groups[0])) return `entry of another group accepted: ${hex(e.group)}`
        if (!signed.has(entryKey(e))) return `accepted an entry nobody signed as such: ${entryKey(e)}`
        return copyVerdict(input, e.copy === true ? e.bytes : undefined, (b) => {
          const res = openGroupEntry(b, p.groups[0])
          return res.ok && res.entry.copy !== true && entryKey(res.entry) === entryKey(e)
        })
      }
    }
  }
}

/**
 * What anyone holding `envelope` can make of it with protobuf alone: the same key, payload type, payload and
 * signature, the fields in another order, a length written longer than it needs, an unknown field added.
 */
function reencodeEnvelope (envelope: Uint8Array, random: Random): Uint8Array {
  const env = RecordEnvelope.createFromProtobuf(envelope)
  const varint = (n: number, long: boolean): number[] => {
    const out: number[] = []
    for (; n >= 0x80; n = Math.floor(n / 0x80)) out.push((n % 0x80) | 0x80)
    return long ? [...out, n | 0x80, 0x00] : [...out, n]
  }
  const fields: Array<[number, Uint8Array]> = [[0x0a, publicKeyToProtobuf(env.publicKey)], [0x12, env.payloadType], [0x1a, env.payload], [0x2a, env.signature]]
  if (random() < 0.5) fields.reverse()
  const out = fields.flatMap(([tag, v]) => [tag, ...varint(v.byteLength, random() < 0.3), ...v])
  if (random() < 0.5 || out.length === envelope.length) out.push(0x30, int(random, 128))
  return Uint8Array.from(out)
}

/**
 * An accepted input is either the encoders' encoding (RecordEnvelope.marshal of its fields) or a re-encoded
 * copy (§12.2 "Copies") whose `original` is that encoding and opens as the same record, itself no copy.
 * Copies are counted as non-canonical accepted: valid, and read as their originals.
 */
function copyVerdict (input: Uint8Array, original: Uint8Array | undefined, sameRecord: (b: Uint8Array) => boolean): string | undefined | { lenient: string } {
  const env = RecordEnvelope.createFromProtobuf(input)
  const marshaled = new RecordEnvelope({ publicKey: env.publicKey, payloadType: env.payloadType, payload: env.payload, signature: env.signature }).marshal()
  const canonical = uint8ArrayEquals(marshaled, input)
  if (original == null) return canonical ? undefined : 'a re-encoded envelope accepted as no copy'
  if (canonical) return 'the encoders\' encoding taken for a copy'
  if (!uint8ArrayEquals(original, marshaled)) return 'a copy\'s original is not the encoders\' encoding of its fields'
  return sameRecord(original) ? { lenient: 're-encoded copy, read as its original' } : 'a copy\'s original does not open as the same record'
}

const opKey = (o: Pick<GroupOp, 'group' | 'author' | 'kind' | 'parents' | 'createdAt' | 'target' | 'name' | 'upTo'>): string =>
  [hex(o.group), o.author, o.kind, [...o.parents].sort().join(','), o.createdAt, o.target ?? '', o.name ?? '', o.upTo ?? ''].join('|')

export const groupOpTarget: FuzzTarget = {
  name: 'openGroupOp',
  setup: async (random) => {
    const p = await parties(random)
    const make = (author: number, group = p.groups[0]): GroupOp => {
      const kind = pick(random, GROUP_OP_KINDS)
      const others = [0, 1, 2, 3].filter(i => i !== author)
      const fields: GroupOpFields = {
        group,
        kind,
        parents: kind === 'create' ? [] : Array.from({ length: 1 + int(random, 3) }, () => hex(bytes(random, 32))),
        createdAt: NOW - int(random, 1e6),
        target: ['invite', 'remove', 'promote'].includes(kind) ? p.ids[pick(random, others)] : undefined,
        name: ['create', 'rename'].includes(kind) ? pick(random, ['friends', '😀'.repeat(64), 'a b']) : undefined,
        upTo: ['leave', 'remove'].includes(kind) ? int(random, 100) : undefined
      }
      // what was sealed, as the fields were given (not as the code under test reads them back)
      signed.add(opKey({ ...fields, author: p.ids[author], upTo: fields.upTo }))
      return sealGroupOp(fields, p.keys[author])
    }
    const signed = new Set<string>()
    const seeds: Uint8Array[] = []
    for (let i = 0; i < 40; i++) seeds.push(make(i % 3).envelope)
    return {
      seeds,
      mutate: async (base) => random() < 0.25 ? reencodeEnvelope(base, random) : make(3, pick(random, p.groups)).envelope,
      decode: async (input) => {
        const res = openGroupOp(input, p.groups[0])
        return res.ok ? { accepted: true, value: res.op } : { accepted: false, reason: res.reason }
      },
      oracle: async (input, outcome) => {
        const o = outcome.value as GroupOp
        if (hex(o.group) !== hex(p.groups[0])) return `op of another group accepted: ${hex(o.group)}`
        if (!signed.has(opKey(o))) return `accepted an op nobody signed as such: ${opKey(o)}`
        return copyVerdict(input, o.original, (b) => {
          const res = openGroupOp(b, p.groups[0])
          return res.ok && res.op.original == null && opKey(res.op) === opKey(o)
        })
      }
    }
  }
}
