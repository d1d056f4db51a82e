/** The DHT serves only while the node is public: switches follow the visibility one at a time. */
import { TypedEventEmitter } from '@libp2p/interface'
import { describe, expect, it } from 'vitest'
import { dhtMode } from '../../../node/discovery/dht-mode.js'
import { waitFor } from '../../helpers.js'
import { logger } from './stubs.js'
import type { Roster, RosterEvents, Visibility } from '../../../node/roster/index.js'
import type { KadDHT } from '@libp2p/kad-dht'

/** A DHT whose mode switches finish when the test says, recording how many ran at once. */
class SlowDht {
  mode: 'client' | 'server' = 'client'
  running = 0
  mostAtOnce = 0
  readonly pending: Array<() => void> = []
  getMode = (): 'client' | 'server' => this.mode
  setMode = async (mode: 'client' | 'server'): Promise<void> => {
    this.running++
    this.mostAtOnce = Math.max(this.mostAtOnce, this.running)
    await new Promise<void>(resolve => this.pending.push(resolve))
    this.mode = mode
    this.running--
  }
}

function rosterWith (mode: () => Visibility): Roster & TypedEventEmitter<RosterEvents> {
  const roster = new TypedEventEmitter<RosterEvents>() as any
  roster.visibility = () => ({ mode: mode(), allow: [] })
  return roster
}

/** A visibility change as the roster announces it; resolves when the listeners' work settled. */
async function change (roster: TypedEventEmitter<RosterEvents>): Promise<void> {
  const work: Array<Promise<unknown>> = []
  roster.safeDispatchEvent('roster:change', { detail: { people: [], visibility: { before: {}, after: {} }, waitUntil: (w: Promise<unknown>) => work.push(w) } as any })
  await Promise.all(work)
}

/** A started dht-mode service over a roster whose visibility is `visibility.mode` (contacts at first). */
async function started (): Promise<{ visibility: { mode: Visibility }, roster: TypedEventEmitter<RosterEvents>, dht: SlowDht, service: any }> {
  const visibility: { mode: Visibility } = { mode: 'contacts' }
  const roster = rosterWith(() => visibility.mode)
  const dht = new SlowDht()
  const service = dhtMode()({ logger, dht: dht as unknown as KadDHT, roster }) as any
  service.start()
  await service.afterStart()
  return { visibility, roster, dht, service }
}

describe('DHT mode', () => {
  it('a switch still running when the visibility changes again never leaves the older mode', async () => {
    const { visibility, roster, dht, service } = await started()
    expect(dht.getMode()).toBe('client')
    // public, then contacts again while the switch to server mode still runs
    visibility.mode = 'public'
    const first = change(roster)
    await waitFor(() => dht.pending.length === 1, 'the switch to server mode')
    visibility.mode = 'contacts'
    const second = change(roster)
    while (dht.running > 0 || dht.pending.length > 0) {
      dht.pending.shift()?.()
      await new Promise(resolve => setImmediate(resolve))
    }
    await Promise.all([first, second])
    expect(dht.mostAtOnce).toBe(1)
    expect(dht.getMode()).toBe('client')
    await service.stop()
  })

  it('switches nothing after stop', async () => {
    const { visibility, roster, dht, service } = await started()
    await service.stop()
    visibility.mode = 'public'
    await change(roster)
    expect(dht.running + dht.pending.length).toBe(0)
    expect(dht.getMode()).toBe('client')
  })
})
