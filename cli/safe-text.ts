/**
 * Text that others wrote (messages, notes, activities, greetings, names,
 * anything a peer supplies) on the user's terminal: shown on one line, with
 * every character that could steer the terminal or hide what is written
 * escaped visibly. Every print site of the CLI passes such text through
 * `safe()`; the only escape sequences the CLI writes are its own colours.
 *
 * Escaped: control characters (C0, DEL, C1: so no CSI, OSC, DCS or any
 * other escape sequence can start), format characters (bidi overrides and
 * isolates, zero-width spaces, soft hyphens, tags; except the zero-width
 * joiner and non-joiner that emoji and scripts need), line and paragraph
 * separators, and lone surrogates.
 */

/** One character that must not reach the terminal as it is. */
// eslint-disable-next-line no-control-regex
const UNSAFE = /(?![\u200c\u200d])[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/gu

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' }

function escapeOne (ch: string): string {
  const named = NAMED[ch]
  if (named != null) return named
  const cp = ch.codePointAt(0) ?? 0
  if (cp <= 0xff) return `\\x${cp.toString(16).padStart(2, '0')}`
  if (cp <= 0xffff) return `\\u${cp.toString(16).padStart(4, '0')}`
  return `\\u{${cp.toString(16)}}`
}

/** `text` for the terminal: one line, nothing in it the terminal would act on, escapes visible. */
export function safe (text: unknown): string {
  const s = typeof text === 'string' ? text : String(text)
  return s.replace(UNSAFE, escapeOne)
}

/** Whether `text` reaches the terminal unchanged through safe(). */
export function isSafe (text: string): boolean {
  UNSAFE.lastIndex = 0
  const found = UNSAFE.test(text)
  UNSAFE.lastIndex = 0
  return !found
}

/**
 * For a desktop notification body: safe(), and the few characters
 * notification daemons read as markup (`<b>`, `<a href>`, entities) made
 * plain text.
 */
export function safeMarkup (text: unknown): string {
  return safe(text).replace(/[&<>]/g, c => c === '&' ? '&amp;' : c === '<' ? '&lt;' : '&gt;')
}

/**
 * JSON for the terminal (and for files a terminal may show): what JSON
 * leaves raw inside strings (C1 controls, bidi and other format
 * characters) becomes a \u escape, which JSON reads back unchanged.
 */
export function safeJson (value: unknown, space?: number): string {
  const json = JSON.stringify(value, (_k, v) => typeof v === 'bigint' ? v.toString() : v, space) ?? 'null'
  // every UTF-16 unit of the character as \uXXXX (a character above U+FFFF is two); a raw
  // newline is the indentation's (JSON.stringify escapes those inside strings)
  return json.replace(UNSAFE, (ch) => ch === '\n' ? ch : Array.from({ length: ch.length }, (_, i) => `\\u${ch.charCodeAt(i).toString(16).padStart(4, '0')}`).join(''))
}

/**
 * An XML document for the terminal: characters safe() would escape become
 * character references (`&#x202E;`), which an XML reader turns back into
 * the same text; line breaks and tabs stay as they are.
 */
export function safeXml (xml: string): string {
  return xml.replace(UNSAFE, (ch) => ch === '\n' || ch === '\t' || ch === '\r' ? ch : `&#x${(ch.codePointAt(0) ?? 0).toString(16).toUpperCase()};`)
}
