import { RateLimiter } from '@libp2p/utils'
import fc from 'fast-check'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { WindowCounter } from '../../../node/util/window-counter.js'

describe('WindowCounter', () => {
  afterEach(() => { vi.useRealTimers() })

  it('allows `points` calls per key in a window, then refuses until the window ends', () => {
    let now = 1_000
    const c = new WindowCounter(3, 10_000, 100, () => now)
    expect([1, 2, 3, 4].map(() => c.take('a'))).toEqual([true, true, true, false])
    // another key has its own window
    expect(c.take('b')).toBe(true)
    now += 9_999
    expect(c.take('a')).toBe(false)
    now += 1
    expect([1, 2, 3, 4].map(() => c.take('a'))).toEqual([true, true, true, false])
  })

  it('drops ended windows when a new key comes while it holds maxKeys keys, at most once per window, and keeps the live ones', () => {
    let now = 0
    const c = new WindowCounter(1, 1_000, 4, () => now)
    for (const k of ['a', 'b', 'c', 'd']) c.take(k)
    now = 500
    c.take('e')
    // nothing had ended: all five are held, and still counted
    expect(c.size).toBe(5)
    expect(c.take('a')).toBe(false)
    now = 1_200
    // a to d ended, but the last sweep was less than a window ago
    c.take('f')
    expect(c.size).toBe(6)
    now = 1_600
    // a to e ended: dropped when the next new key comes
    expect(c.take('g')).toBe(true)
    expect(c.size).toBe(2)
    expect(c.take('f')).toBe(false)
  })

  it('decides as @libp2p/utils RateLimiter does, for any calls over time', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 4 }), fc.array(fc.record({ key: fc.constantFrom('a', 'b', 'c'), after: fc.integer({ min: 0, max: 700 }) }), { maxLength: 60 }), (points, calls) => {
      vi.useFakeTimers({ now: 1_000_000 })
      try {
        const theirs = new RateLimiter({ points, duration: 1 })
        const ours = new WindowCounter(points, 1_000)
        for (const { key, after } of calls) {
          vi.advanceTimersByTime(after)
          let allowed = true
          try { theirs.consume(key) } catch { allowed = false }
          expect(ours.take(key)).toBe(allowed)
        }
      } finally {
        vi.useRealTimers()
      }
    }), { numRuns: 200 })
  })

  it('schedules no timer and makes no Date per call', () => {
    // Date stays real: a spy on a fake Date, restored (restoreMocks) after the timers, would leave the fake one behind
    vi.useFakeTimers({ toFake: ['setTimeout'] })
    const c = new WindowCounter(10, 1_000)
    const spy = vi.spyOn(globalThis, 'Date')
    try {
      for (const k of ['a', 'b', 'a']) c.take(k)
      expect(vi.getTimerCount()).toBe(0)
      expect(spy).not.toHaveBeenCalled()
    } finally {
      spy.mockRestore()
    }
  })
})
