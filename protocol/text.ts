/**
 * Text a person typed, as our wire formats can carry it. A lone UTF-16
 * surrogate has no UTF-8: protons writes a short string holding one as bytes
 * every strict reader (strict-protobuf.ts) refuses, and a long one as U+FFFD,
 * so a record, request or name holding one would be refused by every peer or
 * changed on the way. Every setter of a string field refuses it up front.
 */

/** True when `s` is well-formed Unicode (has UTF-8): no surrogate without its other half (ES2024's String.prototype.isWellFormed, a V8 builtin since Node 20; a regular expression cost a send several microseconds). */
export function isUnicode (s: string): boolean {
  return (s as unknown as { isWellFormed: () => boolean }).isWellFormed()
}

/** The number of Unicode code points in `s` (what limits in characters count). */
export function codePoints (s: string): number {
  let n = 0
  for (const _ of s) n++
  return n
}

/**
 * Whether `s` has more than `max` code points. A code point is one or two
 * UTF-16 units, so a string of at most `max` units has at most `max` code
 * points and is not counted (every presence change checks its note this way
 * four times, on both ends).
 */
export function longerThan (s: string, max: number): boolean {
  return s.length > max && codePoints(s) > max
}
