/**
 * The protobuf wire rules every decoder of ours applies before the generated
 * (protons) decoder sees a message, so that what a record means does not
 * depend on one library's leniency (protons decodes any bytes as a string,
 * reads a field with whatever wire type it carries and lets a repeated
 * singular field overwrite the first). docs/protocol.md §0.3 lists the rules;
 * a message that breaks one is `malformed`. Pure; never throws.
 */

import { isUtf8 } from 'node:buffer'

/** `enum` and `bool` are varints restricted to `values`; `string` is strict UTF-8. */
export type FieldType = 'bytes' | 'string' | 'uint64' | 'enum' | 'bool'

export interface FieldRule {
  type: FieldType
  /** Only `repeated` fields may occur more than once. */
  repeated?: boolean
  /** The numbers an `enum` field may carry (every value the .proto enum declares, 0 included). */
  values?: readonly number[]
}

/** Field number -> rule, one entry per field of the .proto message. */
export type MessageRules = Readonly<Record<number, FieldRule>>

/** Known field number -> its values in order of appearance: bytes for length-delimited fields, a number below 2^28 else a bigint for varints. */
export type ScanFields = Map<number, Array<Uint8Array | bigint | number>>

export type ScanResult =
  | { ok: true, fields: ScanFields }
  | { ok: false, problem: string }

const WIRE_VARINT = 0
const WIRE_FIXED64 = 1
const WIRE_LEN = 2
const WIRE_FIXED32 = 5
const MAX_FIELD_NUMBER = 2 ** 29 - 1

/** Where the last readVarint ended (one module-level cursor instead of a tuple per varint: this runs on every record). */
let end = 0

/**
 * An unsigned varint at `pos`: at most 10 bytes and below 2^64, else
 * undefined. A number up to 2^28 (the common case: tags, lengths, enums),
 * a bigint above. Sets `end` to the position after it.
 */
function readVarint (b: Uint8Array, pos: number): number | bigint | undefined {
  let small = 0
  for (let i = 0; i < 4; i++) {
    if (pos >= b.length) return undefined
    const byte = b[pos++]
    small |= (byte & 0x7f) << (7 * i)
    if ((byte & 0x80) === 0) {
      end = pos
      return small
    }
  }
  // bits 28-63 gathered in a plain number (exact: at most 36 bits), made a bigint once (timestamps and seqs land here on every item)
  let high = 0
  let scale = 1
  for (let i = 4; i < 10; i++) {
    if (pos >= b.length) return undefined
    const byte = b[pos++]
    if (i === 9 && byte > 1) return undefined
    high += (byte & 0x7f) * scale
    scale *= 128
    if ((byte & 0x80) === 0) {
      end = pos
      return (BigInt(high) << 28n) | BigInt(small)
    }
  }
  return undefined
}

const wireTypeOf = (type: FieldType): number => type === 'bytes' || type === 'string' ? WIRE_LEN : WIRE_VARINT
const BOOL_VALUES = [0, 1]

/** Receives each known field's value in order of appearance: bytes for length-delimited fields, a number below 2^28 else a bigint for varints. */
export type FieldVisitor<S> = (state: S, field: number, value: Uint8Array | bigint | number) => void

/**
 * Walks one message: every tag valid, every length inside the buffer, known
 * fields with their declared wire type, singular fields at most once, enum
 * and bool values declared, strings valid UTF-8. Unknown fields of wire type
 * 0, 1, 2 or 5 are skipped (forward compatibility); groups are refused.
 * Hands each known field's value to `visit` (with `state`: no closure per
 * message) as it is read, and returns the first rule broken, else undefined;
 * `visit` may have seen fields before a later one broke a rule.
 */
export function walkMessage<S> (bytes: Uint8Array, rules: MessageRules, state: S, visit: FieldVisitor<S>): string | undefined {
  // singular fields seen: a bit per field number below 32, a set above (rare)
  let seenLow = 0
  let seenHigh: Set<number> | undefined
  let pos = 0
  while (pos < bytes.length) {
    const tag = readVarint(bytes, pos)
    if (tag == null) return `bad tag at ${pos}`
    pos = end
    // a tag of 5 bytes or more is a bigint: its field number is above 2^25, still possibly valid
    const field = typeof tag === 'number' ? tag >>> 3 : Number(tag >> 3n)
    const wire = typeof tag === 'number' ? tag & 7 : Number(tag & 7n)
    if (field === 0 || field > MAX_FIELD_NUMBER) return `field number ${field}`
    const rule = rules[field]
    if (rule != null && wire !== wireTypeOf(rule.type)) return `field ${field} has wire type ${wire}`
    let value: Uint8Array | bigint | number
    if (wire === WIRE_VARINT) {
      const v = readVarint(bytes, pos)
      if (v == null) return `bad varint in field ${field}`
      value = v
      pos = end
    } else if (wire === WIRE_LEN) {
      const len = readVarint(bytes, pos)
      if (len == null || typeof len !== 'number' || len > bytes.length - end) return `bad length of field ${field}`
      value = bytes.subarray(end, end + len)
      pos = end + len
    } else if (wire === WIRE_FIXED64 || wire === WIRE_FIXED32) {
      const size = wire === WIRE_FIXED64 ? 8 : 4
      if (pos + size > bytes.length) return `truncated field ${field}`
      pos += size
      continue
    } else {
      return `wire type ${wire}`
    }
    if (rule == null) continue
    if (rule.repeated !== true) {
      if (field < 32) {
        const bit = 1 << field
        if ((seenLow & bit) !== 0) return `field ${field} occurs twice`
        seenLow |= bit
      } else {
        seenHigh ??= new Set()
        if (seenHigh.has(field)) return `field ${field} occurs twice`
        seenHigh.add(field)
      }
    }
    if (rule.type === 'enum' || rule.type === 'bool') {
      const allowed = rule.type === 'bool' ? BOOL_VALUES : rule.values ?? []
      if (typeof value !== 'number' || !allowed.includes(value)) return `field ${field} has undeclared value ${String(value)}`
    } else if (rule.type === 'string' && !isUtf8(value as Uint8Array)) {
      return `field ${field} is not UTF-8`
    }
    visit(state, field, value)
  }
  return undefined
}

const collect: FieldVisitor<ScanFields> = (fields, field, value) => {
  const seen = fields.get(field)
  if (seen != null) seen.push(value)
  else fields.set(field, [value])
}

/** walkMessage, with the values of the known fields collected by field number. */
export function scanMessage (bytes: Uint8Array, rules: MessageRules): ScanResult {
  const fields: ScanFields = new Map()
  const problem = walkMessage(bytes, rules, fields, collect)
  return problem == null ? { ok: true, fields } : { ok: false, problem }
}

/** The rules of a libp2p signed envelope (RFC 0002): public_key, payload_type, payload, signature. */
export const ENVELOPE_RULES: MessageRules = {
  1: { type: 'bytes' },
  2: { type: 'bytes' },
  3: { type: 'bytes' },
  5: { type: 'bytes' }
}
