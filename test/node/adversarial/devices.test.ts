/**
 * A stranger speaking the device protocols (docs/protocol.md §14) byte by
 * byte, from a node built of public libp2p packages only: it cannot read a
 * node's contacts through the contact sync, change them with a forged
 * snapshot, slip itself into the device list, or link without a code. Each
 * stream is refused, or answered with nothing about the node, and it runs on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { exchange, startAttacker, WIRE } from '../../fixtures/attacker.js'
import { decode, encode } from '../../fixtures/raw-protobuf.js'
import { cleanupHomes, makeContacts, PUBLIC, startNode } from '../../helpers.js'
import type { Attacker } from '../../fixtures/attacker.js'
import type { PresenceNode } from '../../../node/presence-node.js'

describe('a stranger on the device protocols', () => {
  let a: PresenceNode
  let carol: PresenceNode
  let x: Attacker

  beforeAll(async () => {
    a = await startNode({ roster: PUBLIC })
    carol = await startNode({ roster: PUBLIC, bootstrap: [a.addresses()[0]] })
    await makeContacts(carol, a)
    x = await startAttacker()
    await x.node.dial(a.libp2p.getMultiaddrs()[0])
  })

  afterAll(async () => {
    await x?.stop()
    await Promise.all([a, carol].map(async n => n?.stop()))
    await cleanupHomes()
  })

  it('learns no contact and removes none through the contact sync', async () => {
    // "carol is no contact any more", stamped now by the attacker as if it were one of A's devices
    const entry = encode([[1, carol.peerId.toMultihash().bytes], [4, BigInt(Date.now())], [5, x.node.peerId.toMultihash().bytes]])
    const answer = await exchange(x.node, a.peerId, WIRE.deviceContacts, encode([[1, entry]]))
    expect(answer).toBe('reset')
    expect((await a.contacts()).map(c => c.peerId)).toContain(carol.peerId.toString())
  })

  it('gets no device list changed and no link without a code', async () => {
    const before = a.devices()
    // a device list push of garbage, then one that is a signed-looking envelope of nothing
    const ack = await exchange(x.node, a.peerId, WIRE.devices, Uint8Array.from([0x0a, 0x03, 1, 2, 3]))
    // refused, or an acknowledgement that holds no list (epoch 0): nothing about A's devices
    if (ack !== 'reset') expect([...decode(ack).entries()].filter(([no, v]) => !(no === 1 && v.every(e => e === 0n)))).toEqual([])
    // a link request from a peer that is no live code's intake identity: BAD_CODE (§14.5), no certificate, no list
    const link = await exchange(x.node, a.peerId, WIRE.link, encode([[1, x.node.peerId.toMultihash().bytes]]))
    if (link !== 'reset') expect([...decode(link).entries()]).toEqual([[1, [2n]]])
    expect(a.devices()).toEqual(before)
    expect(a.devices().devices.map(d => d.peerId)).not.toContain(x.node.peerId.toString())
    // A still answers: the contact sees it online
    expect(carol.presence.get(a.peerId)?.status).toBe('online')
  })
})
