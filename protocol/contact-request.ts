/**
 * Contact messages (request, accept, deny, cancel, remove) and the rules a receiver
 * applies to them. Pure: the caller supplies the clock, its own peer id and
 * the ids it has already seen.
 */
import { equals as uint8ArrayEquals } from 'uint8arrays/equals'
import { toString as uint8ArrayToString } from 'uint8arrays/to-string'
import { MAX_TIME_MS } from './limits.js'
import { ContactKind, ContactMessage as ContactMessagePb, ContactReceipt as ContactReceiptPb } from './pb/contact.js'
import { decodeSignedRecord, sealSignedRecord, verifySignedRecord } from './signed-envelope.js'
import { scanMessage } from './strict-protobuf.js'
import { codePoints, isUnicode } from './text.js'
import type { MessageRules } from './strict-protobuf.js'
import type { PeerId, PrivateKey } from '@libp2p/interface'

export const CONTACT_DOMAIN = 'presence-mesh-contact'
/** Envelope payload type: ASCII "pc" followed by the message version 1. */
export const CONTACT_PAYLOAD_TYPE = Uint8Array.from([0x70, 0x63, 0x01])
export const REQUEST_ID_BYTES = 16
export const MAX_GREETING_CHARS = 280
/** A request may say where to answer: at most this many binary multiaddrs, each at most MAX_REPLY_ADDR_BYTES. */
export const MAX_REPLY_ADDRS = 4
export const MAX_REPLY_ADDR_BYTES = 128
/** A marshaled contact envelope larger than this is rejected unread. */
export const MAX_CONTACT_ENVELOPE_BYTES = 2048
/** A message older than this is dropped by the receiver, and by the sender's retry queue. */
export const MAX_CONTACT_AGE_MS = 30 * 24 * 3600_000
export const MAX_CONTACT_SKEW_MS = 5 * 60_000
/** A receipt larger than this is not read (the largest one is 22 bytes). */
export const MAX_CONTACT_RECEIPT_BYTES = 256

const KIND_VALUES = [0, 1, 2, 3, 4, 5]
/** protocol/contact.proto ContactMessage, field by field (strict-protobuf.ts). */
export const CONTACT_MESSAGE_RULES: MessageRules = {
  1: { type: 'enum', values: KIND_VALUES },
  2: { type: 'bytes' },
  3: { type: 'bytes' },
  4: { type: 'bytes' },
  5: { type: 'string' },
  6: { type: 'uint64' },
  7: { type: 'bytes', repeated: true }
}
/** protocol/contact.proto ContactReceipt. */
export const CONTACT_RECEIPT_RULES: MessageRules = {
  1: { type: 'bytes' },
  2: { type: 'enum', values: KIND_VALUES },
  3: { type: 'bool' },
  4: { type: 'bool' }
}

export const CONTACT_KINDS = ['request', 'accept', 'deny', 'cancel', 'remove'] as const
export type ContactMessageKind = typeof CONTACT_KINDS[number]

const toPb: Record<ContactMessageKind, ContactKind> = {
  request: ContactKind.REQUEST,
  accept: ContactKind.ACCEPT,
  deny: ContactKind.DENY,
  cancel: ContactKind.CANCEL,
  remove: ContactKind.REMOVE
}

export function kindToPb (kind: ContactMessageKind): ContactKind { return toPb[kind] }
export function kindFromPb (kind: ContactKind): ContactMessageKind | undefined {
  return CONTACT_KINDS.find(k => toPb[k] === kind)
}

export interface ContactMessage {
  kind: ContactMessageKind
  requestId: Uint8Array
  from: PeerId
  to: PeerId
  greeting?: string
  sentAt: number
  /** REQUEST only: binary multiaddrs where the sender can be reached for the answer (§8.7). */
  replyAddrs?: Uint8Array[]
}

export class ContactFieldError extends Error {
  override name = 'ContactFieldError'
}

