import { ed25519 } from '@noble/curves/ed25519.js'

export const P = 2n ** 255n - 19n
export const L = ed25519.Point.Fn.ORDER
export type Point = InstanceType<typeof ed25519.Point>

/** n as 32 bytes little-endian, as RFC 8032 encodes y and scalars. */
export const le32 = (n: bigint): Uint8Array => Uint8Array.from({ length: 32 }, (_, i) => Number((n >> BigInt(8 * i)) & 0xffn))

/** A point of order 8, found as [L] of a decodable point with a torsion part; its multiples are the torsion subgroup. */
export function pointOfOrder8 (): Point {
  for (let y = 2n; ; y++) {
    try {
      const p = ed25519.Point.fromBytes(le32(y), false)
      const t = p.multiplyUnsafe(L - 1n).add(p)
      if (!t.multiplyUnsafe(4n).is0()) return t
    } catch {}
  }
}
