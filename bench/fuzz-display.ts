/**
 * Fuzz target: what the CLI prints of text others wrote (cli/safe-text.ts
 * and the line builders of cli/format.ts). Every input is displayed, so
 * every input is "accepted"; the oracle checks, independently of the
 * escaping code, that the printed UTF-8 holds no byte a terminal acts on
 * (C0, DEL, C1: no CSI, OSC or DCS can start), no bidi control, no line or
 * paragraph separator, and that printable input characters all survive.
 * The input bytes are read both as UTF-8 and as UTF-16 code units, so lone
 * surrogates are reached too.
 */
import { messageLine, presenceLine } from '../cli/format.js'
import { safe } from '../cli/safe-text.js'
import type { FuzzTarget, Random } from './fuzz.js'

const SEEDS = ['hello', '\u001b[2J\u001b[H', '\u001b]0;title\u0007', '\u009b31m', 'line\nforged [00:00] bob went offline', '\u202eevil\u202c',
  '\u2066iso\u2069', 'a\u2028b', '\u200fmark', '👨‍👩‍👧 ok', 'é中文', '\r\u001b[2Kwho asks']

const BIDI = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/u

/** The independent judgement: what a terminal would act on in these printed bytes. */
function unsafe (printed: string): string | undefined {
  const bytes = Buffer.from(printed, 'utf8')
  for (const b of bytes) if (b < 0x20 || b === 0x7f) return `byte 0x${b.toString(16)} printed`
  for (const ch of bytes.toString('utf8')) {
    const cp = ch.codePointAt(0)!
    if (cp >= 0x80 && cp <= 0x9f) return `C1 control U+${cp.toString(16)} printed`
    if (BIDI.test(ch)) return `U+${cp.toString(16)} printed raw`
  }
  return undefined
}

const texts = (input: Uint8Array): string[] => {
  const units = Array.from({ length: input.length >> 1 }, (_, i) => input[2 * i] | (input[2 * i + 1] << 8))
  return [Buffer.from(input).toString('utf8'), String.fromCharCode(...units)]
}

export const displayTarget: FuzzTarget = {
  name: 'displayText',
  acceptsAll: true,
  setup: async (_random: Random) => ({
    seeds: SEEDS.flatMap(s => [new TextEncoder().encode(s), Uint8Array.from(Buffer.from(s, 'utf16le'))]),
    mutate: async (seed, random) => {
      const out = Uint8Array.from(seed)
      // drop in a control or format character where a byte was
      const pick = [0x1b, 0x9b, 0x07, 0x0a, 0x0d, 0x00, 0x7f, 0x85][Math.floor(random() * 8)]
      if (out.length > 0) out[Math.floor(random() * out.length)] = pick
      return out
    },
    decode: async (input) => {
      const printed: string[] = []
      for (const t of texts(input)) {
        printed.push(safe(t))
        printed.push(messageLine({ id: '00', peer: 'p', direction: 'in', text: t, sentAt: 0, state: 'delivered', seq: 1 }, safe(t)))
        printed.push(presenceLine({ peerId: 'p', status: 'busy', note: t, activity: t }, safe(t), 'online'))
      }
      return { accepted: true, value: printed, context: texts(input) }
    },
    oracle: async (_input, outcome) => {
      for (const line of outcome.value as string[]) {
        const why = unsafe(line)
        if (why != null) return why
      }
      // nothing printable is lost: every character that needs no escape is still there, in order
      for (const t of outcome.context as string[]) {
        const kept = [...t].filter(ch => /^[\p{L}\p{N}\p{P}\p{S} ]$/u.test(ch)).join('')
        const shown = safe(t)
        let at = 0
        for (const ch of kept) {
          at = shown.indexOf(ch, at)
          if (at < 0) return `printable ${JSON.stringify(ch)} lost`
          at += ch.length
        }
      }
      return undefined
    }
  })
}
