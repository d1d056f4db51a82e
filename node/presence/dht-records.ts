/**
 * The kad-dht validator and selector for presence records. kad-dht's PUT
 * handler stores whatever passes the validator, so the replay check lives in
 * the validator: a record older than the one this node holds is refused.
 */
import { Record as DhtRecord } from '@libp2p/kad-dht'
import { Key } from 'interface-datastore'
import { toString as uint8ArrayToString } from 'uint8arrays/to-string'
import { checkPresenceDhtRecord, peekPresenceEnvelope, PRESENCE_DHT_NAMESPACE, selectPresenceDhtRecord } from '../../protocol/dht-presence.js'
import { REJECT_REASONS } from '../../protocol/presence-record.js'
import { DHT_DATASTORE_PREFIX } from '../discovery/constants.js'
import type { RejectReason } from '../../protocol/presence-record.js'
import type { SelectFn, ValidateFn } from '@libp2p/kad-dht'
import type { Datastore } from 'interface-datastore'

export class PresenceRecordRejectedError extends Error {
  override name = 'PresenceRecordRejectedError'
  constructor (readonly reason: RejectReason, detail?: string) {
    super(`presence DHT record rejected: ${reason}${detail != null ? ` (${detail})` : ''}`)
  }
}

export class PresenceDhtRules {
  private readonly rejections = Object.fromEntries(REJECT_REASONS.map(r => [r, 0])) as Record<RejectReason, number>

  constructor (private readonly datastore: Datastore, private readonly maxClockSkewMs?: number) {}

  /** For kadDHT({ validators }). */
  get validators (): Record<string, ValidateFn> {
    return { [PRESENCE_DHT_NAMESPACE]: async (key, value) => { await this.validate(key, value) } }
  }

  /** For kadDHT({ selectors }). */
  get selectors (): Record<string, SelectFn> {
    return { [PRESENCE_DHT_NAMESPACE]: (_key, records) => selectPresenceDhtRecord(records) }
  }

  async validate (key: Uint8Array, value: Uint8Array): Promise<void> {
    const res = await checkPresenceDhtRecord(key, value, {
      now: Date.now(),
      storedSeq: await this.storedSeq(key),
      maxClockSkewMs: this.maxClockSkewMs
    })
    if (!res.ok) {
      this.rejections[res.reason]++
      throw new PresenceRecordRejectedError(res.reason, res.detail)
    }
  }

  /** DHT records this node refused so far, by reason. */
  getRejections (): Record<RejectReason, number> {
    return { ...this.rejections }
  }

  /** Sequence number of the record this node holds for the key (already validated when stored). */
  private async storedSeq (key: Uint8Array): Promise<bigint | undefined> {
    try {
      const raw = await this.datastore.get(new Key(`${DHT_DATASTORE_PREFIX}/record/${uint8ArrayToString(key, 'base32')}`, false))
      return peekPresenceEnvelope(DhtRecord.deserialize(raw).value)?.seq
    } catch {
      return undefined
    }
  }
}
