import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { encodeNotifyFrame, MAX_NOTIFY_BODY_BYTES, MAX_NOTIFY_PAYLOAD_BYTES, NOTIFY_PAD_BYTES, NotifyFrameError, readNotifyFrame } from '../../protocol/notify-frame.js'
import { FrameReader } from '../../node/notify/frame-reader.js'

/** The body of a frame encodeNotifyFrame made (its uvarint prefix cut off). */
function bodyOf (frame: Uint8Array): Uint8Array {
  let i = 0
  while ((frame[i] & 0x80) !== 0) i++
  return frame.subarray(i + 1)
}

/** A frame of `body` with a minimal prefix. */
const framed = (body: Uint8Array): Uint8Array => {
  const n = body.byteLength
  const prefix = n < 128 ? [n] : [(n & 0x7f) | 0x80, n >> 7]
  return Uint8Array.from([...prefix, ...body])
}

const problem = (fn: () => unknown): string | undefined => {
  try {
    fn()
  } catch (err) {
    if (err instanceof NotifyFrameError) return `${err.reason}: ${err.message}`
    throw err
  }
  return undefined
}

const decodeNotifyBody = (body: Uint8Array): Uint8Array => {
  const read = readNotifyFrame(framed(body))
  if (read == null) throw new Error('incomplete')
  if (!read.ok) throw new NotifyFrameError(read.reason, read.detail)
  return read.payload
}

describe('notify frames', () => {
  it('pads every payload to a multiple of 256 bytes and gives it back unchanged', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 1, maxLength: MAX_NOTIFY_PAYLOAD_BYTES }), (payload) => {
      const body = bodyOf(encodeNotifyFrame(payload))
      expect(body.byteLength % NOTIFY_PAD_BYTES).toBe(0)
      expect(body.byteLength).toBeLessThanOrEqual(MAX_NOTIFY_BODY_BYTES)
      expect(decodeNotifyBody(body)).toEqual(payload)
    }), { numRuns: 200 })
  })

  it('hides the size within 256 bytes: 1 and 254 bytes make frames of one size', () => {
    expect(encodeNotifyFrame(new Uint8Array(1)).byteLength).toBe(encodeNotifyFrame(new Uint8Array(254)).byteLength)
    expect(encodeNotifyFrame(new Uint8Array(255)).byteLength).toBeGreaterThan(encodeNotifyFrame(new Uint8Array(254)).byteLength)
  })

  it('refuses to frame nothing or too much', () => {
    expect(problem(() => encodeNotifyFrame(new Uint8Array(0)))).toMatch(/^malformed/)
    expect(problem(() => encodeNotifyFrame(new Uint8Array(MAX_NOTIFY_PAYLOAD_BYTES + 1)))).toMatch(/^oversize/)
  })

  it('accepts only the one encoding: every other body is an error naming the rule', () => {
    const good = bodyOf(encodeNotifyFrame(Uint8Array.from([1, 2, 3])))
    const nonzero = good.slice(); nonzero[200] = 1
    const wrongLength = good.slice(); wrongLength[1] = 255 // 255 + 2 > 256: needs a 512-byte body
    const shortLength = bodyOf(encodeNotifyFrame(new Uint8Array(300))).slice(); shortLength[0] = 0; shortLength[1] = 3 // 3 bytes in a 512-byte body
    expect(problem(() => decodeNotifyBody(nonzero))).toBe('malformed: padding must be zero bytes')
    expect(problem(() => decodeNotifyBody(wrongLength))).toMatch(/^malformed: payload length 255/)
    expect(problem(() => decodeNotifyBody(shortLength))).toMatch(/^malformed: payload length 3/)
    expect(problem(() => decodeNotifyBody(good.subarray(0, 255)))).toMatch(/^malformed: body of 255 bytes/)
    expect(problem(() => decodeNotifyBody(new Uint8Array(256)))).toBe('malformed: empty payload')
    expect(problem(() => decodeNotifyBody(new Uint8Array(MAX_NOTIFY_BODY_BYTES + 256)))).toMatch(/^oversize/)
  })
})

describe('the frame reader', () => {
  it('gives back every payload, in order, however the bytes are cut', () => {
    fc.assert(fc.property(
      fc.array(fc.uint8Array({ minLength: 1, maxLength: 600 }), { minLength: 1, maxLength: 8 }),
      fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 20 }),
      (payloads, cuts) => {
        const wire = Buffer.concat(payloads.map(p => encodeNotifyFrame(p)))
        const got: Uint8Array[] = []
        const reader = new FrameReader(p => { got.push(Uint8Array.from(p)) })
        let at = 0
        for (let i = 0; at < wire.byteLength; i++) {
          const n = cuts[i % cuts.length]
          reader.push(wire.subarray(at, at + n))
          at += n
        }
        expect(got).toEqual(payloads)
      }), { numRuns: 100 })
  })

  it('ends at a length over the limit before the body arrives, and at a non-minimal prefix', () => {
    const reader = new FrameReader(() => { throw new Error('no payload expected') })
    // uvarint 8704 (the limit + 256) = 0x80 0x44
    expect(problem(() => { reader.push(Uint8Array.from([0x80, 0x44])) })).toMatch(/^oversize/)
    const again = new FrameReader(() => {})
    // 256 as 0x80 0x82 0x00: three bytes where two do
    expect(problem(() => { again.push(Uint8Array.from([0x80, 0x82, 0x00])) })).toBe('malformed: length prefix not minimally encoded')
  })
})
