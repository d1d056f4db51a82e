/**
 * Where presence.propagation's runs spend time that raw gossipsub's do not
 * (a diagnostic, not a suite): the benchmark's mesh and interleaved runs
 * (bench/propagation.ts), with per-run marks from hooks outside the product:
 * the presence topic validator on every watcher (its synchronous call: open,
 * verify, accept, the `presence` event), GC pauses, LevelDB batches, the
 * presentity's DHT puts and process CPU time, attributed to the run whose
 * window they fall in.
 *
 *   npx tsx bench/propagation-trace.ts [nodes=50] [runs=100]
 */
import '../node/polyfill.js'
import os from 'node:os'
import path from 'node:path'
import { performance, PerformanceObserver } from 'node:perf_hooks'
import { ClassicLevel } from 'classic-level'
import { MAX_PRESENCE_TTL_MS } from '../protocol/limits.js'
import { presenceTopic } from '../protocol/topics.js'
import { startCpuProfile } from './cpu-profile.js'
import { startMesh } from './mesh.js'
import { propagationRuns } from './propagation.js'

/** Where TRACE_PROFILE=1 writes the profile (TRACE_OUT, default a folder in the system's temporary directory). */
const TRACE_OUT = process.env.TRACE_OUT ?? path.join(os.tmpdir(), 'pm-propagation-trace')
/** This checkout's root, as a pattern inside script URLs (own code is categorised by its folder under it). */
const ROOT_RE = new URL('..', import.meta.url).pathname.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
const nodes = Number(process.argv[2] ?? 50)
const runs = Number(process.argv[3] ?? 100)
const warmup = Math.max(5, Math.floor(runs / 10))

interface Window { kind: 'presence' | 'raw', i: number, t0: number, t1: number, h0: number, h1: number, ms: number, cpu: number, validate: number, validations: number, gc: number, batches: number, dht: boolean, opens: number, closes: number, heartbeats: number }

const gcs: Array<{ t: number, d: number }> = []
new PerformanceObserver(list => { for (const e of list.getEntries()) gcs.push({ t: e.startTime, d: e.duration }) }).observe({ entryTypes: ['gc'] })
const batches: number[] = []
const proto = ClassicLevel.prototype as unknown as Record<string, (...a: unknown[]) => unknown>
for (const m of ['_batch', '_chainedBatch', '_put']) {
  const orig = proto[m]
  proto[m] = function (this: unknown, ...a: unknown[]) { batches.push(performance.now()); return orig.apply(this, a) }
}
const dhtPuts: Array<[number, number]> = []
const opens: number[] = []
/** gossipsub heartbeats of every node (each walks its mesh and sends IHAVE gossip). */
const heartbeats: number[] = []
const closes: number[] = []
let validateMs = 0
let validations = 0

