/**
 * Which received messages an XMPP client has acknowledged (XEP-0184
 * receipts or XEP-0333 markers), per contact person: the conversation
 * position (docs/protocol.md §14.12: sent_at, author, id, as its key whose
 * string order is the conversation's) of the newest one. A client coming
 * online gets every unread message after that mark, so what arrived while no
 * client was connected (or while one went away without acknowledging) is
 * delivered, and nothing twice to a client that acknowledges, whichever
 * device of the contact, or of the owner, brought it. Kept in
 * `<home>/xmpp-state.json`; a lost or unreadable file (or one of an earlier
 * version, which counted per device) only means some messages are
 * delivered again. Beside them, the ids a client gave the messages it sent
 * (the newest MAX_SENT_IDS): the archive hands each back under the client's
 * own id and origin-id (XEP-0359), so a client paging it knows what it sent.
 */
import fs from 'node:fs/promises'
import type { Logger } from '@libp2p/interface'

/** Sent messages whose client ids are kept. */
const MAX_SENT_IDS = 2_000

/** The ids a client gave a message it sent. */
export interface ClientIds { id?: string, originId?: string }

interface StateFile {
  /** Person -> position key of the newest message acknowledged. */
  acked: Record<string, string>
  /** Mesh message id -> the ids the sending client gave it. */
  sent?: Record<string, ClientIds>
}

export class ClientAcks {
  private acked = new Map<string, string>()
  private readonly sent = new Map<string, ClientIds>()
  private saving?: Promise<void>
  private dirty = false

  constructor (private readonly file: string, private readonly log: Logger) {}

  async load (): Promise<void> {
    try {
      const parsed = JSON.parse(await fs.readFile(this.file, 'utf8')) as StateFile
      for (const [person, key] of Object.entries(parsed?.acked ?? {})) {
        if (typeof key === 'string') this.acked.set(person, key)
      }
      for (const [meshId, ids] of Object.entries(parsed?.sent ?? {})) {
        if (typeof ids?.id === 'string' || typeof ids?.originId === 'string') this.sent.set(meshId, { id: stringOr(ids.id), originId: stringOr(ids.originId) })
      }
    } catch (err: any) {
      if (err.code !== 'ENOENT') this.log.error('ignoring unreadable %s - %e', this.file, err)
    }
  }

  /** The position key of the newest acknowledged message from `person` ('': none; every key is after it). */
  highest (person: string): string {
    return this.acked.get(person) ?? ''
  }

  mark (person: string, key: string): void {
    if (key <= this.highest(person)) return
    this.acked.set(person, key)
    this.changed()
  }

  /** A client sent mesh message `meshId` under its own ids. */
  rememberSent (meshId: string, ids: ClientIds): void {
    if (ids.id == null && ids.originId == null) return
    this.sent.set(meshId, ids)
    while (this.sent.size > MAX_SENT_IDS) this.sent.delete(this.sent.keys().next().value as string)
    this.changed()
  }

  /** The ids the client gave a message it sent, if kept. */
  sentAs (meshId: string): ClientIds | undefined {
    return this.sent.get(meshId)
  }

  private changed (): void {
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
        await fs.writeFile(tmp, JSON.stringify({ acked: Object.fromEntries(this.acked), sent: Object.fromEntries(this.sent) } satisfies StateFile), { mode: 0o600 })
        await fs.rename(tmp, this.file)
      }
    } catch (err: any) {
      this.log.error('cannot save %s - %e', this.file, err)
    } finally {
      this.saving = undefined
    }
  }
}

const stringOr = (v: unknown): string | undefined => typeof v === 'string' ? v : undefined
