/** Vectors of notify frames, the direct presence path (docs/protocol.md §11.2). */
import { hex, utf8, verified, accepted, refused } from './common.js'
import type { VectorCase, VectorFile } from './common.js'

/** Unsigned LEB128, written here by hand rather than taken from protocol/. */
function uvarint (n: number): number[] {
  const out: number[] = []
  while (n >= 0x80) { out.push((n & 0x7f) | 0x80); n = Math.floor(n / 128) }
  out.push(n)
  return out
}

/** body = uint16be(n) || payload || zeros up to a multiple of 256 (or `bodyBytes`). */
function body (payload: Uint8Array, bodyBytes = Math.ceil((payload.byteLength + 2) / 256) * 256, n = payload.byteLength): Uint8Array {
  const b = new Uint8Array(bodyBytes)
  b[0] = n >> 8
  b[1] = n & 0xff
  b.set(payload.subarray(0, Math.max(0, bodyBytes - 2)), 2)
  return b
}

const frame = (b: Uint8Array, prefix: number[] = uvarint(b.byteLength)): Uint8Array => Uint8Array.from([...prefix, ...b])
const fill = (n: number, start = 1): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (start + i) % 251 + 1)

function valid (name: string, payload: Uint8Array, why?: string): VectorCase {
  const bytes = frame(body(payload))
  return { name, why, encode: { payload: hex(payload) }, bytes: hex(bytes), expect: accepted({ payload: hex(payload), size: bytes.byteLength }) }
}

const refusal = (name: string, why: string, bytes: Uint8Array, reason: string): VectorCase => ({ name, why, bytes: hex(bytes), expect: refused(reason) })

export async function notifyVectors (): Promise<VectorFile> {
  const note = utf8('a presence envelope is opaque here')
  const nonzero = body(note)
  nonzero[200] = 1
  const frames: VectorCase[] = [
    valid('one byte', Uint8Array.of(0x2a), 'the smallest payload: a 256-byte body'),
    valid('254 bytes', fill(254), '2 + 254 = 256: no padding, no extra block'),
    valid('255 bytes', fill(255), 'one more byte: a 512-byte body'),
    valid('8,446 bytes', fill(8_446), 'the largest payload: an 8,448-byte body, the limit is inclusive (version 2 inner bytes take at most 8,194)'),
    { name: 'followed by the next frame', why: 'a frame ends where its body ends; size says how far', bytes: hex(Uint8Array.from([...frame(body(note)), ...frame(body(Uint8Array.of(7)))])), expect: accepted({ payload: hex(note), size: 258 }) },
    refusal('body of 8,704 bytes', 'over 8,448: refused from the prefix, before the body arrives', Uint8Array.from(uvarint(8_704)), 'oversize'),
    refusal('a prefix of three bytes or more', 'no body length the rules accept needs more than two', Uint8Array.of(0x80, 0x80, 0x80, 0x01), 'oversize'),
    refusal('256 as a three-byte prefix', 'the prefix is minimally encoded', frame(body(note), [0x80, 0x82, 0x00]), 'malformed'),
    refusal('body of 255 bytes', 'a positive multiple of 256', frame(body(note, 255)), 'malformed'),
    refusal('empty body', 'a positive multiple of 256', Uint8Array.of(0x00), 'malformed'),
    refusal('payload length 0', 'a frame carries at least one byte', frame(body(new Uint8Array(0), 256)), 'malformed'),
    refusal('payload length 255 in a 256-byte body', 'the body is the one padding for n: 512 bytes here', frame(body(fill(255), 256, 255)), 'malformed'),
    refusal('payload length 3 in a 512-byte body', 'padding is minimal: 3 bytes take a 256-byte body', frame(body(fill(3), 512, 3)), 'malformed'),
    refusal('non-zero padding', 'every padding byte is 0', frame(nonzero), 'malformed')
  ]
  return await verified({
    type: 'notify',
    spec: 'docs/protocol.md §11.2',
    description: 'Frames of /presence-mesh/notify/2.0.0 with their uvarint length prefix, from the start of a stream\'s bytes. encodeNotifyFrame(payload) must give bytes; readNotifyFrame(bytes) must give expect: the payload and the frame\'s size in bytes, or the reason.',
    sections: { frames }
  })
}
