/**
 * A stranger forging a presentity's record on its public topic (docs/protocol.md
 * §3, "When the signature is checked"). Since session 20 a watcher skips the
 * signature check of a record that came over the presentity's own connection;
 * one relayed by anyone else is still verified. The attacker is built from
 * public libp2p packages and gossipsub only (test/fixtures/attacker.ts), writes
 * the envelope and the record byte by byte (docs/protocol.md §3, §4) with P's
 * public key and a signature it made up, and is W's bootstrap node, so W dials
 * it (a closed node admits no stranger otherwise) and it is W's gossip neighbour.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startAttacker } from '../../fixtures/attacker.js'
import { encode } from '../../fixtures/raw-protobuf.js'
import { cleanupHomes, startNode, waitFor } from '../../helpers.js'
import type { Attacker } from '../../fixtures/attacker.js'
import type { PresenceNode } from '../../../node/presence-node.js'

const PRESENCE_PAYLOAD_TYPE = Uint8Array.from([0x70, 0x6d, 0x01])
const BUSY = 3

/** An envelope under P's public key whose signature is 64 bytes the attacker chose. */
function forged (presentity: string, seq: bigint, note: string): Uint8Array {
  const peer = peerIdFromString(presentity)
  const raw = peer.publicKey?.raw
  if (raw == null) throw new Error('not an Ed25519 peer id')
  const now = Date.now()
  const record = encode([[1, peer.toMultihash().bytes], [2, BUSY], [3, note], [5, seq], [6, BigInt(now)], [7, BigInt(now + 60_000)], [8, 2]])
  return encode([[1, Uint8Array.from([0x08, 0x01, 0x12, 0x20, ...raw])], [2, PRESENCE_PAYLOAD_TYPE], [3, record], [5, crypto.getRandomValues(new Uint8Array(64))]])
}

describe('a stranger forging a presentity\'s record on its public topic', () => {
  let p: PresenceNode, w: PresenceNode
  let x: Attacker

  beforeAll(async () => {
    x = await startAttacker({ listen: true, gossip: true })
    p = await startNode({ roster: { defaultVisibility: 'public' } })
    w = await startNode({ bootstrap: [x.node.getMultiaddrs()[0].toString()] })
  })

  afterAll(async () => {
    await x?.stop()
    await Promise.all([p, w].map(async n => n?.libp2p.status === 'started' ? await n.stop() : undefined))
    await cleanupHomes()
  })

  it('is verified and refused when the stranger relays it, while P\'s own records still show', async () => {
    await w.watch(p.peerId)
    await w.connect(p.addresses()[0])
    await waitFor(() => w.presence.get(p.peerId)?.status === 'online', 'W to see P online', 30_000)
    const topic = `/presence-mesh/presence/1/${p.peerId.toString()}`
    const pubsub = x.node.services.pubsub!
    pubsub.subscribe(topic)
    await waitFor(() => pubsub.getSubscribers(topic).some(s => s.equals(w.peerId)), 'the attacker to see W on P\'s topic', 30_000)
    const before = w.presence.getRejections()['bad-signature']
    const seq = (w.presence.get(p.peerId)?.seq ?? 0n) + 1_000_000n
    await pubsub.publish(topic, forged(p.peerId.toString(), seq, 'forged'))
    await waitFor(() => w.presence.getRejections()['bad-signature'] > before, 'W to refuse the forged record', 30_000)
    expect(w.presence.get(p.peerId)).toMatchObject({ status: 'online' })
    expect(w.presence.get(p.peerId)?.note).toBeUndefined()
    // P's own change, over P's own connection, still shows
    await p.setPresence({ status: 'away', note: 'lunch' })
    await waitFor(() => w.presence.get(p.peerId)?.note === 'lunch', 'W to see P\'s own change', 30_000)
  })
})