/** Random walks from node start on (a prototype hook, so walks begun before the runs are seen too): who walks, when. */
const walks: Array<{ t: number, caller: string }> = []
let firstRunAt = 0
const dhtPutsAll: Array<{ t: number, ns: string }> = []
/** The DHT lookups under way on each node's kad-dht PeerRouting, by who started them (prototype hooks, from node start). */
const lookupsOf = new WeakMap<object, Map<object, string>>()
async function hookWalks (): Promise<void> {
  const url = new URL('../node_modules/libp2p/dist/src/random-walk.js', import.meta.url).href
  const { RandomWalk } = await import(url) as { RandomWalk: { prototype: Record<string, (...a: any[]) => AsyncGenerator<unknown>> } }
  const kad = new URL('../node_modules/@libp2p/kad-dht/dist/src/peer-routing/index.js', import.meta.url).href
  const { PeerRouting } = await import(kad) as { PeerRouting: { prototype: Record<string, (...a: any[]) => AsyncGenerator<unknown>> } }
  for (const m of ['getClosestPeers', 'findPeer']) {
    const orig = PeerRouting.prototype[m]
    PeerRouting.prototype[m] = async function * (this: object, ...a: unknown[]) {
      const token = {}
      const st = new Error().stack ?? ''
      const from = st.includes('it-parallel') ? 'a put' : causeOf(st).split(' < ').filter(f => !f.startsWith('PeerRouting') && !f.includes('kad-dht.ts')).slice(0, 2).join(' < ')
      const map = lookupsOf.get(this) ?? new Map<object, string>()
      lookupsOf.set(this, map)
      map.set(token, `${m} for ${from}`)
      try { yield * orig.apply(this, a) } finally { map.delete(token) }
    }
  }
  // kad-dht puts (its closest-peers query dials): by namespace of the key, on which node, when
  const cf = new URL('../node_modules/@libp2p/kad-dht/dist/src/content-fetching/index.js', import.meta.url).href
  const { ContentFetching } = await import(cf) as { ContentFetching: { prototype: Record<string, (...a: any[]) => AsyncGenerator<unknown>> } }
  const put = ContentFetching.prototype.put
  ContentFetching.prototype.put = async function * (this: { peerRouting: object }, key: Uint8Array, ...a: unknown[]) {
    const ns = new TextDecoder().decode(key.subarray(0, 20)).split('/')[1] ?? '?'
    const token = {}
    const map = lookupsOf.get(this.peerRouting) ?? new Map<object, string>()
    lookupsOf.set(this.peerRouting, map)
    map.set(token, `DHT put of /${ns}`)
    dhtPutsAll.push({ t: performance.now(), ns })
    try { yield * put.call(this, key, ...a) } finally { map.delete(token) }
  }
  const walk = RandomWalk.prototype.walk
  RandomWalk.prototype.walk = async function * (...a: unknown[]) {
    walks.push({ t: performance.now(), caller: causeOf(new Error().stack ?? '').split(' < ')[0] })
    yield * walk.apply(this, a)
  }
}

