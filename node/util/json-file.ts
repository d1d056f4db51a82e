/**
 * A small JSON state file of the node's home, written whole and atomically:
 * a temporary file, synced, renamed over it (mode 0600). Writes coalesce: a
 * change made while one is on its way goes into the next, so a burst of
 * changes costs at most two writes; a write that failed is tried again at the
 * next change (and `flush` reports nothing: the owner logs, goes on, and keeps
 * its state in memory). Reading a missing file gives undefined; an unreadable
 * one is moved aside (`<file>.unreadable-<time>`, for its owner to look at)
 * and read as missing, so the next write cannot destroy what was in it.
 */
import fs from 'node:fs/promises'
import type { Logger } from '@libp2p/interface'

export class JsonFile {
  private saving?: Promise<void>
  private dirty = false

  /** `snapshot` gives what to write, read at the time of each write. */
  constructor (readonly file: string, private readonly snapshot: () => unknown, private readonly log: Logger) {}

  async read (): Promise<unknown> {
    let text: string
    try {
      text = await fs.readFile(this.file, 'utf8')
    } catch (err: any) {
      if (err.code !== 'ENOENT') this.log.error('cannot read %s - %e', this.file, err)
      return undefined
    }
    try {
      return JSON.parse(text)
    } catch (err: any) {
      const aside = `${this.file}.unreadable-${Date.now()}`
      this.log.error('%s is not JSON (%s): moved to %s, starting empty', this.file, err.message, aside)
      await fs.rename(this.file, aside).catch((e: Error) => { this.log.error('cannot move %s aside - %e', this.file, e) })
      return undefined
    }
  }

  /** Something changed: write the snapshot soon. */
  changed (): void {
    this.dirty = true
    this.saving ??= this.save()
  }

  /** Resolves once every change made so far was written (or its write failed, logged). */
  async flush (): Promise<void> {
    while (this.saving != null) await this.saving
  }

  private async save (): Promise<void> {
    try {
      while (this.dirty) {
        this.dirty = false
        const tmp = `${this.file}.${process.pid}.tmp`
        const handle = await fs.open(tmp, 'w', 0o600)
        try {
          await handle.writeFile(JSON.stringify(this.snapshot()))
          await handle.sync()
        } finally {
          await handle.close()
        }
        await fs.rename(tmp, this.file)
      }
    } catch (err: any) {
      // written at the next change
      this.dirty = true
      this.log.error('cannot save %s - %e', this.file, err)
    } finally {
      this.saving = undefined
    }
  }
}
