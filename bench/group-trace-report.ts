/**
 * Reads what PM_BENCH_GROUP_TRACE=dir left (bench/group-trace.ts) and says,
 * per run kind (group, raw), what fell inside the runs' windows (from the
 * sender's call to the last member's show): peer store writes by caller, GC,
 * LevelDB batches, group validator time, and the CPU profiles' self time by
 * package and by function; the heap profiles' allocation by package and by
 * function (for the whole trace: per pair of runs, one of each kind, since a
 * heap sample has no time); then the slowest runs of each kind. A diagnostic.
 *
 *   npx tsx bench/group-trace-report.ts dir
 */
import fs from 'node:fs/promises'
import path from 'node:path'

interface Trace {
  pid: number
  nodes: number[]
  gcs: Array<{ t: number, d: number, kind: number }>
  writes: Array<{ t: number, node: number, method: string, caller: string, what: string }>
  batches: Array<{ t: number, d: number }>
  validations: Array<{ t: number, d: number, node: number }>
  runs: Array<{ kind: string, key: string, t: number }>
  arrivals: Array<{ key: string, node: number, t: number }>
}
interface ProfileNode { id: number, callFrame: { functionName: string, url: string, lineNumber: number } }
interface Profile { nodes: ProfileNode[], startTime: number, samples: number[], timeDeltas: number[] }
interface Window { kind: string, key: string, t0: number, t1: number, ms: number }

const dir = process.argv[2]
const files = await fs.readdir(dir)
const traces: Trace[] = await Promise.all(files.filter(f => f.startsWith('trace-')).map(async f => JSON.parse(await fs.readFile(path.join(dir, f), 'utf8'))))
const profiles = new Map<number, Profile>()
for (const f of files.filter(f => f.startsWith('cpu-'))) profiles.set(Number(/cpu-(\d+)/.exec(f)![1]), JSON.parse(await fs.readFile(path.join(dir, f), 'utf8')))

const lastArrival = new Map<string, number>()
for (const tr of traces) for (const a of tr.arrivals) lastArrival.set(a.key, Math.max(lastArrival.get(a.key) ?? -Infinity, a.t))
const windows: Window[] = traces.flatMap(tr => tr.runs).filter(r => lastArrival.has(r.key))
  .map(r => ({ kind: r.kind, key: r.key, t0: r.t, t1: lastArrival.get(r.key)!, ms: lastArrival.get(r.key)! - r.t })).sort((a, b) => a.t0 - b.t0)
const count = { g: windows.filter(w => w.kind === 'g').length, r: windows.filter(w => w.kind === 'r').length }
const windowOf = (t: number): Window | undefined => {
  let lo = 0
  let hi = windows.length - 1
  while (lo <= hi) {
    const mid = (lo + hi) >> 1
    if (windows[mid].t0 <= t) lo = mid + 1
    else hi = mid - 1
  }
  const w = windows[hi]
  return w != null && t <= w.t1 ? w : undefined
}
const pct = (xs: number[], p: number): number => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.ceil(p / 100 * s.length) - 1)] }
console.log(`${count.g} group runs, ${count.r} raw runs; p50 ${pct(windows.filter(w => w.kind === 'g').map(w => w.ms), 50).toFixed(2)} / ${pct(windows.filter(w => w.kind === 'r').map(w => w.ms), 50).toFixed(2)} ms, p99 ${pct(windows.filter(w => w.kind === 'g').map(w => w.ms), 99).toFixed(2)} / ${pct(windows.filter(w => w.kind === 'r').map(w => w.ms), 99).toFixed(2)}`)

function perKind (label: string, items: Array<{ t: number, v: number, k: string }>): void {
  const sums = new Map<string, { g: number, r: number, out: number }>()
  for (const it of items) {
    const w = windowOf(it.t)
    const s = sums.get(it.k) ?? { g: 0, r: 0, out: 0 }
    if (w == null) s.out += it.v
    else s[w.kind as 'g' | 'r'] += it.v
    sums.set(it.k, s)
  }
  console.log(`\n${label} (per run: group / raw; outside any run, in all)`)
  for (const [k, s] of [...sums].sort((a, b) => (b[1].g + b[1].r + b[1].out) - (a[1].g + a[1].r + a[1].out)).slice(0, 25)) {
    console.log(`  ${(s.g / count.g).toFixed(3).padStart(8)} / ${(s.r / count.r).toFixed(3).padStart(8)}   out ${s.out.toFixed(1).padStart(7)}   ${k}`)
  }
}
const all = <T>(f: (tr: Trace) => T[]): T[] => traces.flatMap(f)
perKind('peer store writes, count', all(tr => tr.writes.map(w => ({ t: w.t, v: 1, k: `${w.method} ${w.what} ${w.caller}` }))))
perKind('GC, ms', all(tr => tr.gcs.map(g => ({ t: g.t, v: g.d, k: `kind ${g.kind}` }))))
perKind('GC, count', all(tr => tr.gcs.map(g => ({ t: g.t, v: 1, k: `kind ${g.kind}` }))))
perKind('LevelDB batches and puts started, count', all(tr => tr.batches.map(b => ({ t: b.t, v: 1, k: 'batch' }))))
perKind('LevelDB batch time (start to callback), ms', all(tr => tr.batches.map(b => ({ t: b.t, v: b.d, k: 'batch' }))))
perKind('group validator, ms', all(tr => tr.validations.map(v => ({ t: v.t, v: v.d, k: 'validate' }))))

