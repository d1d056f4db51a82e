/**
 * What a blocked peer sent while blocked is dropped for good. While the
 * block lasts its streams are refused (to it this node looks offline), so
 * its sender keeps the texts and retries; after an unblock they would
 * arrive. Each unblock therefore records the block's period, and a text
 * whose send time falls in one is acknowledged and dropped, never shown.
 * Send times are the sender's clock: a sender can only misdate its own texts.
 */
import { jsonCodec, Store } from '../store/records.js'
import { DATASTORE_PREFIX, MAX_BLOCK_WINDOWS } from './constants.js'
import type { RecordSet } from '../store/records.js'
import type { Datastore } from 'interface-datastore'

export interface BlockWindow { from: number, to: number }

interface StoredWindows { windows: BlockWindow[] }

export class BlockWindows {
  private readonly store: Store
  private readonly records: RecordSet<StoredWindows>
  private readonly byPeer = new Map<string, BlockWindow[]>()

  constructor (datastore: Datastore) {
    this.store = new Store(datastore)
    this.records = this.store.records(`${DATASTORE_PREFIX}/blocked`, jsonCodec<StoredWindows>())
  }

  async load (): Promise<void> {
    this.byPeer.clear()
    for await (const [peer, { windows }] of this.records.entries()) this.byPeer.set(peer, windows)
  }

  /**
   * Records that `peer` was blocked from `from` until `to` (the newest windows are kept). In effect at
   * once, before the write commits: the unblock has let the peer in already, and a text it sent while
   * blocked could arrive while the write waits its turn (under load it did, and was shown).
   */
  async add (peer: string, from: number, to: number): Promise<void> {
    const windows = [...(this.byPeer.get(peer) ?? []), { from, to }].slice(-MAX_BLOCK_WINDOWS)
    this.byPeer.set(peer, windows)
    await this.store.write((tx) => { this.records.put(tx, peer, { windows }) })
  }

  /** Whether a text `peer` sent at `sentAt` (its clock) was sent while it was blocked. */
  covers (peer: string, sentAt: number): boolean {
    return this.byPeer.get(peer)?.some(w => sentAt >= w.from && sentAt <= w.to) === true
  }
}
