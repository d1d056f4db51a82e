/**
 * Finding 8: a new subscriber to a pair topic made the presentity publish
 * within 250 ms, a liveness probe for whoever learned the topic's name. The
 * attacker (public libp2p packages and gossipsub only) is a node A dials
 * itself (one of its bootstrap nodes), so it is A's gossip neighbour, and it
 * knows the A-B pair topic. Its subscription makes A publish nothing; B's own
 * (re)subscription still gets a fresh record at once, which the attacker,
 * subscribed, also receives (so the window would have caught one). The
 * record lifetime is the longest allowed, so no heartbeat falls in a window.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startAttacker } from '../../fixtures/attacker.js'
import { cleanupHomes, startNode, waitFor } from '../../helpers.js'
import type { Attacker } from '../../fixtures/attacker.js'
import type { PresenceNode } from '../../../node/presence-node.js'

const TTL = 600_000
const WINDOW_MS = 2_000

describe('subscribing to a pair topic is no liveness probe', () => {
  let relay: PresenceNode, a: PresenceNode, b: PresenceNode
  let x: Attacker
  let topic: string
  const heard: number[] = []

  beforeAll(async () => {
    relay = await startNode({ relay: true })
    x = await startAttacker({ listen: true, gossip: true })
    a = await startNode({ bootstrap: [relay.addresses()[0], x.node.getMultiaddrs()[0].toString()], presence: { ttlMs: TTL } })
    b = await startNode({ bootstrap: [relay.addresses()[0]], presence: { ttlMs: TTL } })
    await b.requestContact(a.contactCode())
    await waitFor(() => a.contactRequests().incoming.length === 1, 'the request at A', 60_000)
    await a.accept(b.peerId)
    await waitFor(() => b.presence.get(a.peerId)?.status === 'online', 'B to see A online', 60_000)
    topic = b.roster.keysFor(a.peerId.toString()).topic
    await waitFor(() => a.libp2p.getConnections(x.peerId).length > 0, 'A to be connected to the attacker')
    x.node.services.pubsub!.addEventListener('message', (e) => { if (e.detail.topic === topic) heard.push(Date.now()) })
  })

  afterAll(async () => {
    await x?.stop()
    await Promise.all([relay, a, b].map(async n => await n?.stop()))
    await cleanupHomes()
  })

  it('the attacker\'s subscription makes A publish nothing; the contact\'s gets a record at once', async () => {
    x.node.services.pubsub!.subscribe(topic)
    await waitFor(() => a.libp2p.services.pubsub.getSubscribers(topic).some(p => p.equals(x.peerId)), 'A to see the attacker subscribe')
    const subscribed = Date.now()
    // absence can only be shown over a window: eight times the old 250 ms answer, far from any heartbeat
    await new Promise(resolve => setTimeout(resolve, WINDOW_MS))
    expect(heard.filter(t => t >= subscribed)).toEqual([])

    // the contact leaves and comes back: A answers with a fresh record, which the attacker hears too
    const bPubsub = b.libp2p.services.pubsub
    bPubsub.unsubscribe(topic)
    await waitFor(() => !a.libp2p.services.pubsub.getSubscribers(topic).some(p => p.equals(b.peerId)), 'A to see B leave')
    const resubscribed = Date.now()
    bPubsub.subscribe(topic)
    await waitFor(() => heard.some(t => t >= resubscribed), 'a fresh record after B subscribed again', WINDOW_MS)
    console.log(`a fresh record ${heard.find(t => t >= resubscribed)! - resubscribed} ms after the contact subscribed`)
  })
})
