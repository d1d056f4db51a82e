/**
 * What the contacts service remembers across restarts: contacts, pending
 * requests both ways, watcher-info history, settings, processed message ids
 * and the outbox of undelivered messages. Small, so each is one JSON document
 * written whole (atomic per key); writes are serialized.
 */
import { Key } from 'interface-datastore'
import { DATASTORE_PREFIX } from './constants.js'
import type { PresenceViewLevel } from '../presence/audience.js'
import type { ContactMessageKind } from '../../protocol/contact-request.js'
import type { Datastore } from 'interface-datastore'

export const VISIBILITIES = ['public', 'contacts', 'invisible'] as const
export type Visibility = typeof VISIBILITIES[number]

export interface Contact {
  peerId: string
  alias?: string
  view: PresenceViewLevel
  /** When the contact was made. */
  since: number
}

export interface PendingRequest {
  /** Hex of the 16-byte request id. */
  requestId: string
  peerId: string
  greeting?: string
  /** Sender's clock. */
  sentAt: number
  /** Local time it was created or received. */
  at: number
  /** Outgoing only: the recipient has confirmed receipt. */
  delivered?: boolean
  /** Alias to give the contact once accepted (outgoing only). */
  alias?: string
}

export type RequestOutcome = 'pending' | 'accepted' | 'denied' | 'cancelled' | 'declined' | 'expired' | 'dropped'

/** Watcher info (RFC 3857): who asked, and what became of it. */
export interface HistoryEntry {
  requestId: string
  peerId: string
  direction: 'incoming' | 'outgoing'
  outcome: RequestOutcome
  greeting?: string
  /** Local time of the last change. */
  at: number
}

export interface ContactsState {
  contacts: Record<string, Contact>
  incoming: Record<string, PendingRequest>
  outgoing: Record<string, PendingRequest>
  history: HistoryEntry[]
  visibility: Visibility
  allow: string[]
  /** messageKey() -> local time processed; pruned after the message age limit. */
  seen: Record<string, number>
}

export interface OutboxEntry {
  to: string
  kind: ContactMessageKind
  requestId: string
  /** Base64 of the marshaled signed envelope. */
  envelope: string
  createdAt: number
  attempts: number
  nextAt: number
}

const STATE_KEY = new Key(`${DATASTORE_PREFIX}/state`)
const OUTBOX_KEY = new Key(`${DATASTORE_PREFIX}/outbox`)

export function emptyState (visibility: Visibility): ContactsState {
  return { contacts: {}, incoming: {}, outgoing: {}, history: [], visibility, allow: [], seen: {} }
}

export class ContactsStore {
  private writing: Promise<void> = Promise.resolve()

  constructor (private readonly datastore: Datastore) {}

  async loadState (defaultVisibility: Visibility): Promise<ContactsState> {
    const json = await this.read<Partial<ContactsState>>(STATE_KEY)
    return { ...emptyState(defaultVisibility), ...json }
  }

  /** The persisted visibility, read before libp2p starts (the DHT mode depends on it). */
  async loadVisibility (defaultVisibility: Visibility): Promise<Visibility> {
    return (await this.loadState(defaultVisibility)).visibility
  }

  async loadOutbox (): Promise<OutboxEntry[]> {
    return await this.read<OutboxEntry[]>(OUTBOX_KEY) ?? []
  }

  async saveState (state: ContactsState): Promise<void> {
    await this.write(STATE_KEY, state)
  }

  async saveOutbox (entries: OutboxEntry[]): Promise<void> {
    await this.write(OUTBOX_KEY, entries)
  }

  private async read<T> (key: Key): Promise<T | undefined> {
    try {
      return JSON.parse(new TextDecoder().decode(await this.datastore.get(key))) as T
    } catch (err: any) {
      if (err.name === 'NotFoundError') return undefined
      throw err
    }
  }

  private async write (key: Key, value: unknown): Promise<void> {
    // serialize a snapshot now, write in order
    const bytes = new TextEncoder().encode(JSON.stringify(value))
    const next = this.writing.then(async () => { await this.datastore.put(key, bytes) })
    this.writing = next.catch(() => {})
    await next
  }
}
