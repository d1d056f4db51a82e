/** Another live node holds this node's identity key and started first: this one stopped (docs/protocol.md §13). */
export class DuplicateInstanceError extends Error {
  static override name = 'DuplicateInstanceError'
  constructor (
    /** When the other node started (ms since the epoch, as it signed). */
    readonly otherStartedAt: number,
    /** The other node's address as the peer that noticed both saw it, when it said. */
    readonly otherAddress: string | undefined,
    /** The peer that saw both nodes. */
    readonly observer: string
  ) {
    super(`another node is running with this identity (started ${new Date(otherStartedAt).toISOString()}${otherAddress != null ? `, at ${otherAddress}` : ''}): stopped`)
    this.name = 'DuplicateInstanceError'
  }
}

/** The other side broke the instance protocol (a frame that does not decode, a statement that does not open, frames out of order). */
export class InstanceProtocolError extends Error {
  static override name = 'InstanceProtocolError'
  constructor (readonly peer: string, readonly problem: string) {
    super(`instance stream of ${peer}: ${problem}`)
    this.name = 'InstanceProtocolError'
  }
}
