/** Errors a person may see; the CLI prints their message on one line. */
export class UserError extends Error {
  override name = 'UserError'
}

export class AlreadyRunningError extends UserError {
  override name = 'AlreadyRunningError'
}

export class IdentityError extends UserError {
  override name = 'IdentityError'
}

/**
 * Every way a peer can fail to answer (offline, no address, refused, timed
 * out, blocked us) looks the same to the caller: polite blocking depends on it.
 */
export class PeerUnreachableError extends UserError {
  override name = 'PeerUnreachableError'
  constructor (peer: string) {
    super(`${peer} is unreachable`)
  }
}

export class InvalidPeerIdError extends Error {
  static override name = 'InvalidPeerIdError'
  constructor (readonly input: string) {
    super(`not a peer id: ${input}`)
    this.name = 'InvalidPeerIdError'
  }
}

export class InvalidOptionError extends Error {
  static override name = 'InvalidOptionError'
  constructor (readonly option: string, readonly value: string, readonly expected: string) {
    super(`${option} must be ${expected}, not ${value}`)
    this.name = 'InvalidOptionError'
  }
}

export class InvalidTargetError extends Error {
  static override name = 'InvalidTargetError'
  constructor (readonly input: string) {
    super(`not a peer id or multiaddr: ${input}`)
    this.name = 'InvalidTargetError'
  }
}
