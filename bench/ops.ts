/** Throughput measurement for CPU-bound operations (sign, verify, decode). */
import { performance } from 'node:perf_hooks'

export interface OpsSubject {
  name: string
  /** One operation; may be async (awaited, as a caller would). */
  op: () => unknown
}

/** Runs op for about ms milliseconds, returns operations per second. */
async function opsFor (op: () => unknown, ms: number): Promise<number> {
  let n = 0
  const start = performance.now()
  let now = start
  while (now - start < ms) {
    // batches keep clock reads out of the measured cost
    for (let i = 0; i < 50; i++) {
      const r = op()
      if (r instanceof Promise) await r
    }
    n += 50
    now = performance.now()
  }
  return n / ((now - start) / 1000)
}

/**
 * Measures every subject in interleaved rounds (so drift from other load on the
 * machine hits all of them alike) and returns the best round of each: on a
 * shared machine other processes only ever slow a round down, so the fastest
 * round is the closest to what the code itself costs.
 */
export async function measureOps (subjects: OpsSubject[], opts: { rounds?: number, ms?: number, warmupMs?: number } = {}): Promise<Map<string, number>> {
  const rounds = opts.rounds ?? 7
  const ms = opts.ms ?? 400
  for (const s of subjects) await opsFor(s.op, opts.warmupMs ?? 200)
  const samples = new Map<string, number[]>(subjects.map(s => [s.name, []]))
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? subjects : [...subjects].reverse()
    for (const s of order) samples.get(s.name)!.push(await opsFor(s.op, ms))
  }
  return new Map([...samples].map(([k, v]) => [k, Math.max(...v)]))
}
