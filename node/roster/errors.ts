/**
 * What the roster refuses, as typed errors: the name says what went wrong,
 * the fields say about whom. Wording for people lives in cli/.
 */

export class SelfReferenceError extends Error {
  static override name = 'SelfReferenceError'
  constructor (readonly action: string) {
    super(`cannot ${action} itself: that is this node's own peer id`)
    this.name = 'SelfReferenceError'
  }
}

export class UnknownPersonError extends Error {
  static override name = 'UnknownPersonError'
  constructor (readonly input: string) {
    super(`${input} is neither a known alias nor a peer id`)
    this.name = 'UnknownPersonError'
  }
}

export class NotAContactError extends Error {
  static override name = 'NotAContactError'
  constructor (readonly peer: string) {
    super(`${peer} is not a contact`)
    this.name = 'NotAContactError'
  }
}

export class AliasTakenError extends Error {
  static override name = 'AliasTakenError'
  constructor (readonly alias: string, readonly peer: string) {
    super(`the name ${alias} is already used for ${peer}`)
    this.name = 'AliasTakenError'
  }
}

export class InvalidAliasError extends Error {
  static override name = 'InvalidAliasError'
  constructor (readonly alias: string, readonly reason: string) {
    super(`${JSON.stringify(alias)} cannot be a name: ${reason}`)
    this.name = 'InvalidAliasError'
  }
}

export class InvalidSettingError extends Error {
  static override name = 'InvalidSettingError'
  constructor (readonly setting: string, readonly value: string, readonly allowed: readonly string[]) {
    super(`${setting} must be one of ${allowed.join(', ')}, not ${value}`)
    this.name = 'InvalidSettingError'
  }
}

export class UnsupportedKeyError extends Error {
  static override name = 'UnsupportedKeyError'
  constructor (readonly peer: string) {
    super(`${peer} has no Ed25519 key; it cannot be a contact`)
    this.name = 'UnsupportedKeyError'
  }
}
