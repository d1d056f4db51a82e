/**
 * The follow's idea of a gossip link, on real nodes: a watched presentity is
 * linked once gossipsub runs a stream each way. A gossip stream that is reset
 * is opened again by gossipsub itself (measured: within milliseconds), so the
 * follow leaves such a link alone: no repair, no redial.
 */
import { afterEach, expect, it } from 'vitest'
import { cleanupHomes, PUBLIC, startNode, waitFor } from '../../helpers.js'
import type { PresenceNode } from '../../../node/presence-node.js'

const running: PresenceNode[] = []
afterEach(async () => {
  await Promise.all(running.splice(0).map(async n => { await n.stop() }))
  await cleanupHomes()
})

const TTL = 4_000

it('a watcher is linked to what it watches, and leaves a link alone that gossipsub repairs itself', async () => {
  const presence = { ttlMs: TTL }
  const p = await startNode({ presence, roster: PUBLIC })
  running.push(p)
  const w = await startNode({ presence, roster: PUBLIC, bootstrap: p.addresses() })
  running.push(w)
  await w.watch(p.peerId, 'p')
  const follow = (): ReturnType<typeof w.libp2p.services.discovery.followStatus> => w.libp2p.services.discovery.followStatus(p.peerId)
  await waitFor(() => w.presence.get(p.peerId)?.status === 'online' && follow()?.state === 'linked', 'W linked to P and seeing it online')

  // P's gossip stream to W is reset, the connection stays
  const gossip = p.libp2p.services.pubsub.protocols
  for (const conn of p.libp2p.getConnections(w.peerId)) {
    for (const s of conn.streams) if (s.direction === 'outbound' && gossip.includes(s.protocol ?? '')) s.abort(new Error('test: stream lost'))
  }
  const lostAt = Date.now()
  await waitFor(() => (w.presence.get(p.peerId)?.lastSeen ?? 0) > lostAt + TTL, 'W hearing P for longer than a record lives after the reset', 30_000)
  await waitFor(() => follow()?.state === 'linked', 'W linked to P')
  expect(follow()?.repairs).toBe(0)
  expect(w.presence.get(p.peerId)?.status).toBe('online')
})
