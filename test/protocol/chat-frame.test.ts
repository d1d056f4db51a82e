import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ChatFrame as ChatFramePb, ChatKind } from '../../protocol/pb/chat.js'
import {
  CHAT_REJECT_REASONS, chatIdFromHex, chatIdToHex, checkChatText, decodeChatFrame, encodeChatFrame, newChatId
} from '../../protocol/chat-frame.js'
import { CHAT_ID_BYTES, MAX_CHAT_BODY_BYTES, MAX_CHAT_FRAME_BYTES } from '../../protocol/limits.js'
import type { ChatFrame } from '../../protocol/chat-frame.js'

const pb = (f: Partial<ChatFramePb>): Uint8Array => ChatFramePb.encode({
  id: newChatId() as Uint8Array<ArrayBuffer>,
  kind: ChatKind.TEXT,
  sentAt: 1_700_000_000_000n,
  body: new TextEncoder().encode('hello') as Uint8Array<ArrayBuffer>,
  ref: new Uint8Array(0),
  ...f
})
const reason = (bytes: Uint8Array): string | undefined => {
  const r = decodeChatFrame(bytes)
  return r.ok ? undefined : r.reason
}

const idArb = fc.uint8Array({ minLength: CHAT_ID_BYTES, maxLength: CHAT_ID_BYTES })
const sentAtArb = fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER })
/** Texts within the byte limit: up to 1000 code points of at most 4 bytes each. */
const textArb = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1000 })
  .filter(t => t.length > 0 && new TextEncoder().encode(t).byteLength <= MAX_CHAT_BODY_BYTES)
const frameArb: fc.Arbitrary<ChatFrame> = fc.oneof(
  fc.record({ kind: fc.constant('text' as const), id: idArb, sentAt: sentAtArb, text: textArb }),
  fc.record({ kind: fc.constantFrom('delivered' as const, 'read' as const), id: idArb, sentAt: sentAtArb, ref: idArb }),
  fc.record({ kind: fc.constant('typing' as const), id: idArb, sentAt: sentAtArb })
)

describe('chat frames', () => {
  it('round-trip every kind', () => {
    const id = newChatId()
    expect(id.byteLength).toBe(16)
    for (const f of [
      { kind: 'text', id, sentAt: 1, text: 'héllo 👋' },
      { kind: 'delivered', id, sentAt: 2, ref: newChatId() },
      { kind: 'read', id, sentAt: 3, ref: newChatId() },
      { kind: 'typing', id, sentAt: 4 }
    ] as ChatFrame[]) {
      expect(decodeChatFrame(encodeChatFrame(f))).toEqual({ ok: true, frame: f })
    }
  })

  it('reject what a receiver must not accept', () => {
    expect(reason(pb({}))).toBeUndefined()
    expect(reason(new Uint8Array(MAX_CHAT_FRAME_BYTES + 1))).toBe('oversize')
    expect(reason(Uint8Array.from([0x0a, 0x20, 0x01]))).toBe('malformed')
    expect(reason(pb({ id: new Uint8Array(15) as Uint8Array<ArrayBuffer> }))).toBe('bad-id')
    expect(reason(pb({ id: new Uint8Array(17) as Uint8Array<ArrayBuffer> }))).toBe('bad-id')
    expect(reason(pb({ id: new Uint8Array(0) }))).toBe('bad-id')
    expect(reason(pb({ kind: ChatKind.KIND_UNSPECIFIED }))).toBe('bad-kind')
    expect(reason(pb({ sentAt: 0n }))).toBe('bad-sent-at')
    expect(reason(pb({ sentAt: 2n ** 60n }))).toBe('bad-sent-at')
    expect(reason(pb({ body: new Uint8Array(0) }))).toBe('bad-body')
    expect(reason(pb({ body: Uint8Array.from([0xff]) as Uint8Array<ArrayBuffer> }))).toBe('bad-body')
    expect(reason(pb({ body: new Uint8Array(MAX_CHAT_BODY_BYTES + 1).fill(0x61) as Uint8Array<ArrayBuffer> }))).toBe('bad-body')
    expect(reason(pb({ ref: newChatId() as Uint8Array<ArrayBuffer> }))).toBe('bad-ref')
    expect(reason(pb({ kind: ChatKind.DELIVERED, body: new Uint8Array(0), ref: new Uint8Array(3) as Uint8Array<ArrayBuffer> }))).toBe('bad-ref')
    expect(reason(pb({ kind: ChatKind.READ, ref: newChatId() as Uint8Array<ArrayBuffer> }))).toBe('bad-body')
    expect(reason(pb({ kind: ChatKind.TYPING, body: new Uint8Array(0), ref: newChatId() as Uint8Array<ArrayBuffer> }))).toBe('bad-ref')
    // the largest valid text (1 + 1333 * 3 = 4000 bytes) fits in a frame
    const big = encodeChatFrame({ kind: 'text', id: newChatId(), sentAt: Number.MAX_SAFE_INTEGER, text: 'a' + '€'.repeat(1333) })
    expect(big.byteLength).toBeLessThanOrEqual(MAX_CHAT_FRAME_BYTES)
    expect(decodeChatFrame(big).ok).toBe(true)
  })

  it('check user text', () => {
    expect(() => { checkChatText('') }).toThrow(/some text/)
    expect(() => { checkChatText('a\uD800b') }).toThrow(/Unicode/)
    expect(() => { checkChatText('x'.repeat(MAX_CHAT_BODY_BYTES + 1)) }).toThrow(/limit is 4000/)
    expect(() => { checkChatText('x'.repeat(MAX_CHAT_BODY_BYTES)) }).not.toThrow()
    expect(() => encodeChatFrame({ kind: 'read', id: newChatId(), sentAt: 1, ref: new Uint8Array(2) })).toThrow(/bad-ref/)
    const id = newChatId()
    expect(chatIdFromHex(chatIdToHex(id))).toEqual(id)
    expect(() => chatIdFromHex('zz')).toThrow()
  })

  it('decoder never throws and accepts exactly what the encoder produces (property)', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: MAX_CHAT_FRAME_BYTES + 64 }), (bytes) => {
      const r = decodeChatFrame(bytes)
      if (r.ok) {
        // anything accepted re-encodes to a frame that decodes the same
        expect(decodeChatFrame(encodeChatFrame(r.frame))).toEqual(r)
        expect(r.frame.id.byteLength).toBe(CHAT_ID_BYTES)
      } else {
        expect(CHAT_REJECT_REASONS).toContain(r.reason)
      }
    }), { numRuns: 2000 })

    fc.assert(fc.property(frameArb, (f) => {
      const bytes = encodeChatFrame(f)
      expect(bytes.byteLength).toBeLessThanOrEqual(MAX_CHAT_FRAME_BYTES)
      expect(decodeChatFrame(bytes)).toEqual({ ok: true, frame: f })
    }), { numRuns: 500 })

    // mutating one byte of a valid frame never makes the decoder throw
    fc.assert(fc.property(frameArb, fc.nat(), fc.integer({ min: 0, max: 255 }), (f, at, value) => {
      const bytes = encodeChatFrame(f)
      bytes[at % bytes.byteLength] = value
      const r = decodeChatFrame(bytes)
      expect(typeof r.ok).toBe('boolean')
    }), { numRuns: 1000 })
  })
})
