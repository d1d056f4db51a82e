/** Typed errors of the devices service: a static name and the fields a sentence needs. */

/** Linking and revoking take the person key, which only the first device holds. */
export class NotPersonKeyHolderError extends Error {
  static override name = 'NotPersonKeyHolderError'
  constructor (readonly person: string) {
    super(`only the device holding the person key (${person}) links and revokes devices`)
    this.name = 'NotPersonKeyHolderError'
  }
}

/** No linked device answers to that name or peer id. */
export class UnknownDeviceError extends Error {
  static override name = 'UnknownDeviceError'
  constructor (readonly device: string) {
    super(`no linked device ${device}`)
    this.name = 'UnknownDeviceError'
  }
}

/** A device list change the rules refuse (revoking the person key's own device, a full list...). */
export class DeviceChangeError extends Error {
  static override name = 'DeviceChangeError'
  constructor (readonly detail: string) {
    super(detail)
    this.name = 'DeviceChangeError'
  }
}

/** Joining failed: `reason` says at which step (`unreachable`, `bad-code`, `refused`, `bad-answer`, `already-a-device`). */
export class LinkFailedError extends Error {
  static override name = 'LinkFailedError'
  constructor (readonly reason: 'unreachable' | 'bad-code' | 'refused' | 'bad-answer' | 'already-a-device', readonly detail?: string) {
    super(`linking failed (${reason}${detail != null ? `: ${detail}` : ''})`)
    this.name = 'LinkFailedError'
  }
}
