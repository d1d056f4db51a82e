/**
 * A stranger answering an invitation it never got (docs/protocol.md §12.6). A group's id is in clear in every
 * entry on its topic (the payload's field 1), so a neighbour on the topic learns it; with it, any key can sign
 * JOIN ops of the group. Before the session 21 review a member took any JOIN or DECLINE its signer sent it
 * as an answer: added to its log (naming parents nobody has, so waiting for ever) and passed on in its own
 * feed to every member, each a slot of the group's 1,000 ops; some thousand answers (under a second) filled
 * every member's log, and no op could be made again: no invitation, no removal, ever. Now a member takes an
 * answer only from someone an INVITE of its log names. The attacker is built from public libp2p packages
 * only (test/fixtures/attacker.ts), is B's bootstrap node (so B, in contacts mode, dials it), learns the
 * topic from B's subscriptions and the group id from an entry B forwards to it, signs its JOINs as libp2p
 * signed envelopes written byte by byte, and sends them on the invite protocol.
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
const ANSWERS = 1_000

describe('a stranger answering an invitation it never got', () => {
  let a: PresenceNode, b: PresenceNode
  let x: Attacker
  const topics = new Set<string>()
  const seen: Uint8Array[] = []

  beforeAll(async () => {
    x = await startAttacker({ listen: true, gossip: true })
    a = await startNode({ roster: PUBLIC })
    b = await startNode({ bootstrap: [x.node.getMultiaddrs()[0].toString()] })
    const pubsub = x.node.services.pubsub!
    pubsub.addEventListener('subscription-change', (e) => {
      if (e.detail.peerId.equals(b.peerId)) for (const s of e.detail.subscriptions) if (s.subscribe && s.topic.startsWith(GROUP_TOPICS)) topics.add(s.topic)
    })
    pubsub.addEventListener('message', (e) => { if (e.detail.topic.startsWith(GROUP_TOPICS)) seen.push(e.detail.data) })
  })

  afterAll(async () => {
    await x?.stop()
    await stopNodes([a, b])
    await cleanupHomes()
  })

  it('is refused: nothing of it is added, passed on, or takes the group\'s room for ops', async () => {
    await b.connect(a.addresses()[0])
    await makeContacts(b, a)
    const info = await a.createGroup('g', [b.peerId.toString()])
    await waitFor(() => b.groupInvitations().some(i => i.group === info.id), 'B\'s invitation')
    await b.acceptGroup('g')
    await waitFor(() => a.group(info.id).members.length === 2, 'A to see B in')
    await waitFor(() => b.libp2p.getConnections(x.peerId).length > 0 && topics.size > 0, 'B to tell the attacker its topics')
    for (const t of topics) x.node.services.pubsub!.subscribe(t)
    let n = 0
    await waitFor(async () => {
      await a.sendToGroup(info.id, `hello ${n++}`)
      return seen.length > 0
    }, 'the attacker to hear an entry', 30_000)
    // the group id: the entry's payload (envelope field 3), its field 1
    const group = decode(decode(seen[0]).get(3)![0] as Uint8Array).get(1)![0] as Uint8Array
    expect(group.length).toBe(16)
    const before = b.group(info.id)

    // JOINs signed with the attacker's own key, each on a parent nobody has, sent to B as answers
    const answers: Array<boolean | 'reset'> = []
    for (let i = 0; i < ANSWERS; i++) {
      const op = encode([[1, group], [2, JOIN], [3, crypto.getRandomValues(new Uint8Array(32))], [4, BigInt(Date.now())]])
      const envelope = await sealRaw(x.privateKey, OP_DOMAIN, OP_PAYLOAD_TYPE, op)
      const receipt = await exchange(x.node, b.peerId, INVITE_PROTOCOL, encode([[1, ANSWER], [2, group], [3, envelope]]))
      answers.push(receipt === 'reset' ? receipt : decode(receipt).get(1)?.[0] === 1n)
    }
    // every answer refused (before the fix: each taken, and written into B's feed for every member)
    expect(answers.filter(r => r === true)).toEqual([])
    // B's log holds none of it: B (a member) can still make ops, and so can A
    await b.leaveGroup(info.id)
    await waitFor(() => a.group(info.id).members.length === 1, 'A to see B leave')
    await a.renameGroup(info.id, 'still open')
    expect(a.group(info.id).name).toBe('still open')
    expect(before.members.length).toBe(2)
  }, 120_000)
})
