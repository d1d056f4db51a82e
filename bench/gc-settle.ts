/**
 * presence.scale's settle rule (bench/idle-measure.ts): the idle window begins
 * once V8's memory reducer has had its round, on every side alike.
 *
 * Why (V8 11.3, Node 20; heap/memory-reducer.cc): every mark-compact, the
 * bench's own memory-reducing GC included, arms the memory reducer when the
 * committed old generation is at least 10 MB and over 1.1x what it was after
 * the reducer's last round (a process that never had a round: any heap of
 * 10 MB). Armed, it looks every 8 s and starts an incremental mark-compact
 * (callback flag kGCCallbackFlagCollectAllExternalMemory) once the process
 * allocates slowly, or 100 s after the last mark-compact whatever the rate
 * (its watchdog); one to three GCs, 0.5 s apart when the rate is low. That
 * round is a one-time cost of a process that just grew (start-up), not what
 * idling costs; session 15 saw it decide the window's figure.
 *
 * So: after the memory-reducing GC, wait until either the reducer's round has
 * run (a GC with its flag) and then QUIET_MS passed with no mark-compact, or
 * WATCHDOG_QUIET_MS passed with no mark-compact at all (past V8's 100 s
 * watchdog: nothing is armed); at most MAX_MS in all.
 */
import { PerformanceObserver, constants } from 'node:perf_hooks'

/** After the reducer's last GC, this long with no mark-compact ends the settle. */
export const QUIET_MS = 15_000
/** V8's watchdog (100 s) plus its 8 s timer and slack: a mark-compact-free span this long means nothing was armed. */
export const WATCHDOG_QUIET_MS = 115_000
export const MAX_MS = 240_000

/** A mark-compact or the start of its incremental marking (scavenges are not listed). */
export interface GcEvent {
  /** ms since the settle began */
  atMs: number
  /** V8's memory reducer's (its callback flag kGCCallbackFlagCollectAllExternalMemory) */
  reducer: boolean
}

export type SettleState = { settled: false } | { settled: true, why: 'reducer round done' | 'no mark-compact past the watchdog' | 'bound reached' }

/** The rule above, given the non-scavenge GCs since the settle began (in order) and the time now. */
export function settleState (gcs: GcEvent[], nowMs: number): SettleState {
  const last = gcs.length > 0 ? gcs[gcs.length - 1].atMs : 0
  if (gcs.some(g => g.reducer) && nowMs - last >= QUIET_MS) return { settled: true, why: 'reducer round done' }
  if (nowMs - last >= WATCHDOG_QUIET_MS) return { settled: true, why: 'no mark-compact past the watchdog' }
  if (nowMs >= MAX_MS) return { settled: true, why: 'bound reached' }
  return { settled: false }
}

export interface SettleFigures {
  ms: number
  why: string
  /** the non-scavenge GCs of the settle, each with its time (s) and whether it was the reducer's */
  majors: Array<{ atS: number, reducer: boolean, ms: number }>
}

const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

/** Waits, checking each second, until settleState says settled. */
export async function settleAfterGc (): Promise<SettleFigures> {
  const gcs: Array<GcEvent & { ms: number }> = []
  const t0 = performance.now()
  const observer = new PerformanceObserver(list => {
    for (const e of list.getEntries()) {
      const detail = (e as unknown as { detail?: { kind?: number, flags?: number } }).detail
      if (detail?.kind !== constants.NODE_PERFORMANCE_GC_MAJOR && detail?.kind !== constants.NODE_PERFORMANCE_GC_INCREMENTAL) continue
      gcs.push({ atMs: e.startTime - t0, reducer: ((detail?.flags ?? 0) & constants.NODE_PERFORMANCE_GC_FLAGS_ALL_EXTERNAL_MEMORY) !== 0, ms: e.duration })
    }
  })
  observer.observe({ entryTypes: ['gc'] })
  try {
    for (;;) {
      await sleep(1_000)
      const state = settleState(gcs, performance.now() - t0)
      if (state.settled) {
        return { ms: Math.round(performance.now() - t0), why: state.why, majors: gcs.map(g => ({ atS: Math.round(g.atMs / 100) / 10, reducer: g.reducer, ms: Math.round(g.ms) })) }
      }
    }
  } finally {
    observer.disconnect()
  }
}
