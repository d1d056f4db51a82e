/**
 * The presence record and the rules a receiver applies to it. Pure: no I/O,
 * the caller supplies the clock and the last accepted sequence number.
 */
import { rememberSigner } from './ed25519-fast.js'
import { isUnicode, longerThan } from './text.js'
import { equals as uint8ArrayEquals } from 'uint8arrays/equals'
import {
  MAX_ACTIVITY_CHARS, MAX_CLOCK_SKEW_MS, MAX_NOTE_CHARS, MAX_PRESENCE_ENVELOPE_BYTES,
  MAX_PRESENCE_TTL_MS, MAX_TIME_MS, MIN_PRESENCE_TTL_MS
} from './limits.js'
import { PresenceRecord as PresenceRecordPb, Status as StatusPb } from './pb/presence.js'
import { decodeSignedRecord, sealSignedRecord, verifySignedRecord } from './signed-envelope.js'
import type { MessageRules } from './strict-protobuf.js'
import type { PeerId, PrivateKey } from '@libp2p/interface'

/** Signing domain of presence envelopes (part of what the signature covers). */
export const PRESENCE_DOMAIN = 'presence-mesh-presence'
/** Envelope payload type: ASCII "pm" followed by the record version 1. */
export const PRESENCE_PAYLOAD_TYPE = Uint8Array.from([0x70, 0x6d, 0x01])

export const STATUSES = ['online', 'away', 'busy', 'dnd', 'offline'] as const
export type PresenceStatus = typeof STATUSES[number]

export function isPresenceStatus (value: string): value is PresenceStatus {
  return (STATUSES as readonly string[]).includes(value)
}

const toPb: Record<PresenceStatus, StatusPb> = {
  online: StatusPb.ONLINE,
  away: StatusPb.AWAY,
  busy: StatusPb.BUSY,
  dnd: StatusPb.DND,
  offline: StatusPb.OFFLINE
}

function fromPb (status: StatusPb): PresenceStatus | undefined {
  return STATUSES.find(s => toPb[s] === status)
}

/** protocol/presence.proto, field by field (strict-protobuf.ts). */
export const PRESENCE_RECORD_RULES: MessageRules = {
  1: { type: 'bytes' },
  2: { type: 'enum', values: [0, 1, 2, 3, 4, 5] },
  3: { type: 'string' },
  4: { type: 'string' },
  5: { type: 'uint64' },
  6: { type: 'uint64' },
  7: { type: 'uint64' },
  8: { type: 'uint64' }
}

/** An empty note or activity means none: it is never sent, and one received counts as absent. */
const orNone = (s: string | undefined): string | undefined => s === '' ? undefined : s

/** A presence record as the application sees it. */
export interface Presence {
  presentity: PeerId
  status: PresenceStatus
  note?: string
  activity?: string
  seq: bigint
  issuedAt: number
  expiresAt: number
  /** The highest presence message version the presentity reads (absent: 1; 2: category bundles, §10). */
  maxVersion?: number
}

/** What a user may set; the node fills in identity, sequence and times. */
export interface PresenceUpdate {
  status: PresenceStatus
  note?: string
  activity?: string
}

/** The field of a presence update that breaks a rule; wording for people is the caller's (cli/errors.ts). */
export type PresenceField = 'status' | 'note' | 'activity'
export type PresenceFieldProblem = 'unknown-value' | 'too-long' | 'not-unicode'

/**
 * A presence update a user supplied breaks a rule: `field` is the first one
 * wrong, `problem` what is wrong with it, `limit` the most characters it may
 * hold (too-long), `allowed` the values it may take (unknown-value).
 */
export class PresenceFieldError extends Error {
  static override name = 'PresenceFieldError'
  constructor (readonly field: PresenceField, readonly problem: PresenceFieldProblem, readonly limit?: number, readonly allowed?: readonly string[]) {
    super(`presence ${field}: ${problem}${limit != null ? ` (limit ${limit})` : ''}`)
    this.name = 'PresenceFieldError'
  }
}

/** Throws PresenceFieldError naming the first field a user-supplied update gets wrong. */
export function checkPresenceUpdate (update: PresenceUpdate): void {
  if (!isPresenceStatus(update.status)) {
    throw new PresenceFieldError('status', 'unknown-value', undefined, STATUSES)
  }
  checkText('note', update.note, MAX_NOTE_CHARS)
  checkText('activity', update.activity, MAX_ACTIVITY_CHARS)
}

function checkText (field: PresenceField, value: string | undefined, max: number): void {
  if (value == null) return
  if (longerThan(value, max)) throw new PresenceFieldError(field, 'too-long', max)
  if (!isUnicode(value)) throw new PresenceFieldError(field, 'not-unicode')
}

export function encodePresence (p: Presence): Uint8Array {
  return PresenceRecordPb.encode({
    presentity: p.presentity.toMultihash().bytes,
    status: toPb[p.status],
    note: orNone(p.note),
    activity: orNone(p.activity),
    seq: p.seq,
    issuedAt: BigInt(p.issuedAt),
    expiresAt: BigInt(p.expiresAt),
    maxVersion: p.maxVersion
  })
}

