/**
 * Reads one XML stream (RFC 6120 §4) from untrusted bytes with @xmpp/xml's
 * streaming parser (ltx underneath), within limits: the bytes of one stanza,
 * the nesting inside it, and nothing but whitespace between stanzas. Any
 * breach ends the stream with the stream error it calls for; nothing thrown
 * by the parser escapes. ltx expands no DTDs and knows only the five XML
 * entities and character references, so no entity trick reaches memory.
 */
import { StringDecoder } from 'node:string_decoder'
import { Parser } from '@xmpp/xml'
import { MAX_DEPTH, PARSE_SLICE_CHARS } from './constants.js'
import type { Element } from '@xmpp/xml'

export type StreamErrorCondition =
  | 'bad-format' | 'conflict' | 'connection-timeout' | 'host-unknown' | 'internal-server-error'
  | 'invalid-namespace' | 'not-authorized' | 'not-well-formed' | 'policy-violation' | 'reset'
  | 'resource-constraint' | 'restricted-xml' | 'system-shutdown' | 'undefined-condition'
  | 'unsupported-stanza-type' | 'unsupported-version'

export interface XmlStreamHandlers {
  /** The stream header: the root element, without children. */
  open: (root: Element) => void
  /** One complete top-level element (a stanza or a negotiation element). */
  stanza: (el: Element) => void
  /** The peer closed its stream (</stream:stream>). */
  close: () => void
  /** The input broke a rule; the reader stops reading. */
  error: (condition: StreamErrorCondition, text: string) => void
}

export interface XmlStreamLimits {
  /** Bytes of one stanza, or of what comes between two. */
  maxStanzaBytes: number
  /** Element nesting inside a stanza (default MAX_DEPTH). */
  maxDepth?: number
}

class StreamBreach extends Error {
  constructor (readonly condition: StreamErrorCondition, message: string) {
    super(message)
  }
}

/** @xmpp/xml's parser, with text between stanzas limited to whitespace (it would otherwise pile up on the root). */
class StreamParser extends Parser {
  override onText (text: string): void {
    if (this.cursor != null && this.cursor !== this.root) {
      super.onText(text)
      return
    }
    if (!/^[ \t\r\n]*$/.test(text)) throw new StreamBreach('not-well-formed', 'text outside a stanza')
  }
}

export class XmlStreamReader {
  private readonly parser = new StreamParser()
  private readonly decoder = new StringDecoder('utf8')
  private readonly maxDepth: number
  /** Bytes fed since the slice in which the last stanza ended. */
  private pending = 0
  /** Characters held back for the next write (see write). */
  private held = ''
  private depth = 0
  private ended = false
  private stopped = false

  constructor (private readonly handlers: XmlStreamHandlers, private readonly limits: XmlStreamLimits) {
    this.maxDepth = limits.maxDepth ?? MAX_DEPTH
    const p = this.parser
    // the parser's own listeners run first, so a breach thrown here aborts its write()
    p.parser.on('startElement', () => {
      // the stream root is depth 1
      if (++this.depth > this.maxDepth + 1) throw new StreamBreach('policy-violation', `elements nested deeper than ${this.maxDepth}`)
    })
    p.parser.on('endElement', () => { this.depth-- })
    p.on('start', (root: Element) => { this.handlers.open(root) })
    p.on('element', (el: Element) => {
      this.ended = true
      // the stanza keeps its namespace context (its parent is the root) but the root keeps nothing
      if (p.root != null) p.root.children.length = 0
      if (!this.stopped) this.handlers.stanza(el)
    })
    p.on('end', () => {
      this.stopped = true
      this.handlers.close()
    })
    p.on('error', (err: Error) => { throw new StreamBreach('not-well-formed', err.message) })
  }

  /** Feeds bytes as they arrive; does nothing once the reader stopped. */
  write (chunk: Uint8Array): void {
    if (this.stopped) return
    let text = this.held + this.decoder.write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength))
    // ltx finds the end of a comment, processing instruction or CDATA section ("-->", "?>", "]]>") only when
    // the ">" and the characters before it come in one write: hold back a tail that may start such an end
    const tail = /[-?\]]{1,2}$/.exec(text)?.[0] ?? ''
    this.held = tail
    text = text.slice(0, text.length - tail.length)
    for (let i = 0; i < text.length && !this.stopped; i += PARSE_SLICE_CHARS) {
      let end = i + PARSE_SLICE_CHARS
      // the same for our own slices
      while (end < text.length && end > i + 1 && /[-?\]]/.test(text[end - 1])) end--
      const slice = text.slice(i, end)
      i = end - PARSE_SLICE_CHARS
      this.ended = false
      this.pending += Buffer.byteLength(slice)
      try {
        this.parser.write(slice)
      } catch (err: any) {
        this.fail(err instanceof StreamBreach ? err.condition : 'not-well-formed', String(err?.message ?? err))
        return
      }
      if (this.ended) this.pending = 0
      else if (this.pending > this.limits.maxStanzaBytes) {
        this.fail('policy-violation', `stanza larger than ${this.limits.maxStanzaBytes} bytes`)
      }
    }
  }

  /**
   * Stops reading: later input and stanzas still inside the last write are
   * ignored (a stream restart after STARTTLS or SASL starts a new reader).
   */
  stop (): void {
    this.stopped = true
  }

  get isStopped (): boolean {
    return this.stopped
  }

  private fail (condition: StreamErrorCondition, text: string): void {
    if (this.stopped) return
    this.stopped = true
    this.handlers.error(condition, text)
  }
}
