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
    this.buffer.append(data)
    while (this.buffer.byteLength > 0) {
      const read = readNotifyFrame(this.buffer.subarray())
      if (read == null) return
      if (!read.ok) throw new NotifyFrameError(read.reason, read.detail)
      this.buffer.consume(read.size)
      this.onPayload(read.payload)
    }
  }
}
