/**
 * Chat frames and the rules a receiver applies to them. Pure: no I/O, never
 * throws on bad input (decodeChatFrame reports a reason instead).
 */
import { CHAT_ID_BYTES, MAX_CHAT_BODY_BYTES, MAX_CHAT_FRAME_BYTES } from './limits.js'
import { ChatFrame as ChatFramePb, ChatKind as ChatKindPb } from './pb/chat.js'
import { RandomPool } from './random-pool.js'
import { scanMessage } from './strict-protobuf.js'
import { isUnicode } from './text.js'
import type { MessageRules } from './strict-protobuf.js'

export const CHAT_KINDS = ['text', 'delivered', 'read', 'typing'] as const
export type ChatKind = typeof CHAT_KINDS[number]

/** A chat frame as the node sees it. */
export type ChatFrame =
  | { kind: 'text', id: Uint8Array, sentAt: number, text: string }
  | { kind: 'delivered' | 'read', id: Uint8Array, sentAt: number, ref: Uint8Array }
  | { kind: 'typing', id: Uint8Array, sentAt: number }

export const CHAT_REJECT_REASONS = ['oversize', 'malformed', 'bad-id', 'bad-kind', 'bad-sent-at', 'bad-body', 'bad-ref'] as const
export type ChatRejectReason = typeof CHAT_REJECT_REASONS[number]

export type DecodeChatResult =
  | { ok: true, frame: ChatFrame }
  | { ok: false, reason: ChatRejectReason, detail?: string }

export class ChatFrameError extends Error {
  override name = 'ChatFrameError'
  constructor (readonly reason: ChatRejectReason, message: string) {
    super(message)
  }
}

const toPb: Record<ChatKind, ChatKindPb> = {
  text: ChatKindPb.TEXT,
  delivered: ChatKindPb.DELIVERED,
  read: ChatKindPb.READ,
  typing: ChatKindPb.TYPING
}

/** protocol/chat.proto ChatFrame, field by field (strict-protobuf.ts). */
export const CHAT_FRAME_RULES: MessageRules = {
  1: { type: 'bytes' },
  2: { type: 'enum', values: [0, 1, 2, 3, 4] },
  3: { type: 'uint64' },
  4: { type: 'bytes' },
  5: { type: 'bytes' }
}

const fromPb = (kind: unknown): ChatKind | undefined => CHAT_KINDS.find(k => toPb[k] === kind)

const utf8 = new TextEncoder()
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

const ids = new RandomPool(CHAT_ID_BYTES)

/** A fresh frame id: CHAT_ID_BYTES bytes from the platform CSPRNG. */
export function newChatId (): Uint8Array {
  return ids.take()
}

const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'))

export function chatIdToHex (id: Uint8Array): string {
  let hex = ''
  for (const b of id) hex += HEX[b]
  return hex
}

export function chatIdFromHex (hex: string): Uint8Array {
  if (!/^[0-9a-f]*$/.test(hex) || hex.length !== CHAT_ID_BYTES * 2) throw new ChatFrameError('bad-id', `not a chat id: ${hex}`)
  return Uint8Array.from(hex.match(/../g) ?? [], h => parseInt(h, 16))
}

/** Throws ChatFrameError naming what is wrong with a text a user wants to send; returns its UTF-8 body. */
export function checkChatText (text: string): Uint8Array {
  if (typeof text !== 'string' || text.length === 0) throw new ChatFrameError('bad-body', 'a message needs some text')
  if (!isUnicode(text)) throw new ChatFrameError('bad-body', 'the text is not valid Unicode')
  const body = utf8.encode(text)
  if (body.byteLength > MAX_CHAT_BODY_BYTES) throw new ChatFrameError('bad-body', `the text is ${body.byteLength} bytes of UTF-8, the limit is ${MAX_CHAT_BODY_BYTES}`)
  return body
}

function check (frame: ChatFrame): ChatRejectReason | undefined {
  if (!(frame.id instanceof Uint8Array) || frame.id.byteLength !== CHAT_ID_BYTES) return 'bad-id'
  if (!CHAT_KINDS.includes(frame.kind)) return 'bad-kind'
  if (!Number.isSafeInteger(frame.sentAt) || frame.sentAt <= 0) return 'bad-sent-at'
  if (frame.kind === 'delivered' || frame.kind === 'read') {
    if (!(frame.ref instanceof Uint8Array) || frame.ref.byteLength !== CHAT_ID_BYTES) return 'bad-ref'
  }
  return undefined
}

/** Marshals a frame; throws ChatFrameError for one no receiver would accept. */
export function encodeChatFrame (frame: ChatFrame): Uint8Array {
  const reason = check(frame)
  if (reason != null) throw new ChatFrameError(reason, `invalid ${String(frame.kind)} frame: ${reason}`)
  const body = frame.kind === 'text' ? checkChatText(frame.text) : new Uint8Array(0)
  return ChatFramePb.encode({
    id: frame.id as Uint8Array<ArrayBuffer>,
    kind: toPb[frame.kind],
    sentAt: BigInt(frame.sentAt),
    body: body as Uint8Array<ArrayBuffer>,
    ref: (frame.kind === 'delivered' || frame.kind === 'read' ? frame.ref : new Uint8Array(0)) as Uint8Array<ArrayBuffer>
  })
}

const reject = (reason: ChatRejectReason, detail?: string): DecodeChatResult => ({ ok: false, reason, detail })

/**
 * Decodes and validates one marshaled frame. Fields a kind does not use must
 * be empty, so a frame means exactly one thing.
 */
export function decodeChatFrame (bytes: Uint8Array): DecodeChatResult {
  if (bytes.byteLength > MAX_CHAT_FRAME_BYTES) return reject('oversize')
  const scanned = scanMessage(bytes, CHAT_FRAME_RULES)
  if (!scanned.ok) return reject('malformed', scanned.problem)
  let pb: ChatFramePb
  try {
    pb = ChatFramePb.decode(bytes)
  } catch (err: any) {
    return reject('malformed', err?.message)
  }
  if (pb.id.byteLength !== CHAT_ID_BYTES) return reject('bad-id')
  const kind = fromPb(pb.kind)
  if (kind == null) return reject('bad-kind', String(pb.kind))
  if (pb.sentAt <= 0n || pb.sentAt > BigInt(Number.MAX_SAFE_INTEGER)) return reject('bad-sent-at')
  const base = { id: pb.id as Uint8Array, sentAt: Number(pb.sentAt) }

  if (kind === 'text') {
    if (pb.ref.byteLength !== 0) return reject('bad-ref', 'text carries no ref')
    if (pb.body.byteLength === 0 || pb.body.byteLength > MAX_CHAT_BODY_BYTES) return reject('bad-body', `${pb.body.byteLength} bytes`)
    let text: string
    try {
      text = strictUtf8.decode(pb.body)
    } catch {
      return reject('bad-body', 'not UTF-8')
    }
    return { ok: true, frame: { kind, ...base, text } }
  }
  if (pb.body.byteLength !== 0) return reject('bad-body', `${kind} carries no body`)
  if (kind === 'typing') {
    if (pb.ref.byteLength !== 0) return reject('bad-ref', 'typing carries no ref')
    return { ok: true, frame: { kind, ...base } }
  }
  if (pb.ref.byteLength !== CHAT_ID_BYTES) return reject('bad-ref')
  return { ok: true, frame: { kind, ...base, ref: pb.ref } }
}
