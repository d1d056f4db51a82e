/**
 * Frames of the direct presence path (/presence-mesh/notify/1.0.0,
 * docs/protocol.md §10): the presentity writes one frame per record to each
 * directly connected watcher. A frame carries opaque bytes (what presence
 * sends to one audience), padded so its size does not tell a note's length.
 * Pure; no I/O.
 *
 *   frame = uvarint(len(body)) || body
 *   body  = uint16be(len(payload)) || payload || zero padding
 *           to a multiple of NOTIFY_PAD_BYTES
 */
import * as varint from 'uint8-varint'

export const NOTIFY_PROTOCOL = '/presence-mesh/notify/1.0.0'
/** Bodies are padded to a multiple of this (the sealed box's 256, so both paths hide the same). */
export const NOTIFY_PAD_BYTES = 256
/** The largest body a receiver reads; a longer length prefix resets the stream. */
export const MAX_NOTIFY_BODY_BYTES = 4096
const LEN_BYTES = 2
/** The largest payload one frame carries. */
export const MAX_NOTIFY_PAYLOAD_BYTES = MAX_NOTIFY_BODY_BYTES - LEN_BYTES

export class NotifyFrameError extends Error {
  static override name = 'NotifyFrameError'
  constructor (readonly problem: 'oversize' | 'unpadded' | 'bad-length' | 'nonzero-padding' | 'empty', message: string) {
    super(message)
    this.name = 'NotifyFrameError'
  }
}

function paddedBody (payloadBytes: number): number {
  return Math.ceil((payloadBytes + LEN_BYTES) / NOTIFY_PAD_BYTES) * NOTIFY_PAD_BYTES
}

/** The whole frame (length prefix included) for `payload`; throws NotifyFrameError when it does not fit. */
export function encodeNotifyFrame (payload: Uint8Array): Uint8Array {
  if (payload.byteLength === 0) throw new NotifyFrameError('empty', 'a notify frame carries at least one byte')
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

/** The payload of one body (without its length prefix); throws NotifyFrameError for anything but the one encoding encodeNotifyFrame makes. */
export function decodeNotifyBody (body: Uint8Array): Uint8Array {
  if (body.byteLength > MAX_NOTIFY_BODY_BYTES) throw new NotifyFrameError('oversize', `body of ${body.byteLength} bytes, the limit is ${MAX_NOTIFY_BODY_BYTES}`)
  if (body.byteLength === 0 || body.byteLength % NOTIFY_PAD_BYTES !== 0) throw new NotifyFrameError('unpadded', `body of ${body.byteLength} bytes is not a positive multiple of ${NOTIFY_PAD_BYTES}`)
  const len = (body[0] << 8) | body[1]
  if (len === 0) throw new NotifyFrameError('empty', 'a notify frame carries at least one byte')
  if (paddedBody(len) !== body.byteLength) throw new NotifyFrameError('bad-length', `payload length ${len} does not match a body of ${body.byteLength} bytes`)
  for (let i = LEN_BYTES + len; i < body.byteLength; i++) {
    if (body[i] !== 0) throw new NotifyFrameError('nonzero-padding', 'padding must be zero bytes')
  }
  return body.subarray(LEN_BYTES, LEN_BYTES + len)
}
