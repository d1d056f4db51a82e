/**
 * The kad-dht validator and selector for presence records. kad-dht's PUT
 * handler stores whatever passes the validator, so the replay check lives in
 * the validator: a record older than the newest one this node has validated
 * for the key (in a PUT, a GET answer or its own copy) is refused.
 */
import { checkPresenceDhtRecord, PRESENCE_DHT_NAMESPACE, presentityOfDhtKey, selectPresenceDhtRecord } from '../../protocol/dht-presence.js'
import { REJECT_REASONS } from '../../protocol/presence-record.js'
import { ValidatedSeqs } from './dht-seqs.js'
import type { ValidatedSeqsInit } from './dht-seqs.js'
import type { RejectReason } from '../../protocol/presence-record.js'
import type { AbortOptions } from '@libp2p/interface'
import type { SelectFn, ValidateFn } from '@libp2p/kad-dht'
import type { Datastore } from 'interface-datastore'

export class PresenceRecordRejectedError extends Error {
  override name = 'PresenceRecordRejectedError'
  constructor (readonly reason: RejectReason, detail?: string) {
    super(`presence DHT record rejected: ${reason}${detail != null ? ` (${detail})` : ''}`)
  }
}

export interface PresenceDhtRulesInit extends ValidatedSeqsInit {
  /** The validating node's clock (ms since the epoch); Date.now by default. */
  now?: () => number
}

export class PresenceDhtRules {
  private readonly rejections = Object.fromEntries(REJECT_REASONS.map(r => [r, 0])) as Record<RejectReason, number>
  private readonly seqs: ValidatedSeqs
  private readonly now: () => number

  constructor (datastore: Datastore, private readonly maxClockSkewMs?: number, init: PresenceDhtRulesInit = {}) {
    this.seqs = new ValidatedSeqs(datastore, init)
    this.now = init.now ?? Date.now
  }

  /** For kadDHT({ validators }). */
  get validators (): Record<string, ValidateFn> {
    return { [PRESENCE_DHT_NAMESPACE]: async (key, value) => { await this.validate(key, value) } }
  }

  /** For kadDHT({ selectors }). */
  get selectors (): Record<string, SelectFn> {
    return { [PRESENCE_DHT_NAMESPACE]: (_key, records) => selectPresenceDhtRecord(records) }
  }

  /**
   * Refuses a record the rules reject (PresenceRecordRejectedError); a valid
   * one raises the key's replay floor, durably, before kad-dht may store it.
   */
  async validate (key: Uint8Array, value: Uint8Array): Promise<void> {
    const presentity = presentityOf(key)
    const res = await checkPresenceDhtRecord(key, value, {
      now: this.now(),
      storedSeq: presentity == null ? undefined : await this.seqs.highest(presentity),
      maxClockSkewMs: this.maxClockSkewMs
    })
    if (!res.ok) {
      this.rejections[res.reason]++
      throw new PresenceRecordRejectedError(res.reason, res.detail)
    }
    await this.seqs.raise(res.presence.presentity.toString(), res.presence.seq, res.presence.expiresAt)
  }

  /** DHT records this node refused so far, by reason. */
  getRejections (): Record<RejectReason, number> {
    return { ...this.rejections }
  }

  /** Forgets replay floors no record can need any more; returns how many. */
  async prune (options: AbortOptions = {}): Promise<number> {
    return await this.seqs.prune(this.now(), options)
  }
}

/** The presentity a key names, or undefined (checkPresenceDhtRecord then refuses the key). */
function presentityOf (key: Uint8Array): string | undefined {
  try {
    return presentityOfDhtKey(key).toString()
  } catch {
    return undefined
  }
}
