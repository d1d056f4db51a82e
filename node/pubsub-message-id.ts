/**
 * gossipsub keys its seen cache, message cache, scores and IWANT tracking by
 * a string form of each message id, made for every message and duplicate it
 * receives and every id in an IHAVE. Its default is base64 through
 * multiformats' JavaScript encoder (a string built a character at a time,
 * ~1.4 KB allocated per 32-byte id); node's native encoder gives the same
 * string for ~0.2 KB. The string never leaves the node.
 */
import { Buffer } from 'node:buffer'
import { GROUP_TOPIC_PREFIX } from '../protocol/group-crypto.js'
import { entryHash } from '../protocol/group-entry.js'
import { sha256 } from '../protocol/sha256.js'
import type { Message } from '@libp2p/gossipsub'

const PAD = 61 // '='

/** Unpadded base64 of `id`: the string gossipsub's default `msgIdToStrFn` makes, natively. */
export function messageIdString (id: Uint8Array): string {
  const s = Buffer.from(id.buffer, id.byteOffset, id.byteLength).toString('base64')
  if (s.charCodeAt(s.length - 1) !== PAD) return s
  return s.slice(0, s.charCodeAt(s.length - 2) === PAD ? -2 : -1)
}

/**
 * A message's id under StrictNoSign: SHA-256 of its data, the bytes
 * gossipsub's own `msgIdFnStrictNoSign` gives (every node must agree: ids
 * travel in IHAVE, IWANT and IDONTWANT), natively. On a group topic the data
 * is a feed entry whose hash its reader or writer takes too: taken once
 * (protocol/group-entry.ts entryHash).
 */
export function messageId (msg: Message): Uint8Array {
  return msg.topic.startsWith(GROUP_TOPIC_PREFIX) ? entryHash(msg.data) : sha256(msg.data)
}
