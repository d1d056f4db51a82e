/**
 * PM_BENCH_THREADS=dir (presence.scale, bench/idle-measure.ts): where a
 * process's CPU goes over the idle window, per thread (Linux
 * /proc/self/task/<tid>/stat utime + stime, named by /proc/self/task/<tid>/comm:
 * "node" is the main thread, "V8 DefaultWorke" V8's platform workers (GC
 * helpers, compilers), "libuv-worker" libuv's pool (LevelDB, crypto, fs)),
 * and the GCs of the window by kind (a PerformanceObserver on 'gc' entries).
 * Written to dir/<tag>-<pid>.threads.json (PM_BENCH_PERF=dir: a perf record too); the figures beside it are the
 * same measurement's, so the observer's cost lands on both sides alike.
 */
import fs from 'node:fs/promises'
import { spawn } from 'node:child_process'
import path from 'node:path'
import { PerformanceObserver, constants } from 'node:perf_hooks'
import v8 from 'node:v8'

const TICKS_PER_S = 100

interface ThreadTicks { tid: string, name: string, ticks: number, user: number, system: number }

async function readThreads (): Promise<ThreadTicks[]> {
  const tids = await fs.readdir('/proc/self/task').catch(() => [] as string[])
  const out: ThreadTicks[] = []
  for (const tid of tids) {
    try {
      const stat = await fs.readFile(`/proc/self/task/${tid}/stat`, 'utf8')
      const name = (await fs.readFile(`/proc/self/task/${tid}/comm`, 'utf8')).trim()
      // fields after "pid (comm) ": state is field 3, utime 14, stime 15
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      out.push({ tid, name, ticks: Number(rest[11]) + Number(rest[12]), user: Number(rest[11]), system: Number(rest[12]) })
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

const GC_FLAGS = Object.entries(constants).filter(([k]) => k.startsWith('NODE_PERFORMANCE_GC_FLAGS_') && !k.endsWith('_NO'))

function gcFlags (flags: number): string[] {
  return GC_FLAGS.filter(([, v]) => (flags & v) !== 0).map(([k]) => k.slice('NODE_PERFORMANCE_GC_FLAGS_'.length).toLowerCase())
}

/** Starts counting; the returned function stops and writes the window's figures to `dir/<tag>-<pid>.threads.json`. */
export async function startThreadCpu (dir: string, tag: string): Promise<() => Promise<void>> {
  const gcs: Record<string, { count: number, ms: number }> = {}
  // each GC but a scavenge, with V8's callback flags: a memory reducer's GC carries SCHEDULE_IDLE
  const majors: Array<{ kind: string, atS: number, ms: number, flags: string[] }> = []
  const observer = new PerformanceObserver(list => {
    for (const e of list.getEntries()) {
      const detail = (e as unknown as { detail?: { kind?: number, flags?: number } }).detail
      const kind = GC_KINDS[detail?.kind ?? -1] ?? 'other'
      const g = gcs[kind] ??= { count: 0, ms: 0 }
      g.count++
      g.ms += e.duration
      if (kind !== 'scavenge') majors.push({ kind, atS: Math.round((Date.now() - t0) / 100) / 10, ms: Math.round(e.duration * 10) / 10, flags: gcFlags(detail?.flags ?? 0) })
    }
  })
  observer.observe({ entryTypes: ['gc'] })
  let t0 = Date.now()
  const heap0 = v8.getHeapStatistics()
  const perfDir = process.env.PM_BENCH_PERF
  const perf = perfDir != null && perfDir !== '' ? await startPerf(path.join(perfDir, `${tag}-${process.pid}.perf.data`)) : undefined
  const before = await readThreads()
  t0 = Date.now()
  return async () => {
    const after = await readThreads()
    const wallS = (Date.now() - t0) / 1000
    observer.disconnect()
    await perf?.()
    const start = new Map(before.map(t => [t.tid, t]))
    const threads = after.map(t => ({
      tid: t.tid,
      // Node 20 leaves its threads unnamed ("node"): the main thread's tid is the pid
      name: t.tid === String(process.pid) ? 'main' : t.name,
      cpuS: (t.ticks - (start.get(t.tid)?.ticks ?? 0)) / TICKS_PER_S,
      userS: (t.user - (start.get(t.tid)?.user ?? 0)) / TICKS_PER_S,
      systemS: (t.system - (start.get(t.tid)?.system ?? 0)) / TICKS_PER_S,
      new: !start.has(t.tid)
    }))
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
      majors,
      heap: { start: heap0, end: heap1 }
    }
    await fs.mkdir(dir, { recursive: true })
    await fs.writeFile(path.join(dir, `${tag}-${process.pid}.threads.json`), JSON.stringify(figures, null, 1))
  }
}

/**
 * PM_BENCH_PERF=dir (with PM_BENCH_THREADS): `perf record -g` of this process
 * over the window (run with NODE_OPTIONS=--perf-basic-prof for JavaScript
 * frames' names); the returned function ends it.
 */
async function startPerf (file: string): Promise<() => Promise<void>> {
  await fs.mkdir(path.dirname(file), { recursive: true })
  const child = spawn('perf', ['record', '-F', '999', '-g', '-p', String(process.pid), '-o', file], { stdio: 'ignore' })
  await new Promise(resolve => setTimeout(resolve, 500))
  return async () => {
    const ended = new Promise(resolve => { child.once('exit', resolve) })
    child.kill('SIGINT')
    await ended
  }
}
