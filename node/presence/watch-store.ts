import { bigintCodec, jsonCodec, Store } from '../store/records.js'
import { DATASTORE_PREFIX } from './constants.js'
import type { RecordSet } from '../store/records.js'
import type { Datastore } from 'interface-datastore'

/** What the node remembers about a watched presentity across restarts. */
export interface StoredWatch {
  peerId: string
  alias?: string
  /** Highest accepted sequence number: a replay of an older record is refused even after a restart. */
  lastSeq?: bigint
  /** Local time the presentity was last known to be online. */
  lastSeen?: number
  /** Highest accepted seq per category other than the state (whose floor is lastSeq). */
  floors?: Record<string, bigint>
  /** The presence message version the presentity was last seen to read (absent: 1). */
  reads?: number
}

/**
 * `/presence-mesh/presence/watch/<peer id>`: JSON `{alias, lastSeq, lastSeen, floors, reads}`
 * (lastSeq and each floor a decimal string).
 */
type WatchRecord = Omit<StoredWatch, 'peerId' | 'floors'> & { floors?: Record<string, string> }

function floorsFrom (stored: Record<string, string> | undefined): Record<string, bigint> | undefined {
  if (stored == null) return undefined
  if (typeof stored !== 'object') throw new Error('floors is not an object')
  const out: Record<string, bigint> = {}
  for (const [k, v] of Object.entries(stored)) {
    if (typeof v !== 'string' || !/^\d+$/.test(v)) throw new Error(`floor of ${k} is not a decimal integer`)
    out[k] = BigInt(v)
  }
  return out
}

function floorsTo (floors: Record<string, bigint> | undefined): Record<string, string> | undefined {
  return floors == null ? undefined : Object.fromEntries(Object.entries(floors).map(([k, v]) => [k, v.toString()]))
}

function toRecord ({ alias, lastSeq, lastSeen, floors, reads }: StoredWatch): WatchRecord {
  return { alias, lastSeq, lastSeen, floors: floorsTo(floors), reads }
}

const SEQ_ID = 'seq'

export class WatchStore {
  private readonly store: Store
  private readonly watches: RecordSet<WatchRecord>
  /** Only `seq`: the ceiling of the sequence numbers this node may seal (seq-reservation.ts). */
  private readonly self: RecordSet<bigint>

  /** Accepted state waiting for the next batch (saveSoon), by peer id: the state, or what makes it when the batch is written. */
  private readonly dirty = new Map<string, StoredWatch | (() => StoredWatch)>()
  private timer?: ReturnType<typeof setTimeout>

  /** `onError`: a batch of saveSoon failed (the next accepted record tries again). */
  constructor (datastore: Datastore, private readonly onError: (err: unknown) => void = () => {}) {
    this.store = new Store(datastore)
    this.watches = this.store.records(`${DATASTORE_PREFIX}/watch`, jsonCodec<WatchRecord>(['lastSeq']))
    this.self = this.store.records(`${DATASTORE_PREFIX}/self`, bigintCodec)
  }

  async loadAll (): Promise<StoredWatch[]> {
    const out: StoredWatch[] = []
    for await (const [peerId, w] of this.watches.entries()) {
      out.push({ peerId, alias: w.alias, lastSeq: w.lastSeq, lastSeen: w.lastSeen, floors: floorsFrom(w.floors), reads: typeof w.reads === 'number' ? w.reads : undefined })
    }
    return out
  }

  /** Saves `w` now (and drops an older state of it waiting for a batch). */
  async save (w: StoredWatch): Promise<void> {
    this.dirty.delete(w.peerId)
    await this.store.write(tx => { this.watches.put(tx, w.peerId, toRecord(w)) })
  }

  /**
   * Saves the watch of `peerId` within `delayMs`, in one batch with every
   * other watch saved meanwhile (the newest state of each wins): `w`, or what
   * it makes when the batch is written (so a presentity heard many times
   * within the delay is turned into a record once).
   */
  saveSoon (peerId: string, w: StoredWatch | (() => StoredWatch), delayMs: number): void {
    this.dirty.set(peerId, w)
    if (this.timer != null) return
    this.timer = setTimeout(() => { this.flush().catch(this.onError) }, delayMs)
    this.timer.unref?.()
  }

  /** Writes what saveSoon holds now. */
  async flush (): Promise<void> {
    clearTimeout(this.timer)
    this.timer = undefined
    if (this.dirty.size === 0) return
    const batch = [...this.dirty.values()].map(w => typeof w === 'function' ? w() : w)
    this.dirty.clear()
    await this.store.write(tx => {
      for (const w of batch) this.watches.put(tx, w.peerId, toRecord(w))
    })
  }

  async delete (peerId: string): Promise<void> {
    this.dirty.delete(peerId)
    await this.store.write(tx => { this.watches.delete(tx, peerId) })
  }

  async loadSeq (): Promise<bigint> {
    return await this.self.get(SEQ_ID) ?? 0n
  }

  async saveSeq (seq: bigint): Promise<void> {
    await this.store.write(tx => { this.self.put(tx, SEQ_ID, seq) })
  }
}
