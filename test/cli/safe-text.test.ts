/**
 * Display safety: whatever a peer supplies, what the CLI prints holds no
 * byte a terminal acts on (C0 and C1 controls, so no CSI/OSC/DCS), no bidi
 * control, no line break, no lone surrogate. fast-check drives every print
 * path with arbitrary UTF-16 strings.
 */
import * as fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { describeError } from '../../cli/errors.js'
import { describe as describePresence, messageLine, presenceLine, stateLine } from '../../cli/format.js'
import { isSafe, safe, safeJson, safeMarkup } from '../../cli/safe-text.js'
import type { ChatMessage, PresenceView } from '../../node/index.js'

/** Any UTF-16 string, lone surrogates and every control included. */
const anyText = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map(c => String.fromCharCode(c)), maxLength: 60 })
/** Strings made mostly of what attackers use. */
const hostile = fc.array(fc.constantFrom('\u001b[2J', '\u001b]0;owned\u0007', '\u009b31m', '\r', '\n', '\u202e', '\u2066', '\u200f', '\u0000', '\u007f', '\u2028', '\ud800', 'x', 'é', '👨‍👩‍👧'), { maxLength: 12 }).map(a => a.join(''))
const text = fc.oneof(anyText, hostile, fc.string({ unit: 'grapheme', maxLength: 30 }))

/** Bidi controls: embeddings, overrides, isolates, marks. */
const BIDI = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u

/** What a terminal receiving these bytes (UTF-8, as Node writes strings) would act on or mis-render. */
function unsafeBytes (printed: string): string[] {
  const bad: string[] = []
  const bytes = Buffer.from(printed, 'utf8')
  for (const b of bytes) if (b < 0x20 || b === 0x7f) bad.push(`byte 0x${b.toString(16)}`)
  for (const ch of bytes.toString('utf8')) {
    const cp = ch.codePointAt(0)!
    if (cp >= 0x80 && cp <= 0x9f) bad.push(`C1 U+${cp.toString(16)}`)
    if (BIDI.test(ch) || ch === '\u2028' || ch === '\u2029') bad.push(`U+${cp.toString(16)}`)
  }
  return bad
}

const message = (t: string, direction: 'in' | 'out'): ChatMessage => ({ id: 'ab', peer: 'p', direction, text: t, sentAt: 1_700_000_000_000, receivedAt: 1_700_000_900_000, state: 'delivered', seq: 1 })

describe('safe()', () => {
  it('prints no byte a terminal acts on, whatever the text (fast-check)', () => {
    fc.assert(fc.property(text, (t) => {
      expect(unsafeBytes(safe(t))).toEqual([])
      expect(isSafe(safe(t))).toBe(true)
    }), { numRuns: 5_000 })
  })

  it('leaves ordinary text alone, emoji joiners included, and escapes visibly', () => {
    for (const ok of ['hello', 'é naïve 中文', '👨‍👩‍👧 family', 'tab-free: a, b; c!']) expect(safe(ok)).toBe(ok)
    expect(safe('a\nb')).toBe('a\\nb')
    expect(safe('\u001b[2Jx')).toBe('\\x1b[2Jx')
    expect(safe('\u202eevil')).toBe('\\u202eevil')
    expect(safe('\u009b31m')).toBe('\\x9b31m')
    expect(safe('\ud800')).toBe('\\ud800')
  })

  it('keeps printable text printable: what safe() keeps of the input is the input, in order', () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme-ascii', maxLength: 40 }), (t) => {
      const printable = t.replace(/[\u0000-\u001f\u007f]/g, '')
      expect(safe(printable)).toBe(printable)
    }))
  })

  it('safeJson reads back as the same value and prints nothing unsafe', () => {
    fc.assert(fc.property(fc.array(text, { maxLength: 4 }), (parts) => {
      const value = { parts, nested: { note: parts.join('') } }
      const json = safeJson(value, 2)
      expect(JSON.parse(json)).toEqual(value)
      expect(unsafeBytes(json.replace(/\n/g, ''))).toEqual([])
    }), { numRuns: 2_000 })
  })

  it('safeMarkup leaves no markup for a notification daemon', () => {
    expect(safeMarkup('<b>hi</b> & <a href="x">')).toBe('&lt;b&gt;hi&lt;/b&gt; &amp; &lt;a href="x"&gt;')
  })
})

describe('every print path of what peers supply', () => {
  it('messages, presence, notes, activities, states and errors hold no unsafe byte (fast-check)', () => {
    fc.assert(fc.property(text, text, text, (a, b, c) => {
      const view: PresenceView = { peerId: 'p', status: 'away', note: a, activity: b, lastSeen: 1 }
      const printed = [
        messageLine(message(a, 'in'), safe(c)),
        messageLine(message(a, 'out'), safe(c)),
        stateLine(message(b, 'out'), safe(c)),
        presenceLine(view, safe(c), 'online'),
        describePresence({ ...view, status: 'offline' }),
        describeError({ name: 'UnknownPersonError', input: a }),
        describeError({ name: 'InvalidAliasError', alias: a, reason: b }),
        describeError(new Error(a))
      ]
      for (const line of printed) expect(unsafeBytes(line)).toEqual([])
    }), { numRuns: 3_000 })
  })
})
