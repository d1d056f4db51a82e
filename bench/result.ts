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

export function percentile (sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[i]
}
