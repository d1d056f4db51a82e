/**
 * presence.sign / presence.verify: sealPresence and openPresence per second
 * against raw Ed25519 from @libp2p/crypto and node:crypto (reused KeyObject);
 * raw libsodium (what protocol/ed25519-fast.ts calls where it loads) in the notes.
 */
import crypto from 'node:crypto'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { cryptoBackend } from '../protocol/sodium.js'
import { openPresence, sealPresence } from '../protocol/presence-record.js'
import { measureOps } from './ops.js'
import { result } from './result.js'
import type { BenchResult } from './result.js'
import type { Presence } from '../protocol/presence-record.js'

export async function benchCrypto (opts: { rounds?: number } = {}): Promise<BenchResult[]> {
  const key = await generateKeyPair('Ed25519')
  const presentity = peerIdFromPrivateKey(key)
  const now = Date.now()
  const record: Presence = { presentity, status: 'online', note: 'at my desk', seq: 1n, issuedAt: now, expiresAt: now + 60_000 }
  const sealed = await sealPresence(record, key)
  const check = await openPresence(sealed, { now })
  if (!check.ok) throw new Error(`benchmark record does not open: ${check.reason}`)

  // the same number of signed bytes as the envelope signs
  const msg = crypto.randomBytes(sealed.byteLength)
  const libp2pSig = await key.sign(msg)
  const nodePriv = crypto.createPrivateKey({ format: 'jwk', key: { kty: 'OKP', crv: 'Ed25519', d: Buffer.from(key.raw.subarray(0, 32)).toString('base64url'), x: Buffer.from(key.publicKey.raw).toString('base64url') } })
  const nodePub = crypto.createPublicKey(nodePriv)
  const nodeSig = crypto.sign(null, msg, nodePriv)
  if (!crypto.verify(null, msg, nodePub, nodeSig) || !(await key.publicKey.verify(msg, libp2pSig))) throw new Error('baseline signatures do not verify')
  const sodiumSig = new Uint8Array(64)
  // the product's own loader: where sodium-native does not load, the bench runs without its rows
  const { sodium, name: backend } = cryptoBackend()

  const rates = await measureOps([
    { name: 'presence.sign', op: async () => sealPresence(record, key) },
    { name: 'presence.verify', op: async () => openPresence(sealed, { now }) },
    { name: 'libp2p.sign', op: () => key.sign(msg) },
    { name: 'libp2p.verify', op: () => key.publicKey.verify(msg, libp2pSig) },
    { name: 'node.sign', op: () => crypto.sign(null, msg, nodePriv) },
    { name: 'node.verify', op: () => crypto.verify(null, msg, nodePub, nodeSig) },
    ...(sodium == null
      ? []
      : [
          { name: 'sodium.sign', op: () => sodium.crypto_sign_detached(sodiumSig, msg, key.raw) },
          { name: 'sodium.verify', op: () => sodium.crypto_sign_verify_detached(nodeSig, msg, key.publicKey.raw) }
        ])
  ], { rounds: opts.rounds })
  const r = (k: string): number => rates.get(k)!
  const runs = opts.rounds ?? 7
  const notes = (kind: string): string =>
    `best of ${runs} interleaved rounds of 400 ms, 1 thread; @libp2p/crypto ${kind} ${r(`libp2p.${kind}`).toFixed(0)}/s; ${sodium == null ? `presence on ${backend}` : `raw libsodium ${kind} ${r(`sodium.${kind}`).toFixed(0)}/s`}; envelope ${sealed.byteLength} B`
  return [
    result({ name: 'presence.sign', value: r('presence.sign'), unit: 'ops/s', baseline: 'node:crypto Ed25519 sign, reused KeyObject', baselineValue: r('node.sign'), nodes: 1, runs, notes: notes('sign') }),
    result({ name: 'presence.verify', value: r('presence.verify'), unit: 'ops/s', baseline: 'node:crypto Ed25519 verify, reused KeyObject', baselineValue: r('node.verify'), nodes: 1, runs, notes: notes('verify') + '; target >= 0.9x' }),
    result({ name: 'libp2p.crypto.verify', value: r('libp2p.verify'), unit: 'ops/s', baseline: 'node:crypto Ed25519 verify, reused KeyObject', baselineValue: r('node.verify'), nodes: 1, runs, notes: 'reference: @libp2p/crypto publicKey.verify on the same bytes' })
  ]
}
