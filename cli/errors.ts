/** Errors of the command line itself (wrong usage), and how any error reads to a person. */

export class UsageError extends Error {
  static override name = 'UsageError'
  constructor (message: string) {
    super(message)
    this.name = 'UsageError'
  }
}

/** One line for a person. Node errors carry their own wording in their message. */
export function describeError (err: any): string {
  return String(err?.message ?? err)
}
