/**
 * The roster's records: one per person, and the visibility setting. Loaded
 * whole into memory (a roster is small) before libp2p is built, because the
 * connection gater asks about blocks from the first connection on. Only the
 * roster service changes it, through `stage`, whose memory update runs once
 * the transaction committed.
 */
import { jsonCodec, Store } from '../store/records.js'
import { DATASTORE_PREFIX } from './constants.js'
import type { Person, Visibility, VisibilitySetting } from './index.js'
import type { RecordSet, Transaction } from '../store/records.js'
import type { Datastore } from 'interface-datastore'

type StoredPerson = Omit<Person, 'id'>

const SETTINGS_VISIBILITY = 'visibility'

export class RosterStore {
  readonly store: Store
  private readonly peopleRecords: RecordSet<StoredPerson>
  private readonly settings: RecordSet<VisibilitySetting>
  /** Person id -> person. */
  private readonly byId = new Map<string, Person>()
  /** Device peer id -> person id. */
  private readonly byDevice = new Map<string, string>()
  private visibilitySetting: VisibilitySetting

  private constructor (datastore: Datastore, defaultVisibility: Visibility) {
    this.store = new Store(datastore)
    this.peopleRecords = this.store.records(`${DATASTORE_PREFIX}/person`, jsonCodec<StoredPerson>())
    this.settings = this.store.records(`${DATASTORE_PREFIX}/setting`, jsonCodec<VisibilitySetting>())
    this.visibilitySetting = { mode: defaultVisibility, allow: [] }
  }

  static async open (datastore: Datastore, defaultVisibility: Visibility = 'contacts'): Promise<RosterStore> {
    const s = new RosterStore(datastore, defaultVisibility)
    for await (const [id, stored] of s.peopleRecords.entries()) s.remember({ ...stored, id })
    s.visibilitySetting = await s.settings.get(SETTINGS_VISIBILITY) ?? s.visibilitySetting
    return s
  }

  get (peer: string): Person | undefined {
    const id = this.byDevice.get(peer) ?? peer
    return this.byId.get(id)
  }

  all (): IterableIterator<Person> {
    return this.byId.values()
  }

  visibility (): VisibilitySetting {
    return this.visibilitySetting
  }

  isBlocked (peer: string): boolean {
    return this.get(peer)?.blockedSince != null
  }

  /**
   * Stages a person's new state (undefined: forget them) in `tx`; memory
   * follows once the transaction committed. Returns the state before.
   */
  stagePerson (tx: Transaction, id: string, after: Person | undefined): Person | undefined {
    const before = this.byId.get(id)
    if (after == null) this.peopleRecords.delete(tx, id)
    else this.peopleRecords.put(tx, id, withoutId(after))
    tx.afterCommit(() => {
      const current = this.byId.get(id)
      if (current != null) for (const d of current.devices) this.byDevice.delete(d)
      this.byId.delete(id)
      if (after != null) this.remember(after)
    })
    return before
  }

  stageVisibility (tx: Transaction, setting: VisibilitySetting): void {
    this.settings.put(tx, SETTINGS_VISIBILITY, setting)
    tx.afterCommit(() => { this.visibilitySetting = setting })
  }

  private remember (p: Person): void {
    this.byId.set(p.id, p)
    for (const d of p.devices) this.byDevice.set(d, p.id)
  }
}

function withoutId (p: Person): StoredPerson {
  const { id: _id, ...rest } = p
  return rest
}
