/**
 * Contact messages (request, accept, deny, cancel) and the rules a receiver
 * applies to them. Pure: the caller supplies the clock, its own peer id and
 * the ids it has already seen.
 */
import { peerIdFromPublicKey } from '@libp2p/peer-id'
import { RecordEnvelope } from '@libp2p/peer-record'
import { decodeSignedRecord } from './signed-envelope.js'
import { equals as uint8ArrayEquals } from 'uint8arrays/equals'
import { toString as uint8ArrayToString } from 'uint8arrays/to-string'
import { ContactKind, ContactMessage as ContactMessagePb } from './pb/contact.js'
import type { PeerId, PrivateKey, Record as Libp2pRecord } from '@libp2p/interface'

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

export const CONTACT_KINDS = ['request', 'accept', 'deny', 'cancel'] as const
export type ContactMessageKind = typeof CONTACT_KINDS[number]

const toPb: Record<ContactMessageKind, ContactKind> = {
  request: ContactKind.REQUEST,
  accept: ContactKind.ACCEPT,
  deny: ContactKind.DENY,
  cancel: ContactKind.CANCEL
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
  /** REQUEST only: binary multiaddrs where the sender can be reached for the answer. */
  replyAddrs?: Uint8Array[]
}

export class ContactFieldError extends Error {
  override name = 'ContactFieldError'
}

export const codePoints = (s: string): number => [...s].length

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
  if (greeting != null && codePoints(greeting) > MAX_GREETING_CHARS) {
    throw new ContactFieldError(`greeting is longer than ${MAX_GREETING_CHARS} characters`)
  }
}

class ContactPayload implements Libp2pRecord {
  readonly domain = CONTACT_DOMAIN
  readonly codec = CONTACT_PAYLOAD_TYPE
  constructor (private readonly bytes: Uint8Array) {}
  marshal (): Uint8Array { return this.bytes }
  equals (other: Libp2pRecord): boolean {
    return other.domain === this.domain && uint8ArrayEquals(other.marshal(), this.bytes)
  }
}

export async function sealContactMessage (m: ContactMessage, key: PrivateKey): Promise<Uint8Array> {
  if (m.requestId.length !== REQUEST_ID_BYTES) throw new ContactFieldError(`request id must be ${REQUEST_ID_BYTES} bytes`)
  if (m.greeting != null && m.kind !== 'request') throw new ContactFieldError('only a request carries a greeting')
  checkGreeting(m.greeting)
  const replyAddrs = m.replyAddrs ?? []
  if (replyAddrs.length > 0 && m.kind !== 'request') throw new ContactFieldError('only a request carries reply addresses')
  if (replyAddrs.length > MAX_REPLY_ADDRS || replyAddrs.some(a => a.length === 0 || a.length > MAX_REPLY_ADDR_BYTES)) throw new ContactFieldError('reply addresses')
  const payload = ContactMessagePb.encode({
    kind: toPb[m.kind],
    requestId: Uint8Array.from(m.requestId),
    from: m.from.toMultihash().bytes,
    to: m.to.toMultihash().bytes,
    greeting: m.greeting,
    sentAt: BigInt(m.sentAt),
    replyAddrs: replyAddrs.map(a => Uint8Array.from(a))
  })
  return (await RecordEnvelope.seal(new ContactPayload(payload), key)).marshal()
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
  const decoded = decodeSignedRecord(bytes, CONTACT_PAYLOAD_TYPE, ContactMessagePb)
  if (!decoded.ok) return reject(decoded.reason, decoded.detail)
  const { envelope, record: pb } = decoded
  const signer = peerIdFromPublicKey(envelope.publicKey)
  if (!uint8ArrayEquals(pb.from, signer.toMultihash().bytes)) return reject('signer-mismatch')
  const kind = kindFromPb(pb.kind)
  if ((opts.sender != null && !signer.equals(opts.sender)) || (opts.intake === true && kind !== 'request')) return reject('wrong-sender')
  if (!uint8ArrayEquals(pb.to, opts.me.toMultihash().bytes)) return reject('wrong-recipient')
  if (kind == null) return reject('invalid-field', 'kind')
  if (pb.requestId.length !== REQUEST_ID_BYTES) return reject('invalid-field', 'request id')
  if (pb.greeting != null && kind !== 'request') return reject('invalid-field', 'greeting on an answer')
  if (pb.greeting != null && codePoints(pb.greeting) > MAX_GREETING_CHARS) return reject('invalid-field', 'greeting')
  if (pb.replyAddrs.length > 0 && kind !== 'request') return reject('invalid-field', 'reply addresses on an answer')
  if (pb.replyAddrs.length > MAX_REPLY_ADDRS || pb.replyAddrs.some(a => a.length === 0 || a.length > MAX_REPLY_ADDR_BYTES)) return reject('invalid-field', 'reply addresses')
  const sentAt = Number(pb.sentAt)
  if (sentAt > opts.now + (opts.maxSkewMs ?? MAX_CONTACT_SKEW_MS)) return reject('future')
  if (sentAt < opts.now - (opts.maxAgeMs ?? MAX_CONTACT_AGE_MS)) return reject('expired')
  if (opts.seen?.has(messageKey(kind, pb.requestId)) === true) return reject('duplicate')
  try {
    if (!await envelope.validate(CONTACT_DOMAIN)) return reject('bad-signature')
  } catch (err: any) {
    return reject('bad-signature', err?.message)
  }
  return {
    ok: true,
    message: { kind, requestId: pb.requestId, from: signer, to: opts.me, greeting: pb.greeting, sentAt, ...(pb.replyAddrs.length > 0 ? { replyAddrs: pb.replyAddrs } : {}) }
  }
}
