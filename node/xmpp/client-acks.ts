/**
 * Which received messages an XMPP client has acknowledged (XEP-0184
 * receipts or XEP-0333 markers), per contact person: the ids of the newest
 * MAX_ACKED_PER_PERSON acknowledged. A client coming online gets every
 * unread message not acknowledged, so what arrived while no client was
 * connected (or while one went away without acknowledging) is delivered,
 * and nothing twice to a client that acknowledges, whichever device of the
 * contact or of the owner brought it, and in whatever order it arrived (a
 * text stored late with an earlier time is still delivered). Kept in
 * `<home>/xmpp-state.json`; a lost or unreadable file (or one of an earlier
 * version) only means some messages are delivered again. Beside them, the
 * ids a client gave the messages it sent (the newest MAX_SENT_IDS): the
 * archive hands each back under the client's own id and origin-id
 * (XEP-0359), so a client paging it knows what it sent.
 */
import { JsonFile } from '../util/json-file.js'
import { trimOldest } from '../util/trim.js'
import type { Logger } from '@libp2p/interface'

/** Sent messages whose client ids are kept. */
const MAX_SENT_IDS = 2_000
/** Acknowledged ids kept per person: more than the unread messages a login is offered (OFFLINE_BACKLOG). */
const MAX_ACKED_PER_PERSON = 1_000

/** The ids a client gave a message it sent. */
export interface ClientIds { id?: string, originId?: string }

interface StateFile {
  /** Person -> ids of the messages acknowledged, oldest first. */
  acked: Record<string, string[]>
  /** Mesh message id -> the ids the sending client gave it. */
  sent?: Record<string, ClientIds>
}

export class ClientAcks {
  private readonly acked = new Map<string, Set<string>>()
  private readonly sent = new Map<string, ClientIds>()
  private readonly state: JsonFile

  constructor (file: string, log: Logger) {
    this.state = new JsonFile(file, () => ({ acked: Object.fromEntries([...this.acked].map(([p, ids]) => [p, [...ids]])), sent: Object.fromEntries(this.sent) } satisfies StateFile), log)
  }

  async load (): Promise<void> {
    const parsed = await this.state.read() as StateFile | undefined
    for (const [person, ids] of Object.entries(parsed?.acked ?? {})) {
      if (Array.isArray(ids)) this.acked.set(person, new Set(ids.filter((id): id is string => typeof id === 'string')))
    }
    for (const [meshId, ids] of Object.entries(parsed?.sent ?? {})) {
      if (typeof ids?.id === 'string' || typeof ids?.originId === 'string') this.sent.set(meshId, { id: stringOr(ids.id), originId: stringOr(ids.originId) })
    }
  }

  /** Whether a client acknowledged message `id` from `person`. */
  has (person: string, id: string): boolean {
    return this.acked.get(person)?.has(id) === true
  }

  mark (person: string, id: string): void {
    let ids = this.acked.get(person)
    if (ids?.has(id) === true) return
    if (ids == null) this.acked.set(person, ids = new Set())
    ids.add(id)
    trimOldest(ids, MAX_ACKED_PER_PERSON)
    this.state.changed()
  }

  /** A client sent mesh message `meshId` under its own ids. */
  rememberSent (meshId: string, ids: ClientIds): void {
    if (ids.id == null && ids.originId == null) return
    this.sent.set(meshId, ids)
    trimOldest(this.sent, MAX_SENT_IDS)
    this.state.changed()
  }

  /** The ids the client gave a message it sent, if kept. */
  sentAs (meshId: string): ClientIds | undefined {
    return this.sent.get(meshId)
  }

  /** Resolves once every mark made so far is on disk. */
  async flush (): Promise<void> {
    await this.state.flush()
  }
}

const stringOr = (v: unknown): string | undefined => typeof v === 'string' ? v : undefined
