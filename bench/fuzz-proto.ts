/**
 * A minimal protobuf writer and reader for the fuzzers' oracles, written
 * independently of protons so a bug in generated code cannot hide itself.
 */
export type Field = { n: number, varint: bigint } | { n: number, bytes: Uint8Array } | { n: number, fixed: Uint8Array }

export function varint (v: bigint): number[] {
  const out: number[] = []
  let x = BigInt.asUintN(64, v)
  while (x >= 0x80n) { out.push(Number(x & 0x7fn) | 0x80); x >>= 7n }
  out.push(Number(x))
  return out
}

export function encodeFields (fields: Field[]): Uint8Array {
  const out: number[] = []
  for (const f of fields) {
    if ('varint' in f) out.push(...varint(BigInt(f.n << 3)), ...varint(f.varint))
    else if ('fixed' in f) out.push(...varint(BigInt((f.n << 3) | (f.fixed.length === 8 ? 1 : 5))), ...f.fixed)
    else out.push(...varint(BigInt((f.n << 3) | 2)), ...varint(BigInt(f.bytes.byteLength)), ...f.bytes)
  }
  return Uint8Array.from(out)
}

/** Decodes wire types 0, 1, 2 and 5; throws on groups or truncation. Last field wins, as in protobuf. */
export function decodeFields (b: Uint8Array): Map<number, Field> {
  return new Map(decodeAll(b).map(f => [f.n, f]))
}

export const bytesOf = (m: Map<number, Field>, n: number): Uint8Array | undefined => { const f = m.get(n); return f != null && 'bytes' in f ? f.bytes : undefined }
export const varintOf = (m: Map<number, Field>, n: number): bigint | undefined => { const f = m.get(n); return f != null && 'varint' in f ? f.varint : undefined }
export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
export const eq = (a: Uint8Array, b: Uint8Array): boolean => a.byteLength === b.byteLength && a.every((x, i) => x === b[i])

/** Every field in order, repeated ones included (decodeFields keeps the last of each number). */
export function decodeAll (b: Uint8Array): Field[] {
  const out: Field[] = []
  let i = 0
  const readVarint = (): bigint => {
    let x = 0n
    for (let shift = 0n; ; shift += 7n) {
      if (i >= b.length || shift > 63n) throw new Error('bad varint')
      const byte = b[i++]
      x |= BigInt(byte & 0x7f) << shift
      if ((byte & 0x80) === 0) return BigInt.asUintN(64, x)
    }
  }
  while (i < b.length) {
    const tag = readVarint()
    const n = Number(tag >> 3n)
    const wt = Number(tag & 7n)
    if (wt === 0) out.push({ n, varint: readVarint() })
    else if (wt === 2) {
      const len = Number(readVarint())
      if (i + len > b.length) throw new Error('truncated')
      out.push({ n, bytes: b.slice(i, i + len) })
      i += len
    } else if (wt === 1 || wt === 5) {
      // fixed64 / fixed32: kept as raw bytes (no field of ours uses them)
      const len = wt === 1 ? 8 : 4
      if (i + len > b.length) throw new Error('truncated')
      out.push({ n, fixed: b.slice(i, i + len) })
      i += len
    } else throw new Error(`wire type ${wt}`)
  }
  return out
}
