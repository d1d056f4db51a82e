/**
 * A and B cannot reach each other directly: each one's connection gater
 * refuses the other's direct (non-relayed) addresses and connections. Both
 * reach relay R, hold a reservation on it, and still see each other's
 * presence and open a stream - through R.
 */
import { echo, lpStream } from '@libp2p/utils'
import { afterAll, expect, it } from 'vitest'
import { cleanupHomes, PUBLIC, startNode, tmpHome, waitFor } from '../helpers.js'
import type { PresenceNode } from '../../node/presence-node.js'
import type { ConnectionGater, PeerId, Stream } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

const ECHO = '/presence-mesh-test/echo/1.0.0'
const nodes: PresenceNode[] = []

afterAll(async () => {
  await Promise.all(nodes.map(async n => n.stop()))
  await cleanupHomes()
})

const relayed = (ma: Multiaddr): boolean => ma.toString().includes('/p2p-circuit')

/** Refuses every direct path to or from the peer `other.id` (filled in once known). */
function refuseDirect (other: { id?: string, ports: Set<string> }): ConnectionGater {
  const port = (ma: Multiaddr): string | undefined => ma.getComponents().find(c => c.name === 'tcp')?.value
  return {
    denyDialMultiaddr: (ma: Multiaddr) => !relayed(ma) && other.ports.has(port(ma) ?? ''),
    denyOutboundConnection: (peer: PeerId, conn: { remoteAddr: Multiaddr }) => peer.toString() === other.id && !relayed(conn.remoteAddr),
    denyInboundEncryptedConnection: (peer: PeerId, conn: { remoteAddr: Multiaddr }) => peer.toString() === other.id && !relayed(conn.remoteAddr)
  }
}

it('A and B with no direct path meet through relay R: presence and a stream', async () => {
  const r = await startNode({ roster: PUBLIC, relay: true })
  nodes.push(r)
  const seenByA = { id: undefined as string | undefined, ports: new Set<string>() }
  const seenByB = { id: undefined as string | undefined, ports: new Set<string>() }
  const a = await startNode({ roster: PUBLIC, home: await tmpHome('relay-a'), connectionGater: refuseDirect(seenByA), presence: { ttlMs: 6_000 } })
  nodes.push(a)
  seenByB.id = a.peerId.toString()
  a.addresses().forEach(ma => seenByB.ports.add(ma.split('/tcp/')[1]?.split('/')[0] ?? ''))
  const b = await startNode({ roster: PUBLIC, connectionGater: refuseDirect(seenByB), presence: { ttlMs: 6_000 } })
  nodes.push(b)
  seenByA.id = b.peerId.toString()
  b.addresses().forEach(ma => seenByA.ports.add(ma.split('/tcp/')[1]?.split('/')[0] ?? ''))

  // both join the mesh through R only
  await a.libp2p.dial(r.libp2p.getMultiaddrs()[0])
  await b.libp2p.dial(r.libp2p.getMultiaddrs()[0])
  await waitFor(() => a.addresses().some(s => s.includes('/p2p-circuit')), 'A to announce a relayed address')
  await waitFor(() => b.addresses().some(s => s.includes('/p2p-circuit')), 'B to announce a relayed address')
  await a.libp2p.handle(ECHO, async (stream) => { await echo(stream) }, { runOnLimitedConnection: true })

  await b.watch(a.peerId, 'ay')
  await a.watch(b.peerId, 'bee')
  await waitFor(() => b.presence.get(a.peerId)?.status === 'online', 'B to see A online')
  await waitFor(() => a.presence.get(b.peerId)?.status === 'online', 'A to see B online')
  await a.setPresence({ status: 'away', note: 'behind a NAT' })
  await waitFor(() => b.presence.get(a.peerId)?.note === 'behind a NAT', 'B to see A change')

  const conns = b.libp2p.getConnections(a.peerId)
  expect(conns.length).toBeGreaterThan(0)
  expect(conns.every(c => relayed(c.remoteAddr))).toBe(true)
  expect(conns[0].remoteAddr.toString()).toContain(r.peerId.toString())

  // on a connection B holds: libp2p's dialProtocol(peer) never reuses a limited (relayed)
  // connection, it dials again, and a dial crossing A's own dial to B through R can fail
  let stream: Stream | undefined
  await waitFor(async () => {
    const conn = b.libp2p.getConnections(a.peerId).find(c => c.status === 'open')
    if (conn == null) return false
    expect(relayed(conn.remoteAddr)).toBe(true)
    stream = await conn.newStream(ECHO, { runOnLimitedConnection: true }).catch(() => undefined)
    return stream != null
  }, 'a stream from B to A through R')
  const lp = lpStream(stream!)
  await lp.write(new TextEncoder().encode('hello through R'))
  expect(new TextDecoder().decode((await lp.read()).subarray())).toBe('hello through R')
  await stream!.close()
})
