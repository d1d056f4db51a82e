/**
 * A node restarted with no bootstrap list finds its way back through the
 * peers persisted in its datastore. B runs as a DHT client, so kad-dht keeps
 * no routing-table or keep-alive tag on it in A's peer store: only the
 * node's own rejoin (most recently connected peers) can bring A back to B.
 * (A watches nobody, so no watch can redial B either.)
 * A listens on a fresh port after the restart, so B cannot redial A's old address.
 */
import { multiaddr } from '@multiformats/multiaddr'
import { afterEach, expect, it } from 'vitest'
import { LAST_CONNECTED_KEY } from '../../node/discovery/constants.js'
import { cleanupHomes, PUBLIC, startNode, stopNodes, tmpHome, waitFor } from '../helpers.js'
import type { PresenceNode } from '../../node/presence-node.js'

const running: PresenceNode[] = []

afterEach(async () => {
  await stopNodes(running.splice(0))
  await cleanupHomes()
})

it('a restarted node with no bootstrap list rejoins through its persisted peer store', async () => {
  const homeA = await tmpHome('restart-a')
  let a = await startNode({ roster: PUBLIC, home: homeA, presence: { ttlMs: 6_000 } })
  running.push(a)
  const b = await startNode({ roster: PUBLIC, dhtClientMode: true, presence: { ttlMs: 6_000 } })
  running.push(b)
  await b.libp2p.dial(multiaddr(a.addresses()[0]))
  await waitFor(async () => {
    const peer = await a.libp2p.peerStore.get(b.peerId)
    return peer.addresses.length > 0 && peer.metadata.has(LAST_CONNECTED_KEY)
  }, 'A to have stored B with its addresses')
  expect([...(await a.libp2p.peerStore.get(b.peerId)).tags.keys()].filter(t => t.startsWith('keep-alive'))).toEqual([])

  await a.stop()
  running.splice(running.indexOf(a), 1)
  await waitFor(() => b.libp2p.getConnections().length === 0, 'B to lose its only connection')

  a = await startNode({ roster: PUBLIC, home: homeA, bootstrap: [], presence: { ttlMs: 6_000 } })
  running.push(a)
  await waitFor(() => a.libp2p.getConnections(b.peerId).length > 0, 'A to reconnect to B')
  expect(a.libp2p.getConnections(b.peerId)[0].direction).toBe('outbound')
})

it('a watch persisted across a restart locates its presentity again', async () => {
  const homeA = await tmpHome('restart-watch')
  let a = await startNode({ roster: PUBLIC, home: homeA, presence: { ttlMs: 6_000 } })
  running.push(a)
  const b = await startNode({ roster: PUBLIC, dhtClientMode: true, presence: { ttlMs: 6_000 } })
  running.push(b)
  await b.libp2p.dial(multiaddr(a.addresses()[0]))
  await a.watch(b.peerId, 'bee')
  await waitFor(() => a.presence.get(b.peerId)?.status === 'online', 'A to see B online')
  await waitFor(async () => (await a.libp2p.peerStore.get(b.peerId)).addresses.length > 0, 'A to have stored B')

  await a.stop()
  running.splice(running.indexOf(a), 1)
  // rejoin off: only the watch can bring A back to B
  a = await startNode({ roster: PUBLIC, home: homeA, rejoin: false, presence: { ttlMs: 6_000 } })
  running.push(a)
  expect(a.libp2p.services.discovery.following()).toEqual([b.peerId.toString()])
  await waitFor(() => a.presence.get(b.peerId)?.status === 'online', 'A to see B online after the restart')
})
