/**
 * Gossipsub opens its outbound streams one at a time: a peer that never
 * answers must not hold the next peer's stream back for libp2p's 10 s
 * negotiation timeout. Real gossipsub (createPubsub) on stubbed components.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { expect, it } from 'vitest'
import { createPubsub } from '../../node/pubsub.js'
import { waitFor } from '../helpers.js'
import { logger, peerIds } from './discovery/stubs.js'
import type { Connection, PeerId, Startable, Topology } from '@libp2p/interface'

/** libp2p's own deadline for a negotiation without a signal, emulated by the stub connections. */
const LIBP2P_DEFAULT_MS = 10_000

it('a peer that never answers holds gossipsub\'s stream queue only for the bounded open time', async () => {
  const privateKey = await generateKeyPair('Ed25519')
  const [silent, next] = await peerIds(2)
  const topologies: Topology[] = []
  const opened: Array<{ peer: string, at: number }> = []
  const timers = new Set<ReturnType<typeof setTimeout>>()
  const conn = (peer: PeerId): Connection => ({
    remotePeer: peer,
    status: 'open',
    direction: 'outbound',
    remoteAddr: multiaddr('/ip4/127.0.0.1/tcp/1'),
    streams: [],
    // the silent peer never answers the negotiation; the other one refuses at once (enough: it was tried)
    newStream: async (_protocols: string[], options: { signal?: AbortSignal } = {}) => {
      opened.push({ peer: peer.toString(), at: Date.now() })
      if (!peer.equals(silent)) throw new Error('refused')
      await new Promise((_resolve, reject) => {
        const timer = setTimeout(() => { reject(new Error('libp2p default timeout')) }, LIBP2P_DEFAULT_MS)
        timers.add(timer)
        options.signal?.addEventListener('abort', () => { clearTimeout(timer); reject(options.signal?.reason) })
      })
    }
  }) as unknown as Connection
  const pubsub = createPubsub({ streamOpenTimeoutMs: 300 })({
    peerId: peerIdFromPrivateKey(privateKey),
    privateKey,
    logger,
    peerStore: { merge: async () => ({}), get: async () => { throw Object.assign(new Error('not found'), { name: 'NotFoundError' }) } },
    registrar: {
      handle: async () => {},
      unhandle: async () => {},
      register: async (_protocol: string, t: Topology) => { topologies.push(t); return String(topologies.length) },
      unregister: () => {},
      getTopologies: () => topologies
    },
    connectionManager: { getConnections: () => [] }
  } as any)
  const service = pubsub as unknown as Startable
  await service.start()
  try {
    const started = Date.now()
    topologies[0].onConnect?.(silent, conn(silent))
    topologies[0].onConnect?.(next, conn(next))
    await waitFor(() => opened.some(o => o.peer === next.toString()), 'the next peer\'s stream to be tried', 5_000)
    const waited = opened.find(o => o.peer === next.toString())!.at - started
    expect(waited).toBeGreaterThanOrEqual(250)
    expect(waited).toBeLessThan(LIBP2P_DEFAULT_MS / 2)
  } finally {
    await service.stop()
    for (const t of timers) clearTimeout(t)
  }
})
