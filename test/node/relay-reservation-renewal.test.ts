/**
 * A relay renews a reservation by resetting its timer signal
 * (@libp2p/circuit-relay-v2's server reservation store uses
 * retimeable-signal). Upstream 1.0.1 kept the first reset's timer armed, so a
 * reservation renewed twice was dropped one lifetime after its first renewal;
 * vendor/retimeable-signal is the fixed copy installed in its place. And the
 * relay's own table must not lose a reservation to the timer of an earlier,
 * failed attempt (node/relay-server.ts).
 */
import { retimeableSignal } from 'retimeable-signal'
import { expect, it } from 'vitest'
import { guardReservations } from '../../node/relay-server.js'
import type { CircuitRelayService } from '@libp2p/circuit-relay-v2'

it('a signal reset several times aborts one period after the last reset, not after the first', async () => {
  const started = Date.now()
  const signal = retimeableSignal(300)
  const aborted = new Promise<number>(resolve => { signal.addEventListener('abort', () => { resolve(Date.now() - started) }) })
  const keepAlive = setInterval(() => {}, 50)
  try {
    for (const at of [50, 200, 350]) {
      await new Promise(resolve => setTimeout(resolve, at - (Date.now() - started)))
      signal.reset(300)
    }
    // the last reset was at about 350 ms: the signal aborts at about 650 ms, not at 350 (50 + 300)
    expect(await aborted).toBeGreaterThanOrEqual(600)
    expect(signal.reason).toMatchObject({ name: 'AbortError' })
  } finally {
    clearInterval(keepAlive)
  }
})

it('clear() stops the timer', async () => {
  const signal = retimeableSignal(50)
  signal.clear()
  await new Promise(resolve => setTimeout(resolve, 150))
  expect(signal.aborted).toBe(false)
})

it('the relay\'s table lets a reservation go only once it expired (a removed attempt\'s timer cannot delete the next one)', () => {
  const table = new Map<string, { signal: { aborted: boolean } }>()
  guardReservations({ reservations: table } as unknown as CircuitRelayService)
  const live = { signal: { aborted: false } }
  table.set('peer', live)
  // what the relay does when a client did not take the confirmation, and what a stale timer does
  expect(table.delete('peer')).toBe(false)
  expect(table.get('peer')).toBe(live)
  live.signal.aborted = true
  expect(table.delete('peer')).toBe(true)
  expect(table.has('peer')).toBe(false)
})
