/**
 * What DHT fetches remember per presentity, across restarts: the newest record
 * a fetch returned (its seq is the floor a later fetch must reach, and its
 * envelope answers while a lookup reaches only peers with older copies) and
 * when the presentity was last known online.
 */
import { jsonCodec, RecordDecodeError, Store } from '../store/records.js'
import { FETCH_STORE_PREFIX } from './constants.js'
import type { RecordSet } from '../store/records.js'
import type { Logger } from '@libp2p/interface'
import type { Datastore } from 'interface-datastore'

/** `/presence-mesh/fetch/<peer id>`: JSON `{seq, lastSeen, envelope}` (seq a decimal string, envelope base64). */
export interface Seen {
  seq?: bigint
  lastSeen?: number
  envelope?: Uint8Array
}

export class FetchStore {
  private readonly store: Store
  private readonly seen: RecordSet<Seen>

  constructor (datastore: Datastore, private readonly log?: Logger) {
    this.store = new Store(datastore)
    this.seen = this.store.records(FETCH_STORE_PREFIX, jsonCodec<Seen>(['seq'], ['envelope']))
  }

  /** What fetches saw of peerId; an unreadable record counts as nothing seen (the next fetch rewrites it). */
  async get (peerId: string): Promise<Seen> {
    try {
      return await this.seen.get(peerId) ?? {}
    } catch (err) {
      if (!(err instanceof RecordDecodeError)) throw err
      this.log?.error('ignoring what fetches saw of %s - %e', peerId, err)
      return {}
    }
  }

  async put (peerId: string, seen: Seen): Promise<void> {
    await this.store.write(tx => { this.seen.put(tx, peerId, seen) })
  }
}
