/** The goodbye barrier (node/presence/goodbye-barrier.ts) with stubbed ping and connection manager. */
import { getEventListeners } from 'node:events'
import { expect, it } from 'vitest'
import { goodbyeBarrier } from '../../../node/presence/goodbye-barrier.js'
import { peerIds } from '../discovery/stubs.js'
import type { BarrierComponents } from '../../../node/presence/goodbye-barrier.js'
import type { PeerId } from '@libp2p/interface'

it('pings every connected audience, each with its own signal (a stream open listens several times: one shared signal passed Node\'s limit at 50 audiences), within the deadline', async () => {
  const ids = await peerIds(21)
  const connected = new Set(ids.slice(0, 20).map(String))
  const signals: AbortSignal[] = []
  const warnings: Error[] = []
  const onWarning = (w: Error): void => { if (w.name === 'MaxListenersExceededWarning') warnings.push(w) }
  process.on('warning', onWarning)
  try {
    const components: BarrierComponents = {
      connectionManager: { getConnections: (p?: PeerId) => p != null && connected.has(p.toString()) ? [{}] as any : [] },
      ping: {
        ping: async (_peer, options = {}) => {
          const signal = options.signal!
          // a stream open and the reads of its protocol negotiation each listen for the abort
          for (let i = 0; i < 3; i++) signal.addEventListener('abort', () => {})
          signals.push(signal)
          // the peer never answers: the deadline ends it
          return await new Promise<number>((_resolve, reject) => { signal.addEventListener('abort', () => { reject(signal.reason) }) })
        }
      }
    }
    const t0 = Date.now()
    await goodbyeBarrier(components, ids.map(String), 200)
    expect(Date.now() - t0).toBeLessThan(5_000)
    // the peer that is not connected is not pinged
    expect(signals).toHaveLength(20)
    expect(new Set(signals).size).toBe(20)
    for (const s of signals) {
      expect(s.aborted).toBe(true)
      expect(getEventListeners(s, 'abort').length).toBeLessThanOrEqual(4)
    }
    await new Promise(resolve => setImmediate(resolve))
    expect(warnings).toEqual([])
  } finally {
    process.off('warning', onWarning)
  }
})
