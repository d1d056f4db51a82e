/**
 * Finding 1: a DHT server that has met a private node must not resolve it.
 * The attacker (public libp2p packages only) sends every kad RPC by hand to a
 * public DHT server C that knows the private A (A is C's contact, so C holds
 * A's addresses): no answer names A; the DHT servers C may name still come.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { CID } from 'multiformats/cid'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { KAD, kadRequest, startAttacker } from '../../fixtures/attacker.js'
import { cleanupHomes, PUBLIC, startNode, waitFor } from '../../helpers.js'
import type { Attacker, KadAnswer } from '../../fixtures/attacker.js'
import type { PresenceNode } from '../../../node/presence-node.js'

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)
const concat = (a: Uint8Array, b: Uint8Array): Uint8Array => Uint8Array.from([...a, ...b])

describe('the DHT names nobody but DHT servers (every kad RPC, raw)', () => {
  let a: PresenceNode, c: PresenceNode, d: PresenceNode
  let attacker: Attacker

  beforeAll(async () => {
    c = await startNode({ roster: PUBLIC })
    d = await startNode({ roster: PUBLIC, bootstrap: [c.addresses()[0]] })
    a = await startNode({ bootstrap: [c.addresses()[0]] })
    // A and C become contacts: C keeps A's addresses in its peer store
    await a.requestContact(c.peerId)
    await waitFor(() => c.contactRequests().incoming.some(r => r.peerId === a.peerId.toString()), 'A\'s request at C')
    await c.accept(a.peerId)
    await waitFor(() => a.contacts().some(x => x.peerId === c.peerId.toString()), 'the contact at A')
    await waitFor(async () => (await c.libp2p.peerStore.get(a.peerId)).addresses.length > 0, 'C to hold A\'s addresses')
    // D serves the DHT: C may name it
    await waitFor(() => c.libp2p.services.dht.getMode() === 'server' && d.libp2p.services.dht.getMode() === 'server', 'C and D to serve the DHT')
    await waitFor(async () => {
      for await (const p of c.libp2p.services.dht.getClosestPeers(d.peerId.toMultihash().bytes, { signal: AbortSignal.timeout(2_000) })) if (p.name === 'FINAL_PEER' && p.peer.id.equals(d.peerId)) return true
      return false
    }, 'D in C\'s routing table')
    attacker = await startAttacker()
  })

  afterAll(async () => {
    await attacker?.stop()
    await Promise.all([a, c, d].map(async n => await n?.stop()))
    await cleanupHomes()
  })

  const named = (r: KadAnswer | 'reset'): string[] => r === 'reset' ? [] : [...r.closer, ...r.providers].map(p => p.peer)

  it('GET_VALUE, FIND_NODE and GET_PROVIDERS for A\'s peer id, and GET_VALUE of /pk/, name only DHT servers', async () => {
    const server = multiaddr(c.addresses()[0])
    const aId = a.peerId.toMultihash().bytes
    const answers: Record<string, KadAnswer | 'reset'> = {
      getValue: await kadRequest(attacker, server, KAD.GET_VALUE, aId),
      findNode: await kadRequest(attacker, server, KAD.FIND_NODE, aId),
      getProviders: await kadRequest(attacker, server, KAD.GET_PROVIDERS, CID.createV1(0x55, a.peerId.toMultihash()).bytes),
      publicKey: await kadRequest(attacker, server, KAD.GET_VALUE, concat(utf8('/pk/'), aId))
    }
    for (const [rpc, answer] of Object.entries(answers)) {
      expect(answer, rpc).not.toBe('reset')
      expect(named(answer), rpc).not.toContain(a.peerId.toString())
      for (const p of named(answer)) expect([c.peerId.toString(), d.peerId.toString()], `${rpc} names ${p}`).toContain(p)
    }
    // the public-key branch answers as for a peer C never met: no record
    expect((answers.publicKey as KadAnswer).record).toBeUndefined()
    // and GET_VALUE names the same peers as for a peer id C never met
    const stranger = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
    expect(named(answers.getValue).sort()).toEqual(named(await kadRequest(attacker, server, KAD.GET_VALUE, stranger.toMultihash().bytes)).sort())
  })

  it('a DHT server is still named, with its addresses, and its public key still answered', async () => {
    const server = multiaddr(c.addresses()[0])
    const dId = d.peerId.toMultihash().bytes
    const getValue = await kadRequest(attacker, server, KAD.GET_VALUE, dId)
    const findNode = await kadRequest(attacker, server, KAD.FIND_NODE, dId)
    for (const answer of [getValue, findNode]) {
      const entry = answer === 'reset' ? undefined : answer.closer.find(p => p.peer === d.peerId.toString())
      expect(entry?.addrs.length).toBeGreaterThan(0)
    }
    const pk = await kadRequest(attacker, server, KAD.GET_VALUE, concat(utf8('/pk/'), dId))
    expect(pk !== 'reset' && pk.record != null).toBe(true)
  })
})
