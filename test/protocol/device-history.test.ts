/**
 * The wire form and the rules of /presence-mesh/device-history/1.0.0
 * (docs/protocol.md §14.12): frames round-trip and every check refuses what
 * it should; the conversation order is a total order that every device
 * computes the same way; read marks merge in any order to the same mark.
 */
import '../../node/polyfill.js'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { chatIdToHex } from '../../protocol/chat-frame.js'
import { comparePositions, decodeHistoryFrame, encodeHistoryFrame, laterMark, MAX_HISTORY_CURSORS, MAX_HISTORY_FRAME_BYTES, nextSentAt, positionKey } from '../../protocol/device-history.js'
import { MAX_TIME_MS } from '../../protocol/limits.js'
import { HistoryFrame as HistoryFramePb } from '../../protocol/pb/device-history.js'
import type { HistoryPosition, HistoryRecord } from '../../protocol/device-history.js'

const ids = await Promise.all([1, 2, 3, 4].map(async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()))
const [me, other, contact, contactDevice] = ids

const positionArb = fc.record({
  sentAt: fc.integer({ min: 1, max: MAX_TIME_MS }),
  author: fc.constantFrom(...ids),
  id: fc.uint8Array({ minLength: 16, maxLength: 16 }).map(chatIdToHex)
})

const record = (over: Partial<HistoryRecord> = {}): HistoryRecord => ({
  origin: me, seq: 1, contact, id: '00112233445566778899aabbccddeeff', outgoing: true, author: me, sentAt: 1_700_000_000_000, text: 'hello', ...over
})

describe('conversation order', () => {
  it('is a total order: antisymmetric, transitive, ties only for the same position', () => {
    fc.assert(fc.property(positionArb, positionArb, positionArb, (a, b, c) => {
      expect(Math.sign(comparePositions(a, b))).toBe(-Math.sign(comparePositions(b, a)))
      if (comparePositions(a, b) <= 0 && comparePositions(b, c) <= 0) expect(comparePositions(a, c)).toBeLessThanOrEqual(0)
      const same = a.sentAt === b.sentAt && a.author === b.author && a.id === b.id
      expect(comparePositions(a, b) === 0).toBe(same)
    }))
  })

  it('orders by sent_at first, then author, then id, and the key sorts as the order does', () => {
    fc.assert(fc.property(positionArb, positionArb, (a, b) => {
      if (a.sentAt !== b.sentAt) expect(Math.sign(comparePositions(a, b))).toBe(Math.sign(a.sentAt - b.sentAt))
      const ka = positionKey(a)
      const kb = positionKey(b)
      expect(Math.sign(comparePositions(a, b))).toBe(ka < kb ? -1 : ka > kb ? 1 : 0)
    }))
  })

  it('gives the same list whatever order the messages arrived in (and however often)', () => {
    fc.assert(fc.property(fc.array(positionArb, { maxLength: 30 }), fc.func(fc.integer()), (ps, rank) => {
      const shuffled = [...ps, ...ps.slice(0, 3)].sort((x, y) => rank(positionKey(x)) - rank(positionKey(y)))
      const dedup = (xs: HistoryPosition[]): string[] => [...new Set(xs.map(positionKey))].sort()
      expect(dedup(shuffled)).toEqual(dedup(ps))
    }))
  })

  it('keeps a device\'s messages in send order when its clock steps back', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 1, max: 2 ** 40 }), { minLength: 1, maxLength: 50 }), (clock) => {
      let last = 0
      const stamps = clock.map(now => (last = nextSentAt(now, last)))
      for (let i = 1; i < stamps.length; i++) expect(stamps[i]).toBeGreaterThan(stamps[i - 1])
    }))
  })
})