async function main (): Promise<void> {
  await hookWalks()
  const mesh = await startMesh({ nodes, extraDials: 2, presence: { ttlMs: MAX_PRESENCE_TTL_MS } })
  try {
    const { runPresence, runRaw } = await propagationRuns(mesh)
    const [presentity, ...watchers] = mesh.nodes
    const topic = presenceTopic(presentity.peerId)
    for (const node of mesh.nodes) {
      node.libp2p.addEventListener('connection:open', () => { opens.push(performance.now()) })
      node.libp2p.addEventListener('connection:close', () => { closes.push(performance.now()) })
      node.libp2p.services.pubsub.addEventListener('gossipsub:heartbeat', () => { heartbeats.push(performance.now()) })
      countDialCauses(node.libp2p, node === presentity ? 'presentity' : 'watcher')
    }
    if (process.env.TRACE_NO_DHT_PUT === '1') {
      // diagnostic only: the presentity's DHT puts do nothing
      const d = presentity.libp2p.services.dht as unknown as { put: (...a: unknown[]) => AsyncIterable<unknown> }
      d.put = async function * () {}
    }
    for (const w of watchers) {
      const validators = w.libp2p.services.pubsub.topicValidators
      const v = validators.get(topic)
      if (v == null) throw new Error('no validator')
      validators.set(topic, (from, msg) => {
        const t = performance.now()
        try { return v(from, msg) } finally { validateMs += performance.now() - t; validations++ }
      })
    }
    const dht = presentity.libp2p.services.dht as unknown as { put: (...a: unknown[]) => AsyncIterable<unknown> }
    const put = dht.put.bind(dht)
    dht.put = async function * (...a: unknown[]) {
      const w: [number, number] = [performance.now(), Infinity]
      dhtPuts.push(w)
      try { yield * put(...a) } finally { w[1] = performance.now() }
    }
    const connected = (): string => `presentity ${presentity.libp2p.getConnections().length}, all nodes ${mesh.nodes.reduce((s, x) => s + x.libp2p.getConnections().length, 0) / 2}`
    console.log(`connections before the runs: ${connected()} (${mesh.links.length} dialled by the mesh)`)
    const windows: Window[] = []
    const profiling = process.env.TRACE_PROFILE === '1'
    const profiler = profiling ? await startCpuProfile(200) : undefined
    const hr = (): number => Number(process.hrtime.bigint() / 1000n)
    for (let i = 1; i <= warmup + runs; i++) {
      for (const kind of (i % 2 === 0 ? ['presence', 'raw'] : ['raw', 'presence']) as Array<'presence' | 'raw'>) {
        validateMs = 0
        validations = 0
        const cpu0 = process.cpuUsage()
        const t0 = performance.now()
        const h0 = hr()
        if (firstRunAt === 0 && i > warmup) firstRunAt = t0
        const ms = await (kind === 'presence' ? runPresence : runRaw)(i)
        const t1 = performance.now()
        const h1 = hr()
        const cpu = process.cpuUsage(cpu0)
        if (i > warmup) windows.push({ kind, i, t0, t1, h0, h1, ms, cpu: (cpu.user + cpu.system) / 1000, validate: validateMs, validations, gc: 0, batches: 0, dht: false, opens: 0, closes: 0, heartbeats: 0 })
        await new Promise(resolve => setTimeout(resolve, 20))
      }
    }
    if (profiler != null) {
      const profile = await profiler.stop()
      byCategory(profile as Profile, windows)
      const fs = await import('node:fs/promises')
      await fs.mkdir(TRACE_OUT, { recursive: true })
      await fs.writeFile(`${TRACE_OUT}/profile.json`, JSON.stringify({ profile, windows }))
      console.log(`profile and windows written to ${TRACE_OUT}/profile.json`)
    }
    for (const w of windows) {
      w.gc = gcs.filter(g => g.t >= w.t0 && g.t < w.t1).reduce((s, g) => s + g.d, 0)
      w.batches = batches.filter(t => t >= w.t0 && t < w.t1).length
      w.opens = opens.filter(t => t >= w.t0 && t < w.t1).length
      w.closes = closes.filter(t => t >= w.t0 && t < w.t1).length
      w.heartbeats = heartbeats.filter(t => t >= w.t0 && t < w.t1).length
      w.dht = dhtPuts.some(([a, b]) => a < w.t1 && b > w.t0)
    }
    console.log(`connections after the runs: ${connected()}`)
    const follows = new Map<string, number>()
    for (const w of watchers) {
      const st = w.libp2p.services.discovery.followStatus(presentity.peerId)
      const k = `${st?.state} failures ${Math.min(st?.failures ?? 0, 5)}${(st?.failures ?? 0) > 5 ? '+' : ''} repairs ${st?.repairs} ${st?.lastError ?? ''}`.slice(0, 140)
      follows.set(k, (follows.get(k) ?? 0) + 1)
    }
    console.log('watchers\' follows of the presentity after the runs:\n' + [...follows].map(([k, v]) => `  ${String(v).padStart(3)}  ${k}`).join('\n'))
    const start = windows[0]?.t0 ?? 0
    console.log('DHT puts (start, duration ms, from the first measured run): ' + dhtPuts.map(([a, b]) => `${(a - start).toFixed(0)}+${(b - a).toFixed(0)}`).join(' '))
    const buckets = new Map<number, number>()
    for (const t of opens) buckets.set(Math.floor((t - start) / 1000), (buckets.get(Math.floor((t - start) / 1000)) ?? 0) + 1)
    console.log('connections opened per second: ' + [...buckets].sort((a, b) => a[0] - b[0]).map(([k, v]) => `${k}s:${v}`).join(' '))
    const f = (x: number): string => x.toFixed(1)
    for (const kind of ['presence', 'raw'] as const) {
      const ws = windows.filter(w => w.kind === kind).sort((a, b) => a.ms - b.ms)
      const pick = (p: number): number => ws[Math.min(ws.length - 1, Math.ceil(p / 100 * ws.length) - 1)].ms
      const mean = (fn: (w: Window) => number, set = ws): number => set.reduce((s, w) => s + fn(w), 0) / Math.max(1, set.length)
      console.log(`\n${kind}: ${ws.length} runs, p50 ${f(pick(50))} p95 ${f(pick(95))} p99 ${f(pick(99))} ms; mean ${f(mean(w => w.ms))} ms, cpu ${f(mean(w => w.cpu))} ms, validate ${f(mean(w => w.validate))} ms in ${f(mean(w => w.validations))} calls, gc ${f(mean(w => w.gc))} ms, batches ${f(mean(w => w.batches))}, connections opened ${f(mean(w => w.opens))} closed ${f(mean(w => w.closes))}, gossipsub heartbeats ${f(mean(w => w.heartbeats))}`)
      const withDht = ws.filter(w => w.dht)
      console.log(`  runs overlapping a DHT put: ${withDht.length}, mean ${f(mean(w => w.ms, withDht))} ms; others mean ${f(mean(w => w.ms, ws.filter(w => !w.dht)))} ms`)
      console.log('  slowest: ' + ws.slice(-6).reverse().map(w => `#${w.i} ${f(w.ms)} ms (cpu ${f(w.cpu)}, val ${f(w.validate)}, gc ${f(w.gc)}, batches ${w.batches}, opens ${w.opens}, heartbeats ${w.heartbeats}${w.dht ? ', DHT' : ''})`).join('\n           '))
    }
  } finally {
    console.log('connections opened, by the dialler\'s cause (outbound end only; each connection once):\n' + [...dialCauses].sort((a, b) => b[1] - a[1]).map(([k, v]) => `  ${String(v).padStart(5)}  ${k}`).join('\n'))
    console.log('connections closed, by who closed:\n' + [...closeCauses].sort((a, b) => b[1] - a[1]).map(([k, v]) => `  ${String(v).padStart(5)}  ${k}`).join('\n'))
    const w0 = firstRunAt
    console.log(`random walks begun (s from the first measured run, by caller): ${walks.map(w => `${((w.t - w0) / 1000).toFixed(0)} ${w.caller}`).join('; ')}`)
    const perSecond = new Map<string, number>()
    for (const p of dhtPutsAll) { const k = `${Math.floor((p.t - w0) / 5000) * 5}s ${p.ns}`; perSecond.set(k, (perSecond.get(k) ?? 0) + 1) }
    console.log(`kad-dht puts begun on all nodes (per 5 s from the first measured run, by namespace): ${[...perSecond].map(([k, v]) => `${k}:${v}`).join(' ')}`)
    console.log(`connections: ${opens.length} opened, ${closes.length} closed during the runs and warm-up; DHT puts: ${dhtPuts.length}, mean ${(dhtPuts.reduce((s, [a, b]) => s + b - a, 0) / Math.max(1, dhtPuts.length)).toFixed(0)} ms`)
    await mesh.stop()
  }
}

