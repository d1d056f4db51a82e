/**
 * SHA-256 by node's one-shot digest (20.12 and later: no Hash object per
 * call), falling back to a Hash object. Pure.
 */
import nodeCrypto from 'node:crypto'

const oneShotHash = (nodeCrypto as { hash?: typeof nodeCrypto.hash }).hash

export function sha256 (bytes: Uint8Array): Uint8Array {
  const d = oneShotHash != null ? oneShotHash('sha256', bytes, 'buffer') : nodeCrypto.createHash('sha256').update(bytes).digest()
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength)
}
