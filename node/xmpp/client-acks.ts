/**
 * Which received messages an XMPP client has acknowledged (XEP-0184
 * receipts or XEP-0333 markers), per contact: the local sequence number of
 * the newest one. A client coming online gets every unread message above
 * that mark, so what arrived while no client was connected (or while one
 * went away without acknowledging) is delivered, and nothing twice to a
 * client that acknowledges. Kept in `<home>/xmpp-state.json`; a lost or
 * unreadable file only means some messages are delivered again.
 */
import fs from 'node:fs/promises'
import type { Logger } from '@libp2p/interface'

interface StateFile {
  acked: Record<string, number>
}

export class ClientAcks {
  private acked = new Map<string, number>()
  private saving?: Promise<void>
  private dirty = false

  constructor (private readonly file: string, private readonly log: Logger) {}

  async load (): Promise<void> {
    try {
      const parsed = JSON.parse(await fs.readFile(this.file, 'utf8')) as StateFile
      for (const [peer, seq] of Object.entries(parsed?.acked ?? {})) {
        if (Number.isSafeInteger(seq)) this.acked.set(peer, seq)
      }
    } catch (err: any) {
      if (err.code !== 'ENOENT') this.log.error('ignoring unreadable %s - %e', this.file, err)
    }
  }

  /** The sequence number of the newest acknowledged message from `peer` (0: none). */
  highest (peer: string): number {
    return this.acked.get(peer) ?? 0
  }

  mark (peer: string, seq: number): void {
    if (seq <= this.highest(peer)) return
    this.acked.set(peer, seq)
    this.dirty = true
    this.saving ??= this.save()
  }

  /** Resolves once every mark made so far is on disk. */
  async flush (): Promise<void> {
    while (this.saving != null) await this.saving
  }

  /** Writes until nothing new is left; marks made during a write go in the next one. */
  private async save (): Promise<void> {
    try {
      while (this.dirty) {
        this.dirty = false
        const tmp = `${this.file}.${process.pid}.tmp`
        await fs.writeFile(tmp, JSON.stringify({ acked: Object.fromEntries(this.acked) } satisfies StateFile), { mode: 0o600 })
        await fs.rename(tmp, this.file)
      }
    } catch (err: any) {
      this.log.error('cannot save %s - %e', this.file, err)
    } finally {
      this.saving = undefined
    }
  }
}
