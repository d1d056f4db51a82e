/**
 * presence.categories: what enhanced presence costs per heartbeat against the
 * single version 1 record it extends, in one process with real keys.
 *
 * - heartbeat: one announcement to 100 contacts (sign the state, build and
 *   seal each contact's message) — bundles with five categories versus
 *   version 1 records with status, note and activity;
 * - watcher: opening one heartbeat (the bundle's other items already held)
 *   versus opening one version 1 record;
 * - bytes: the sealed message one contact gets per heartbeat.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { openBundle, openPairMessage } from '../protocol/category-bundle.js'
import { derivePairKeys, pairSharedSecret } from '../protocol/pair-keys.js'
import { openPresence } from '../protocol/presence-record.js'
import { openPresenceFromPair } from '../protocol/sealed-box.js'
import { Announcement, sealForAudience } from '../node/presence/announcement.js'
import { measureOps } from './ops.js'
import { result } from './result.js'
import type { BenchResult } from './result.js'
import type { Audience } from '../node/presence/audience.js'
import { SignedItem } from '../node/presence/signed-item.js'
import type { Category, CategoryKey } from '../protocol/categories.js'

const CONTACTS = 100

export async function benchCategories (opts: { rounds?: number } = {}): Promise<BenchResult[]> {
  const key = await generateKeyPair('Ed25519')
  const self = peerIdFromPrivateKey(key)
  const watcherKey = await generateKeyPair('Ed25519')
  const now = Date.now()
  const values: Category[] = [
    { kind: 'note', text: 'in the lab until five' },
    { kind: 'activity', activity: 'meeting', text: 'weekly sync', until: now + 3_600_000 },
    { kind: 'card', displayName: 'Alice Anders', title: 'Engineer', organization: 'ACME', email: 'alice@example.org' },
    { kind: 'capabilities', description: 'laptop', mobility: 'fixed', features: ['chat', 'receipts', 'typing', 'query'] },
    { kind: 'calendar', freeBusy: 'busy', until: now + 3_600_000, nextFree: now + 3_600_000 }
  ]
  const items = new Map<CategoryKey, SignedItem>()
  values.forEach((category, i) => {
    const item = { presentity: self, seq: BigInt(now + i), issuedAt: now, expiresAt: now + 3_600_000, category }
    const signed = new SignedItem(item, key)
    // signed once, ahead: each heartbeat below re-signs only the state
    void signed.envelope
    items.set(category.kind as CategoryKey, signed)
  })
  const all = new Set<CategoryKey>(['state', ...items.keys()])
  const contacts = await Promise.all(Array.from({ length: CONTACTS }, async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519'))))
  const pairOf = (peer: typeof self): ReturnType<typeof derivePairKeys> =>
    derivePairKeys(pairSharedSecret(key.raw.subarray(0, 32), peer.publicKey!.raw), self.toMultihash().bytes, peer.toMultihash().bytes)
  const audiences = (version: 1 | 2): Audience[] => contacts.map(c => ({ id: c.toString(), topic: pairOf(c).topic, categories: all, pair: pairOf(c), version }))
  const v2 = audiences(2)
  const v1 = audiences(1)
  let seq = BigInt(now + 100)
  const heartbeat = async (to: Audience[]): Promise<number> => {
    const a = new Announcement({ self, key, seq: ++seq, now, ttlMs: 60_000, state: { kind: 'state', availability: 'online', source: 'automatic' }, items })
    let bytes = 0
    for (const audience of to) bytes += (await sealForAudience(a, audience)).byteLength
    return bytes
  }
  const bytesV2 = await heartbeat(v2) / CONTACTS
  const bytesV1 = await heartbeat(v1) / CONTACTS

  // the watcher's side: one contact's message, as it arrives
  const watcher = peerIdFromPrivateKey(watcherKey)
  const pair = derivePairKeys(pairSharedSecret(watcherKey.raw.subarray(0, 32), self.publicKey!.raw), watcher.toMultihash().bytes, self.toMultihash().bytes)
  const one: Audience = { id: watcher.toString(), topic: pair.topic, categories: all, pair, version: 2 }
  const announcement = new Announcement({ self, key, seq: ++seq, now, ttlMs: 60_000, state: { kind: 'state', availability: 'online', source: 'automatic' }, items })
  const bundleMessage = await sealForAudience(announcement, one)
  const recordMessage = await sealForAudience(announcement, { ...one, version: 1 })
  const held = new Map([...items].map(([k, s]) => [k as string, s.item.seq]))
  const openV2 = (): void => {
    const m = openPairMessage(pair.presence, pair.topic, bundleMessage)
    if (m?.version !== 2) throw new Error('no bundle')
    const res = openBundle(m.bundle, { now, presentity: self, floors: held, held })
    if (!res.ok) throw new Error(`bundle refused: ${res.reason}`)
  }
  const openV1 = async (): Promise<void> => {
    const res = await openPresence(openPresenceFromPair(pair.presence, pair.topic, recordMessage) as Uint8Array, { now, expectedPresentity: self })
    if (!res.ok) throw new Error(`record refused: ${res.reason}`)
  }
  openV2()
  await openV1()

  const rates = await measureOps([
    { name: 'heartbeat.v2', op: async () => heartbeat(v2) },
    { name: 'heartbeat.v1', op: async () => heartbeat(v1) },
    { name: 'open.v2', op: openV2 },
    { name: 'open.v1', op: openV1 }
  ], { rounds: opts.rounds, ms: 600 })
  const r = (k: string): number => rates.get(k) as number
  const runs = opts.rounds ?? 7
  const common = `best of ${runs} interleaved rounds, 1 thread; categories: state, note, activity, card, capabilities, calendar`
  return [
    result({ name: 'presence.categories.heartbeat', value: 1000 / r('heartbeat.v2'), unit: 'ms', baseline: `version 1 records (status, note, activity) to the same ${CONTACTS} contacts`, baselineValue: 1000 / r('heartbeat.v1'), nodes: 1, runs, notes: `one announcement to ${CONTACTS} contacts: sign the state, seal each contact's bundle; ${common}` }),
    result({ name: 'presence.categories.open', value: r('open.v2'), unit: 'ops/s', baseline: 'opening one version 1 record (AEAD + signature)', baselineValue: r('open.v1'), nodes: 1, runs, notes: `a heartbeat bundle whose other items the watcher holds: AEAD, checks of six items, one signature; ${common}` }),
    result({ name: 'presence.categories.bytes', value: bytesV2, unit: 'B', baseline: 'the sealed version 1 record of the same heartbeat', baselineValue: bytesV1, nodes: 1, runs: 1, notes: 'sealed message per contact per heartbeat (padded to 256 B)' })
  ]
}