export function requestIdHex (id: Uint8Array): string {
  return uint8ArrayToString(id, 'base16')
}

/** The key under which a receiver remembers a message it has processed. */
export function messageKey (kind: ContactMessageKind, requestId: Uint8Array): string {
  return `${kind}:${requestIdHex(requestId)}`
}

export function newRequestId (): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(REQUEST_ID_BYTES))
}

export function checkGreeting (greeting: string | undefined): void {
  if (greeting == null) return
  if (codePoints(greeting) > MAX_GREETING_CHARS) throw new ContactFieldError(`greeting is longer than ${MAX_GREETING_CHARS} characters`)
  if (!isUnicode(greeting)) throw new ContactFieldError('greeting is not valid Unicode')
}

export async function sealContactMessage (m: ContactMessage, key: PrivateKey): Promise<Uint8Array> {
  if (m.requestId.length !== REQUEST_ID_BYTES) throw new ContactFieldError(`request id must be ${REQUEST_ID_BYTES} bytes`)
  // an empty greeting is none (docs/protocol.md §0.3): never sent
  const greeting = m.greeting === '' ? undefined : m.greeting
  if (greeting != null && m.kind !== 'request') throw new ContactFieldError('only a request carries a greeting')
  checkGreeting(greeting)
  const replyAddrs = m.replyAddrs ?? []
  if (replyAddrs.length > 0 && m.kind !== 'request') throw new ContactFieldError('only a request carries reply addresses')
  if (replyAddrs.length > MAX_REPLY_ADDRS || replyAddrs.some(a => a.length === 0 || a.length > MAX_REPLY_ADDR_BYTES)) throw new ContactFieldError('reply addresses')
  const payload = ContactMessagePb.encode({
    kind: toPb[m.kind],
    requestId: Uint8Array.from(m.requestId),
    from: m.from.toMultihash().bytes,
    to: m.to.toMultihash().bytes,
    greeting,
    sentAt: BigInt(m.sentAt),
    replyAddrs: replyAddrs.map(a => Uint8Array.from(a))
  })
  return sealSignedRecord(CONTACT_DOMAIN, CONTACT_PAYLOAD_TYPE, payload, key)
}

export const CONTACT_REJECT_REASONS = [
  'oversize', 'malformed', 'wrong-payload-type', 'unsupported-key', 'signer-mismatch', 'wrong-sender', 'wrong-recipient',
  'invalid-field', 'expired', 'future', 'duplicate', 'bad-signature'
] as const
export type ContactRejectReason = typeof CONTACT_REJECT_REASONS[number]

export type ContactOpenResult =
  | { ok: true, message: ContactMessage }
  | { ok: false, reason: ContactRejectReason, detail?: string }

export interface ContactOpenOptions {
  now: number
  /** The receiver: the message must be addressed to it. */
  me: PeerId
  /** The connection's peer, when the message must come from its signer (`wrong-sender` otherwise). */
  sender?: PeerId
  /** It came through a contact code's intake, which carries any signer's request, and only requests (§8.7). */
  intake?: boolean
  /** messageKey()s the receiver has already processed. */
  seen?: { has: (key: string) => boolean }
  maxAgeMs?: number
  maxSkewMs?: number
}

const reject = (reason: ContactRejectReason, detail?: string): ContactOpenResult => ({ ok: false, reason, detail })

