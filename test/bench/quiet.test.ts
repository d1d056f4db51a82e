import { describe, expect, it } from 'vitest'
import { quietNote, untilQuiet } from '../../bench/quiet.js'

/** A sampler that answers the given utilisations in turn (the first call starts the count), then the last one for ever. */
const scripted = (values: number[]): { sample: () => number, calls: () => number } => {
  let i = 0
  return { sample: () => values[Math.min(i++, values.length - 1)], calls: () => i }
}

describe('latency benches wait for a quiet mesh (bench/quiet.ts)', () => {
  it('waits for the given windows in a row under the threshold; a busy window starts the count again', async () => {
    // first call: the baseline; then busy, quiet, busy, quiet, quiet
    const s = scripted([1, 0.9, 0.1, 0.5, 0.05, 0.1, 0.9])
    const q = await untilQuiet(s.sample, { utilisation: 0.2, windowMs: 1, windows: 2, maxMs: 10_000 })
    expect(q.quiet).toBe(true)
    expect(q.utilisation).toBe(0.1)
    expect(s.calls()).toBe(6)
    // the note says the rule it waited for, not the defaults
    expect(quietNote(q)).toMatch(/under 20% for 0\.0 s/)
    expect(quietNote(await untilQuiet(scripted([1, 0.05]).sample, { utilisation: 0.1, windowMs: 500, windows: 1, maxMs: 10_000 }))).toMatch(/under 10% for 0\.5 s/)
  })

  it('gives up at its bound and says so', async () => {
    const s = scripted([1])
    const q = await untilQuiet(s.sample, { utilisation: 0.2, windowMs: 5, windows: 2, maxMs: 30 })
    expect(q.quiet).toBe(false)
    expect(q.waitedMs).toBeGreaterThanOrEqual(30)
    expect(q.utilisation).toBe(1)
  })

  it('takes the busiest of several processes when the sampler says so', async () => {
    const a = scripted([0, 0.1, 0.1, 0.1])
    const b = scripted([0, 0.6, 0.1, 0.1])
    const q = await untilQuiet(async () => Math.max(a.sample(), b.sample()), { utilisation: 0.2, windowMs: 1, windows: 2, maxMs: 10_000 })
    expect(q.quiet).toBe(true)
    expect(a.calls()).toBe(4)
  })
})
