/**
 * The watcher's end of a notify stream: cuts the bytes of 'message' events
 * into frames as they arrive (no async iteration between the socket and
 * presence) and hands each payload on. A frame that breaks the rules ends
 * the stream.
 */
import * as varint from 'uint8-varint'
import { Uint8ArrayList } from 'uint8arraylist'
import { decodeNotifyBody, MAX_NOTIFY_BODY_BYTES, NotifyFrameError } from '../../protocol/notify-frame.js'
import type { Uint8ArrayList as List } from 'uint8arraylist'

/** uvarint needs at most this many bytes for any length we accept. */
const MAX_PREFIX_BYTES = 3

export class FrameReader {
  private readonly buffer = new Uint8ArrayList()

  constructor (private readonly onPayload: (payload: Uint8Array) => void) {}

  /** Takes the next bytes; throws NotifyFrameError when they break the frame rules. */
  push (data: Uint8Array | List): void {
    this.buffer.append(data)
    while (this.buffer.byteLength > 0) {
      const body = this.nextBodyLength()
      if (body == null) return
      const [prefix, length] = body
      if (this.buffer.byteLength < prefix + length) return
      const bytes = this.buffer.subarray(prefix, prefix + length)
      this.buffer.consume(prefix + length)
      this.onPayload(decodeNotifyBody(bytes))
    }
  }

  /** [prefix bytes, body length] of the frame at the head, or undefined while the prefix is incomplete. */
  private nextBodyLength (): [number, number] | undefined {
    const head = this.buffer.subarray(0, Math.min(this.buffer.byteLength, MAX_PREFIX_BYTES))
    const end = head.findIndex(b => (b & 0x80) === 0)
    if (end < 0) {
      if (head.byteLength >= MAX_PREFIX_BYTES) throw new NotifyFrameError('oversize', `length prefix longer than ${MAX_PREFIX_BYTES} bytes`)
      return undefined
    }
    const length = varint.decode(head)
    if (length > MAX_NOTIFY_BODY_BYTES) throw new NotifyFrameError('oversize', `body of ${length} bytes, the limit is ${MAX_NOTIFY_BODY_BYTES}`)
    if (varint.encodingLength(length) !== end + 1) throw new NotifyFrameError('bad-length', 'length prefix is not minimally encoded')
    return [end + 1, length]
  }
}
