/**
 * A small DHT routing table is filled with a lookup of the node's own key when
 * a server is added to it: debounced, one at a time, with a doubling gap, and
 * none once the table is big enough. Stubbed routing table and kad-dht, fake clock.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { defaultLogger } from '@libp2p/logger'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { DhtTableFill } from '../../../node/discovery/dht-table-fill.js'
import type { PeerId } from '@libp2p/interface'

const services: DhtTableFill[] = []
beforeEach(() => { vi.useFakeTimers() })
afterEach(() => {
  for (const s of services.splice(0)) s.stop()
  vi.useRealTimers()
})

class Table extends EventTarget {
  size = 0
  add (): void {
    this.size++
    this.dispatchEvent(new CustomEvent('peer:add'))
  }
}

interface Lookup { key: Uint8Array, at: number, signal?: AbortSignal }

/** `during`: what a lookup does before it ends (adds the servers it found; or waits until aborted). */
async function fill (during: (t: Table, signal?: AbortSignal) => Promise<void> = async () => {}): Promise<{ table: Table, events: EventTarget, lookups: Lookup[], self: PeerId, service: DhtTableFill }> {
  const table = new Table()
  const events = new EventTarget()
  const lookups: Lookup[] = []
  const self = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
  const service = new DhtTableFill({
    logger: defaultLogger(),
    peerId: self,
    events,
    dht: {
      routingTable: table,
      async * getClosestPeers (key: Uint8Array, options?: { signal?: AbortSignal }) {
        lookups.push({ key, at: Date.now(), signal: options?.signal })
        await during(table, options?.signal)
      }
    } as any
  }, { below: 5, delayMs: 100, gapFirstMs: 1_000, gapCapMs: 4_000 })
  service.start()
  services.push(service)
  return { table, events, lookups, self, service }
}

describe('DHT table fill', () => {
  it('a server added to a small table brings one lookup of the own key after the delay; a burst of adds, one', async () => {
    const { table, lookups, self } = await fill()
    const t0 = Date.now()
    table.add()
    table.add()
    table.add()
    await vi.advanceTimersByTimeAsync(99)
    expect(lookups).toHaveLength(0)
    await vi.advanceTimersByTimeAsync(1)
    expect(lookups).toHaveLength(1)
    expect(lookups[0].at - t0).toBe(100)
    expect(lookups[0].key).toEqual(self.toMultihash().bytes)
    await vi.advanceTimersByTimeAsync(10_000)
    expect(lookups).toHaveLength(1)
  })

  it('no lookup once the table holds enough servers', async () => {
    const { table, lookups } = await fill()
    table.size = 5
    table.add()
    await vi.advanceTimersByTimeAsync(10_000)
    expect(lookups).toHaveLength(0)
  })

  it('adds the lookup itself made bring no other; later adds wait for a gap that doubles up to its cap', async () => {
    const { table, lookups } = await fill(async (t) => { if (lookups.length === 1) { t.add(); t.add() } })
    const t0 = Date.now()
    table.add()
    await vi.advanceTimersByTimeAsync(200)
    expect(lookups.map(l => l.at - t0)).toEqual([100])
    expect(table.size).toBe(3)
    table.add()
    await vi.advanceTimersByTimeAsync(10_000 - 200)
    // 100 + 1,000
    expect(lookups.map(l => l.at - t0)).toEqual([100, 1_100])
    // servers left meanwhile: the table is small again
    table.size = 1
    table.add()
    await vi.advanceTimersByTimeAsync(100)
    // the gap after the second lookup is 2,000: the add at 10,000 waits only the delay
    expect(lookups.map(l => l.at - t0)).toEqual([100, 1_100, 10_100])
    table.add()
    await vi.advanceTimersByTimeAsync(4_000)
    // 10,100 + 4,000 (8,000 capped)
    expect(lookups.map(l => l.at - t0)).toEqual([100, 1_100, 10_100, 14_100])
    table.add()
    await vi.advanceTimersByTimeAsync(4_000)
    expect(lookups.map(l => l.at - t0)).toEqual([100, 1_100, 10_100, 14_100, 18_100])
  })

  it("an add that kad-dht's own self-query, started after it, covered brings no lookup; one it did not cover does", async () => {
    const selfQuery = (events: EventTarget, duration: number): void => { events.dispatchEvent(new CustomEvent('kad-dht:query:self', { detail: { peers: 1, duration } })) }
    // the self-query ends 60 ms after the add: started 40 ms after it (covered), or 10 ms before it
    for (const { duration, lookups } of [{ duration: 20, lookups: 0 }, { duration: 70, lookups: 1 }]) {
      const f = await fill()
      f.table.add()
      await vi.advanceTimersByTimeAsync(60)
      selfQuery(f.events, duration)
      await vi.advanceTimersByTimeAsync(10_000)
      expect(f.lookups).toHaveLength(lookups)
    }
  })

  it('stop ends a lookup under way and one waiting', async () => {
    const aborted = async (_t: Table, signal?: AbortSignal): Promise<void> => {
      await new Promise<void>((resolve) => { signal?.addEventListener('abort', () => { resolve() }) })
    }
    const running = await fill(aborted)
    running.table.add()
    await vi.advanceTimersByTimeAsync(100)
    expect(running.lookups).toHaveLength(1)
    expect(running.lookups[0].signal?.aborted).toBe(false)
    running.service.stop()
    expect(running.lookups[0].signal?.aborted).toBe(true)

    const waiting = await fill()
    waiting.table.add()
    waiting.service.stop()
    await vi.advanceTimersByTimeAsync(10_000)
    expect(waiting.lookups).toHaveLength(0)
  })
})
