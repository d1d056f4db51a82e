/**
 * Fuzzing the XMPP endpoint's parser path (node/xmpp/xml-stream.ts): client
 * streams, mutated at the XML level (tags, entities, CDATA, comments,
 * nesting, size, stray closes, broken UTF-8) and at the byte level, fed in
 * random chunks. The oracle checks each accepted stream independently:
 * chunking does not change what is read, every stanza read serializes and
 * reads back the same, and no stanza breaks the size or depth limit.
 * The same corpus is sent to a live node by test/node/xmpp/fuzz.test.ts.
 */
import { MAX_DEPTH, MAX_PREAUTH_STANZA_BYTES, PARSE_SLICE_CHARS } from '../node/xmpp/constants.js'
import { XmlStreamReader } from '../node/xmpp/xml-stream.js'
import type { DecodeOutcome, FuzzTarget, Random } from './fuzz.js'
import type { Element } from '@xmpp/xml'

export const STREAM_HEADER = "<?xml version='1.0'?><stream:stream to='localhost' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>"

/** Stanzas as clients send them, after login. */
export const STANZA_SEEDS = [
  "<iq type='get' id='r1'><query xmlns='jabber:iq:roster'/></iq>",
  "<presence><show>away</show><status>out &amp; about</status><priority>5</priority></presence>",
  "<message to='bafzaajaiaejcadtyqv67ak7kl47ektbl2hkkr5gpkdm6t7z74vz2nwzmngywqhgh@localhost' type='chat' id='m1'><body>h\u00e9llo &lt;there&gt; \ud83d\ude00</body><request xmlns='urn:xmpp:receipts'/><active xmlns='http://jabber.org/protocol/chatstates'/></message>",
  "<presence type='subscribe' to='bafzaajaiaejcadtyqv67ak7kl47ektbl2hkkr5gpkdm6t7z74vz2nwzmngywqhgh@localhost'><status>hi</status></presence>",
  "<iq type='set' id='b1'><block xmlns='urn:xmpp:blocking'><item jid='bafzaajaiaejcadtyqv67ak7kl47ektbl2hkkr5gpkdm6t7z74vz2nwzmngywqhgh@localhost'/></block></iq>",
  "<iq type='get' id='d1' to='localhost'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>",
  "<iq type='set' id='s1'><query xmlns='jabber:iq:roster'><item jid='x@localhost' name='X'/></query></iq>",
  "<message to='me@localhost/other'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>",
  "<iq type='get' id='p1'><ping xmlns='urn:xmpp:ping'/></iq>"
]

/** Whole client streams, from the header on. */
export const STREAM_SEEDS = [
  STREAM_HEADER + "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>",
  STREAM_HEADER + "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-1'>biwsbj1tZSxyPWZ5a28rZDJsYmJGZ09OUnY5cWt4ZGF3TA==</auth>",
  STREAM_HEADER + "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AG1lAHBhc3N3b3Jk</auth><response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>=</response>",
  STREAM_HEADER + STANZA_SEEDS.join('\n'),
  STREAM_HEADER + STANZA_SEEDS.slice(2, 5).join(' ') + '</stream:stream>'
]

const int = (random: Random, n: number): number => Math.floor(random() * n)
const pick = <T>(random: Random, xs: readonly T[]): T => xs[int(random, xs.length)]
const insertAt = (s: string, at: number, what: string): string => s.slice(0, at) + what + s.slice(at)