function category (n: ProfileNode): string {
  const { url, functionName } = n.callFrame
  if (url === '') return `(${functionName})`
  const m = /node_modules\/((@[^/]+\/)?[^/]+)/.exec(url)
  if (m != null) return m[1]
  const own = /pm-bench-js-[^/]+\/((node|protocol|bench)\/[^/]+)/.exec(url)
  if (own != null) return own[1]
  return url.startsWith('node:') ? url : 'other'
}
const fnName = (n: ProfileNode): string => `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.replace(/.*\/(node_modules\/|pm-bench-js-[^/]+\/)/, '')}:${n.callFrame.lineNumber}`
const cats: Array<{ t: number, v: number, k: string }> = []
const fns: Array<{ t: number, v: number, k: string }> = []
for (const p of profiles.values()) {
  const cat = new Map(p.nodes.map(n => [n.id, category(n)]))
  const fn = new Map(p.nodes.map(n => [n.id, fnName(n)]))
  let t = p.startTime
  for (let i = 0; i < p.samples.length; i++) {
    t += p.timeDeltas[i]
    cats.push({ t: t / 1000, v: p.timeDeltas[i] / 1000, k: cat.get(p.samples[i]) ?? '?' })
    fns.push({ t: t / 1000, v: p.timeDeltas[i] / 1000, k: fn.get(p.samples[i]) ?? '?' })
  }
}
perKind('CPU profile self time by package, ms (all processes)', cats)
perKind('CPU profile self time by function, ms (all processes)', fns)

interface HeapNode { callFrame: ProfileNode['callFrame'], selfSize: number, children: HeapNode[] }
const heaps: Array<{ head: HeapNode }> = await Promise.all(files.filter(f => f.startsWith('heap-')).map(async f => JSON.parse(await fs.readFile(path.join(dir, f), 'utf8'))))
if (heaps.length > 0) {
  const byCat = new Map<string, number>()
  const byFn = new Map<string, number>()
  const walk = (n: HeapNode): void => {
    if (n.selfSize > 0) {
      const k = category(n as unknown as ProfileNode)
      byCat.set(k, (byCat.get(k) ?? 0) + n.selfSize)
      const f = fnName(n as unknown as ProfileNode)
      byFn.set(f, (byFn.get(f) ?? 0) + n.selfSize)
    }
    for (const c of n.children) walk(c)
  }
  for (const h of heaps) walk(h.head)
  const pairs = Math.max(count.g, count.r)
  const total = [...byCat.values()].reduce((a, b) => a + b, 0)
  console.log(`\nallocated, KB per pair of runs (all processes, the whole trace; ${pairs} pairs): ${(total / pairs / 1024).toFixed(1)}`)
  for (const [k, v] of [...byCat].sort((a, b) => b[1] - a[1]).slice(0, 20)) console.log(`  ${(v / pairs / 1024).toFixed(2).padStart(8)}   ${k}`)
  console.log('by function:')
  for (const [k, v] of [...byFn].sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log(`  ${(v / pairs / 1024).toFixed(2).padStart(8)}   ${k}`)
}

for (const kind of ['g', 'r']) {
  const slow = windows.filter(w => w.kind === kind).sort((a, b) => b.ms - a.ms).slice(0, 8)
  console.log(`\nslowest ${kind} runs:`)
  for (const w of slow) {
    const inside = <T extends { t: number }>(xs: T[]): T[] => xs.filter(x => x.t >= w.t0 && x.t <= w.t1)
    const gc = inside(all(tr => tr.gcs))
    const writes = inside(all(tr => tr.writes))
    const idle = cats.filter(c => c.t >= w.t0 && c.t <= w.t1 && c.k === '(idle)').reduce((s, c) => s + c.v, 0)
    const busy = cats.filter(c => c.t >= w.t0 && c.t <= w.t1 && c.k !== '(idle)').reduce((s, c) => s + c.v, 0)
    console.log(`  ${w.key} ${w.ms.toFixed(2)} ms: GC ${gc.length} (${gc.reduce((s, g) => s + g.d, 0).toFixed(2)} ms, kinds ${gc.map(g => g.kind).join(',')}), peer store writes ${writes.length}, batches ${inside(all(tr => tr.batches)).length}, sampled busy ${busy.toFixed(1)} idle ${idle.toFixed(1)} ms`)
  }
}
