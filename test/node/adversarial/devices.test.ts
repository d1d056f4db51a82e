/**
 * A stranger speaking the device protocols (docs/protocol.md §14) byte by
 * byte, from a node built of public libp2p packages only: it cannot read a
 * node's contacts through the contact sync, change them with a forged
 * snapshot or point the node's dials at itself with forged whereabouts, read or plant conversations through the history sync, slip
 * itself into the device list, or link without a code. Each
 * stream is refused, or answered with nothing about the node, and it runs on.
 */
import { multiaddr } from '@multiformats/multiaddr'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { exchange, startAttacker, WIRE } from '../../fixtures/attacker.js'
import { decode, encode } from '../../fixtures/raw-protobuf.js'
import { cleanupHomes, makeContacts, PUBLIC, startNode, stopNodes, waitFor } from '../../helpers.js'
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
    await stopNodes([a, carol])
    await cleanupHomes()
  })

  it('learns no contact and removes none through the contact sync', async () => {
    // "carol is no contact any more", stamped now by the attacker as if it were one of A's devices
    const entry = encode([[1, carol.peerId.toMultihash().bytes], [4, BigInt(Date.now())], [5, x.node.peerId.toMultihash().bytes]])
    // and "carol listens here" (§14.10 whereabouts): an address of the attacker's choosing, to draw A's dials
    const lure = multiaddr('/ip4/127.0.0.1/tcp/9').bytes
    const whereabouts = encode([[1, carol.peerId.toMultihash().bytes], [2, lure]])
    const answer = await exchange(x.node, a.peerId, WIRE.deviceContacts, encode([[1, entry], [2, whereabouts]]))
    expect(answer).toBe('reset')
    expect((await a.contacts()).map(c => c.peerId)).toContain(carol.peerId.toString())
    const carolAt = (await a.libp2p.peerStore.get(carol.peerId)).addresses.map(ad => ad.multiaddr.toString())
    expect(carolAt).not.toContain('/ip4/127.0.0.1/tcp/9')
  })

  it('reads no conversation and plants none through the history sync', async () => {
    await carol.send(a.peerId, 'for a only')
    const before = async (): Promise<string[]> => (await a.conversation(carol.peerId)).map(m => m.text)
    await waitFor(async () => (await before()).includes('for a only'), 'A to hold carol\'s text')
    const held = await before()
    // a hello asking for everything (no cursors): A would answer with its own hello, then every record
    const hello = await exchange(x.node, a.peerId, WIRE.deviceHistory, encode([[1, new Uint8Array(0)]]))
    expect(hello).toBe('reset')
    // a record "carol wrote this", as if the attacker were a device of A's person that received it
    const id = new Uint8Array(16).fill(7)
    const record = encode([[1, x.node.peerId.toMultihash().bytes], [2, 1n], [3, carol.peerId.toMultihash().bytes], [4, id], [6, carol.peerId.toMultihash().bytes], [7, BigInt(Date.now())], [8, new TextEncoder().encode('planted')]])
    expect(await exchange(x.node, a.peerId, WIRE.deviceHistory, encode([[2, record]]))).toBe('reset')
    expect(await before()).toEqual(held)
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