/** XML-aware mutations of a client stream. */
const XML_MUTATIONS: Array<(s: string, random: Random) => string> = [
  (s, r) => insertAt(s, int(r, s.length + 1), pick(r, ['&amp;', '&#0;', '&#x110000;', '&bogus;', '&#65;', '&#xD800;', '&', ';'])),
  (s, r) => insertAt(s, int(r, s.length + 1), pick(r, ['<![CDATA[<x>]]>', '<!-- c -->', '<?pi x?>', '<!DOCTYPE x [<!ENTITY a "b">]>', '<![CDATA[', '-->'])),
  (s, r) => insertAt(s, int(r, s.length + 1), pick(r, ['</message>', '</stream:stream>', '<x>', '<a b=\'c\'/>', '<a b=c>', '<a b="\'>', '</>', '<', '>'])),
  (s, r) => { const depth = 1 + int(r, 60); return insertAt(s, int(r, s.length + 1), '<n>'.repeat(depth) + '</n>'.repeat(int(r, depth + 1))) },
  (s, r) => insertAt(s, int(r, s.length + 1), `<big a='${'x'.repeat(int(r, 2 * MAX_PREAUTH_STANZA_BYTES))}'/>`),
  (s, r) => insertAt(s, int(r, s.length + 1), pick(r, ['\u0000', '\uFFFE', '\uD800', '\u00e9', 'text', ' \n\t '])),
  (s, r) => { const a = int(r, s.length); const b = a + int(r, 40); return s.slice(0, a) + s.slice(b) },
  (s, r) => { const a = int(r, s.length); return s.slice(0, a) + s.slice(a).replace(/xmlns='[^']*'/, pick(r, ["xmlns=''", "xmlns='jabber:server'", "xmlns:stream='x'"])) },
  (s, r) => s + pick(r, STANZA_SEEDS).repeat(1 + int(r, 4))
]

export function mutateXml (s: string, random: Random): string {
  let out = s
  for (let k = 1 + int(random, 3); k > 0; k--) out = pick(random, XML_MUTATIONS)(out, random)
  return out
}

export interface ReadResult {
  error?: string
  stanzas: string[]
  maxDepth: number
}

/** Reads a stream as the endpoint does, in the given chunk sizes (repeated); never throws. */
export function readStream (input: Uint8Array, chunks: number[] = [input.length]): ReadResult {
  const result: ReadResult = { stanzas: [], maxDepth: 0 }
  const depth = (el: Element): number => 1 + Math.max(0, ...el.getChildElements().map(depth))
  const reader = new XmlStreamReader({
    open: () => {},
    stanza: (el) => {
      result.stanzas.push(el.toString())
      result.maxDepth = Math.max(result.maxDepth, depth(el))
    },
    close: () => {},
    error: (condition) => { result.error = condition }
  }, { maxStanzaBytes: MAX_PREAUTH_STANZA_BYTES })
  let at = 0
  for (let i = 0; at < input.length && result.error == null; i++) {
    const size = Math.max(1, chunks[i % chunks.length])
    reader.write(input.subarray(at, at + size))
    at += size
  }
  return result
}

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)

export const xmppStreamTarget: FuzzTarget = {
  name: 'xmpp-stream',
  setup: async () => ({
    seeds: STREAM_SEEDS.map(utf8),
    mutate: async (seed, random) => utf8(mutateXml(Buffer.from(seed).toString('utf8'), random)),
    decode: async (input, random): Promise<DecodeOutcome & { context?: unknown }> => {
      const chunks = Array.from({ length: 1 + int(random, 4) }, () => 1 + int(random, 64))
      const read = readStream(input, chunks)
      return read.error != null ? { accepted: false, reason: read.error } : { accepted: true, value: read }
    },
    oracle: async (input, outcome) => {
      const read = outcome.value as ReadResult
      const whole = readStream(input)
      // near the size limit the slice boundaries decide; below it, chunking must not matter
      if (input.length < MAX_PREAUTH_STANZA_BYTES && (whole.error != null || whole.stanzas.join('\n') !== read.stanzas.join('\n'))) {
        return `chunked and whole reads differ: ${whole.error ?? ''} ${whole.stanzas.length} vs ${read.stanzas.length} stanzas`
      }
      if (read.maxDepth > MAX_DEPTH) return `a stanza nested ${read.maxDepth} deep was read`
      for (const s of read.stanzas) {
        // serializing escapes (' becomes &apos;): at most 6 bytes for each byte read
        if (Buffer.byteLength(s) > 6 * (MAX_PREAUTH_STANZA_BYTES + 4 * PARSE_SLICE_CHARS)) return `a stanza of ${Buffer.byteLength(s)} bytes was read`
        const again = readStream(utf8(STREAM_HEADER + s))
        if (again.error != null || again.stanzas.length !== 1 || again.stanzas[0] !== s) return `stanza does not read back the same: ${s.slice(0, 80)}`
      }
      return undefined
    }
  })
}
