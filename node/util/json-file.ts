/**
 * A small JSON state file of the node's home, written whole and atomically
 * (a temporary file renamed over it, mode 0600). Writes coalesce: a change
 * made while one is on its way goes into the next, so a burst of changes
 * costs at most two writes. Reading a missing file gives undefined; an
 * unreadable one is logged and read as missing (its owner falls back to its
 * defaults: the files kept this way hold nothing that cannot be rebuilt).
 */
import fs from 'node:fs/promises'
import type { Logger } from '@libp2p/interface'

export class JsonFile {
  private saving?: Promise<void>
  private dirty = false

  /** `snapshot` gives what to write, read at the time of each write. */
  constructor (readonly file: string, private readonly snapshot: () => unknown, private readonly log: Logger) {}

  async read (): Promise<unknown> {
    try {
      return JSON.parse(await fs.readFile(this.file, 'utf8'))
    } catch (err: any) {
      if (err.code !== 'ENOENT') this.log.error('ignoring unreadable %s - %e', this.file, err)
      return undefined
    }
  }

  /** Something changed: write the snapshot soon. */
  changed (): void {
    this.dirty = true
    this.saving ??= this.save()
  }

  /** Resolves once every change made so far is on disk (or its write failed, logged). */
  async flush (): Promise<void> {
    while (this.saving != null) await this.saving
  }

  private async save (): Promise<void> {
    try {
      while (this.dirty) {
        this.dirty = false
        const tmp = `${this.file}.${process.pid}.tmp`
        await fs.writeFile(tmp, JSON.stringify(this.snapshot()), { mode: 0o600 })
        await fs.rename(tmp, this.file)
      }
    } catch (err: any) {
      this.log.error('cannot save %s - %e', this.file, err)
    } finally {
      this.saving = undefined
    }
  }
}
