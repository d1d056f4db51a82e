/**
 * What the consent protocol refuses, as typed errors (name and fields;
 * wording for people lives in cli/).
 */

export class AlreadyAContactError extends Error {
  static override name = 'AlreadyAContactError'
  constructor (readonly peer: string) {
    super(`${peer} is already a contact`)
    this.name = 'AlreadyAContactError'
  }
}

export class BlockedPeerError extends Error {
  static override name = 'BlockedPeerError'
  constructor (readonly peer: string) {
    super(`${peer} is blocked; unblock it first`)
    this.name = 'BlockedPeerError'
  }
}

export class NoPendingRequestError extends Error {
  static override name = 'NoPendingRequestError'
  constructor (readonly peerOrRequest: string, readonly direction: 'incoming' | 'outgoing') {
    super(`no pending request ${direction === 'incoming' ? 'from' : 'to'} ${peerOrRequest}`)
    this.name = 'NoPendingRequestError'
  }
}

export class InvalidGreetingError extends Error {
  static override name = 'InvalidGreetingError'
  constructor (readonly maxChars: number, readonly problem: 'too-long' | 'not-unicode' = 'too-long') {
    super(problem === 'too-long' ? `greeting is longer than ${maxChars} characters` : 'greeting is not valid Unicode')
    this.name = 'InvalidGreetingError'
  }
}

export class InvalidContactCodeError extends Error {
  static override name = 'InvalidContactCodeError'
  /** reason: not-a-code, bad-peer-id, bad-secret or checksum (a mistyped code). */
  constructor (readonly reason: string) {
    super(`not a valid contact code (${reason})`)
    this.name = 'InvalidContactCodeError'
  }
}