/**
 * Counts each new outbound connection by who asked for it: the connection
 * manager's openConnection is wrapped (a hook outside the product), and a
 * call that returned a connection not open before is filed under the first
 * frames of its (async) stack that are not libp2p's dialling machinery.
 */
const dialCauses = new Map<string, number>()
const closeCauses = new Map<string, number>()
Error.stackTraceLimit = 60
function causeOf (stack: string): string {
  const frames = stack.split('\n').slice(1).map(l => l.trim().replace(/^at (async )?/, ''))
    .filter(l => !/connection-manager|node:internal|propagation-trace|new Promise|<anonymous>/.test(l))
  return frames.slice(0, 3).map(f => f.replace(new RegExp(`\\(?(file://)?/[^ ]*?(node_modules/|${ROOT_RE})`), '(').replace(/:\d+\)?$/, ')')).join(' < ') || '(unknown)'
}
function countDialCauses (libp2p: unknown, role: string): void {
  const routing = (libp2p as { services: { dht: { peerRouting: object } } }).services.dht.peerRouting
  const lookups = { values: () => (lookupsOf.get(routing) ?? new Map<object, string>()).values() }
  const components = (libp2p as { components: { connectionManager: Record<string, (...a: any[]) => Promise<any>>, events: EventTarget } }).components

  const cm = components.connectionManager
  const open = cm.openConnection.bind(cm)
  cm.openConnection = async (peer: unknown, options?: unknown) => {
    const stack = new Error().stack ?? ''
    const before = new Set((cm as unknown as { getConnections: () => Array<{ id: string }> }).getConnections().map(c => c.id))
    const conn = await open(peer, options)
    if (!before.has(conn.id)) {
      let k = `${role}: ${causeOf(stack)}`
      if (k.includes('kad-dht')) k = `${role}: DHT ${causeOf(stack).includes('findPeerQuery') ? 'findPeer' : 'getClosestPeers'} query, lookups under way: ${[...new Set(lookups.values())].join(' | ')}`
      dialCauses.set(k, (dialCauses.get(k) ?? 0) + 1)
    }
    return conn
  }
  const closeAll = cm.closeConnections.bind(cm)
  cm.closeConnections = async (peer: unknown, options?: unknown) => {
    const k = 'closeConnections < ' + causeOf(new Error().stack ?? '')
    closeCauses.set(k, (closeCauses.get(k) ?? 0) + 1)
    return await closeAll(peer, options)
  }
  components.events.addEventListener('connection:close', (evt: Event) => {
    const c = (evt as CustomEvent<{ direction: string, timeline: { open: number }, status: string }>).detail
    const k = `close event (${c.direction}, open ${Date.now() - c.timeline.open < 5000 ? '< 5 s' : '>= 5 s'})`
    closeCauses.set(k, (closeCauses.get(k) ?? 0) + 1)
  })
}

