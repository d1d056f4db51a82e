/**
 * One person's conversations follow them across their devices
 * (docs/protocol.md §14.12): the frames of /presence-mesh/device-history/1.0.0,
 * the order every device shows a conversation in, and how read marks merge.
 * Pure: no clock, no I/O; decoders never throw on bad input.
 *
 * A conversation is ordered by each message's position (sent_at, author,
 * id), which every device computes the same way from the message itself, so
 * devices that hold the same messages show them in the same order, whatever
 * order they arrived in. A read mark is a position: the greatest one wins.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { toString as uint8ArrayToString } from 'uint8arrays/to-string'
import { ed25519PeerOf } from './device-cert.js'
import { chatIdToHex, chatIdFromHex, checkChatText } from './chat-frame.js'
import { CHAT_ID_BYTES, MAX_CHAT_BODY_BYTES, MAX_TIME_MS } from './limits.js'
import { HistoryFrame as HistoryFramePb } from './pb/device-history.js'
import { scanMessage } from './strict-protobuf.js'
import { protocolId } from './topics.js'
import type { MessageRules, ScanFields } from './strict-protobuf.js'

export const DEVICE_HISTORY_PROTOCOL = protocolId('device-history', '1.0.0')
/** The largest frame: a hello with every cursor and mark takes at most 62,340 B, a record at most 4,164 B. */
export const MAX_HISTORY_FRAME_BYTES = 65_536
/** Origins a hello names at most (16 devices and 64 revoked ones fit). */
export const MAX_HISTORY_CURSORS = 128
/** Read marks a hello carries at most (one per contact, the newest first). */
export const MAX_READ_MARKS = 512
/** Records one side writes in one exchange at most; a receiver that got this many opens another. */
export const MAX_HISTORY_RECORDS_PER_EXCHANGE = 1_000

export const HISTORY_REJECT_REASONS = ['oversize', 'malformed', 'invalid-field'] as const
export type HistoryRejectReason = typeof HISTORY_REJECT_REASONS[number]

/** Where a message stands in its conversation. */
export interface HistoryPosition {
  /** The author's clock (the chat frame's sent_at), ms. */
  sentAt: number
  /** The device that wrote it (a peer id string). */
  author: string
  /** The chat frame id, hex. */
  id: string
}

/** One message of a conversation with a contact. */
export interface HistoryMessage extends HistoryPosition {
  /** The contact's roster id. */
  contact: string
  /** Written by this person (one of its devices), not by the contact. */
  outgoing: boolean
  text: string
}

/** A message as one device of the person originated it (sent it, or received it from the contact). */
export interface HistoryRecord extends HistoryMessage {
  origin: string
  seq: number
}

export interface ReadMark extends HistoryPosition {
  contact: string
}

export interface HistoryCursor {
  device: string
  seq: number
}

export type HistoryFrame =
  | { type: 'hello', have: HistoryCursor[], read: ReadMark[] }
  | { type: 'record', record: HistoryRecord }
  | { type: 'end' }

export type HistoryFrameResult =
  | { ok: true, frame: HistoryFrame }
  | { ok: false, reason: HistoryRejectReason, detail?: string }

const FRAME_RULES: MessageRules = { 1: { type: 'bytes' }, 2: { type: 'bytes' }, 3: { type: 'bool' } }
const HELLO_RULES: MessageRules = { 1: { type: 'bytes', repeated: true }, 2: { type: 'bytes', repeated: true } }
const CURSOR_RULES: MessageRules = { 1: { type: 'bytes' }, 2: { type: 'uint64' } }
const MARK_RULES: MessageRules = { 1: { type: 'bytes' }, 2: { type: 'uint64' }, 3: { type: 'bytes' }, 4: { type: 'bytes' } }
const RECORD_RULES: MessageRules = {
  1: { type: 'bytes' },
  2: { type: 'uint64' },
  3: { type: 'bytes' },
  4: { type: 'bytes' },
  5: { type: 'bool' },
  6: { type: 'bytes' },
  7: { type: 'uint64' },
  8: { type: 'string' }
}

