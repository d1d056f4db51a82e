/**
 * Hole punch messages (`/presence-mesh/punch/1.0.0`, docs/protocol.md §6.5):
 * CONNECT carries the sender's public IP and the TCP port it will dial from,
 * SYNC tells the responder to dial. Pure; decodePunch never throws.
 */
import { isPrivate } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { TCP } from '@multiformats/multiaddr-matcher'
import { PunchMessage } from './pb/punch.js'
import { scanMessage } from './strict-protobuf.js'
import type { MessageRules } from './strict-protobuf.js'
import type { Multiaddr } from '@multiformats/multiaddr'

/** A punch message larger than this is refused unread. */
export const MAX_PUNCH_MESSAGE_BYTES = 128

/** protocol/punch.proto PunchMessage, field by field (strict-protobuf.ts). */
export const PUNCH_RULES: MessageRules = {
  1: { type: 'enum', values: [0, 1, 2] },
  2: { type: 'bytes' }
}

export type PunchFrame =
  | { kind: 'connect', addr: Multiaddr }
  | { kind: 'sync' }

export type DecodePunchResult = { ok: true, frame: PunchFrame } | { ok: false, reason: string }

export function encodePunch (frame: PunchFrame): Uint8Array {
  return frame.kind === 'connect'
    ? PunchMessage.encode({ type: PunchMessage.Type.CONNECT, addr: frame.addr.bytes })
    : PunchMessage.encode({ type: PunchMessage.Type.SYNC })
}

/**
 * A CONNECT address must be one IP and one TCP port, and public: a peer
 * cannot make us dial names, other peers, or anything on a private network.
 */
export function decodePunch (bytes: Uint8Array): DecodePunchResult {
  if (bytes.byteLength > MAX_PUNCH_MESSAGE_BYTES) return { ok: false, reason: 'too large' }
  const scan = scanMessage(bytes, PUNCH_RULES)
  if (!scan.ok) return { ok: false, reason: `malformed: ${scan.problem}` }
  const pb = PunchMessage.decode(bytes)
  if (pb.type === PunchMessage.Type.SYNC) {
    return pb.addr == null ? { ok: true, frame: { kind: 'sync' } } : { ok: false, reason: 'SYNC carries no address' }
  }
  if (pb.type !== PunchMessage.Type.CONNECT) return { ok: false, reason: `unknown type ${pb.type}` }
  if (pb.addr == null) return { ok: false, reason: 'CONNECT without an address' }
  let addr: Multiaddr
  try {
    addr = multiaddr(pb.addr)
  } catch {
    return { ok: false, reason: 'CONNECT address is not a multiaddr' }
  }
  const names = addr.getComponents().map(c => c.name)
  if (!TCP.exactMatch(addr) || names.length !== 2 || (names[0] !== 'ip4' && names[0] !== 'ip6')) {
    return { ok: false, reason: `not an IP and a TCP port: ${addr.toString()}` }
  }
  if (isPrivate(addr)) return { ok: false, reason: `not a public address: ${addr.toString()}` }
  return { ok: true, frame: { kind: 'connect', addr } }
}
