import { describe, expect, it } from 'vitest'
import { blockPercentiles, blocksNote } from '../../bench/result.js'

describe('bench statistics by blocks of runs', () => {
  it('gives the percentile of each block of consecutive runs, leaving out a last shorter block', () => {
    const inOrder = [...Array.from({ length: 100 }, (_, i) => 100 - i), ...Array.from({ length: 100 }, (_, i) => 1000 + i), 5, 6]
    // p99 of 100 is the second largest of the block
    expect(blockPercentiles(inOrder, 100, 99)).toEqual([99, 1098])
    expect(blockPercentiles(inOrder, 100, 50)).toEqual([50, 1049])
    expect(blockPercentiles(inOrder.slice(0, 99), 100, 99)).toEqual([])
    // the caller's order is left as it was
    expect(inOrder[0]).toBe(100)
  })

  it('notes both kinds block by block with their ratios, and nothing for a single block', () => {
    const measured = [...Array.from({ length: 100 }, () => 10), ...Array.from({ length: 100 }, () => 30)]
    const raw = Array.from({ length: 200 }, () => 20)
    expect(blocksNote({ measured, raw }, 100, 'one old run')).toBe('; p99 of each 100 runs in order (one old run): 10.0 / 30.0 ms, raw 20.0 / 20.0 ms, ratios 0.50 / 1.50')
    expect(blocksNote({ measured: measured.slice(0, 100), raw }, 100, 'x')).toBe('')
    // whole milliseconds from 100 ms on (no exponent for a slow run)
    expect(blocksNote({ measured: measured.map(x => x * 200), raw }, 100, 'x')).toContain(': 2000 / 6000 ms, raw 20.0 / 20.0 ms')
  })
})