interface ProfileNode { id: number, callFrame: { functionName: string, url: string }, children?: number[] }
interface Profile { nodes: ProfileNode[], startTime: number, samples: number[], timeDeltas: number[] }

/** What a sample's function belongs to, from its script's path. */
function category (n: ProfileNode): string {
  const { url, functionName } = n.callFrame
  if (url === '') return `(${functionName})`
  const m = /node_modules\/((@[^/]+\/)?[^/]+)/.exec(url)
  if (m != null) return m[1]
  const own = new RegExp(`${ROOT_RE}((node|protocol|bench)/[^/]+)`).exec(url)
  if (own != null) return own[1]
  return url.startsWith('node:') ? url : 'other'
}

/** Self time per category in presence windows and in raw windows, ms per run. */
function byCategory (profile: Profile, windows: Window[]): void {
  const cat = new Map(profile.nodes.map(n => [n.id, category(n)]))
  const fn = new Map(profile.nodes.map(n => [n.id, `${n.callFrame.functionName} ${n.callFrame.url.replace(/.*\/(node_modules\/)?/, '')}`]))
  const sorted = [...windows].sort((a, b) => a.h0 - b.h0)
  const sums = { presence: new Map<string, number>(), raw: new Map<string, number>() }
  const fns = { presence: new Map<string, number>(), raw: new Map<string, number>() }
  let t = profile.startTime
  let w = 0
  for (let k = 0; k < profile.samples.length; k++) {
    const dt = profile.timeDeltas[k]
    t += dt
    while (w < sorted.length && sorted[w].h1 < t) w++
    if (w >= sorted.length) break
    if (t < sorted[w].h0) continue
    const kind = sorted[w].kind
    const c = cat.get(profile.samples[k]) ?? '?'
    sums[kind].set(c, (sums[kind].get(c) ?? 0) + dt / 1000)
    const f = fn.get(profile.samples[k]) ?? '?'
    fns[kind].set(f, (fns[kind].get(f) ?? 0) + dt / 1000)
  }
  const n = { presence: windows.filter(x => x.kind === 'presence').length, raw: windows.filter(x => x.kind === 'raw').length }
  const show = (m: { presence: Map<string, number>, raw: Map<string, number> }, top: number): void => {
    const keys = new Set([...m.presence.keys(), ...m.raw.keys()])
    const rows = [...keys].map(k => ({ k, p: (m.presence.get(k) ?? 0) / n.presence, r: (m.raw.get(k) ?? 0) / n.raw }))
    rows.sort((a, b) => (b.p - b.r) - (a.p - a.r))
    console.log(rows.slice(0, top).map(x => `  ${x.k.padEnd(60)} presence ${x.p.toFixed(2)}  raw ${x.r.toFixed(2)}  diff ${(x.p - x.r).toFixed(2)} ms/run`).join('\n'))
    const total = (k: 'p' | 'r'): number => rows.reduce((s, x) => s + x[k], 0)
    console.log(`  total sampled: presence ${total('p').toFixed(1)} raw ${total('r').toFixed(1)} ms/run`)
  }
  console.log('\nself time by package or own folder (largest presence - raw first):')
  show(sums, 25)
  console.log('\nself time by function (largest presence - raw first):')
  show(fns, 40)
}

main().then(() => process.exit(0), (err) => { console.error(err); process.exit(1) })
