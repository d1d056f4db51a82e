/**
 * gossipsub keys its seen cache, message cache, scores and IWANT tracking by
 * a string form of each message id, made for every message and duplicate it
 * receives and every id in an IHAVE. Its default is base64 through
 * multiformats' JavaScript encoder (a string built a character at a time,
 * ~1.4 KB allocated per 32-byte id); node's native encoder gives the same
 * string for ~0.2 KB. The string never leaves the node.
 */
import { Buffer } from 'node:buffer'

const PAD = 61 // '='

/** Unpadded base64 of `id`: the string gossipsub's default `msgIdToStrFn` makes, natively. */
export function messageIdString (id: Uint8Array): string {
  const s = Buffer.from(id.buffer, id.byteOffset, id.byteLength).toString('base64')
  if (s.charCodeAt(s.length - 1) !== PAD) return s
  return s.slice(0, s.charCodeAt(s.length - 2) === PAD ? -2 : -1)
}
