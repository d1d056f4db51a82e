import fc from 'fast-check'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { Backoff, backoffDelay, KeyedRetries, sleep, Wakeup } from '../../../node/util/wait.js'
import { waitFor } from '../../helpers.js'

/** Settles `p` into a flag the test reads after moving the fake clock. */
function track (p: Promise<unknown>): { done: boolean } {
  const state = { done: false }
  void p.then(() => { state.done = true })
  return state
}

describe('backoffDelay', () => {
  it('doubles from the base up to the cap', () => {
    const opts = { baseMs: 100, capMs: 1_000 }
    expect([1, 2, 3, 4, 5, 6].map(n => backoffDelay(n, opts))).toEqual([100, 200, 400, 800, 1_000, 1_000])
    expect(backoffDelay(0, opts)).toBe(100)
    expect(backoffDelay(5_000, opts)).toBe(1_000)
    // a cap below the base wins
    expect(backoffDelay(1, { baseMs: 500, capMs: 200 })).toBe(200)
  })

  it('takes off at most the jitter share, at random', () => {
    expect(backoffDelay(3, { baseMs: 100, capMs: 1_000, jitter: 0.5, random: () => 0 })).toBe(400)
    expect(backoffDelay(3, { baseMs: 100, capMs: 1_000, jitter: 0.5, random: () => 0.5 })).toBe(300)
    expect(backoffDelay(3, { baseMs: 100, capMs: 1_000, jitter: 1, random: () => 0.75 })).toBe(100)
  })

  it('stays between (1 - jitter) of the capped delay and the capped delay', () => {
    fc.assert(fc.property(
      fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 1, max: 60_000 }), fc.integer({ min: 1, max: 600_000 }),
      fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
      (attempt, baseMs, capMs, jitter, r) => {
        const exp = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1))
        const d = backoffDelay(attempt, { baseMs, capMs, jitter, random: () => r })
        return Number.isInteger(d) && d <= capMs && d <= exp && d >= Math.floor(exp * (1 - jitter))
      }))
  })

  it('refuses options that make no sense', () => {
    expect(() => backoffDelay(1, { baseMs: 0, capMs: 10 })).toThrow(/base/)
    expect(() => backoffDelay(1, { baseMs: 100, capMs: 0 })).toThrow(/cap/)
    expect(() => backoffDelay(1, { baseMs: 1, capMs: 10, jitter: 1.5 })).toThrow(/jitter/)
    expect(() => new Backoff({ baseMs: Number.NaN, capMs: 10 })).toThrow(expect.objectContaining({ name: 'InvalidParametersError' }))
  })
})

describe('Backoff', () => {
  it('grows with each failure and starts over after reset', () => {
    const b = new Backoff({ baseMs: 50, capMs: 300 })
    expect([b.next(), b.next(), b.next(), b.next(), b.next()]).toEqual([50, 100, 200, 300, 300])
    expect(b.attempts).toBe(5)
    b.reset()
    expect(b.attempts).toBe(0)
    expect(b.next()).toBe(50)
  })
})

describe('sleep and Wakeup (fake clock)', () => {
  beforeEach(() => { vi.useFakeTimers() })
  afterEach(() => { vi.useRealTimers() })

  it('sleep resolves after its time, not before', async () => {
    const s = track(sleep(1_000))
    await vi.advanceTimersByTimeAsync(999)
    expect(s.done).toBe(false)
    await vi.advanceTimersByTimeAsync(1)
    expect(s.done).toBe(true)
  })

  it('sleep ends when its signal aborts, and at once on an aborted one', async () => {
    const controller = new AbortController()
    const s = track(sleep(60_000, { signal: controller.signal }))
    await vi.advanceTimersByTimeAsync(10)
    expect(s.done).toBe(false)
    controller.abort()
    await vi.advanceTimersByTimeAsync(0)
    expect(s.done).toBe(true)
    expect(vi.getTimerCount()).toBe(0)

    const t = track(sleep(60_000, { signal: controller.signal }))
    await vi.advanceTimersByTimeAsync(0)
    expect(t.done).toBe(true)
  })

  it('a wait ends on notify, on its timeout, or on abort', async () => {
    const w = new Wakeup()
    const a = track(w.wait(60_000))
    await vi.advanceTimersByTimeAsync(100)
    expect(a.done).toBe(false)
    w.notify()
    await vi.advanceTimersByTimeAsync(0)
    expect(a.done).toBe(true)
    expect(vi.getTimerCount()).toBe(0)

    const b = track(w.wait(500))
    await vi.advanceTimersByTimeAsync(499)
    expect(b.done).toBe(false)
    await vi.advanceTimersByTimeAsync(1)
    expect(b.done).toBe(true)

    const controller = new AbortController()
    const c = track(w.wait(60_000, { signal: controller.signal }))
    await vi.advanceTimersByTimeAsync(100)
    controller.abort()
    await vi.advanceTimersByTimeAsync(0)
    expect(c.done).toBe(true)
  })

  it('a notify while nobody waits is kept for the next wait, once', async () => {
    const w = new Wakeup()
    w.notify()
    w.notify()
    const first = track(w.wait(60_000))
    await vi.advanceTimersByTimeAsync(0)
    expect(first.done).toBe(true)
    const second = track(w.wait(60_000))
    await vi.advanceTimersByTimeAsync(1_000)
    expect(second.done).toBe(false)
    w.notify()
    await vi.advanceTimersByTimeAsync(0)
    expect(second.done).toBe(true)
  })

  it('a notify wakes every waiter and is not kept for later ones', async () => {
    const w = new Wakeup()
    const a = track(w.wait(60_000))
    const b = track(w.wait(60_000))
    w.notify()
    await vi.advanceTimersByTimeAsync(0)
    expect([a.done, b.done]).toEqual([true, true])
    const c = track(w.wait(60_000))
    await vi.advanceTimersByTimeAsync(1_000)
    expect(c.done).toBe(false)
    w.notify()
    await vi.advanceTimersByTimeAsync(0)
    expect(c.done).toBe(true)
  })
})

describe('KeyedRetries', () => {
  it('one waiting try per key; the first waits firstMs, then the backoff grows until the key is forgotten', async () => {
    const retries = new KeyedRetries({ firstMs: 5, baseMs: 20, capMs: 40 })
    const runs: Array<{ key: string, at: number }> = []
    const t0 = Date.now()
    const run = (key: string) => () => { runs.push({ key, at: Date.now() - t0 }) }
    expect(retries.waiting('a')).toBe(false)
    retries.schedule('a', run('a'))
    expect(retries.waiting('a')).toBe(true)
    retries.schedule('a', run('a')) // already waiting: ignored
    await waitFor(() => runs.length === 1, 'the first try')
    expect(retries.waiting('a')).toBe(false)
    retries.schedule('a', run('a')) // second try: the base delay
    await waitFor(() => runs.length === 2, 'the second try')
    expect(runs[1].at - runs[0].at).toBeGreaterThanOrEqual(19)
    retries.forget('a')
    retries.schedule('a', run('a')) // forgotten: firstMs again
    retries.schedule('b', run('b'))
    retries.forget('b') // its waiting try goes with it
    await waitFor(() => runs.length === 3, 'the try after forget')
    retries.clear()
    expect(runs.map(r => r.key)).toEqual(['a', 'a', 'a'])
  })
})
