/**
 * Ten nodes in a line on loopback (node i bootstraps only to node i-1).
 * Node 0 refuses connections to and from nodes 8 and 9 until a test opens the
 * gate, so they cannot meet before the DHT is asked.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadOrCreateIdentity } from '../../node/home.js'
import { presenceDhtKey } from '../../protocol/dht-presence.js'
import { MAX_PRESENCE_TTL_MS } from '../../protocol/limits.js'
import { sealPresence } from '../../protocol/presence-record.js'
import { cleanupHomes, DHT_PUTS, PUBLIC, startNode, stopNodes, tmpHome, waitFor } from '../helpers.js'
import type { PresenceNode } from '../../node/presence-node.js'
import type { ConnectionGater, PeerId } from '@libp2p/interface'

const N = 10
// the longest a record may live: the replay step puts back the record of the third test, and a
// validator checks expiry before replay, so that record must outlive every step between them on
// a loaded machine (at 30 s it expired first at load 20, and no validator ever said "replay")
const TTL_MS = MAX_PRESENCE_TTL_MS
const nodes: PresenceNode[] = []
/** The node whose DHT presence record the tests fetch, forge and replay. */
const RECORDED = 2
const gated = new Set<string>()

const connected = (a: PresenceNode, b: PresenceNode): boolean => a.libp2p.getConnections(b.peerId).length > 0
const dht = (n: PresenceNode) => n.libp2p.services.dht as typeof n.libp2p.services.dht & { routingTable: { size: number } }

async function dhtValue (n: PresenceNode, key: Uint8Array): Promise<Uint8Array | undefined> {
  let value: Uint8Array | undefined
  for await (const e of n.libp2p.services.dht.get(key, { signal: AbortSignal.timeout(20_000) })) {
    if (e.name === 'VALUE') value = e.value
  }
  return value
}

async function putRaw (n: PresenceNode, key: Uint8Array, value: Uint8Array): Promise<void> {
  try {
    for await (const _ of n.libp2p.services.dht.put(key, value, { signal: AbortSignal.timeout(20_000) })) { /* drain */ }
  } catch {}
}

const sumRejections = (reason: 'signer-mismatch' | 'replay' | 'bad-signature'): number =>
  nodes.reduce((s, n) => s + (n.libp2p.services.dhtPresence.getRejections()?.[reason] ?? 0), 0)

