/** Why a notify stream was ended (typed, as the stream's abort reason and in logs). */

/** The other side broke the notify protocol: a frame over the limit, badly padded, or a watcher writing. */
export class NotifyProtocolError extends Error {
  static override name = 'NotifyProtocolError'
  constructor (readonly peer: string, readonly problem: string) {
    super(`notify stream of ${peer}: ${problem}`)
    this.name = 'NotifyProtocolError'
  }
}

/** A newer subscription of the same watcher replaced this stream. */
export class NotifyReplacedError extends Error {
  static override name = 'NotifyReplacedError'
  constructor (readonly peer: string) {
    super(`notify stream of ${peer} replaced by a newer one`)
    this.name = 'NotifyReplacedError'
  }
}
