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
