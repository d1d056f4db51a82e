/**
 * Fuzz target: decodeChatFrame (protocol/chat-frame.ts), which every chat frame
 * read from a stream goes through. Frames are not signed (the Noise channel
 * authenticates the sender), so the oracle re-derives validity from the bytes
 * with an independent protobuf reader and the rules of docs/protocol.md §7.
 */
import { decodeChatFrame, encodeChatFrame } from '../protocol/chat-frame.js'
import { CHAT_ID_BYTES, MAX_CHAT_BODY_BYTES, MAX_CHAT_FRAME_BYTES } from '../protocol/limits.js'
import { bytesOf, decodeFields, encodeFields, eq, varintOf } from './fuzz-proto.js'
import type { Field } from './fuzz-proto.js'
import type { FuzzTarget, Random } from './fuzz.js'
import type { ChatFrame } from '../protocol/chat-frame.js'

const KINDS = ['text', 'delivered', 'read', 'typing'] as const

/** Strict UTF-8: decoding with replacement and re-encoding gives back the same bytes. */
const isUtf8 = (b: Uint8Array): boolean => eq(Buffer.from(Buffer.from(b).toString('utf8'), 'utf8'), b)

export const chatFrameTarget: FuzzTarget = {
  name: 'decodeChatFrame',
  setup: async (random: Random) => {
    const int = (n: number): number => Math.floor(random() * n)
    const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]
    const bytes = (n: number): Uint8Array => Uint8Array.from({ length: n }, () => int(256))
    const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)
    const bodies = [utf8('hi'), utf8('ü😀'), utf8('\uFEFFbom first'), utf8('x'.repeat(MAX_CHAT_BODY_BYTES)), utf8('😀'.repeat(MAX_CHAT_BODY_BYTES / 4)),
      utf8('x'.repeat(MAX_CHAT_BODY_BYTES + 1)), new Uint8Array(0), Uint8Array.from([0xff]), Uint8Array.from([0xed, 0xa0, 0x80]), Uint8Array.from([0xc0, 0x80]),
      Uint8Array.from([0xf0, 0x9f, 0x98]), Uint8Array.from([0xe2, 0x82, 0xac]), Uint8Array.from([0x00])]

    interface Fields { id: Uint8Array, kind: bigint, sentAt: bigint, body: Uint8Array, ref: Uint8Array, extra?: Field[] }
    const encode = (f: Fields): Uint8Array => {
      const out: Field[] = []
      if (f.id.length > 0) out.push({ n: 1, bytes: f.id })
      if (f.kind !== 0n) out.push({ n: 2, varint: f.kind })
      if (f.sentAt !== 0n) out.push({ n: 3, varint: f.sentAt })
      if (f.body.length > 0) out.push({ n: 4, bytes: f.body })
      if (f.ref.length > 0) out.push({ n: 5, bytes: f.ref })
      return encodeFields([...out, ...(f.extra ?? [])])
    }
    const valid = (): Fields => {
      const kind = 1 + int(4)
      return {
        id: bytes(CHAT_ID_BYTES),
        kind: BigInt(kind),
        sentAt: BigInt(1_750_000_000_000 + int(1e9)),
        body: kind === 1 ? pick(bodies.slice(0, 5)) : new Uint8Array(0),
        ref: kind === 2 || kind === 3 ? bytes(CHAT_ID_BYTES) : new Uint8Array(0)
      }
    }
    const seeds: Uint8Array[] = []
    for (let i = 0; i < 40; i++) seeds.push(encode(valid()))
    // and a few from the encoder under test, in case it lays fields out differently
    for (const kind of KINDS) {
      const id = bytes(CHAT_ID_BYTES)
      const frame: ChatFrame = kind === 'text' ? { kind, id, sentAt: 1_750_000_000_000, text: 'hello' } : kind === 'typing' ? { kind, id, sentAt: 1 } : { kind, id, sentAt: 2, ref: bytes(CHAT_ID_BYTES) }
      seeds.push(encodeChatFrame(frame))
    }

    const mutate = async (seed: Uint8Array): Promise<Uint8Array> => {
      const m = decodeFields(seed)
      const f: Fields = { id: bytesOf(m, 1) ?? new Uint8Array(0), kind: varintOf(m, 2) ?? 0n, sentAt: varintOf(m, 3) ?? 0n, body: bytesOf(m, 4) ?? new Uint8Array(0), ref: bytesOf(m, 5) ?? new Uint8Array(0) }
      switch (int(9)) {
        case 0: f.id = bytes(pick([0, 1, CHAT_ID_BYTES - 1, CHAT_ID_BYTES, CHAT_ID_BYTES + 1, 32])); break
        case 1: f.kind = pick([0n, 1n, 2n, 3n, 4n, 5n, 255n, 2n ** 32n + 1n, 2n ** 64n - 1n]); break
        case 2: f.sentAt = pick([0n, 1n, BigInt(Number.MAX_SAFE_INTEGER), BigInt(Number.MAX_SAFE_INTEGER) + 1n, 2n ** 63n, 2n ** 64n - 1n]); break
        case 3: f.body = pick(bodies); break
        case 4: f.ref = bytes(pick([0, CHAT_ID_BYTES - 1, CHAT_ID_BYTES, CHAT_ID_BYTES + 1])); break
        case 5: {
          // a consistent frame of another kind
          f.kind = BigInt(1 + int(4))
          f.body = f.kind === 1n ? pick(bodies) : new Uint8Array(0)
          f.ref = f.kind === 2n || f.kind === 3n ? bytes(CHAT_ID_BYTES) : new Uint8Array(0)
          break
        }
        case 6: f.extra = [pick<Field>([{ n: 9, varint: 1n }, { n: 15, fixed: bytes(8) }, { n: 16, fixed: bytes(4) }, { n: 6, bytes: bytes(10) }, { n: 1, bytes: bytes(CHAT_ID_BYTES) }, { n: 2, varint: BigInt(int(6)) }, { n: 4, bytes: pick(bodies) }])]; break
        case 7: f.extra = [{ n: 17, bytes: new Uint8Array(MAX_CHAT_FRAME_BYTES - seed.length + int(8) - 4) }]; break
        default: {
          // a known field with the wrong wire type
          const n = 1 + int(5)
          f.extra = [pick<Field>([{ n, varint: BigInt(int(1000)) }, { n, bytes: bytes(int(20)) }, { n, fixed: bytes(8) }])]
        }
      }
      return encode(f)
    }

    const decode = async (input: Uint8Array): Promise<{ accepted: boolean, reason?: string, value?: unknown }> => {
      const res = decodeChatFrame(input)
      if (typeof res !== 'object' || res == null || typeof res.ok !== 'boolean') throw new Error(`decodeChatFrame returned ${String(res)}`)
      return res.ok ? { accepted: true, value: res.frame } : { accepted: false, reason: res.reason }
    }

    /** The chat rules applied to a decoded frame alone. */
    const frameBreaksRules = (frame: ChatFrame): string | undefined => {
      if (!(frame.id instanceof Uint8Array) || frame.id.byteLength !== CHAT_ID_BYTES) return 'returned id length'
      if (!Number.isSafeInteger(frame.sentAt) || frame.sentAt <= 0) return 'returned sentAt'
      if (frame.kind === 'text') {
        const b = Buffer.from(frame.text, 'utf8')
        if (b.byteLength === 0 || b.byteLength > MAX_CHAT_BODY_BYTES || !isUtf8(b)) return 'returned text'
      } else if (frame.kind === 'delivered' || frame.kind === 'read') {
        if (frame.ref.byteLength !== CHAT_ID_BYTES) return 'returned ref'
      } else if (frame.kind !== 'typing') return 'returned kind'
      return undefined
    }

    const oracle = async (input: Uint8Array, outcome: { value?: unknown }): Promise<string | undefined | { lenient: string }> => {
      const frame = outcome.value as ChatFrame
      if (input.byteLength > MAX_CHAT_FRAME_BYTES) return 'oversize'
      let m: Map<number, Field>
      let malformed: string | undefined
      try {
        m = decodeFields(input)
        for (const [n, f] of m) {
          const want = n === 2 || n === 3 ? 'varint' : n === 1 || n === 4 || n === 5 ? 'bytes' : undefined
          if (want != null && !(want in f)) malformed = `field ${n} has wire type of ${Object.keys(f)[1]}, not ${want}`
        }
      } catch (err: any) {
        malformed = `not protobuf: ${err.message}`
      }
      if (malformed != null) {
        // protons reads known fields whatever their wire type says; what counts is what came out
        const broken = frameBreaksRules(frame)
        return broken != null ? `${malformed}; ${broken}` : { lenient: malformed }
      }
      m = m!
      const id = bytesOf(m, 1) ?? new Uint8Array(0)
      // enums are int32 on the wire: a longer varint is truncated to its low 32 bits (protobuf spec)
      const kindNo = BigInt.asIntN(32, varintOf(m, 2) ?? 0n)
      const sentAt = varintOf(m, 3) ?? 0n
      const body = bytesOf(m, 4) ?? new Uint8Array(0)
      const ref = bytesOf(m, 5) ?? new Uint8Array(0)
      if (id.byteLength !== CHAT_ID_BYTES) return 'id length'
      if (kindNo < 1n || kindNo > 4n) return `kind ${kindNo}`
      const kind = KINDS[Number(kindNo) - 1]
      if (sentAt <= 0n || sentAt > BigInt(Number.MAX_SAFE_INTEGER)) return `sentAt ${sentAt}`
      if (kind === 'text') {
        if (ref.byteLength !== 0) return 'text with a ref'
        if (body.byteLength === 0 || body.byteLength > MAX_CHAT_BODY_BYTES) return 'body length'
        if (!isUtf8(body)) return 'body is not UTF-8'
      } else {
        if (body.byteLength !== 0) return `${kind} with a body`
        if (kind === 'typing' ? ref.byteLength !== 0 : ref.byteLength !== CHAT_ID_BYTES) return 'ref length'
      }
      if (frame.kind !== kind || !eq(frame.id, id) || frame.sentAt !== Number(sentAt)) return 'returned kind/id/sentAt differ'
      if (frame.kind === 'text' && !eq(Buffer.from(frame.text, 'utf8'), body)) return 'returned text differs'
      if ((frame.kind === 'delivered' || frame.kind === 'read') && !eq(frame.ref, ref)) return 'returned ref differs'
      return undefined
    }

    return { seeds, mutate, decode, oracle }
  }
}
