/**
 * The state category end to end: automatic away after the idle period and
 * back on activity, a state chosen by hand overriding both and surviving a
 * restart; and a peer of version 1 (single records, no bundles) still seeing
 * and being seen.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { identify } from '@libp2p/identify'
import { noise } from '@chainsafe/libp2p-noise'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { createLibp2p } from 'libp2p'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { derivePairKeys, pairSharedSecret } from '../../protocol/pair-keys.js'
import { openPresence, sealPresence } from '../../protocol/presence-record.js'
import { openPresenceFromPair, sealPresenceForPair } from '../../protocol/sealed-box.js'
import { createPubsub } from '../../node/pubsub.js'
import { cleanupHomes, makeContacts, startNode, stopNodes, tmpHome, waitFor } from '../helpers.js'
import type { PresenceNode } from '../../node/presence-node.js'
import type { Presence } from '../../protocol/presence-record.js'
import type { PubSub } from '../../node/pubsub.js'
import type { Libp2p } from '@libp2p/interface'

afterAll(cleanupHomes)

const AWAY_AFTER = 1_000
const SLOW = { ttlMs: 300_000 }

describe('automatic and manual state', () => {
  let alice: PresenceNode, bob: PresenceNode
  let aliceHome: string
  const start = async (): Promise<PresenceNode> => await startNode({ home: aliceHome, bootstrap: bob == null ? [] : [bob.addresses()[0]], presence: { ...SLOW, awayAfterMs: AWAY_AFTER } })
  const seenByBob = (): unknown => bob.presence.get(alice.peerId)?.categories?.state

  beforeAll(async () => {
    aliceHome = await tmpHome('alice')
    alice = await start()
    bob = await startNode({ bootstrap: [alice.addresses()[0]], presence: SLOW })
    await makeContacts(bob, alice)
    await waitFor(() => bob.presence.get(alice.peerId)?.status === 'online', 'Bob to see Alice online')
  })

  afterAll(async () => {
    await stopNodes([alice, bob])
  })

  it('goes away after the idle period without activity, and comes back on activity', async () => {
    const reported = Date.now()
    alice.reportActivity()
    expect(alice.state()).toEqual({ kind: 'state', availability: 'online', source: 'automatic' })
    await waitFor(() => alice.state().availability === 'away', 'Alice to go idle', 10_000)
    expect(alice.state()).toMatchObject({ availability: 'away', source: 'automatic' })
    expect(alice.state().idleSince).toBeGreaterThanOrEqual(reported)
    await waitFor(() => (seenByBob() as any)?.availability === 'away', 'Bob to see Alice away')
    expect(seenByBob()).toEqual(alice.state())
    alice.reportActivity()
    await waitFor(() => (seenByBob() as any)?.availability === 'online', 'Bob to see Alice back', 5_000)
    expect(seenByBob()).toEqual({ kind: 'state', availability: 'online', source: 'automatic' })
  })

  it('a client\'s idle time in the past turns the node away at once', async () => {
    const since = Date.now() - 60_000
    alice.reportActivity(undefined, 'cli')
    alice.reportActivity(since, 'xmpp')
    // the CLI reported activity just now: the latest input of all clients counts
    expect(alice.state().availability).toBe('online')
    const fresh = await startNode({ presence: { ...SLOW, awayAfterMs: AWAY_AFTER } })
    try {
      fresh.reportActivity(since)
      expect(fresh.state()).toEqual({ kind: 'state', availability: 'away', source: 'automatic', idleSince: since })
    } finally {
      await fresh.stop()
    }
  })

  it('a state chosen by hand overrides the automatic one, and online returns to automatic', async () => {
    await alice.setState('busy')
    await waitFor(() => (seenByBob() as any)?.availability === 'busy', 'Bob to see Alice busy')
    const seq = bob.presence.get(alice.peerId)?.seq as bigint
    // input now ends an idle period at once or starts one that ends a second later: either
    // change announces again (records live 5 min here: no heartbeat), still busy, chosen by hand
    alice.reportActivity()
    await waitFor(() => (bob.presence.get(alice.peerId)?.seq ?? 0n) > seq, 'a new record after the idle period', 10_000)
    expect(alice.state().availability).toBe('busy')
    // with when it was chosen: a watcher composing several devices lets the latest choice win (protocol §14)
    expect(seenByBob()).toEqual({ kind: 'state', availability: 'busy', source: 'manual', manualSince: alice.state().manualSince })
    expect(alice.state().manualSince).toBeGreaterThan(0)
    await alice.setState('online')
    await waitFor(() => (seenByBob() as any)?.source === 'automatic', 'Bob to see the automatic state again')
    expect(alice.state().availability).toBe(alice.state().idleSince != null ? 'away' : 'online')
  })

  it('the idle period is the user\'s, stored; off means never away; self tells what is shown', async () => {
    const shown: string[] = []
    alice.addEventListener('self', (e) => { shown.push(`${e.detail.status}${e.detail.auto ? ' (auto)' : ''}`) })
    await expect(alice.setAwayAfter(500)).rejects.toMatchObject({ name: 'InvalidOptionError', option: 'away-after' })
    await alice.setAwayAfter(null)
    alice.reportActivity(Date.now() - 3_600_000)
    expect(alice.self()).toMatchObject({ status: 'online', auto: false, awayAfterMs: null, manual: { status: 'online' } })
    await alice.setAwayAfter(AWAY_AFTER)
    await waitFor(() => alice.self().auto, 'Alice to be away again under the restored period')
    expect(alice.self()).toMatchObject({ status: 'away', auto: true, manual: { status: 'online' } })
    await waitFor(() => shown.includes('away (auto)'), 'a self event for the automatic away')
    alice.reportActivity()
  })

  it('the state chosen by hand survives a restart', async () => {
    await alice.setAwayAfter(60_000)
    await alice.setState('dnd')
    const chosenAt = alice.state().manualSince
    expect(chosenAt).toBeGreaterThan(0)
    await alice.stop()
    await waitFor(() => bob.presence.get(alice.peerId)?.status === 'offline', 'Bob to see Alice leave')
    alice = await start()
    expect(alice.state()).toEqual({ kind: 'state', availability: 'dnd', source: 'manual', manualSince: chosenAt })
    expect(alice.self().awayAfterMs).toBe(60_000)
    // Alice remembers that Bob reads bundles: her first message after the restart is one
    await waitFor(() => (seenByBob() as any)?.availability === 'dnd', 'Bob to see Alice dnd after her restart')
    expect(seenByBob()).toEqual({ kind: 'state', availability: 'dnd', source: 'manual', manualSince: chosenAt })
  })
})

describe('a peer that only reads version 1 records', () => {
  let alice: PresenceNode
  let old: Libp2p<{ pubsub: PubSub }>
  const received: Presence[] = []
  let undecodable = 0

  beforeAll(async () => {
    // heartbeats every 2 s: the old peer gets a record even if the one answering its subscription was missed
    alice = await startNode({ presence: { ttlMs: 6_000 } })
    await alice.setPresence({ status: 'online', note: 'hello old friend' })
    await alice.setCategory({ kind: 'calendar', freeBusy: 'busy' })
    const key = await generateKeyPair('Ed25519')
    const oldId = peerIdFromPrivateKey(key)
    // what a node of the version before categories runs on a pair topic: seal, open, nothing else
    old = await createLibp2p({
      privateKey: key,
      addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      services: { identify: identify(), pubsub: createPubsub({ sharedHostMesh: true }) }
    }) as Libp2p<{ pubsub: PubSub }>
    const pair = derivePairKeys(pairSharedSecret(key.raw.subarray(0, 32), alice.peerId.publicKey!.raw), oldId.toMultihash().bytes, alice.peerId.toMultihash().bytes)
    old.services.pubsub.addEventListener('message', (e) => {
      if (e.detail.topic !== pair.topic) return
      const envelope = openPresenceFromPair(pair.presence, pair.topic, e.detail.data)
      if (envelope == null) { undecodable++; return }
      void openPresence(envelope, { now: Date.now(), expectedPresentity: alice.peerId }).then(res => { if (res.ok) received.push(res.presence); else undecodable++ })
    })
    old.services.pubsub.subscribe(pair.topic)
    await alice.roster.addContact(oldId)
    await old.dial(alice.libp2p.getMultiaddrs()[0])
    await waitFor(() => received.length > 0, 'the old peer to receive Alice\'s record')
    const now = Date.now()
    const record = await sealPresence({ presentity: oldId, status: 'away', note: 'still on 0.1', seq: BigInt(now), issuedAt: now, expiresAt: now + 60_000 }, key)
    await old.services.pubsub.publish(pair.topic, sealPresenceForPair(pair.presence, pair.topic, record))
  })

  afterAll(async () => {
    await alice?.stop()
    await old?.stop()
  })

  it('gets version 1 records it can read, with what its containers allow', async () => {
    await alice.setPresence({ status: 'busy', note: 'hello old friend' })
    await waitFor(() => received.some(p => p.status === 'busy'), 'the old peer to see Alice busy')
    expect(undecodable).toBe(0)
    expect(received.at(-1)).toMatchObject({ status: 'busy', note: 'hello old friend', maxVersion: 2 })
  })

  it('is seen from its version 1 records', async () => {
    const oldId = old.peerId
    await waitFor(() => alice.presence.get(oldId)?.status === 'away', 'Alice to see the old peer away')
    expect(alice.presence.get(oldId)).toMatchObject({ note: 'still on 0.1', categories: { state: { kind: 'state', availability: 'away' }, note: { kind: 'note', text: 'still on 0.1' } } })
    expect(alice.presence.get(oldId)?.categories?.state).not.toHaveProperty('source')
  })
})
