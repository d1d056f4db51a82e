/**
 * What one process of presence.scale costs while idle (bench/scale-child.ts
 * runs it in the measured node and in the bare node alike, compiled, on
 * `node --expose-gc`):
 *
 * - CPU: user + system time per wall second over the idle window, with no
 *   forced GC inside it (a forced GC costs more on a larger heap, so it would
 *   tilt the comparison). The window begins after one memory-reducing GC and
 *   a second (session 13): the garbage a process made while starting (a
 *   1,000-contact node restarting, the bench adding its contacts one by one
 *   before that) is not what it costs to idle, and V8 collects it once, not
 *   every minute; until then one or two mark-compacts of it (0.1-0.7 s of
 *   CPU, main thread and GC helpers) fell inside the window whenever V8's
 *   memory reducer ran there (sessions 10-12). Then it waits for V8's memory
 *   reducer's round (bench/gc-settle.ts, session 16): a mark-compact, that GC
 *   too, arms the reducer, whose one to three GCs fell inside the window in
 *   sessions 13-15 (PM_BENCH_SCALE_SETTLE=off skips the wait). The window's
 *   GCs are counted (scavenges, mark-compacts, the reducer's) and its CPU
 *   given per minute too.
 * - Memory: after the window, SAMPLES readings, each after a full
 *   memory-reducing GC (V8's low-memory notification: mark-compacts until
 *   nothing more is freed, which also shrinks the young generation; asked
 *   through the in-process inspector, `HeapProfiler.collectGarbage`) and a
 *   second for V8's unmapper thread to hand the freed pages back; the median
 *   of each figure. RSS taken right after a GC still counts pages the
 *   unmapper has not returned yet. The RSS and heapUsed sampled (without GC)
 *   through the window are reported beside it, as medians.
 *
 *   Not `gc({ type: 'major', execution: 'sync', flavor: 'last-resort' })`,
 *   which this file used until session 9: Node 20's V8 (11.3) does not read
 *   that options bag and runs a scavenge (the young generation only; see
 *   `node --expose-gc --trace-gc`). Old-space garbage then stayed in the
 *   figure whenever V8 had run no mark-compact of its own for a while: the
 *   "unexplained ~220 MiB" of session 8.
 *
 * PM_BENCH_PROFILE=dir: also a V8 CPU profile of the idle window, written to
 * dir (the profiler's cost lands in the CPU figure, and it holds memory of
 * its own: rows of such runs are diagnostics, not results).
 * PM_BENCH_TRACE_GC=1: V8's --trace-gc around the window (bench/scale-child.ts), its begin and end marked.
 * PM_BENCH_THREADS=dir: also the window's CPU per thread and its GCs by kind
 * (bench/thread-cpu.ts), written to dir/<tag>-<pid>.threads.json.
 * PM_BENCH_HEAP=dir: before the readings, one reading after the old call
 * above (to compare within a run); after them a heap snapshot, and the
 * figures (per heap space) right before and after it
 * (dir/<tag>-<pid>.heap.json).
 */
import fs from 'node:fs/promises'
import { Session } from 'node:inspector/promises'
import path from 'node:path'
import { PerformanceObserver, constants } from 'node:perf_hooks'
import v8 from 'node:v8'
import { startCpuProfile } from './cpu-profile.js'
import { settleAfterGc } from './gc-settle.js'
import type { SettleFigures } from './gc-settle.js'
import { startThreadCpu } from './thread-cpu.js'

export interface MemoryFigures {
  rss: number
  heapTotal: number
  heapUsed: number
  external: number
  arrayBuffers: number
  /** The young generation's committed size (V8's new space). */
  newSpace: number
  rssAnon?: number
  rssFile?: number
  /** Bytes used in each V8 heap space (old_space, large_object_space, code_space, ...): where heapUsed sits. */
  spaces?: Record<string, number>
}

export interface IdleFigures {
  /** CPU seconds per wall second over the window. */
  cpu: number
  /** Medians of the readings after a memory-reducing GC. */
  memory: MemoryFigures
  /** Lowest and highest RSS of those readings. */
  rssRange: [number, number]
  /** Median RSS and heapUsed sampled through the window, no GC. */
  rssIdle: number
  heapUsedIdle: number
  /** How the wait for V8's memory reducer after the first GC ended (bench/gc-settle.ts); missing when PM_BENCH_SCALE_SETTLE=off. */
  settle?: SettleFigures
  /** The window's GCs: scavenges, mark-compacts, and of those the memory reducer's (V8's callback flag kGCCallbackFlagCollectAllExternalMemory). */
  windowGcs: { scavenges: number, majors: number, reducer: number }
  /** CPU seconds per wall second over each whole minute of the window. */
  cpuByMinute: number[]
}

