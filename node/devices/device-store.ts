/**
 * What the devices service keeps (prefix /presence-mesh/devices): this
 * person's device list and this device's certificate, the lists of contacts'
 * people, and the addresses a new device learnt from its link code.
 */
import { bytesCodec, jsonCodec, Store } from '../store/records.js'
import { DATASTORE_PREFIX } from './constants.js'
import type { RecordSet } from '../store/records.js'
import type { Datastore } from 'interface-datastore'

export interface OwnDevices {
  /** The signed device list of this device's person. */
  list: Uint8Array
  /** This device's certificate in it (or in the list it was linked with). */
  certificate: Uint8Array
}

export class DeviceStore {
  private readonly store: Store
  private readonly own: RecordSet<OwnDevices>
  private readonly lists: RecordSet<Uint8Array>
  private readonly hints: RecordSet<{ addrs: string[] }>

  constructor (datastore: Datastore) {
    this.store = new Store(datastore)
    this.own = this.store.records(`${DATASTORE_PREFIX}/own`, jsonCodec<OwnDevices>([], ['list', 'certificate']))
    this.lists = this.store.records(`${DATASTORE_PREFIX}/person`, bytesCodec)
    this.hints = this.store.records(`${DATASTORE_PREFIX}/hint`, jsonCodec<{ addrs: string[] }>())
  }

  async loadOwn (): Promise<OwnDevices | undefined> {
    return await this.own.get('self')
  }

  async saveOwn (own: OwnDevices): Promise<void> {
    await this.store.write(tx => { this.own.put(tx, 'self', own) })
  }

  /** The stored lists of other people, by person id. */
  async loadLists (): Promise<Map<string, Uint8Array>> {
    return await this.lists.all()
  }

  async saveList (person: string, list: Uint8Array): Promise<void> {
    await this.store.write(tx => { this.lists.put(tx, person, list) })
  }

  async deleteList (person: string): Promise<void> {
    await this.store.write(tx => { this.lists.delete(tx, person) })
  }

  async saveHint (peer: string, addrs: string[]): Promise<void> {
    await this.store.write(tx => { this.hints.put(tx, peer, { addrs }) })
  }

  /** Every hint, removed as it is read (they go to the peer store, which keeps addresses from then on). */
  async takeHints (): Promise<Map<string, string[]>> {
    const all = await this.hints.all()
    if (all.size > 0) await this.store.write(tx => { for (const id of all.keys()) this.hints.delete(tx, id) })
    return new Map([...all].map(([id, h]) => [id, h.addrs]))
  }
}
