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

/** Why a punch message is refused (docs/protocol.md §0.6), in the order the checks run. */
export const PUNCH_REJECT_REASONS = ['oversize', 'malformed', 'invalid-field'] as const
export type PunchRejectReason = typeof PUNCH_REJECT_REASONS[number]

export type DecodePunchResult = { ok: true, frame: PunchFrame } | { ok: false, reason: PunchRejectReason, detail?: string }

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
  const refuse = (reason: PunchRejectReason, detail?: string): DecodePunchResult => ({ ok: false, reason, detail })
  if (bytes.byteLength > MAX_PUNCH_MESSAGE_BYTES) return refuse('oversize')
  const scan = scanMessage(bytes, PUNCH_RULES)
  if (!scan.ok) return refuse('malformed', scan.problem)
  const pb = PunchMessage.decode(bytes)
  if (pb.type === PunchMessage.Type.SYNC) {
    return pb.addr == null ? { ok: true, frame: { kind: 'sync' } } : refuse('invalid-field', 'SYNC carries no address')
  }
  if (pb.type !== PunchMessage.Type.CONNECT) return refuse('invalid-field', 'type')
  if (pb.addr == null) return refuse('invalid-field', 'CONNECT without an address')
  let addr: Multiaddr
  try {
    addr = multiaddr(pb.addr)
  } catch {
    return refuse('invalid-field', 'CONNECT address is not a multiaddr')
  }
  const names = addr.getComponents().map(c => c.name)
  if (!TCP.exactMatch(addr) || names.length !== 2 || (names[0] !== 'ip4' && names[0] !== 'ip6')) {
    return refuse('invalid-field', `not an IP and a TCP port: ${addr.toString()}`)
  }
  if (isPrivate(addr)) return refuse('invalid-field', `not a public address: ${addr.toString()}`)
  return { ok: true, frame: { kind: 'connect', addr } }
}
