import { Key } from 'interface-datastore'
import { DATASTORE_PREFIX } from './constants.js'
import type { Datastore } from 'interface-datastore'

/** What the node remembers about a watched presentity across restarts. */
export interface StoredWatch {
  peerId: string
  alias?: string
  /** Highest accepted sequence number: a replay of an older record is refused even after a restart. */
  lastSeq?: bigint
  /** Local time the presentity was last known to be online. */
  lastSeen?: number
}

interface Json { alias?: string, lastSeq?: string, lastSeen?: number }

const watchKey = (peerId: string): Key => new Key(`${DATASTORE_PREFIX}/watch/${peerId}`)
const SEQ_KEY = new Key(`${DATASTORE_PREFIX}/self/seq`)

export class WatchStore {
  constructor (private readonly datastore: Datastore) {}

  async loadAll (): Promise<StoredWatch[]> {
    const out: StoredWatch[] = []
    for await (const { key, value } of this.datastore.query({ prefix: `${DATASTORE_PREFIX}/watch/` })) {
      const json = JSON.parse(new TextDecoder().decode(value)) as Json
      out.push({
        peerId: key.baseNamespace(),
        alias: json.alias,
        lastSeq: json.lastSeq != null ? BigInt(json.lastSeq) : undefined,
        lastSeen: json.lastSeen
      })
    }
    return out
  }

  async save (w: StoredWatch): Promise<void> {
    const json: Json = { alias: w.alias, lastSeq: w.lastSeq?.toString(), lastSeen: w.lastSeen }
    await this.datastore.put(watchKey(w.peerId), new TextEncoder().encode(JSON.stringify(json)))
  }

  async delete (peerId: string): Promise<void> {
    await this.datastore.delete(watchKey(peerId))
  }

  async loadSeq (): Promise<bigint> {
    try {
      return BigInt(new TextDecoder().decode(await this.datastore.get(SEQ_KEY)))
    } catch (err: any) {
      if (err.name === 'NotFoundError') return 0n
      throw err
    }
  }

  async saveSeq (seq: bigint): Promise<void> {
    await this.datastore.put(SEQ_KEY, new TextEncoder().encode(seq.toString()))
  }
}
