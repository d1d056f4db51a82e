/**
 * presence.hot-path: the CPU a presence change costs on its way, before and
 * after the direct path (docs/protocol.md §3 and §11), on one thread:
 *
 * - send: one change to N contacts. Before: one signature, then a pair-key
 *   seal per contact (gossip). After: one signature and one notify frame,
 *   written to every contact's stream.
 * - receive: one record at one watcher. Before: open the pair seal, then
 *   openPresence with the Ed25519 verify. After, gossip: open the seal, no
 *   verify (the AEAD proved the sender). After, direct: read the notify
 *   frame, no seal, no verify (the stream's Noise session proved it).
 * - receive.bundle: the same for a bundle of the state, a note and
 *   capabilities (§10.4), what nodes that read bundles exchange. Before: a
 *   version 2 message by gossip (pair seal, three verifies). After: the
 *   notify frame of version 3 (§11.2: the items unsigned, no envelope);
 *   the version 2 bundle on the stream (signed items, not verified) in the
 *   notes.
 * - send.bundle: what a change of state and note costs before its first
 *   stream write. Before: two signatures and a version 2 bundle. After: the
 *   two items encoded unsigned in a version 3 payload (signing comes after
 *   the writes).
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { bundleInner, encodeBundle, openBundle, openPairMessage, parseInner, sealPairMessage } from '../protocol/category-bundle.js'
import { encodeCheckedItem, sealCategory } from '../protocol/category-item.js'
import { DIRECT_VERSION, directInner, openDirectBundle, parseDirect } from '../protocol/direct-bundle.js'
import { encodeNotifyFrame, readNotifyFrame } from '../protocol/notify-frame.js'
import { derivePairKeys, pairSharedSecret } from '../protocol/pair-keys.js'
import { openPresence, sealPresence } from '../protocol/presence-record.js'
import { openPresenceFromPair, sealPresenceForPair } from '../protocol/sealed-box.js'
import { measureOps } from './ops.js'
import { result } from './result.js'
import type { BenchResult } from './result.js'
import type { Presence } from '../protocol/presence-record.js'

export const HOT_PATH_CONTACTS = 50

export async function benchHotPath (opts: { rounds?: number } = {}): Promise<BenchResult[]> {
  const key = await generateKeyPair('Ed25519')
  const presentity = peerIdFromPrivateKey(key)
  const contacts = await Promise.all(Array.from({ length: HOT_PATH_CONTACTS }, async () => {
    const other = await generateKeyPair('Ed25519')
    const keys = derivePairKeys(pairSharedSecret(key.raw.subarray(0, 32), other.publicKey.raw), presentity.toMultihash().bytes, peerIdFromPrivateKey(other).toMultihash().bytes)
    return keys
  }))
  const now = Date.now()
  let seq = BigInt(now)
  const record = (): Presence => ({ presentity, status: 'away', note: 'at lunch, back at two', seq: ++seq, issuedAt: now, expiresAt: now + 60_000 })

  const envelope = await sealPresence(record(), key)
  const pair = contacts[0]
  const sealed = sealPresenceForPair(pair.presence, pair.topic, envelope)
  const frame = encodeNotifyFrame(envelope)
  const payloadOf = (f: Uint8Array): Uint8Array => {
    const read = readNotifyFrame(f)
    if (read?.ok !== true) throw new Error('the notify frame does not read')
    return read.payload
  }
  const expected = presentity.toString()
  // a version 2 message: the state, a note and capabilities, each signed
  const itemOf = (category: any): Uint8Array => sealCategory({ presentity, seq: ++seq, issuedAt: now, expiresAt: now + 60_000, category }, key)
  const inner = bundleInner(encodeBundle([
    itemOf({ kind: 'state', availability: 'away', source: 'manual' }),
    itemOf({ kind: 'note', text: 'at lunch, back at two' }),
    itemOf({ kind: 'capabilities', features: ['chat', 'typing'] })
  ]))
  const sealedBundle = sealPairMessage(pair.presence, pair.topic, inner)
  const payloadOfItem = (category: any): Uint8Array => encodeCheckedItem({ presentity, seq: ++seq, issuedAt: now, expiresAt: now + 60_000, category })
  const capabilities = payloadOfItem({ kind: 'capabilities', features: ['chat', 'typing'] })
  const directFrame = encodeNotifyFrame(directInner([payloadOfItem({ kind: 'state', availability: 'away', source: 'manual' }), payloadOfItem({ kind: 'note', text: 'at lunch, back at two' }), capabilities]))
  const openV3 = (payload: Uint8Array): boolean => {
    const m = parseDirect(payload)
    return m.version === DIRECT_VERSION && openDirectBundle(m.bundle, presentity, { now, floors: new Map(), held: new Map() }).ok
  }
  const signedCapabilities = itemOf({ kind: 'capabilities', features: ['chat', 'typing'] })
  const bundleFrame = encodeNotifyFrame(inner)
  const bundleOf = (message: ReturnType<typeof parseInner> | undefined): Uint8Array => {
    if (message?.version !== 2) throw new Error('not a version 2 message')
    return message.bundle
  }
  const openV2 = (bundle: Uint8Array, authenticated: boolean): boolean =>
    openBundle(bundle, { now, presentity: expected, floors: new Map(), held: new Map(), authenticated }).ok
  const checks = [
    await openPresence(openPresenceFromPair(pair.presence, pair.topic, sealed)!, { now, expectedPresentity: expected }),
    await openPresence(openPresenceFromPair(pair.presence, pair.topic, sealed)!, { now, expectedPresentity: expected, authenticated: true }),
    await openPresence(payloadOf(frame), { now, expectedPresentity: expected, authenticated: true })
  ]
  if (checks.some(c => !c.ok)) throw new Error('hot-path benchmark records do not open')
  if (!openV2(bundleOf(openPairMessage(pair.presence, pair.topic, sealedBundle)), false) || !openV2(bundleOf(parseInner(payloadOf(bundleFrame))), true) || !openV3(payloadOf(directFrame))) throw new Error('hot-path benchmark bundles do not open')

  const rates = await measureOps([
    {
      name: 'send.before',
      op: async () => {
        const e = await sealPresence(record(), key)
        for (const c of contacts) sealPresenceForPair(c.presence, c.topic, e)
      }
    },
    { name: 'send.after', op: async () => encodeNotifyFrame(await sealPresence(record(), key)) },
    { name: 'receive.before', op: async () => openPresence(openPresenceFromPair(pair.presence, pair.topic, sealed)!, { now, expectedPresentity: expected }) },
    { name: 'receive.gossip', op: async () => openPresence(openPresenceFromPair(pair.presence, pair.topic, sealed)!, { now, expectedPresentity: expected, authenticated: true }) },
    { name: 'receive.direct', op: async () => openPresence(payloadOf(frame), { now, expectedPresentity: expected, authenticated: true }) },
    { name: 'receive.bundle.before', op: async () => openV2(bundleOf(openPairMessage(pair.presence, pair.topic, sealedBundle)), false) },
    { name: 'receive.bundle.signedDirect', op: async () => openV2(bundleOf(parseInner(payloadOf(bundleFrame))), true) },
    { name: 'receive.bundle.direct', op: async () => openV3(payloadOf(directFrame)) },
    {
      name: 'send.bundle.before',
      op: async () => encodeNotifyFrame(bundleInner(encodeBundle([
        itemOf({ kind: 'state', availability: 'away', source: 'manual' }), itemOf({ kind: 'note', text: 'at lunch, back at two' }), signedCapabilities
      ])))
    },
    {
      name: 'send.bundle.after',
      op: async () => encodeNotifyFrame(directInner([
        payloadOfItem({ kind: 'state', availability: 'away', source: 'manual' }), payloadOfItem({ kind: 'note', text: 'at lunch, back at two' }), capabilities
      ]))
    }
  ], { rounds: opts.rounds })
  const r = (k: string): number => rates.get(k)!
  const runs = opts.rounds ?? 7
  const notes = `best of ${runs} interleaved rounds of 400 ms, 1 thread; envelope ${envelope.byteLength} B, sealed ${sealed.byteLength} B, frame ${frame.byteLength} B`
  const before = 'before: pair seal open + openPresence with Ed25519 verify'
  return [
    result({ name: 'presence.hotPath.send', value: r('send.after'), unit: `changes/s to ${HOT_PATH_CONTACTS} contacts`, baseline: `before: 1 signature + ${HOT_PATH_CONTACTS} pair-key seals`, baselineValue: r('send.before'), nodes: 1, runs, notes: `after: 1 signature + 1 notify frame (the stream writes are not in this figure); ${notes}` }),
    result({ name: 'presence.hotPath.receive.gossip', value: r('receive.gossip'), unit: 'records/s', baseline: before, baselineValue: r('receive.before'), nodes: 1, runs, notes: `after: pair seal open + openPresence without verify (the AEAD proves the sender); ${notes}` }),
    result({ name: 'presence.hotPath.receive.direct', value: r('receive.direct'), unit: 'records/s', baseline: before, baselineValue: r('receive.before'), nodes: 1, runs, notes: `after: notify frame read + openPresence without verify (Noise proves the sender); ${notes}` }),
    result({ name: 'presence.hotPath.receive.bundle', value: r('receive.bundle.direct'), unit: 'bundles/s', baseline: 'before: pair seal open + openBundle with 3 Ed25519 verifies', baselineValue: r('receive.bundle.before'), nodes: 1, runs, notes: `after: notify frame read + openDirectBundle (version 3: the items unsigned, no envelope; Noise proves the sender), frame ${directFrame.byteLength} B; the version 2 bundle on the stream (signed items, not verified, frame ${bundleFrame.byteLength} B): ${Math.round(r('receive.bundle.signedDirect'))}/s; a bundle of state, note and capabilities; ${notes}` }),
    result({ name: 'presence.hotPath.send.bundle', value: r('send.bundle.after'), unit: 'changes/s (until the frame)', baseline: 'before: state and note signed, version 2 bundle, frame', baselineValue: r('send.bundle.before'), nodes: 1, runs, notes: `after: state and note encoded unsigned, version 3 payload, frame (the signatures follow the stream writes, where gossip, a resend or a query needs them); capabilities held from before in both; ${notes}` })
  ]
}
