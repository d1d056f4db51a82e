/**
 * The watcher's end of a notify stream cuts whatever chunks the muxer hands
 * it (plain buffers, lists of one or many buffers, frames split anywhere)
 * into the same payloads, in order.
 */
import fc from 'fast-check'
import { Uint8ArrayList } from 'uint8arraylist'
import { describe, expect, it } from 'vitest'
import { FrameReader } from '../../../node/notify/frame-reader.js'
import { encodeNotifyFrame, NotifyFrameError } from '../../../protocol/notify-frame.js'

const payload = (i: number, size: number): Uint8Array => new Uint8Array(size).fill(i % 251 + 1)

function readAll (chunks: Array<Uint8Array | Uint8ArrayList>): Uint8Array[] {
  const out: Uint8Array[] = []
  const reader = new FrameReader(p => { out.push(p.slice()) })
  for (const c of chunks) reader.push(c)
  return out
}

describe('notify frame reader', () => {
  const payloads = [payload(1, 1), payload(2, 248), payload(3, 300), payload(4, 2000)]
  const bytes = Uint8Array.from(payloads.flatMap(p => [...encodeNotifyFrame(p)]))

  it('reads the same payloads from one buffer, a list of one, a list of many and single bytes', () => {
    expect(readAll([bytes])).toEqual(payloads)
    expect(readAll([new Uint8ArrayList(bytes)])).toEqual(payloads)
    expect(readAll([new Uint8ArrayList(bytes.subarray(0, 5), bytes.subarray(5, 700), bytes.subarray(700))])).toEqual(payloads)
    expect(readAll([...bytes].map(b => Uint8Array.of(b)))).toEqual(payloads)
  })

  it('reads any split into buffers and lists, a frame carried over from one chunk to the next', () => {
    fc.assert(fc.property(fc.uniqueArray(fc.integer({ min: 1, max: bytes.byteLength - 1 }), { maxLength: 12 }), fc.array(fc.boolean(), { minLength: 13, maxLength: 13 }), (cuts, asList) => {
      const at = [0, ...cuts.sort((a, b) => a - b), bytes.byteLength]
      const chunks = at.slice(1).map((end, i) => {
        const part = bytes.subarray(at[i], end)
        // a list of two buffers when it can be cut once more
        return asList[i] ? (part.byteLength > 1 ? new Uint8ArrayList(part.subarray(0, 1), part.subarray(1)) : new Uint8ArrayList(part)) : part
      })
      expect(readAll(chunks)).toEqual(payloads)
    }), { numRuns: 100 })
  })

  it('throws on a frame that breaks the rules, whether it came as a buffer or a list', () => {
    const bad = Uint8Array.from([0x81, 0x02, 0, 1, 7])
    expect(() => readAll([bad])).toThrow(NotifyFrameError)
    expect(() => readAll([new Uint8ArrayList(bad)])).toThrow(NotifyFrameError)
  })
})
