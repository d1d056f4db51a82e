import { describe, expect, it } from 'vitest'
import { MAX_MS, QUIET_MS, WATCHDOG_QUIET_MS, settleState } from '../../bench/gc-settle.js'

describe('presence.scale settle rule (V8 memory reducer)', () => {
  it('waits while the reducer may still run: no reducer GC yet and less than the watchdog since the last mark-compact', () => {
    expect(settleState([], QUIET_MS + 1)).toEqual({ settled: false })
    expect(settleState([{ atMs: 9_000, reducer: false }], 9_000 + QUIET_MS + 1)).toEqual({ settled: false })
  })

  it('ends QUIET_MS after the reducer round\'s last mark-compact, not before', () => {
    const round = [{ atMs: 20_000, reducer: true }, { atMs: 20_600, reducer: true }, { atMs: 21_200, reducer: true }]
    expect(settleState(round, 21_200 + QUIET_MS - 1)).toEqual({ settled: false })
    expect(settleState(round, 21_200 + QUIET_MS)).toEqual({ settled: true, why: 'reducer round done' })
    // a later plain mark-compact restarts the quiet span
    const later = [...round, { atMs: 30_000, reducer: false }]
    expect(settleState(later, 21_200 + QUIET_MS)).toEqual({ settled: false })
    expect(settleState(later, 30_000 + QUIET_MS)).toEqual({ settled: true, why: 'reducer round done' })
  })

  it('ends once no mark-compact came for longer than V8\'s 100 s watchdog (nothing armed)', () => {
    expect(WATCHDOG_QUIET_MS).toBeGreaterThan(108_000)
    expect(settleState([], WATCHDOG_QUIET_MS - 1)).toEqual({ settled: false })
    expect(settleState([], WATCHDOG_QUIET_MS)).toEqual({ settled: true, why: 'no mark-compact past the watchdog' })
  })

  it('is bounded', () => {
    const busy = Array.from({ length: 30 }, (_, i) => ({ atMs: i * 8_000, reducer: false }))
    expect(settleState(busy, MAX_MS - 1)).toEqual({ settled: false })
    expect(settleState(busy, MAX_MS)).toEqual({ settled: true, why: 'bound reached' })
  })
})
