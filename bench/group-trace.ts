/**
 * An optional trace of one group.delivery child process (a diagnostic:
 * PM_BENCH_GROUP_TRACE=dir): from `listen` to `stop` it keeps every peer
 * store write with its caller's stack, every GC pause, every LevelDB batch,
 * each group topic validator call, each arrival of either kind and (on the
 * sender's process) each run's start, on process.hrtime's clock, and a V8
 * CPU profile (100 µs sampling) and V8's sampling heap profile (every
 * 1 KiB allocated, collected objects kept); at stop it writes them to
 * `dir/trace-<pid>.json`, `dir/cpu-<pid>.cpuprofile` and
 * `dir/heap-<pid>.heapprofile`. Hooks outside the product only.
 */
import fs from 'node:fs/promises'
import path from 'node:path'
import { Session } from 'node:inspector/promises'
import { performance, PerformanceObserver } from 'node:perf_hooks'
import { ClassicLevel } from 'classic-level'
import { startCpuProfile } from './cpu-profile.js'
import type { CpuProfiler } from './cpu-profile.js'
import type { PresenceNode } from '../node/presence-node.js'

export const TRACE_DIR = process.env.PM_BENCH_GROUP_TRACE

const now = (): number => Number(process.hrtime.bigint()) / 1e6

export interface GroupTrace {
  /** A run started (sender's process): `kind` g or r. */
  run: (kind: 'g' | 'r', key: string, t: number) => void
  arrived: (key: string, node: number, t: number) => void
  stop: () => Promise<void>
}

/** The frames of a stack outside the peer store and libp2p's internals, innermost first. */
function callerOf (stack: string): string {
  return stack.split('\n').slice(2).map(l => l.trim().replace(/^at (async )?/, '').replace(/\(.*?(node_modules\/|pm-bench-js-[^/]+\/)/, '(').replace(/:\d+\)$/, ')'))
    .filter(f => !f.includes('peer-store') && !f.includes('group-trace')).slice(0, 8).join(' < ')
}

export async function startGroupTrace (dir: string, nodes: Map<number, PresenceNode>): Promise<GroupTrace> {
  Error.stackTraceLimit = 40
  const offset = now() - performance.now()
  const gcs: Array<{ t: number, d: number, kind: number }> = []
  const obs = new PerformanceObserver(list => {
    for (const e of list.getEntries()) gcs.push({ t: e.startTime + offset, d: e.duration, kind: (e as any).detail?.kind ?? 0 })
  })
  obs.observe({ entryTypes: ['gc'] })
  const writes: Array<{ t: number, node: number, method: string, caller: string, what: string }> = []
  for (const [i, n] of nodes) {
    const store = n.libp2p.peerStore as unknown as Record<string, (...a: any[]) => Promise<unknown>>
    for (const method of ['merge', 'patch', 'save']) {
      const orig = store[method].bind(store)
      store[method] = async (...a: any[]) => {
        writes.push({ t: now(), node: i, method, caller: callerOf(new Error().stack ?? ''), what: Object.keys(a[1] ?? {}).join(',') + ':' + Object.keys(a[1]?.tags ?? {}).join(',') })
        return await orig(...a)
      }
    }
  }
  const batches: Array<{ t: number, d: number }> = []
  const proto = ClassicLevel.prototype as unknown as Record<string, (...a: unknown[]) => any>
  for (const m of ['_batch', '_put']) {
    const orig = proto[m]
    proto[m] = function (this: unknown, ...a: unknown[]) {
      const t = now()
      const settled = (): void => { batches.push({ t, d: now() - t }) }
      const r = orig.apply(this, a)
      if (typeof r?.then === 'function') r.then(settled, settled)
      return r
    }
  }
  const validations: Array<{ t: number, d: number, node: number }> = []
  for (const [i, n] of nodes) {
    const validators = n.libp2p.services.pubsub.topicValidators
    for (const [topic, fn] of validators) {
      validators.set(topic, (...a: Parameters<typeof fn>) => {
        const t = now()
        const r = fn(...a)
        validations.push({ t, d: now() - t, node: i })
        return r
      })
    }
  }
  const runs: Array<{ kind: string, key: string, t: number }> = []
  const arrivals: Array<{ key: string, node: number, t: number }> = []
  const profiler: CpuProfiler = await startCpuProfile(100)
  const heap = new Session()
  heap.connect()
  await heap.post('HeapProfiler.enable')
  await heap.post('HeapProfiler.startSampling', { samplingInterval: 1024, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true })
  return {
    run: (kind, key, t) => { runs.push({ kind, key, t }) },
    arrived: (key, node, t) => { arrivals.push({ key, node, t }) },
    stop: async () => {
      obs.disconnect()
      await fs.mkdir(dir, { recursive: true })
      await profiler.stopTo(path.join(dir, `cpu-${process.pid}.cpuprofile`))
      const { profile } = await heap.post('HeapProfiler.stopSampling')
      heap.disconnect()
      await fs.writeFile(path.join(dir, `heap-${process.pid}.heapprofile`), JSON.stringify(profile))
      await fs.writeFile(path.join(dir, `trace-${process.pid}.json`), JSON.stringify({ pid: process.pid, nodes: [...nodes.keys()], gcs, writes, batches, validations, runs, arrivals }))
    }
  }
}
