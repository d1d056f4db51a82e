/**
 * A relay renews a reservation by resetting its timer signal
 * (@libp2p/circuit-relay-v2's server reservation store uses
 * retimeable-signal). Upstream 1.0.1 kept the first reset's timer armed, so a
 * reservation renewed twice was dropped one lifetime after its first renewal;
 * vendor/retimeable-signal is the fixed copy installed in its place.
 */
import { retimeableSignal } from 'retimeable-signal'
import { expect, it } from 'vitest'

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
