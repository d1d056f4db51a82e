/**
 * What a connected stranger learns from the subscriptions gossipsub sends it
 * (docs/threat-model.md, "What a neighbour learns from gossip"). Gossipsub
 * sends every topic a node subscribes to each peer it is connected to, a
 * stranger too: until session 14 a node subscribed every pair topic of every
 * contact for good, so any neighbour (a DHT server it uses, a relay, its
 * bootstrap node) was told a count of its contacts. Now a pair topic is
 * subscribed only while the contact's device is connected (docs/protocol.md
 * §8.3). The attacker is built from public libp2p packages and gossipsub
 * only (test/fixtures/attacker.ts): A's bootstrap node, so A dials it itself
 * (a closed node admits no stranger otherwise) and it is A's gossip neighbour.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startAttacker } from '../../fixtures/attacker.js'
import { cleanupHomes, startNode, waitFor } from '../../helpers.js'
import type { Attacker } from '../../fixtures/attacker.js'
import type { PresenceNode } from '../../../node/presence-node.js'

const OFFLINE_CONTACTS = 20

describe('the topics a node tells a connected stranger', () => {
  let a: PresenceNode, b: PresenceNode
  let x: Attacker
  /** What A told the attacker it subscribes to (+topic) or leaves (-topic), in order. */
  const told: string[] = []

  beforeAll(async () => {
    x = await startAttacker({ listen: true, gossip: true })
    x.node.services.pubsub!.addEventListener('subscription-change', (e) => {
      if (e.detail.peerId.equals(a?.peerId)) for (const s of e.detail.subscriptions) told.push(`${s.subscribe ? '+' : '-'}${s.topic}`)
    })
    a = await startNode({ bootstrap: [x.node.getMultiaddrs()[0].toString()], presence: { pairTopicGraceMs: 500 } })
    b = await startNode()
  })

  afterAll(async () => {
    await x?.stop()
    await Promise.all([a, b].map(async n => n?.libp2p.status === 'started' ? await n.stop() : undefined))
    await cleanupHomes()
  })

  it('no pair topic of a contact that is not connected; a connected contact\'s topic while it is, and its leave after', async () => {
    const offline = await Promise.all(Array.from({ length: OFFLINE_CONTACTS }, async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()))
    for (const c of offline) await a.roster.addContact(c)
    await waitFor(() => a.libp2p.getConnections(x.peerId).length > 0, 'A to be connected to the attacker')
    // B becomes a contact and connects: A subscribes to their pair topic, and tells every neighbour
    await a.roster.addContact(b.peerId)
    await b.roster.addContact(a.peerId)
    await b.connect(a.addresses()[0])
    const pairAB = a.roster.keysFor(b.peerId.toString()).topic
    await waitFor(() => told.includes(`+${pairAB}`), 'the attacker to be told of the A-B pair topic', 30_000)
    const offlineTopics = new Set(offline.map(c => a.roster.keysFor(c).topic))
    // everything A told came before (or with) that topic: none of its twenty other contacts' topics
    // (before session 14: all twenty-one, in the first message on A's stream)
    expect(told.filter(t => offlineTopics.has(t.slice(1)))).toEqual([])
    expect(told).toEqual([`+${pairAB}`])

    // B goes: after the grace A leaves the topic, and says so to the attacker too
    await b.stop()
    await waitFor(() => told.includes(`-${pairAB}`), 'A to leave the A-B pair topic', 30_000)
    expect(told).toEqual([`+${pairAB}`, `-${pairAB}`])
    expect(a.libp2p.services.pubsub.getTopics()).toEqual([])
  })
})
