/**
 * The presentity's end of one notify stream: writes frames to one watcher
 * without ever waiting for it. Records are states, not a log: while the
 * stream cannot take more (the watcher reads slowly or not at all), only the
 * newest frame waits, replacing the one before. So a stalled watcher holds
 * at most the muxer's window plus one frame, and never delays the others.
 */
import type { Stream } from '@libp2p/interface'

export class Outlet {
  /** The newest frame waiting for the stream to drain. */
  private waiting?: Uint8Array
  /** Frames replaced while waiting (the watcher got a newer state instead). */
  skipped = 0
  /** Set when we closed it on purpose: its end is no loss. */
  closedByUs = false

  constructor (readonly peer: string, readonly stream: Stream) {
    stream.addEventListener('drain', () => { this.flush() })
  }

  get open (): boolean {
    return this.stream.status === 'open' && this.stream.writeStatus === 'writable'
  }

  write (frame: Uint8Array): void {
    if (!this.open) return
    if (this.stream.writableNeedsDrain) {
      if (this.waiting != null) this.skipped++
      this.waiting = frame
      return
    }
    this.stream.send(frame)
  }

  private flush (): void {
    const frame = this.waiting
    if (frame == null || !this.open || this.stream.writableNeedsDrain) return
    this.waiting = undefined
    this.stream.send(frame)
  }

  /** Ends the stream from our side (pending frames are still sent). */
  close (): void {
    this.closedByUs = true
    this.stream.close().catch(err => { this.stream.abort(err) })
  }

  /** Ends it at once, dropping what is queued. */
  abort (err: Error): void {
    this.closedByUs = true
    this.stream.abort(err)
  }
}
