export type BackupProblem = 'not-a-backup' | 'unsupported-version' | 'wrong-passphrase' | 'weak-passphrase' | 'corrupt' | 'other-identity'

/** A backup that cannot be made, read or restored (wording for people in cli/errors.ts). */
export class BackupError extends Error {
  static override name = 'BackupError'
  constructor (readonly problem: BackupProblem, message: string) {
    super(message)
    this.name = 'BackupError'
  }
}