const mh = (peer: string): Uint8Array<ArrayBuffer> => peerIdFromString(peer).toMultihash().bytes as Uint8Array<ArrayBuffer>
const hex = (b: Uint8Array): string => uint8ArrayToString(b, 'base16')
const SENT_AT_DIGITS = 16

/**
 * A string whose code-unit order is the position order: sent_at (zero-padded),
 * then the author's multihash bytes, then the id, both in hex (a prefix sorts
 * first, as in a byte-wise compare, because '-' sorts before every hex digit).
 */
export function positionKey (p: HistoryPosition): string {
  return `${sentAtBound(p.sentAt)}-${hex(mh(p.author))}-${p.id}`
}

/** A key between positions: after every position sent before `sentAt`, before every one sent at or after it. */
export function sentAtBound (sentAt: number): string {
  return sentAt.toString().padStart(SENT_AT_DIGITS, '0')
}

/** The conversation order: sent_at, then author multihash bytes, then id bytes (unsigned, byte by byte, a prefix first). Ties only for the same message. */
export function comparePositions (a: HistoryPosition, b: HistoryPosition): number {
  const ka = positionKey(a)
  const kb = positionKey(b)
  return ka < kb ? -1 : ka > kb ? 1 : 0
}

/** The mark after both: the greater position (read state only moves forward). */
export function laterMark<T extends HistoryPosition> (a: T | undefined, b: T | undefined): T | undefined {
  if (a == null) return b
  if (b == null) return a
  return comparePositions(b, a) > 0 ? b : a
}

/**
 * The sent_at a device gives its next message: its clock, but always after
 * its previous message, so that its messages keep their order in every
 * device's view even when its clock steps back.
 */
export function nextSentAt (now: number, previous: number): number {
  return Math.min(MAX_TIME_MS, Math.max(now, previous + 1))
}

function positionPb (p: HistoryPosition): { sentAt: bigint, author: Uint8Array<ArrayBuffer>, id: Uint8Array<ArrayBuffer> } {
  return { sentAt: BigInt(p.sentAt), author: mh(p.author), id: chatIdFromHex(p.id) as Uint8Array<ArrayBuffer> }
}

export function encodeHistoryFrame (frame: HistoryFrame): Uint8Array {
  if (frame.type === 'end') return HistoryFramePb.encode({ end: true })
  if (frame.type === 'hello') {
    return HistoryFramePb.encode({
      hello: {
        have: frame.have.map(c => ({ device: mh(c.device), seq: BigInt(c.seq) })),
        read: frame.read.map(m => ({ contact: mh(m.contact), ...positionPb(m) }))
      }
    })
  }
  const r = frame.record
  checkChatText(r.text)
  return HistoryFramePb.encode({
    record: { origin: mh(r.origin), seq: BigInt(r.seq), contact: mh(r.contact), outgoing: r.outgoing, text: r.text, ...positionPb(r) }
  })
}

const reject = (reason: HistoryRejectReason, detail?: string): HistoryFrameResult => ({ ok: false, reason, detail })
const inTime = (n: bigint): boolean => n >= 1n && n <= BigInt(MAX_TIME_MS)
const peerOf = (b: Uint8Array): string | undefined => ed25519PeerOf(b)?.toString()

/** Opens a frame (§14.12's checks, in order). */
export function decodeHistoryFrame (bytes: Uint8Array): HistoryFrameResult {
  if (bytes.byteLength > MAX_HISTORY_FRAME_BYTES) return reject('oversize')
  const outer = scanMessage(bytes, FRAME_RULES)
  if (!outer.ok) return reject('malformed', outer.problem)
  const set = [1, 2, 3].filter(f => outer.fields.has(f))
  if (set.length !== 1) return reject('invalid-field', 'not exactly one of hello, record, end')
  const value = outer.fields.get(set[0])?.[0]
  if (set[0] === 3) return value === 1 ? { ok: true, frame: { type: 'end' } } : reject('invalid-field', 'end is false')
  return set[0] === 1 ? decodeHello(value as Uint8Array) : decodeRecord(value as Uint8Array)
}