/** Decodes and validates a marshaled contact envelope. Never throws; the signature is checked last. */
export async function openContactMessage (bytes: Uint8Array, opts: ContactOpenOptions): Promise<ContactOpenResult> {
  if (bytes.byteLength > MAX_CONTACT_ENVELOPE_BYTES) return reject('oversize')
  const decoded = decodeSignedRecord(bytes, CONTACT_PAYLOAD_TYPE, CONTACT_MESSAGE_RULES, ContactMessagePb)
  if (!decoded.ok) return reject(decoded.reason, decoded.detail)
  const { signer, record: pb } = decoded
  if (!uint8ArrayEquals(pb.from, signer.multihash)) return reject('signer-mismatch')
  const kind = kindFromPb(pb.kind)
  if ((opts.sender != null && !signer.peerId.equals(opts.sender)) || (opts.intake === true && kind !== 'request')) return reject('wrong-sender')
  if (!uint8ArrayEquals(pb.to, opts.me.toMultihash().bytes)) return reject('wrong-recipient')
  if (kind == null) return reject('invalid-field', 'kind')
  if (pb.requestId.length !== REQUEST_ID_BYTES) return reject('invalid-field', 'request id')
  const greeting = pb.greeting === '' ? undefined : pb.greeting
  if (greeting != null && kind !== 'request') return reject('invalid-field', 'greeting on an answer')
  if (greeting != null && codePoints(greeting) > MAX_GREETING_CHARS) return reject('invalid-field', 'greeting')
  if (pb.replyAddrs.length > 0 && kind !== 'request') return reject('invalid-field', 'reply addresses on an answer')
  if (pb.replyAddrs.length > MAX_REPLY_ADDRS || pb.replyAddrs.some(a => a.length === 0 || a.length > MAX_REPLY_ADDR_BYTES)) return reject('invalid-field', 'reply addresses')
  if (pb.sentAt > BigInt(MAX_TIME_MS)) return reject('invalid-field', 'sent at')
  const sentAt = Number(pb.sentAt)
  if (sentAt > opts.now + (opts.maxSkewMs ?? MAX_CONTACT_SKEW_MS)) return reject('future')
  if (sentAt < opts.now - (opts.maxAgeMs ?? MAX_CONTACT_AGE_MS)) return reject('expired')
  if (opts.seen?.has(messageKey(kind, pb.requestId)) === true) return reject('duplicate')
  if (!verifySignedRecord(decoded, CONTACT_DOMAIN)) return reject('bad-signature')
  return {
    ok: true,
    message: { kind, requestId: pb.requestId, from: signer.peerId, to: opts.me, greeting, sentAt, ...(pb.replyAddrs.length > 0 ? { replyAddrs: pb.replyAddrs } : {}) }
  }
}

/**
 * The receiver's answer (docs/protocol.md §8.4): `requestId` and `kind` repeat
 * the message's when it was stored now; a refused, deferred or duplicate
 * message gets an empty id and no kind. `accepted` is false for a refusal,
 * and for a message the receiver cannot take now (`retryLater`: send it again
 * later).
 */
export interface ContactReceipt {
  requestId: Uint8Array
  kind?: ContactMessageKind
  accepted: boolean
  retryLater?: boolean
}

export function encodeContactReceipt (r: ContactReceipt): Uint8Array {
  return ContactReceiptPb.encode({
    requestId: Uint8Array.from(r.requestId),
    kind: r.kind == null ? ContactKind.KIND_UNSPECIFIED : toPb[r.kind],
    accepted: r.accepted,
    retryLater: r.retryLater === true && !r.accepted
  })
}

export type ContactReceiptResult =
  | { ok: true, receipt: ContactReceipt }
  | { ok: false, reason: 'oversize' | 'malformed', detail?: string }

/** Decodes a receipt. Never throws. */
export function decodeContactReceipt (bytes: Uint8Array): ContactReceiptResult {
  if (bytes.byteLength > MAX_CONTACT_RECEIPT_BYTES) return { ok: false, reason: 'oversize' }
  const scanned = scanMessage(bytes, CONTACT_RECEIPT_RULES)
  if (!scanned.ok) return { ok: false, reason: 'malformed', detail: scanned.problem }
  try {
    const pb = ContactReceiptPb.decode(bytes)
    return { ok: true, receipt: { requestId: pb.requestId, kind: kindFromPb(pb.kind), accepted: pb.accepted, retryLater: pb.retryLater && !pb.accepted } }
  } catch (err: any) {
    return { ok: false, reason: 'malformed', detail: err?.message }
  }
}
