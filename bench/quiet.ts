/**
 * The latency benches time a mesh at work, not one starting up. Measured
 * (session 20, presence.propagation's 10 nodes in one process): once every
 * watcher saw the presentity online, the process stayed fully busy for about
 * 7 s (kad-dht filling its tables, the first presence and locator puts,
 * identify), then used 1-2% of the event loop, 16-29% while changes ran.
 * Runs begun inside that burst were the slowest of a series of 600 (session
 * 19's first block of 200 had p99 37 ms, the next two 18 and 11 ms), so which
 * kind the burst happened to hit decided the p99 ratio. The warm-up and the
 * runs begin once the processes are quiet: the busiest one's event loop under
 * QUIET_UTILISATION in QUIET_WINDOWS windows of QUIET_WINDOW_MS in a row, or
 * after QUIET_MAX_MS whatever the load (the notes then say so).
 */
import { performance } from 'node:perf_hooks'
import type { EventLoopUtilization } from 'node:perf_hooks'

export const QUIET_UTILISATION = 0.2
export const QUIET_WINDOW_MS = 1_000
export const QUIET_WINDOWS = 2
export const QUIET_MAX_MS = 60_000

export interface QuietOptions {
  utilisation?: number
  windowMs?: number
  windows?: number
  maxMs?: number
}

export interface Quiet {
  /** The rule waited for: utilisation under `threshold` in `windows` windows of `windowMs` in a row. */
  threshold: number
  windowMs: number
  windows: number
  /** ms from the start of the wait until quiet (or until the bound). */
  waitedMs: number
  /** The busiest process's event-loop utilisation in the last window. */
  utilisation: number
  /** False: the bound was reached first. */
  quiet: boolean
}

/** A sampler of this process's event-loop utilisation since its previous call (the first: since it was made). */
export function utilisationSampler (): () => number {
  let last: EventLoopUtilization = performance.eventLoopUtilization()
  return () => {
    const now = performance.eventLoopUtilization()
    const d = performance.eventLoopUtilization(now, last)
    last = now
    return d.utilization
  }
}

/** Waits until `sample` (the busiest process's utilisation since its previous call) stays under the threshold for the given windows. */
export async function untilQuiet (sample: () => number | Promise<number>, opts: QuietOptions = {}): Promise<Quiet> {
  const threshold = opts.utilisation ?? QUIET_UTILISATION
  const windowMs = opts.windowMs ?? QUIET_WINDOW_MS
  const needed = opts.windows ?? QUIET_WINDOWS
  const maxMs = opts.maxMs ?? QUIET_MAX_MS
  const t0 = performance.now()
  await sample()
  let inRow = 0
  let utilisation = 1
  while (true) {
    await new Promise(resolve => setTimeout(resolve, windowMs))
    utilisation = await sample()
    inRow = utilisation < threshold ? inRow + 1 : 0
    const waitedMs = performance.now() - t0
    const rule = { threshold, windowMs, windows: needed }
    if (inRow >= needed) return { ...rule, waitedMs, utilisation, quiet: true }
    if (waitedMs >= maxMs) return { ...rule, waitedMs, utilisation, quiet: false }
  }
}

/** What the notes of a result say about the wait. */
export function quietNote (q: Quiet): string {
  const u = `${(q.utilisation * 100).toFixed(0)}%`
  return q.quiet
    ? `runs began once the mesh was quiet (event loop under ${(q.threshold * 100).toFixed(0)}% for ${(q.windows * q.windowMs / 1000).toFixed(1)} s, ${(q.waitedMs / 1000).toFixed(1)} s after set-up; last window ${u})`
    : `the mesh was still busy ${(q.waitedMs / 1000).toFixed(0)} s after set-up (event loop ${u}): runs began anyway`
}