/**
 * Seals a presence record in a libp2p signed envelope (what RecordEnvelope.seal
 * produces, byte for byte); returns the marshaled bytes.
 */
export async function sealPresence (p: Presence, key: PrivateKey): Promise<Uint8Array> {
  return sealPresenceNow(p, key)
}

/** sealPresence without the promise: for the hot path, where each await waits behind every queued microtask. */
export function sealPresenceNow (p: Presence, key: PrivateKey): Uint8Array {
  checkPresenceUpdate(p)
  return sealSignedRecord(PRESENCE_DOMAIN, PRESENCE_PAYLOAD_TYPE, encodePresence(p), key)
}

export const REJECT_REASONS = [
  'oversize', 'malformed', 'wrong-payload-type', 'unsupported-key', 'signer-mismatch',
  'wrong-presentity', 'invalid-field', 'expired', 'future', 'ttl-too-long', 'replay', 'bad-signature',
  // a pair-topic message that the pair's key does not open
  'undecryptable'
] as const
export type RejectReason = typeof REJECT_REASONS[number]

export type OpenResult =
  | { ok: true, presence: Presence }
  | { ok: false, reason: RejectReason, detail?: string }

export interface OpenOptions {
  /** The receiver's clock, ms since the epoch. */
  now: number
  /** When set, the record must be this presentity's (e.g. the owner of the topic it came on). */
  expectedPresentity?: PeerId | string
  /** The sequence number of the last record accepted from this presentity. */
  lastSeq?: bigint
  maxClockSkewMs?: number
  /**
   * The channel already proved that the record comes from expectedPresentity
   * (a pair-key AEAD opened it, or it came on a notify stream from that
   * authenticated peer): the envelope signature is not checked (docs/protocol.md
   * §3, "When the signature is checked"). Ignored without expectedPresentity.
   */
  authenticated?: boolean
}

const reject = (reason: RejectReason, detail?: string): OpenResult => ({ ok: false, reason, detail })

/**
 * Decodes and validates a marshaled presence envelope. Never throws: every
 * failure comes back as a reason. Cheap checks run before the signature check
 * so a flood of stale or malformed records costs little.
 */
export async function openPresence (bytes: Uint8Array, opts: OpenOptions): Promise<OpenResult> {
  return openPresenceNow(bytes, opts)
}

/** openPresence without the promise (see sealPresenceNow). */
export function openPresenceNow (bytes: Uint8Array, opts: OpenOptions): OpenResult {
  if (bytes.byteLength > MAX_PRESENCE_ENVELOPE_BYTES) return reject('oversize')
  const decoded = decodeSignedRecord(bytes, PRESENCE_PAYLOAD_TYPE, PRESENCE_RECORD_RULES, PresenceRecordPb)
  if (!decoded.ok) return reject(decoded.reason, decoded.detail)
  const { signer, record: pb } = decoded

  if (!uint8ArrayEquals(pb.presentity, signer.multihash)) return reject('signer-mismatch')
  if (opts.expectedPresentity != null && signer.id !== opts.expectedPresentity.toString()) {
    return reject('wrong-presentity')
  }

  const status = fromPb(pb.status)
  if (status == null) return reject('invalid-field', 'status')
  if (pb.issuedAt > BigInt(MAX_TIME_MS) || pb.expiresAt > BigInt(MAX_TIME_MS)) return reject('invalid-field', 'time')
  const presence: Presence = {
    presentity: signer.peerId,
    status,
    note: orNone(pb.note),
    activity: orNone(pb.activity),
    seq: pb.seq,
    issuedAt: Number(pb.issuedAt),
    expiresAt: Number(pb.expiresAt),
    maxVersion: pb.maxVersion
  }
  try {
    checkPresenceUpdate(presence)
  } catch (err: any) {
    return reject('invalid-field', err.message)
  }
  if (pb.seq === 0n) return reject('invalid-field', 'seq')

  const ttl = presence.expiresAt - presence.issuedAt
  if (ttl < MIN_PRESENCE_TTL_MS) return reject('invalid-field', 'ttl')
  if (ttl > MAX_PRESENCE_TTL_MS) return reject('ttl-too-long')
  if (presence.issuedAt > opts.now + (opts.maxClockSkewMs ?? MAX_CLOCK_SKEW_MS)) return reject('future')
  if (presence.expiresAt <= opts.now) return reject('expired')
  if (opts.lastSeq != null && presence.seq <= opts.lastSeq) return reject('replay')

  if (opts.authenticated === true && opts.expectedPresentity != null) {
    // the channel proved the sender (docs/protocol.md §3): its key is real, keep it
    rememberSigner(signer)
    return { ok: true, presence }
  }
  if (!verifySignedRecord(decoded, PRESENCE_DOMAIN)) return reject('bad-signature')
  return { ok: true, presence }
}
