/**
 * A stranger on a group's topic (docs/threat-model.md, "Non-members"). It learns the topic from a member's
 * subscriptions and, from the entries that member forwards to it, the group's id (in clear in every entry's
 * payload, field 1) and signed entries it can re-encode (§12.3 "Copies": the signature covers the payload
 * alone, so the same payload in another envelope, here with an unknown field appended, is a valid copy, as
 * many as it likes, each a message gossipsub's seen-cache does not know). The attacker is built from public
 * libp2p packages and gossipsub only (test/fixtures/attacker.ts), writes what it sends byte by byte, and is
 * B's bootstrap node, so B dials it (a node in contacts mode admits no stranger otherwise) and it is B's
 * gossip neighbour. A (public, the admin) and B are the group.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { exchange, sealRaw, startAttacker } from '../../fixtures/attacker.js'
import { decode, encode } from '../../fixtures/raw-protobuf.js'
import { cleanupHomes, makeContacts, PUBLIC, startNode, stopNodes, waitFor } from '../../helpers.js'
import type { Attacker } from '../../fixtures/attacker.js'
import type { PresenceNode } from '../../../node/presence-node.js'

/** What is on the wire (docs/protocol.md §12): topic names, the invite protocol, the op's domain and payload type. */
const GROUP_TOPICS = '/presence-mesh/group/1/'
const INVITE_PROTOCOL = '/presence-mesh/group-invite/1.0.0'
const OP_DOMAIN = 'presence-mesh-group-op'
const OP_PAYLOAD_TYPE = Uint8Array.from([0x70, 0x67, 0x01])
const [JOIN, ANSWER] = [3, 2]
/** A's live receives per window at B, small so the copies are a few dozen messages. */
const RECEIVES = 5

describe('a stranger on a group\'s topic', () => {
  let a: PresenceNode, b: PresenceNode
  let x: Attacker
  let group: string
  /** An entry of A's the attacker heard, and the topic it came on. */
  let heard: { topic: string, data: Uint8Array }
  let n = 0

  beforeAll(async () => {
    x = await startAttacker({ listen: true, gossip: true })
    const groups = { receivesPerWindow: RECEIVES, antiEntropyMs: 600_000 }
    a = await startNode({ groups, roster: PUBLIC })
    b = await startNode({ groups, bootstrap: [x.node.getMultiaddrs()[0].toString()] })
    const pubsub = x.node.services.pubsub!
    // what B tells its neighbours it subscribes to, and what it forwards
    const topics = new Set<string>()
    const seen: Array<{ topic: string, data: Uint8Array }> = []
    pubsub.addEventListener('subscription-change', (e) => {
      if (e.detail.peerId.equals(b.peerId)) for (const s of e.detail.subscriptions) if (s.subscribe && s.topic.startsWith(GROUP_TOPICS)) topics.add(s.topic)
    })
    pubsub.addEventListener('message', (e) => { seen.push({ topic: e.detail.topic, data: e.detail.data }) })

    await b.connect(a.addresses()[0])
    await makeContacts(b, a)
    group = (await a.createGroup('g', [b.peerId.toString()])).id
    await waitFor(() => b.groupInvitations().some(i => i.group === group), 'B\'s invitation')
    await b.acceptGroup('g')
    await waitFor(() => a.group(group).members.length === 2, 'A to see B in')
    await waitFor(() => b.libp2p.getConnections(x.peerId).length > 0 && topics.size > 0, 'B to tell the attacker its topics')
    for (const t of topics) pubsub.subscribe(t)
    const aKey = Uint8Array.from([0x08, 0x01, 0x12, 0x20, ...a.peerId.publicKey!.raw])
    const byA = ({ data }: { data: Uint8Array }): boolean => {
      const key = decode(data).get(1)?.[0]
      return key instanceof Uint8Array && key.length === aKey.length && key.every((v, i) => v === aKey[i])
    }
    await waitFor(async () => {
      await a.sendToGroup(group, `hello ${n++}`)
      return seen.some(byA)
    }, 'the attacker to hear an entry of A', 30_000)
    heard = seen.find(byA)!
    await waitFor(async () => (await b.groupHistory(group)).some(m => m.text === `hello ${n - 1}`), 'B to read A\'s texts')
  })

  afterAll(async () => {
    await x?.stop()
    await stopNodes([a, b])
    await cleanupHomes()
  })

  it('copies of an entry B has read cost A nothing there: A\'s next text is read live while they come', async () => {
    // nothing of the group's start is still on its way: no catch-up runs or waits to (A offers one when nobody heard its
    // first entries, B asks back); only the topic brings B A's next text
    const settled = (node: PresenceNode): boolean => {
      const e = (node.groupsService as unknown as { engine: Record<'offerTimers' | 'gapTimers' | 'catchingUp', Map<string, unknown>> }).engine
      return e.offerTimers.size + e.gapTimers.size + e.catchingUp.size === 0
    }
    await waitFor(() => settled(a) && settled(b), 'catch-ups to settle')
    const { topic, data: entry } = heard
    const checked = new Map<string, number>()
    const validate = b.libp2p.services.pubsub.topicValidators.get(topic)!
    b.libp2p.services.pubsub.topicValidators.set(topic, (from, msg) => {
      checked.set(from.toString(), (checked.get(from.toString()) ?? 0) + 1)
      return validate(from, msg)
    })
    // copies of that old entry, each a new message (an unknown field 9, a counter in it), without pause
    const pubsub = x.node.services.pubsub!
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
      // before the fix each copy took one of A's live receives at B: A's text was ignored there until anti-entropy
      await a.sendToGroup(group, 'live')
      await waitFor(async () => (await b.groupHistory(group)).some(m => m.text === 'live'), 'B to read A\'s live text', 5_000)
    } finally {
      attacking = false
      await attack
    }
    expect(checked.get(a.peerId.toString())).toBeGreaterThan(0)
  }, 60_000)

  it('answers to an invitation it never got are refused: none is added, passed on, or takes the group\'s room for ops', async () => {
    // the group id: the entry's payload (envelope field 3), its field 1
    const id = decode(decode(heard.data).get(3)![0] as Uint8Array).get(1)![0] as Uint8Array
    expect(id.length).toBe(16)
    // JOINs signed with the attacker's own key, each on a parent nobody has, sent to B as answers
    const taken: Array<boolean | 'reset'> = []
    for (let i = 0; i < 1_000; i++) {
      const op = encode([[1, id], [2, JOIN], [3, crypto.getRandomValues(new Uint8Array(32))], [4, BigInt(Date.now())]])
      const envelope = await sealRaw(x.privateKey, OP_DOMAIN, OP_PAYLOAD_TYPE, op)
      const receipt = await exchange(x.node, b.peerId, INVITE_PROTOCOL, encode([[1, ANSWER], [2, id], [3, envelope]]))
      taken.push(receipt === 'reset' ? receipt : decode(receipt).get(1)?.[0] === 1n)
    }
    // before the fix: every one taken, written into B's feed for every member, B's log full (B could not even leave)
    expect(taken.filter(r => r === true)).toEqual([])
    await b.leaveGroup(group)
    await waitFor(() => a.group(group).members.length === 1, 'A to see B leave')
    await a.renameGroup(group, 'still open')
    expect(a.group(group).name).toBe('still open')
  }, 120_000)
})
