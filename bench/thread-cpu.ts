/**
 * PM_BENCH_THREADS=dir (presence.scale, bench/idle-measure.ts): where a
 * process's CPU goes over the idle window, per thread (Linux
 * /proc/self/task/<tid>/stat utime + stime, named by /proc/self/task/<tid>/comm:
 * "node" is the main thread, "V8 DefaultWorke" V8's platform workers (GC
 * helpers, compilers), "libuv-worker" libuv's pool (LevelDB, crypto, fs)),
 * and the GCs of the window by kind (a PerformanceObserver on 'gc' entries).
 * Written to dir/<tag>-<pid>.threads.json; the figures beside it are the
 * same measurement's, so the observer's cost lands on both sides alike.
 */
import fs from 'node:fs/promises'
import path from 'node:path'
import { PerformanceObserver, constants } from 'node:perf_hooks'
import v8 from 'node:v8'

const TICKS_PER_S = 100

interface ThreadTicks { tid: string, name: string, ticks: number }

async function readThreads (): Promise<ThreadTicks[]> {
  const tids = await fs.readdir('/proc/self/task').catch(() => [] as string[])
  const out: ThreadTicks[] = []
  for (const tid of tids) {
    try {
      const stat = await fs.readFile(`/proc/self/task/${tid}/stat`, 'utf8')
      const name = (await fs.readFile(`/proc/self/task/${tid}/comm`, 'utf8')).trim()
      // fields after "pid (comm) ": state is field 3, utime 14, stime 15
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      out.push({ tid, name, ticks: Number(rest[11]) + Number(rest[12]) })
    } catch {
      // the thread ended between readdir and read
    }
  }
  return out
}

const GC_KINDS: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'scavenge',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'mark-compact',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental marking',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weak callbacks'
}

/** Starts counting; the returned function stops and writes the window's figures to `dir/<tag>-<pid>.threads.json`. */
export async function startThreadCpu (dir: string, tag: string): Promise<() => Promise<void>> {
  const gcs: Record<string, { count: number, ms: number }> = {}
  const observer = new PerformanceObserver(list => {
    for (const e of list.getEntries()) {
      const kind = GC_KINDS[(e as unknown as { detail?: { kind?: number } }).detail?.kind ?? -1] ?? 'other'
      const g = gcs[kind] ??= { count: 0, ms: 0 }
      g.count++
      g.ms += e.duration
    }
  })
  observer.observe({ entryTypes: ['gc'] })
  const heap0 = v8.getHeapStatistics()
  const before = await readThreads()
  const t0 = Date.now()
  return async () => {
    const after = await readThreads()
    const wallS = (Date.now() - t0) / 1000
    observer.disconnect()
    const start = new Map(before.map(t => [t.tid, t.ticks]))
    const threads = after.map(t => ({ tid: t.tid, name: t.name, cpuS: (t.ticks - (start.get(t.tid) ?? 0)) / TICKS_PER_S, new: !start.has(t.tid) }))
    const byName: Record<string, number> = {}
    for (const t of threads) byName[t.name] = Math.round(((byName[t.name] ?? 0) + t.cpuS) * 100) / 100
    const heap1 = v8.getHeapStatistics()
    const figures = {
      tag,
      wallS,
      cpuSByName: byName,
      threads,
      ended: before.filter(t => !after.some(a => a.tid === t.tid)).map(t => t.name),
      gcs,
      heap: { start: heap0, end: heap1 }
    }
    await fs.mkdir(dir, { recursive: true })
    await fs.writeFile(path.join(dir, `${tag}-${process.pid}.threads.json`), JSON.stringify(figures, null, 1))
  }
}