export const SAMPLES = 5
const IDLE_SAMPLE_MS = 5_000
const UNMAP_WAIT_MS = 1_000

export function median (values: number[]): number {
  if (values.length === 0) return NaN
  const s = [...values].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2
}

/** The median of each figure over the samples (figures missing in any sample stay missing). */
export function medianFigures (samples: MemoryFigures[]): MemoryFigures {
  const of = (k: Exclude<keyof MemoryFigures, 'spaces'>): number | undefined => samples.some(s => s[k] == null) ? undefined : median(samples.map(s => s[k] as number))
  return {
    rss: of('rss') ?? NaN,
    heapTotal: of('heapTotal') ?? NaN,
    heapUsed: of('heapUsed') ?? NaN,
    external: of('external') ?? NaN,
    arrayBuffers: of('arrayBuffers') ?? NaN,
    newSpace: of('newSpace') ?? NaN,
    rssAnon: of('rssAnon'),
    rssFile: of('rssFile'),
    spaces: samples.every(s => s.spaces != null) ? medianSpaces(samples.map(s => s.spaces as Record<string, number>)) : undefined
  }
}

function medianSpaces (spaces: Array<Record<string, number>>): Record<string, number> {
  const names = [...new Set(spaces.flatMap(s => Object.keys(s)))]
  return Object.fromEntries(names.map(n => [n, median(spaces.map(s => s[n] ?? 0))]))
}

const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

/** A full memory-reducing GC (V8's low-memory notification) through an inspector session of this process. */
async function memoryReducingGc (session: Session): Promise<void> {
  await session.post('HeapProfiler.collectGarbage')
}

