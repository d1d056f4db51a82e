/**
 * Instance statements (docs/protocol.md §13): who yields, and that a
 * statement opens only for the peer and the challenge it was made for. The
 * conformance vectors (docs/vectors/instance.json) pin the bytes and every
 * refusal.
 */
import { privateKeyFromRaw } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { ed25519 } from '@noble/curves/ed25519.js'
import { describe, expect, it } from 'vitest'
import { MAX_INSTANCE_FRAME_BYTES, openInstanceStatement, sealInstanceStatement, yieldsTo } from '../../protocol/instance.js'
import { MAX_TIME_MS } from '../../protocol/limits.js'
import type { PrivateKey } from '@libp2p/interface'

const key = (fill: number): PrivateKey => {
  const seed = new Uint8Array(32).fill(fill)
  return privateKeyFromRaw(Uint8Array.from([...seed, ...ed25519.getPublicKey(seed)]))
}

describe('instance statements', () => {
  it('the later instance yields; on a tie the greater instance id does', () => {
    const a = { startedAt: 10, instance: new Uint8Array(16).fill(1) }
    const b = { startedAt: 20, instance: new Uint8Array(16).fill(0) }
    expect(yieldsTo(b, a)).toBe(true)
    expect(yieldsTo(a, b)).toBe(false)
    const c = { startedAt: 10, instance: new Uint8Array(16).fill(2) }
    expect(yieldsTo(c, a)).toBe(true)
    expect(yieldsTo(a, c)).toBe(false)
  })

  it('a statement opens only over the challenge it was made for, for the peer that signed it', () => {
    const k = key(1)
    const challenge = new Uint8Array(32).fill(7)
    const s = sealInstanceStatement({ instance: new Uint8Array(16).fill(3), startedAt: 5, challenge }, k)
    expect(openInstanceStatement(s, { expectedPeer: peerIdFromPrivateKey(k), challenge }).ok).toBe(true)
    expect(openInstanceStatement(s, { expectedPeer: peerIdFromPrivateKey(k), challenge: new Uint8Array(32) })).toMatchObject({ ok: false, reason: 'wrong-challenge' })
    expect(openInstanceStatement(s, { expectedPeer: peerIdFromPrivateKey(key(2)), challenge })).toMatchObject({ ok: false, reason: 'wrong-peer' })
  })

  it('the largest statement fits in a frame', () => {
    const s = sealInstanceStatement({ instance: new Uint8Array(16).fill(0xff), startedAt: MAX_TIME_MS, challenge: new Uint8Array(32).fill(0xff) }, key(1))
    expect(s.byteLength).toBeLessThanOrEqual(MAX_INSTANCE_FRAME_BYTES)
  })
})