describe('read marks', () => {
  it('merge to the greatest, in any order: commutative, associative, idempotent', () => {
    fc.assert(fc.property(positionArb, positionArb, positionArb, (a, b, c) => {
      const key = (p?: HistoryPosition): string | undefined => p == null ? undefined : positionKey(p)
      expect(key(laterMark(a, b))).toBe(key(laterMark(b, a)))
      expect(key(laterMark(laterMark(a, b), c))).toBe(key(laterMark(a, laterMark(b, c))))
      expect(key(laterMark(a, a))).toBe(key(a))
      expect(key(laterMark(undefined, a))).toBe(key(a))
    }))
  })
})

describe('frames', () => {
  it('round-trip: hello, record, end', () => {
    const hello = { type: 'hello' as const, have: [{ device: me, seq: 3 }, { device: other, seq: 9 }], read: [{ contact, sentAt: 5, author: contactDevice, id: '00'.repeat(16) }] }
    expect(decodeHistoryFrame(encodeHistoryFrame(hello))).toEqual({ ok: true, frame: hello })
    const r = record()
    expect(decodeHistoryFrame(encodeHistoryFrame({ type: 'record', record: r }))).toEqual({ ok: true, frame: { type: 'record', record: r } })
    const incoming = record({ outgoing: false, author: contactDevice, text: 'héllo 👋' })
    expect(decodeHistoryFrame(encodeHistoryFrame({ type: 'record', record: incoming }))).toEqual({ ok: true, frame: { type: 'record', record: incoming } })
    expect(decodeHistoryFrame(encodeHistoryFrame({ type: 'end' }))).toEqual({ ok: true, frame: { type: 'end' } })
  })

  it('refuses what breaks a rule, with its reason', () => {
    const enc = (r: Partial<HistoryRecord>): Uint8Array => encodeHistoryFrame({ type: 'record', record: record(r) })
    const reason = (b: Uint8Array): string | undefined => { const res = decodeHistoryFrame(b); return res.ok ? undefined : res.reason }
    expect(reason(new Uint8Array(MAX_HISTORY_FRAME_BYTES + 1))).toBe('oversize')
    expect(reason(Uint8Array.of(0x0a, 0x05))).toBe('malformed')
    expect(reason(new Uint8Array(0))).toBe('invalid-field')
    expect(reason(HistoryFramePb.encode({ end: true, hello: { have: [], read: [] } }))).toBe('invalid-field')
    expect(reason(enc({ seq: 0 }))).toBe('invalid-field')
    expect(reason(enc({ sentAt: 0 }))).toBe('invalid-field')
    // outgoing: written by its origin; incoming: by someone else
    expect(reason(enc({ author: other }))).toBe('invalid-field')
    expect(reason(enc({ outgoing: false }))).toBe('invalid-field')
    const pb = (): NonNullable<ReturnType<typeof HistoryFramePb.decode>['record']> => HistoryFramePb.decode(enc({})).record as NonNullable<ReturnType<typeof HistoryFramePb.decode>['record']>
    const wrongId = HistoryFramePb.encode({ record: { ...pb(), id: new Uint8Array(15) } })
    expect(reason(wrongId)).toBe('invalid-field')
    const noText = HistoryFramePb.encode({ record: { ...pb(), text: '' } })
    expect(reason(noText)).toBe('invalid-field')
    const tooMany = encodeHistoryFrame({ type: 'hello', have: Array.from({ length: MAX_HISTORY_CURSORS + 1 }, (_, i) => ({ device: ids[i % 4], seq: i + 1 })), read: [] })
    expect(reason(tooMany)).toBe('invalid-field')
    const twice = encodeHistoryFrame({ type: 'hello', have: [{ device: me, seq: 1 }, { device: me, seq: 2 }], read: [] })
    expect(reason(twice)).toBe('invalid-field')
    expect(() => encodeHistoryFrame({ type: 'record', record: record({ text: '' }) })).toThrow()
  })

  it('never throws on any bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), b => { expect(typeof decodeHistoryFrame(b).ok).toBe('boolean') }))
  })
})
