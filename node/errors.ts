/**
 * Errors of the node as a whole, as @libp2p/interface writes them: a static
 * name to match on (names survive copies of a module; instanceof does not)
 * and the fields a message needs. The message is for developers and logs;
 * what a person reads is the CLI's wording (cli/errors.ts).
 */

export class AlreadyRunningError extends Error {
  static override name = 'AlreadyRunningError'
  constructor (readonly home: string, readonly pid?: number, detail?: string) {
    super(`a presence-mesh node is already running on ${home}${pid != null ? ` (pid ${pid})` : ''}${detail != null ? `: ${detail}` : ''}`)
    this.name = 'AlreadyRunningError'
  }
}

export class IdentityError extends Error {
  static override name = 'IdentityError'
  constructor (readonly file: string, readonly problem: 'unreadable' | 'unwritable' | 'exposed' | 'corrupt', readonly detail: string) {
    super(`identity key ${file} is ${problem}: ${detail}`)
    this.name = 'IdentityError'
  }
}

/**
 * Every way a peer can fail to answer (offline, no address, refused, timed
 * out, blocked us) looks the same to the caller: polite blocking depends on it.
 */
export class PeerUnreachableError extends Error {
  static override name = 'PeerUnreachableError'
  constructor (readonly peer: string) {
    super(`${peer} is unreachable`)
    this.name = 'PeerUnreachableError'
  }
}

export class InvalidPeerIdError extends Error {
  static override name = 'InvalidPeerIdError'
  constructor (readonly input: string) {
    super(`not a peer id: ${input}`)
    this.name = 'InvalidPeerIdError'
  }
}

/** The node sees no presence of this peer: neither a contact nor watched, or blocked. */
export class NoPresenceError extends Error {
  static override name = 'NoPresenceError'
  constructor (readonly peer: string) {
    super(`this node sees no presence of ${peer}: not a contact, not watched, or blocked`)
    this.name = 'NoPresenceError'
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

/** A settings file or variable that cannot be used as it is. */
export class ConfigError extends Error {
  static override name = 'ConfigError'
  constructor (readonly source: string, readonly problem: string) {
    super(`${source}: ${problem}`)
    this.name = 'ConfigError'
  }
}

export type ControlProblem = 'too-large' | 'not-json' | 'unknown-method' | 'bad-params' | 'not-a-socket' | 'foreign-owner' | 'timeout' | 'unreadable-answer' | 'path-too-long'

/** The control socket refused a request, or could not be used. */
export class ControlError extends Error {
  static override name = 'ControlError'
  constructor (readonly problem: ControlProblem, message: string) {
    super(message)
    this.name = 'ControlError'
  }
}

export class NoRunningNodeError extends Error {
  static override name = 'NoRunningNodeError'
  constructor (readonly home: string) {
    super(`no presence-mesh node is running on ${home} (start one with: presence-mesh start)`)
    this.name = 'NoRunningNodeError'
  }
}

/** An error that crossed the control socket: the node's error, by name and fields. */
export function remoteError (wire: { name?: unknown, message?: unknown, [field: string]: unknown }): Error {
  const err = new Error(typeof wire.message === 'string' ? wire.message : 'the node reported an error')
  Object.assign(err, wire)
  err.name = typeof wire.name === 'string' ? wire.name : 'Error'
  return err
}

/** What an error carries across the control socket: its name, message and own fields. */
export function errorToWire (err: any): Record<string, unknown> {
  const out: Record<string, unknown> = { name: err?.name ?? 'Error', message: String(err?.message ?? err) }
  if (err != null && typeof err === 'object') {
    for (const [k, v] of Object.entries(err)) {
      const plain = (x: unknown): boolean => typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean'
      if (k !== 'stack' && (plain(v) || (Array.isArray(v) && v.every(plain)))) out[k] = v
    }
  }
  return out
}

export type ListenProblem = 'in-use' | 'not-local' | 'denied' | 'unsupported'

/** The node cannot listen on an address it was given (--listen, config.json). */
export class ListenError extends Error {
  static override name = 'ListenError'
  constructor (readonly address: string, readonly problem: ListenProblem, detail?: string) {
    super(`cannot listen on ${address}: ${problem}${detail != null ? ` (${detail})` : ''}`)
    this.name = 'ListenError'
  }
}

/** The home directory cannot be used as one. */
export class HomeError extends Error {
  static override name = 'HomeError'
  constructor (readonly home: string, readonly problem: 'not-a-directory' | 'unwritable', detail?: string) {
    super(`home ${home} is ${problem === 'not-a-directory' ? 'not a directory' : 'not writable'}${detail != null ? ` (${detail})` : ''}`)
    this.name = 'HomeError'
  }
}
