/**
 * Asking for one category without subscribing (docs/protocol.md §10.6): the
 * frames of `/presence-mesh/presence-query/1.0.0`. Pure; never throws on bad
 * input. The answer's item is then opened with openCategory.
 */
import { CATEGORY_ANSWER_RULES, CATEGORY_QUERY_RULES, isCategoryKey } from './categories.js'
import { MAX_CATEGORY_ENVELOPE_BYTES } from './limits.js'
import { CategoryAnswer as CategoryAnswerPb, CategoryQuery as CategoryQueryPb, QueryResult } from './pb/categories.js'
import { scanMessage } from './strict-protobuf.js'
import { protocolId } from './topics.js'
import type { CategoryKey } from './categories.js'

export const QUERY_PROTOCOL = protocolId('presence-query', '1.0.0')
/** A query frame (without its length prefix) larger than this ends the stream unread. */
export const MAX_QUERY_BYTES = 128
/** An answer: a result and at most one category envelope. */
export const MAX_ANSWER_BYTES = MAX_CATEGORY_ENVELOPE_BYTES + 16

export const QUERY_REJECT_REASONS = ['oversize', 'malformed', 'invalid-field'] as const
export type QueryRejectReason = typeof QUERY_REJECT_REASONS[number]
type Decoded<T> = ({ ok: true } & T) | { ok: false, reason: QueryRejectReason, detail?: string }

export function encodeQuery (key: CategoryKey): Uint8Array {
  return CategoryQueryPb.encode({ category: key })
}

export function decodeQuery (bytes: Uint8Array): Decoded<{ key: CategoryKey }> {
  if (bytes.byteLength > MAX_QUERY_BYTES) return { ok: false, reason: 'oversize' }
  const scan = scanMessage(bytes, CATEGORY_QUERY_RULES)
  if (!scan.ok) return { ok: false, reason: 'malformed', detail: scan.problem }
  let category: string
  try {
    category = CategoryQueryPb.decode(bytes).category
  } catch (err: any) {
    return { ok: false, reason: 'malformed', detail: err?.message }
  }
  return isCategoryKey(category) ? { ok: true, key: category } : { ok: false, reason: 'invalid-field', detail: 'category' }
}

/** FOUND with the item's envelope, or NONE (not set, or not for this asker: the two look the same). */
export function encodeAnswer (item?: Uint8Array): Uint8Array {
  return item == null
    ? CategoryAnswerPb.encode({ result: QueryResult.NONE })
    : CategoryAnswerPb.encode({ result: QueryResult.FOUND, item: item as Uint8Array<ArrayBuffer> })
}

export function decodeAnswer (bytes: Uint8Array): Decoded<{ item?: Uint8Array }> {
  if (bytes.byteLength > MAX_ANSWER_BYTES) return { ok: false, reason: 'oversize' }
  const scan = scanMessage(bytes, CATEGORY_ANSWER_RULES)
  if (!scan.ok) return { ok: false, reason: 'malformed', detail: scan.problem }
  let pb: CategoryAnswerPb
  try {
    pb = CategoryAnswerPb.decode(bytes)
  } catch (err: any) {
    return { ok: false, reason: 'malformed', detail: err?.message }
  }
  if (pb.result === QueryResult.FOUND && pb.item.byteLength > 0) return { ok: true, item: pb.item }
  if (pb.result === QueryResult.NONE && pb.item.byteLength === 0) return { ok: true }
  return { ok: false, reason: 'invalid-field', detail: 'result' }
}
