/** Chat's stored settings: read receipts on or off, and what happens to texts from non-contacts. */
import { Store, stringCodec } from '../store/records.js'
import type { RecordSet } from '../store/records.js'
import { DATASTORE_PREFIX } from './constants.js'
import { NON_CONTACT_POLICIES } from './chat-store.js'
import type { NonContactPolicy } from './chat-store.js'
import type { Datastore } from 'interface-datastore'

const POLICY = 'non-contact'
const READ_RECEIPTS = 'read-receipts'

export class ChatSettings {
  private readonly store: Store
  private readonly settings: RecordSet<string>

  constructor (ds: Datastore) {
    this.store = new Store(ds)
    this.settings = this.store.records(`${DATASTORE_PREFIX}/settings`, stringCodec)
  }

  async getReadReceipts (): Promise<boolean> {
    return await this.settings.get(READ_RECEIPTS) !== 'off'
  }

  async setReadReceipts (on: boolean): Promise<void> {
    await this.put(READ_RECEIPTS, on ? 'on' : 'off')
  }

  async getPolicy (): Promise<NonContactPolicy | undefined> {
    const v = await this.settings.get(POLICY)
    return (NON_CONTACT_POLICIES as readonly string[]).includes(v ?? '') ? v as NonContactPolicy : undefined
  }

  async setPolicy (policy: NonContactPolicy): Promise<void> {
    await this.put(POLICY, policy)
  }

  private async put (key: string, value: string): Promise<void> {
    await this.store.change((tx) => {
      this.settings.put(tx, key, value)
      return () => {}
    })
  }
}
