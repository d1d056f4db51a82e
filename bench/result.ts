/** One row of bench/results.json (issue #6's format). ratio = value / baselineValue. */
export interface BenchResult {
  name: string
  value: number
  unit: string
  baseline: string
  baselineValue: number
  ratio: number
  nodes: number
  runs: number
  /** Transport, event-loop utilisation and anything else a reader needs to judge the figure. */
  notes?: string
}

export function result (r: Omit<BenchResult, 'ratio'>): BenchResult {
  return { ...r, ratio: r.baselineValue === 0 ? NaN : r.value / r.baselineValue }
}

/** The p-th percentile of values in any order. */
export const percentileOf = (values: number[], p: number): number => percentile([...values].sort((a, b) => a - b), p)

export function percentile (sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[i]
}

/**
 * The p-th percentile of each run of `block` consecutive values of `inOrder`
 * (a last, shorter block is left out): what one run of `block` runs would have
 * shown, for each such run within a longer one.
 */
export function blockPercentiles (inOrder: number[], block: number, p: number): number[] {
  const out: number[] = []
  for (let i = 0; i + block <= inOrder.length; i += block) out.push(percentile(inOrder.slice(i, i + block).sort((a, b) => a - b), p))
  return out
}

/**
 * For the notes: p99 of each `block` runs in order, of both kinds, and their
 * ratios (`what` says what such a block stands for); empty with fewer than two blocks.
 */
export function blocksNote (inOrder: { measured: number[], raw: number[] }, block: number, what: string): string {
  const m = blockPercentiles(inOrder.measured, block, 99)
  const r = blockPercentiles(inOrder.raw, block, 99)
  const n = Math.min(m.length, r.length)
  if (n < 2) return ''
  const f = (xs: number[]): string => xs.slice(0, n).map(x => x >= 100 ? x.toFixed(0) : x.toPrecision(3)).join(' / ')
  return `; p99 of each ${block} runs in order (${what}): ${f(m)} ms, raw ${f(r)} ms, ratios ${m.slice(0, n).map((x, i) => (x / r[i]).toFixed(2)).join(' / ')}`
}
