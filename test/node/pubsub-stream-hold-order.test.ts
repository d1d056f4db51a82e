/**
 * node/pubsub-stream-open.ts (stubbed registrar): a stream held while
 * gossipsub was starting reaches gossipsub before a stream of the same peer
 * that came after it (gossipsub started, its first heartbeat not yet run).
 * Gossipsub takes the last inbound stream it is handed as the peer's one and
 * closes the one before, so the order must be the order they came in.
 */
import { describe, expect, it } from 'vitest'
import { GossipStreamOpener } from '../../node/pubsub-stream-open.js'
import { logger, peerIds } from './discovery/stubs.js'
import type { Connection, Stream, StreamHandler } from '@libp2p/interface'

describe('gossip streams held while gossipsub starts', () => {
  it('reach gossipsub in the order they came', async () => {
    const [peer] = await peerIds(1)
    let inner: StreamHandler | undefined
    const registrar = { handle: async (_p: string, h: StreamHandler) => { inner = h } } as any
    let started = false
    const opener = new GossipStreamOpener({ registrar, connectionManager: { getConnections: () => [] }, logger }, {
      protocols: () => ['/meshsub/1.1.0'],
      holdsStream: () => true,
      runOnLimitedConnection: true,
      isStarted: () => started
    })
    const handed: string[] = []
    await opener.registrar().handle('/meshsub/1.1.0', (stream) => { handed.push((stream as any).name) })
    const conn = { remotePeer: peer, status: 'open', streams: [] } as unknown as Connection
    const stream = (name: string): Stream => ({ name, status: 'open' }) as unknown as Stream

    await inner!(stream('older'), conn) // gossipsub starting: held
    started = true
    await inner!(stream('newer'), conn) // started, before its first heartbeat
    opener.started() // the first heartbeat
    await new Promise(resolve => setImmediate(resolve))
    expect(handed).toEqual(['older', 'newer'])
  })
})
