/**
 * Presence records in the DHT: the key a presentity's record lives under and
 * the validator/selector rules every DHT node applies. Pure: the caller
 * supplies the clock and what it already stores.
 */
import { peerIdFromMultihash } from '@libp2p/peer-id'
import * as Digest from 'multiformats/hashes/digest'
import { concat as uint8ArrayConcat } from 'uint8arrays/concat'
import { equals as uint8ArrayEquals } from 'uint8arrays/equals'
import { fromString as uint8ArrayFromString } from 'uint8arrays/from-string'
import { PresenceRecord as PresenceRecordPb } from './pb/presence.js'
import { openPresence, PRESENCE_PAYLOAD_TYPE, PRESENCE_RECORD_RULES } from './presence-record.js'
import { decodeSignedRecord } from './signed-envelope.js'
import { protocolId } from './topics.js'
import type { OpenResult } from './presence-record.js'
import type { PeerId } from '@libp2p/interface'

/** Private Kademlia protocol id: our DHT never mixes with the public IPFS one. */
export const DHT_PROTOCOL = protocolId('kad', '1.0.0')

/** The namespace kad-dht routes to our validator and selector (`/<ns>/<bytes>`). */
export const PRESENCE_DHT_NAMESPACE = 'pm-presence'
const KEY_PREFIX = uint8ArrayFromString(`/${PRESENCE_DHT_NAMESPACE}/`)

/** `/pm-presence/` followed by the presentity's raw multihash bytes. */
export function presenceDhtKey (presentity: PeerId): Uint8Array {
  return uint8ArrayConcat([KEY_PREFIX, presentity.toMultihash().bytes])
}

/** The presentity a presence DHT key names; throws on any other key. */
export function presentityOfDhtKey (key: Uint8Array): PeerId {
  if (key.byteLength <= KEY_PREFIX.byteLength || !uint8ArrayEquals(key.subarray(0, KEY_PREFIX.byteLength), KEY_PREFIX)) {
    throw new Error(`not a /${PRESENCE_DHT_NAMESPACE}/ key`)
  }
  return peerIdFromMultihash(Digest.decode(key.subarray(KEY_PREFIX.byteLength)))
}

export interface DhtRecordCheck {
  /** The validating node's clock, ms since the epoch. */
  now: number
  /** Sequence number of the valid record this node already holds for the key, if any. */
  storedSeq?: bigint
  maxClockSkewMs?: number
}

/**
 * The validator rule: a well-formed, correctly signed presence envelope whose
 * signer is the presentity the key names, not expired, not from the future,
 * and not older than a record this node already holds (a replay).
 */
export async function checkPresenceDhtRecord (key: Uint8Array, value: Uint8Array, opts: DhtRecordCheck): Promise<OpenResult> {
  let presentity: PeerId
  try {
    presentity = presentityOfDhtKey(key)
  } catch (err: any) {
    return { ok: false, reason: 'malformed', detail: `key: ${err.message}` }
  }
  // the same record arriving twice is fine; only a lower sequence number is a replay
  // (checked with the other cheap checks, before the signature)
  const lastSeq = opts.storedSeq != null ? opts.storedSeq - 1n : undefined
  return await openPresence(value, { now: opts.now, expectedPresentity: presentity, lastSeq, maxClockSkewMs: opts.maxClockSkewMs })
}

/** Reads the sequence number and expiry without checking the signature (validators ran first). */
export function peekPresenceEnvelope (value: Uint8Array): { seq: bigint, expiresAt: number } | undefined {
  const decoded = decodeSignedRecord(value, PRESENCE_PAYLOAD_TYPE, PRESENCE_RECORD_RULES, PresenceRecordPb)
  return decoded.ok ? { seq: decoded.record.seq, expiresAt: Number(decoded.record.expiresAt) } : undefined
}

/**
 * The selector rule: the highest sequence number wins; ties go to the later
 * expiry, then to the lowest index, so every node picks the same record.
 * An unreadable record never beats a readable one.
 */
export function selectPresenceDhtRecord (records: Uint8Array[]): number {
  let best = -1
  let bestSeq = -1n
  let bestExpiry = -1
  records.forEach((value, i) => {
    const r = peekPresenceEnvelope(value)
    if (r == null) return
    if (r.seq > bestSeq || (r.seq === bestSeq && r.expiresAt > bestExpiry)) {
      best = i
      bestSeq = r.seq
      bestExpiry = r.expiresAt
    }
  })
  return Math.max(best, 0)
}