function decodeHello (bytes: Uint8Array): HistoryFrameResult {
  const scan = scanMessage(bytes, HELLO_RULES)
  if (!scan.ok) return reject('malformed', `hello: ${scan.problem}`)
  const rawHave = (scan.fields.get(1) ?? []) as Uint8Array[]
  const rawRead = (scan.fields.get(2) ?? []) as Uint8Array[]
  if (rawHave.length > MAX_HISTORY_CURSORS) return reject('invalid-field', `${rawHave.length} cursors`)
  if (rawRead.length > MAX_READ_MARKS) return reject('invalid-field', `${rawRead.length} read marks`)
  const have: HistoryCursor[] = []
  const devices = new Set<string>()
  for (const [i, b] of rawHave.entries()) {
    const s = scanMessage(b, CURSOR_RULES)
    if (!s.ok) return reject('malformed', `cursor ${i}: ${s.problem}`)
    const device = peerOf(fieldBytes(s.fields, 1))
    const seq = fieldInt(s.fields, 2)
    if (device == null || !inTime(seq) || devices.has(device)) return reject('invalid-field', `cursor ${i}`)
    devices.add(device)
    have.push({ device, seq: Number(seq) })
  }
  const read: ReadMark[] = []
  const contacts = new Set<string>()
  for (const [i, b] of rawRead.entries()) {
    const s = scanMessage(b, MARK_RULES)
    if (!s.ok) return reject('malformed', `read mark ${i}: ${s.problem}`)
    const contact = peerOf(fieldBytes(s.fields, 1))
    const pos = position(s.fields, 2, 3, 4)
    if (contact == null || pos == null || contacts.has(contact)) return reject('invalid-field', `read mark ${i}`)
    contacts.add(contact)
    read.push({ contact, ...pos })
  }
  return { ok: true, frame: { type: 'hello', have, read } }
}

function decodeRecord (bytes: Uint8Array): HistoryFrameResult {
  const s = scanMessage(bytes, RECORD_RULES)
  if (!s.ok) return reject('malformed', `record: ${s.problem}`)
  const origin = peerOf(fieldBytes(s.fields, 1))
  const seq = fieldInt(s.fields, 2)
  const contact = peerOf(fieldBytes(s.fields, 3))
  const pos = position(s.fields, 7, 6, 4)
  const outgoing = fieldInt(s.fields, 5) === 1n
  const body = fieldBytes(s.fields, 8)
  if (origin == null || !inTime(seq)) return reject('invalid-field', 'record origin or seq')
  if (contact == null || pos == null) return reject('invalid-field', 'record contact, sent_at, author or id')
  if (outgoing && pos.author !== origin) return reject('invalid-field', 'an outgoing record not by its origin')
  if (!outgoing && pos.author === origin) return reject('invalid-field', 'an incoming record by its origin')
  if (body.byteLength === 0 || body.byteLength > MAX_CHAT_BODY_BYTES) return reject('invalid-field', 'record text')
  const text = new TextDecoder().decode(body)
  return { ok: true, frame: { type: 'record', record: { origin, seq: Number(seq), contact, outgoing, text, ...pos } } }
}

function fieldBytes (fields: ScanFields, n: number): Uint8Array {
  const v = fields.get(n)?.[0]
  return v instanceof Uint8Array ? v : new Uint8Array(0)
}

function fieldInt (fields: ScanFields, n: number): bigint {
  const v = fields.get(n)?.[0]
  return typeof v === 'bigint' ? v : typeof v === 'number' ? BigInt(v) : 0n
}

function position (fields: ScanFields, sentAtField: number, authorField: number, idField: number): HistoryPosition | undefined {
  const sentAt = fieldInt(fields, sentAtField)
  const author = peerOf(fieldBytes(fields, authorField))
  const id = fieldBytes(fields, idField)
  if (!inTime(sentAt) || author == null || id.byteLength !== CHAT_ID_BYTES) return undefined
  return { sentAt: Number(sentAt), author, id: chatIdToHex(id) }
}
