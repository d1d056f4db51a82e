/**
 * A stranger on a group's topic re-encoding an entry it saw (docs/protocol.md §12.3 "Copies", §12.7
 * "receiving"). The signature of an entry covers its payload alone, so anyone who sees one can wrap the
 * same signed payload in another envelope (here: an unknown field appended, its bytes a counter), as
 * many distinct messages as it likes, each a new gossipsub id the seen-cache does not know. Each copy of
 * an entry B has already read must cost A (its author) nothing at B: before the fix each took one of A's
 * live receives per window there, so a stranger sending a few copies a second kept A's live entries out
 * of B (ignored, neither read nor passed on) until anti-entropy. The attacker is built from public
 * libp2p packages and gossipsub only (test/fixtures/attacker.ts) and is B's bootstrap node, so B dials it
 * (a node in contacts mode admits no stranger otherwise) and it is B's gossip neighbour; it learns the
 * topic from B's subscriptions, and A's entries from what B forwards to it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startAttacker } from '../../fixtures/attacker.js'
import { decode, encode } from '../../fixtures/raw-protobuf.js'
import { cleanupHomes, makeContacts, PUBLIC, startNode, stopNodes, waitFor } from '../../helpers.js'
import type { Attacker } from '../../fixtures/attacker.js'
import type { PresenceNode } from '../../../node/presence-node.js'

/** A's live receives per window at B, small so the attack is a few dozen messages. */
const RECEIVES = 5
const GROUP_TOPICS = '/presence-mesh/group/1/'

describe('a stranger on a group topic minting copies of an author\'s old entry', () => {
  let a: PresenceNode, b: PresenceNode
  let x: Attacker
  const topics = new Set<string>()
  /** Messages the attacker heard on group topics (their names are `/presence-mesh/group/1/…` on the wire). */
  const seen: Array<{ topic: string, data: Uint8Array }> = []

  beforeAll(async () => {
    x = await startAttacker({ listen: true, gossip: true })
    const groups = { receivesPerWindow: RECEIVES, antiEntropyMs: 600_000 }
    a = await startNode({ groups, roster: PUBLIC })
    b = await startNode({ groups, bootstrap: [x.node.getMultiaddrs()[0].toString()] })
    const pubsub = x.node.services.pubsub!
    // what B tells its neighbours it subscribes to, and what it forwards
    pubsub.addEventListener('subscription-change', (e) => {
      if (e.detail.peerId.equals(b.peerId)) for (const s of e.detail.subscriptions) if (s.subscribe && s.topic.startsWith(GROUP_TOPICS)) topics.add(s.topic)
    })
    pubsub.addEventListener('message', (e) => { seen.push({ topic: e.detail.topic, data: e.detail.data }) })
  })

  afterAll(async () => {
    await x?.stop()
    await stopNodes([a, b])
    await cleanupHomes()
  })

  it('costs A nothing at B: A\'s next text is read live there', async () => {
    await b.connect(a.addresses()[0])
    await makeContacts(b, a)
    const info = await a.createGroup('g', [b.peerId.toString()])
    await waitFor(() => b.groupInvitations().some(i => i.group === info.id), 'B\'s invitation')
    await b.acceptGroup('g')
    await waitFor(() => a.group(info.id).members.length === 2, 'A to see B in')
    await waitFor(() => b.libp2p.getConnections(x.peerId).length > 0, 'B to be connected to the attacker')
    // the attacker subscribes to every topic B told it of (the group's among them) and waits to hear A
    const pubsub = x.node.services.pubsub!
    await waitFor(() => topics.size > 0, 'B to tell the attacker its topics')
    for (const t of topics) pubsub.subscribe(t)
    const aKey = Uint8Array.from([0x08, 0x01, 0x12, 0x20, ...a.peerId.publicKey!.raw])
    const byA = ({ data }: { data: Uint8Array }): boolean => {
      const key = decode(data).get(1)?.[0]
      return key instanceof Uint8Array && key.length === aKey.length && key.every((v, i) => v === aKey[i])
    }
    let n = 0
    await waitFor(async () => {
      await a.sendToGroup(info.id, `hello ${n++}`)
      return seen.some(byA)
    }, 'the attacker to see an entry of A', 30_000)
    const { topic, data: entry } = seen.find(byA)!
    await waitFor(async () => (await b.groupHistory(info.id)).some(m => m.text === `hello ${n - 1}`), 'B to read A\'s texts')

    // nothing of the group's start is still on its way: no catch-up runs or waits to (A offers one when nobody heard its
    // first entries, B asks back); only the topic brings B A's next text
    const settled = (n: PresenceNode): boolean => {
      const e = (n.groupsService as unknown as { engine: Record<'offerTimers' | 'gapTimers' | 'catchingUp', Map<string, unknown>> }).engine
      return e.offerTimers.size + e.gapTimers.size + e.catchingUp.size === 0
    }
    await waitFor(() => settled(a) && settled(b), 'catch-ups to settle')

    // copies of that old entry, each a new message (an unknown field 9, a counter in it), as fast as B checks them
    const checked = new Map<string, number>()
    const validate = b.libp2p.services.pubsub.topicValidators.get(topic)!
    b.libp2p.services.pubsub.topicValidators.set(topic, (from, msg) => {
      checked.set(from.toString(), (checked.get(from.toString()) ?? 0) + 1)
      return validate(from, msg)
    })
    let copies = 0
    let attacking = true
    const attack = (async () => {
      while (attacking) {
        for (let i = 0; i < 2 * RECEIVES; i++) await pubsub.publish(topic, Uint8Array.from([...entry, ...encode([[9, new TextEncoder().encode(`copy ${copies++}`)]])]))
        await new Promise(resolve => setTimeout(resolve, 20))
      }
    })()
    try {
      await waitFor(() => (checked.get(x.peerId.toString()) ?? 0) >= 4 * RECEIVES, 'B to check the copies', 30_000)
      // A writes again while the copies come: B reads it live (before the fix: ignored, A's budget spent on copies)
      await a.sendToGroup(info.id, 'live')
      await waitFor(async () => (await b.groupHistory(info.id)).some(m => m.text === 'live'), 'B to read A\'s live text', 5_000)
    } finally {
      attacking = false
      await attack
    }
    expect(checked.get(a.peerId.toString())).toBeGreaterThan(0)
  }, 90_000)
})