describe('discovery across a sparse line of 10 nodes', () => {
  beforeAll(async () => {
    const homes = await Promise.all(Array.from({ length: N }, async (_, i) => await tmpHome(`line${i}`)))
    for (const i of [8, 9]) gated.add(peerIdFromPrivateKey((await loadOrCreateIdentity(homes[i])).privateKey).toString())
    const gater: ConnectionGater = {
      denyDialPeer: (p: PeerId) => gated.has(p.toString()),
      denyInboundEncryptedConnection: (p: PeerId) => gated.has(p.toString())
    }
    for (let i = 0; i < N; i++) {
      // only node 2's presence record is read or forged below: the others put none (each put is a
      // lookup and a store on every closest peer, at start and again as the goodbye at stop)
      nodes.push(await startNode({ roster: PUBLIC, ...(i === RECORDED ? DHT_PUTS : {}),
        home: homes[i],
        bootstrap: i === 0 ? [] : [nodes[i - 1].addresses()[0]],
        presence: { ttlMs: TTL_MS },
        ...(i === 0 ? { connectionGater: gater } : {})
      }))
    }
    // lookups work once tables hold more than the line neighbours: each node's self-query, and a lookup of
    // its own key whenever a server joins its still small table (node/discovery/dht-table-fill.ts)
    await waitFor(() => nodes.every(n => dht(n).routingTable.size >= 4), 'routing tables to fill', 120_000)
  // ten nodes started one after another take over a minute on a loaded 2-core machine
  }, 180_000)

  afterAll(async () => {
    await stopNodes(nodes)
    await cleanupHomes()
  })

  it('the routing-table repair holds kad-dht\'s check of new contacts on a real node (a kad-dht upgrade that moves it fails here)', () => {
    for (const n of nodes) {
      const kb = (dht(n) as unknown as { routingTable: { kb?: { verify?: unknown } } }).routingTable.kb
      expect(typeof kb?.verify).toBe('function')
      // set only when the repair found kad-dht's `kb.verify` and put its own in place (node/discovery/dht-routing-repair.ts)
      expect(typeof (n.libp2p.services as unknown as { dhtRoutingRepair: { restoreVerify?: unknown } }).dhtRoutingRepair.restoreVerify).toBe('function')
    }
  })

  it('node 0 locates node 8 through the DHT without a prior connection', async () => {
    const [n0, n8] = [nodes[0], nodes[8]]
    expect(connected(n0, n8)).toBe(false)
    gated.delete(n8.peerId.toString())
    // a DHT lookup can miss on a loaded machine; the product retries (watch follow), so does the test
    let res: Awaited<ReturnType<typeof n0.locate>> | undefined
    await waitFor(async () => {
      try {
        res = await n0.locate(n8.peerId.toString(), { useCache: false })
        return true
      } catch (err: any) {
        if (err.name !== 'PeerNotFoundError') throw err
        return false
      }
    }, 'node 0 to locate node 8 through the DHT', 60_000)
    if (res == null) throw new Error('unreachable')
    expect(res.via).toBe('dht')
    expect(res.peerId).toBe(n8.peerId.toString())
    expect(connected(n0, n8)).toBe(true)
  })

  it('node 0 watches node 9, which it is not connected to, and sees its changes', async () => {
    const [n0, n9] = [nodes[0], nodes[9]]
    expect(connected(n0, n9)).toBe(false)
    gated.delete(n9.peerId.toString())
    await n0.watch(n9.peerId, 'nine')
    await waitFor(() => n0.presence.get(n9.peerId)?.status === 'online', 'node 0 to see node 9 online')
    expect(connected(n0, n9)).toBe(true)
    await n9.setPresence({ status: 'busy', note: 'far away' })
    await waitFor(() => n0.presence.get(n9.peerId)?.note === 'far away', 'node 0 to see node 9 busy')
    expect(n0.libp2p.services.discovery.following()).toContain(n9.peerId.toString())
    await n0.unwatch(n9.peerId)
    expect(n0.libp2p.services.discovery.following()).not.toContain(n9.peerId.toString())
  })

  it('a node that never subscribed fetches the latest record from the DHT', async () => {
    const [n2, n6] = [nodes[RECORDED], nodes[6]]
    await n2.setPresence({ status: 'away', note: 'lunch' })
    expect(n6.presence.get(n2.peerId)).toBeUndefined()
    await waitFor(async () => (await n6.fetchPresence(n2.peerId)).note === 'lunch', 'node 6 to fetch node 2 away')
    const got = await n6.fetchPresence(n2.peerId.toString())
    expect(got).toMatchObject({ peerId: n2.peerId.toString(), status: 'away', note: 'lunch', source: 'dht' })
    expect(got.lastSeen).toBeGreaterThan(0)
  })

  it('fetching a peer id nobody published says unknown', async () => {
    const stranger = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
    expect(await nodes[4].fetchPresence(stranger)).toEqual({ peerId: stranger.toString(), status: 'unknown', source: 'none' })
    await expect(nodes[4].fetchPresence('not-a-peer')).rejects.toThrow(/not a peer id/)
  })

  it('forged and replayed DHT records are rejected and never returned', async () => {
    const [n2, m, n5, n7] = [nodes[RECORDED], nodes[3], nodes[5], nodes[7]]
    const key = presenceDhtKey(n2.peerId)
    await waitFor(async () => (await n7.fetchPresence(n2.peerId)).note === 'lunch', 'the DHT to hold node 2 at lunch')
    const old = await dhtValue(m, key)
    expect(old).toBeDefined()

    // forged: claims to be node 2's, signed by node 3
    const now = Date.now()
    const forged = await sealPresence({
      presentity: n2.peerId, status: 'online', note: 'forged', seq: BigInt(now) * 10n, issuedAt: now, expiresAt: now + TTL_MS
    }, (await loadOrCreateIdentity(m.home)).privateKey)
    const before = sumRejections('signer-mismatch')
    // one put may reach nobody on a loaded machine (its lookup times out): put until a validator saw it
    await waitFor(async () => {
      await putRaw(m, key, forged)
      return sumRejections('signer-mismatch') > before
    }, 'validators to reject the forged record', 90_000)
    for (const n of [n5, n7]) expect((await n.fetchPresence(n2.peerId)).note).toBe('lunch')

    // replayed: node 2's own older record, put back after node 2 moved on
    await n2.setPresence({ status: 'online', note: 'back' })
    await waitFor(async () => (await n7.fetchPresence(n2.peerId)).note === 'back', 'the DHT to hold node 2 back')
    const replaysBefore = sumRejections('replay')
    await waitFor(async () => {
      await putRaw(m, key, old!)
      return sumRejections('replay') > replaysBefore
    }, 'validators to reject the replayed record', 90_000)
    for (const n of [n5, n7, nodes[9]]) {
      const got = await n.fetchPresence(n2.peerId)
      expect(got.note).toBe('back')
    }
    // a node holding the newer record refuses the old one outright
    await expect(n5.libp2p.services.dht.validators['pm-presence'](key, old!)).rejects.toThrow(/replay/)
    // even the node that put them (kad-dht keeps a put's own copy unvalidated) resolves the real, newer record
    expect((await m.fetchPresence(n2.peerId)).note).toBe('back')
  })
})
