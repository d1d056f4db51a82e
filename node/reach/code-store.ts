/** The node's current contact code secret, one record (`/presence-mesh/reach/code`). */
import { fromString as uint8ArrayFromString } from 'uint8arrays/from-string'
import { toString as uint8ArrayToString } from 'uint8arrays/to-string'
import { CODE_SECRET_BYTES, newCodeSecret } from '../../protocol/contact-code.js'
import { jsonCodec, Store } from '../store/records.js'
import { DATASTORE_PREFIX } from './constants.js'
import type { RecordSet } from '../store/records.js'
import type { Datastore } from 'interface-datastore'

interface StoredCode {
  /** Base64 of the secret. */
  secret: string
  createdAt: number
}

export interface CurrentCode { secret: Uint8Array, createdAt: number }

export class CodeStore {
  private readonly store: Store
  private readonly records: RecordSet<StoredCode>

  constructor (datastore: Datastore) {
    this.store = new Store(datastore)
    this.records = this.store.records(DATASTORE_PREFIX, jsonCodec<StoredCode>())
  }

  /** The stored code; a node without one (first start) gets a fresh one, stored before it is used. */
  async load (): Promise<CurrentCode> {
    const stored = await this.records.get('code')
    if (stored != null) {
      const secret = uint8ArrayFromString(stored.secret, 'base64')
      if (secret.length === CODE_SECRET_BYTES) return { secret, createdAt: stored.createdAt }
    }
    return await this.replace()
  }

  /** A new random secret replaces the old one. */
  async replace (): Promise<CurrentCode> {
    const code = { secret: newCodeSecret(), createdAt: Date.now() }
    await this.store.write((tx) => { this.records.put(tx, 'code', { secret: uint8ArrayToString(code.secret, 'base64'), createdAt: code.createdAt }) })
    return code
  }
}