async function readMemory (): Promise<MemoryFigures> {
  const mem = process.memoryUsage()
  // file-backed pages (LevelDB maps its tables, the binary's code) count in RSS too: report the split
  const status = await fs.readFile('/proc/self/status', 'utf8').catch(() => '')
  const kib = (field: string): number | undefined => { const m = status.match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm')); return m == null ? undefined : Number(m[1]) * 1024 }
  const heapSpaces = v8.getHeapSpaceStatistics()
  const newSpace = heapSpaces.find(s => s.space_name === 'new_space')?.space_size ?? NaN
  const spaces = Object.fromEntries(heapSpaces.map(s => [s.space_name, s.space_used_size]))
  return { rss: mem.rss, heapTotal: mem.heapTotal, heapUsed: mem.heapUsed, external: mem.external, arrayBuffers: mem.arrayBuffers, newSpace, rssAnon: kib('RssAnon'), rssFile: kib('RssFile'), spaces }
}

const mark = (tag: string, what: string): void => { if (process.env.PM_BENCH_TRACE_GC != null && process.env.PM_BENCH_TRACE_GC !== '') console.log(`[idle ${tag} ${process.pid}] ${what} at ${performance.now().toFixed(0)} ms`) }

/**
 * Before the window: one memory-reducing GC, then the wait for V8's memory
 * reducer (bench/gc-settle.ts; PM_BENCH_SCALE_SETTLE=off: none, as until
 * session 16). The caller lets every side settle, then starts their windows together.
 */
export async function settleForIdle (tag: string): Promise<SettleFigures | undefined> {
  const before = new Session()
  before.connect()
  try {
    await memoryReducingGc(before)
  } finally {
    before.disconnect()
  }
  await sleep(UNMAP_WAIT_MS)
  if (process.env.PM_BENCH_SCALE_SETTLE === 'off') return undefined
  mark(tag, 'settle begins')
  const settle = await settleAfterGc()
  mark(tag, `settle ends (${settle.why})`)
  return settle
}

/** Idles `ms` (after settleForIdle), then reads the memory; `tag` names the profile files. */
export async function measureIdle (ms: number, tag: string, settle: SettleFigures | undefined): Promise<IdleFigures> {
  const windowGcs = countGcs()
  const profileDir = process.env.PM_BENCH_PROFILE
  const profiler = profileDir != null && profileDir !== '' ? await startCpuProfile(1000) : undefined
  const threadsDir = process.env.PM_BENCH_THREADS
  const threads = threadsDir != null && threadsDir !== '' ? await startThreadCpu(threadsDir, tag) : undefined
  const idleRss: number[] = []
  const idleHeap: number[] = []
  mark(tag, 'window begins')
  const cpu0 = process.cpuUsage()
  const t0 = process.hrtime.bigint()
  const end = Date.now() + ms
  // CPU per minute of the window too (a longer window shows whether a cost recurs)
  const cpuByMinute: number[] = []
  let minute = { cpu: cpu0, at: t0 }
  while (Date.now() < end) {
    await sleep(Math.min(IDLE_SAMPLE_MS, end - Date.now()))
    const now = process.hrtime.bigint()
    if (now - minute.at >= 60_000_000_000n) {
      const c = process.cpuUsage(minute.cpu)
      cpuByMinute.push((c.user + c.system) / (Number(now - minute.at) / 1e3))
      minute = { cpu: process.cpuUsage(), at: now }
    }
    const mem = process.memoryUsage()
    idleRss.push(mem.rss)
    idleHeap.push(mem.heapUsed)
  }
  const cpu = process.cpuUsage(cpu0)
  const wall = Number(process.hrtime.bigint() - t0) / 1e3
  mark(tag, 'window ends')
  const gcs = windowGcs()
  await threads?.()
  if (profiler != null && profileDir != null) await profiler.stopTo(path.join(profileDir, `${tag}-${process.pid}.cpuprofile`))
  const heapDir = process.env.PM_BENCH_HEAP
  const diagnostics = heapDir != null && heapDir !== '' ? new HeapDiagnostics(path.join(heapDir, `${tag}-${process.pid}`)) : undefined
  await diagnostics?.oldReading()
  const session = new Session()
  session.connect()
  const samples: MemoryFigures[] = []
  try {
    for (let i = 0; i < SAMPLES; i++) {
      await memoryReducingGc(session)
      await sleep(UNMAP_WAIT_MS)
      samples.push(await readMemory())
    }
  } finally {
    session.disconnect()
  }
  await diagnostics?.snapshot()
  const rssSamples = samples.map(s => s.rss)
  return {
    cpu: (cpu.user + cpu.system) / wall,
    memory: medianFigures(samples),
    rssRange: [Math.min(...rssSamples), Math.max(...rssSamples)],
    rssIdle: median(idleRss),
    heapUsedIdle: median(idleHeap),
    settle,
    windowGcs: gcs,
    cpuByMinute
  }
}

/** Counts GCs from now; the returned function stops and gives the counts. */
function countGcs (): () => { scavenges: number, majors: number, reducer: number } {
  const counts = { scavenges: 0, majors: 0, reducer: 0 }
  const observer = new PerformanceObserver(list => {
    for (const e of list.getEntries()) {
      const detail = (e as unknown as { detail?: { kind?: number, flags?: number } }).detail
      if (detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR) { counts.scavenges++; continue }
      if (detail?.kind !== constants.NODE_PERFORMANCE_GC_MAJOR) continue
      counts.majors++
      if (((detail?.flags ?? 0) & constants.NODE_PERFORMANCE_GC_FLAGS_ALL_EXTERNAL_MEMORY) !== 0) counts.reducer++
    }
  })
  observer.observe({ entryTypes: ['gc'] })
  return () => { observer.disconnect(); return { ...counts } }
}

/** PM_BENCH_HEAP's figures, written to `<base>.heap.json`, and its snapshot `<base>.heapsnapshot`. */
class HeapDiagnostics {
  private readonly steps: Array<{ step: string, at: number, memory: MemoryFigures, heap: v8.HeapInfo }> = []

  constructor (private readonly base: string) {}

  /** What the readings were until session 9: after `gc()` with an options bag Node 20 ignores (a scavenge). */
  async oldReading (): Promise<void> {
    const gc = (globalThis as { gc?: (opts: object) => void }).gc
    if (gc == null) return
    gc({ type: 'major', execution: 'sync', flavor: 'last-resort' })
    await sleep(UNMAP_WAIT_MS)
    await this.note('1 s after gc({ type: major, execution: sync, flavor: last-resort }), the reading until session 9')
  }

  /** The figures right before and after a heap snapshot (whose own GC is a memory-reducing one). */
  async snapshot (): Promise<void> {
    await this.note('after the readings')
    await fs.mkdir(path.dirname(this.base), { recursive: true })
    v8.writeHeapSnapshot(`${this.base}.heapsnapshot`)
    await this.note('right after the snapshot')
    await fs.writeFile(`${this.base}.heap.json`, JSON.stringify(this.steps, null, 1))
  }

  private async note (step: string): Promise<void> {
    this.steps.push({ step, at: Date.now(), memory: await readMemory(), heap: v8.getHeapStatistics() })
  }
}

