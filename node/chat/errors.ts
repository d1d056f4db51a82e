/** What chat refuses, as typed errors (wording for people lives in cli/). */

/** A text that cannot be sent: empty, not valid Unicode, or over the limit. */
export class InvalidMessageError extends Error {
  static override name = 'InvalidMessageError'
  constructor (readonly problem: 'empty' | 'not-unicode' | 'too-long', readonly bytes?: number, readonly limit?: number) {
    super(problem === 'empty' ? 'a message needs some text' : problem === 'not-unicode' ? 'the text is not valid Unicode' : `the text is ${bytes ?? '?'} bytes of UTF-8, the limit is ${limit ?? '?'}`)
    this.name = 'InvalidMessageError'
  }
}

/** A non-contact's text found the held bounds full: not stored, not acknowledged; its sender tries again later. */
export class HeldFullError extends Error {
  static override name = 'HeldFullError'
  constructor (readonly peer: string, readonly bound: 'sender-full' | 'total-full') {
    super(`held messages are full (${bound}); ${peer} will send again later`)
    this.name = 'HeldFullError'
  }
}
