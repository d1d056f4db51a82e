/**
 * The watcher's end of a notify stream: cuts the bytes of 'message' events
 * into frames as they arrive (no async iteration between the socket and
 * presence) and hands each payload on. A frame that breaks the rules ends
 * the stream.
 */
import { Uint8ArrayList } from 'uint8arraylist'
import { NotifyFrameError, readNotifyFrame } from '../../protocol/notify-frame.js'

export class FrameReader {
  private readonly buffer = new Uint8ArrayList()

  constructor (private readonly onPayload: (payload: Uint8Array) => void) {}

  /** Takes the next bytes; throws NotifyFrameError when they break the frame rules (docs/protocol.md §11.2). */
  push (data: Uint8Array | Uint8ArrayList): void {
    if (this.buffer.byteLength === 0) {
      // the usual case, whole frames in one chunk (a muxer's message is a list of one): read them in place, keep only a partial tail
      const rest = this.read(data instanceof Uint8Array ? data : data.subarray())
      if (rest.byteLength > 0) this.buffer.append(rest)
      return
    }
    this.buffer.append(data)
    const rest = this.read(this.buffer.subarray())
    this.buffer.consume(this.buffer.byteLength - rest.byteLength)
  }

  /** Hands on every whole frame at the head of `bytes`; returns what is left (the start of a frame). */
  private read (bytes: Uint8Array): Uint8Array {
    while (bytes.byteLength > 0) {
      const read = readNotifyFrame(bytes)
      if (read == null) return bytes
      if (!read.ok) throw new NotifyFrameError(read.reason, read.detail)
      bytes = bytes.subarray(read.size)
      this.onPayload(read.payload)
    }
    return bytes
  }
}
