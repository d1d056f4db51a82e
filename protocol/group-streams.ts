/**
 * The frames of the two group stream protocols (catch-up and invitations),
 * decoded under the protobuf rules of docs/protocol.md §0.3 before protons
 * sees them. Pure; never throws.
 */
import { GroupInviteMessage, GroupInviteReceipt, GroupSyncRequest, GroupSyncResponse } from './pb/group.js'
import { scanMessage } from './strict-protobuf.js'
import type { MessageRules } from './strict-protobuf.js'

/** The largest frame either protocol reads: a response at its size limit, or an invitation with a full op log. */
export const MAX_GROUP_STREAM_FRAME_BYTES = 2 * 1024 * 1024
/** A sync request names at most this many heads and feeds; an invitation carries at most this many ops. */
export const MAX_GROUP_STREAM_ITEMS = 2_000

const FEED_POSITION_RULES: MessageRules = { 1: { type: 'bytes' }, 2: { type: 'uint64' } }
export const SYNC_REQUEST_RULES: MessageRules = { 1: { type: 'bytes' }, 2: { type: 'bytes', repeated: true }, 3: { type: 'bytes', repeated: true } }
export const SYNC_RESPONSE_RULES: MessageRules = { 1: { type: 'bytes', repeated: true }, 2: { type: 'bytes', repeated: true }, 3: { type: 'bytes', repeated: true }, 4: { type: 'bool' } }
export const INVITE_MESSAGE_RULES: MessageRules = { 1: { type: 'enum', values: [0, 1, 2] }, 2: { type: 'bytes' }, 3: { type: 'bytes', repeated: true } }
export const INVITE_RECEIPT_RULES: MessageRules = { 1: { type: 'bool' } }

export type StreamFrameResult<T> = { ok: true, frame: T } | { ok: false, reason: 'oversize' | 'malformed', detail?: string }

function decode<T> (bytes: Uint8Array, rules: MessageRules, nested: Record<number, MessageRules>, codec: { decode: (b: Uint8Array) => T }): StreamFrameResult<T> {
  if (bytes.byteLength > MAX_GROUP_STREAM_FRAME_BYTES) return { ok: false, reason: 'oversize' }
  const scanned = scanMessage(bytes, rules)
  if (!scanned.ok) return { ok: false, reason: 'malformed', detail: scanned.problem }
  for (const [field, values] of scanned.fields) {
    if (values.length > MAX_GROUP_STREAM_ITEMS) return { ok: false, reason: 'malformed', detail: `field ${field}: ${values.length} items` }
    const inner = nested[field]
    for (const v of inner == null ? [] : values) {
      const r = scanMessage(v as Uint8Array, inner)
      if (!r.ok) return { ok: false, reason: 'malformed', detail: `field ${field}: ${r.problem}` }
    }
  }
  try {
    return { ok: true, frame: codec.decode(bytes) }
  } catch (err: any) {
    return { ok: false, reason: 'malformed', detail: err?.message }
  }
}

export const decodeSyncRequest = (b: Uint8Array): StreamFrameResult<GroupSyncRequest> => decode(b, SYNC_REQUEST_RULES, { 3: FEED_POSITION_RULES }, GroupSyncRequest)
export const decodeSyncResponse = (b: Uint8Array): StreamFrameResult<GroupSyncResponse> => decode(b, SYNC_RESPONSE_RULES, { 3: FEED_POSITION_RULES }, GroupSyncResponse)
export const decodeInviteMessage = (b: Uint8Array): StreamFrameResult<GroupInviteMessage> => decode(b, INVITE_MESSAGE_RULES, {}, GroupInviteMessage)
export const decodeInviteReceipt = (b: Uint8Array): StreamFrameResult<GroupInviteReceipt> => decode(b, INVITE_RECEIPT_RULES, {}, GroupInviteReceipt)
