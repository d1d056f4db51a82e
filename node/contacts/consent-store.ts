/**
 * The consent protocol's records: one per pending request each way, per
 * processed-message mark and per watcher-info entry, plus the outbox of
 * sealed messages not yet confirmed. A step of the state machine becomes
 * one transaction: only the records it changed are written, together with
 * the outbox entries its effects add or drop.
 */
import { jsonCodec, Store } from '../store/records.js'
import { emptyConsent } from './consent.js'
import { DATASTORE_PREFIX } from './constants.js'
import type { ConsentState, HistoryEntry, PendingRequest } from './consent.js'
import type { RecordSet, Transaction } from '../store/records.js'
import type { ContactMessageKind } from '../../protocol/contact-request.js'
import type { Datastore } from 'interface-datastore'

/** A sealed message waiting for the recipient's receipt. */
export interface OutboxEntry {
  /** Record id: creation time, kind and request id (the queue's order). */
  id: string
  to: string
  kind: ContactMessageKind
  requestId: string
  /** Base64 of the marshaled signed envelope. */
  envelope: string
  createdAt: number
  attempts: number
  nextAt: number
  /** Deliver through this contact code's intake (§8.7) rather than straight to the recipient. */
  code?: string
}

const pad = (n: number): string => n.toString().padStart(15, '0')

export function outboxId (createdAt: number, kind: ContactMessageKind, requestId: string): string {
  return `${pad(createdAt)}-${kind}-${requestId}`
}

export class ConsentStore {
  readonly store: Store
  private readonly incoming: RecordSet<PendingRequest>
  private readonly outgoing: RecordSet<PendingRequest>
  private readonly seen: RecordSet<{ at: number }>
  private readonly history: RecordSet<HistoryEntry>
  readonly outbox: RecordSet<OutboxEntry>

  constructor (datastore: Datastore) {
    this.store = new Store(datastore)
    this.incoming = this.store.records(`${DATASTORE_PREFIX}/incoming`, jsonCodec<PendingRequest>())
    this.outgoing = this.store.records(`${DATASTORE_PREFIX}/outgoing`, jsonCodec<PendingRequest>())
    this.seen = this.store.records(`${DATASTORE_PREFIX}/seen`, jsonCodec<{ at: number }>())
    this.history = this.store.records(`${DATASTORE_PREFIX}/history`, jsonCodec<HistoryEntry>())
    this.outbox = this.store.records(`${DATASTORE_PREFIX}/outbox`, jsonCodec<OutboxEntry>())
  }

  async load (): Promise<{ state: ConsentState, outbox: OutboxEntry[] }> {
    const byTime = <T>(entries: Array<[string, T]>, at: (v: T) => number): Map<string, T> =>
      new Map(entries.sort((a, b) => at(a[1]) - at(b[1])))
    const state: ConsentState = {
      ...emptyConsent(),
      incoming: await this.incoming.all(),
      outgoing: await this.outgoing.all(),
      seen: byTime((await arrayOf(this.seen.entries())).map(([k, v]) => [k, v.at]), at => at),
      history: byTime(await arrayOf(this.history.entries()), h => h.at)
    }
    const outbox = [...(await this.outbox.all()).values()]
    return { state, outbox }
  }

  /** Stages the records that differ between two states (by identity: a step copies only what it changes). */
  stageState (tx: Transaction, before: ConsentState, after: ConsentState): void {
    stageDiff(tx, this.incoming, before.incoming, after.incoming, v => v)
    stageDiff(tx, this.outgoing, before.outgoing, after.outgoing, v => v)
    stageDiff(tx, this.seen, before.seen, after.seen, at => ({ at }))
    stageDiff(tx, this.history, before.history, after.history, v => v)
  }
}

function stageDiff<V, R> (tx: Transaction, records: RecordSet<R>, before: ReadonlyMap<string, V>, after: ReadonlyMap<string, V>, toRecord: (v: V) => R): void {
  if (before === after) return
  for (const [k, v] of after) if (before.get(k) !== v) records.put(tx, k, toRecord(v))
  for (const k of before.keys()) if (!after.has(k)) records.delete(tx, k)
}

async function arrayOf<T> (it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const x of it) out.push(x)
  return out
}
