/** Chat's stored settings: read receipts on or off, and what happens to texts from non-contacts. */
import { RecordSet, stringCodec } from '../store/records.js'
import { DATASTORE_PREFIX } from './constants.js'
import { NON_CONTACT_POLICIES } from './chat-store.js'
import type { NonContactPolicy } from './chat-store.js'
import { GroupCommit } from '../store/group-commit.js'
import type { Datastore } from 'interface-datastore'

const POLICY = 'non-contact'
const READ_RECEIPTS = 'read-receipts'

export class ChatSettings {
  private readonly settings: RecordSet<string>
  private readonly commits: GroupCommit

  constructor (ds: Datastore) {
    this.commits = new GroupCommit(ds)
    this.settings = new RecordSet(ds, `${DATASTORE_PREFIX}/settings`, stringCodec)
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
    await this.commits.change((tx) => {
      this.settings.put(tx, key, value)
      return () => {}
    })
  }
}
