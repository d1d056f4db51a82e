/**
 * Frames of the direct presence path (/presence-mesh/notify/2.0.0,
 * docs/protocol.md §11): the presentity writes one frame per record to each
 * directly connected watcher. A frame carries opaque bytes (what presence
 * sends to one audience), padded so its size does not tell a note's length.
 * Pure; no I/O.
 *
 *   frame = uvarint(len(body)) || body
 *   body  = uint16be(len(payload)) || payload || zero padding
 *           to a multiple of NOTIFY_PAD_BYTES
 */
import * as varint from 'uint8-varint'
import { protocolId } from './topics.js'

export const NOTIFY_PROTOCOL = protocolId('notify', '2.0.0')
/** Bodies are padded to a multiple of this (the sealed box's 256, so both paths hide the same). */
export const NOTIFY_PAD_BYTES = 256
/** The largest body a receiver reads; a longer length prefix resets the stream. */
export const MAX_NOTIFY_BODY_BYTES = 8448
const LEN_BYTES = 2
/** The largest payload one frame carries. */
export const MAX_NOTIFY_PAYLOAD_BYTES = MAX_NOTIFY_BODY_BYTES - LEN_BYTES
/** uvarint needs at most this many bytes for any body length accepted. */
const MAX_PREFIX_BYTES = 2

export const NOTIFY_REJECT_REASONS = ['oversize', 'malformed'] as const
export type NotifyRejectReason = typeof NOTIFY_REJECT_REASONS[number]

/** One frame read from the head of a buffer: its payload and how many bytes it took, or why not. */
export type NotifyRead =
  | { ok: true, payload: Uint8Array, size: number }
  | { ok: false, reason: NotifyRejectReason, detail: string }

export class NotifyFrameError extends Error {
  static override name = 'NotifyFrameError'
  constructor (readonly reason: NotifyRejectReason, message: string) {
    super(message)
    this.name = 'NotifyFrameError'
  }
}

function paddedBody (payloadBytes: number): number {
  return Math.ceil((payloadBytes + LEN_BYTES) / NOTIFY_PAD_BYTES) * NOTIFY_PAD_BYTES
}

/** The whole frame (length prefix included) for `payload`; throws NotifyFrameError when it does not fit. */
export function encodeNotifyFrame (payload: Uint8Array): Uint8Array {
  if (payload.byteLength === 0) throw new NotifyFrameError('malformed', 'a notify frame carries at least one byte')
  if (payload.byteLength > MAX_NOTIFY_PAYLOAD_BYTES) throw new NotifyFrameError('oversize', `payload of ${payload.byteLength} bytes, the limit is ${MAX_NOTIFY_PAYLOAD_BYTES}`)
  const body = paddedBody(payload.byteLength)
  const prefix = varint.encodingLength(body)
  const out = new Uint8Array(prefix + body)
  varint.encodeUint8Array(body, out, 0)
  out[prefix] = payload.byteLength >> 8
  out[prefix + 1] = payload.byteLength & 0xff
  out.set(payload, prefix + LEN_BYTES)
  return out
}

const refuse = (reason: NotifyRejectReason, detail: string): NotifyRead => ({ ok: false, reason, detail })

/**
 * Reads the frame at the head of `bytes`, checking docs/protocol.md §11.2 in
 * order; undefined while more bytes are needed. A body over the limit is
 * refused from its prefix alone, before it arrives. Never throws.
 */
export function readNotifyFrame (bytes: Uint8Array): NotifyRead | undefined {
  let end = -1
  for (let i = 0; i <= MAX_PREFIX_BYTES && i < bytes.byteLength; i++) {
    if ((bytes[i] & 0x80) === 0) { end = i; break }
  }
  if (end < 0) return bytes.byteLength > MAX_PREFIX_BYTES ? refuse('oversize', `length prefix longer than ${MAX_PREFIX_BYTES} bytes`) : undefined
  const length = varint.decode(bytes.subarray(0, end + 1))
  if (length > MAX_NOTIFY_BODY_BYTES) return refuse('oversize', `body of ${length} bytes, the limit is ${MAX_NOTIFY_BODY_BYTES}`)
  if (varint.encodingLength(length) !== end + 1) return refuse('malformed', 'length prefix not minimally encoded')
  if (length === 0 || length % NOTIFY_PAD_BYTES !== 0) return refuse('malformed', `body of ${length} bytes is not a positive multiple of ${NOTIFY_PAD_BYTES}`)
  if (bytes.byteLength < end + 1 + length) return undefined
  const body = bytes.subarray(end + 1, end + 1 + length)
  const n = (body[0] << 8) | body[1]
  if (n === 0) return refuse('malformed', 'empty payload')
  if (paddedBody(n) !== length) return refuse('malformed', `payload length ${n} does not match a body of ${length} bytes`)
  for (let i = LEN_BYTES + n; i < length; i++) {
    if (body[i] !== 0) return refuse('malformed', 'padding must be zero bytes')
  }
  return { ok: true, payload: body.subarray(LEN_BYTES, LEN_BYTES + n), size: end + 1 + length }
}
