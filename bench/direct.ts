/**
 * presence.direct: one presentity in its own process, N watchers in another,
 * every watcher an accepted contact directly connected to it (contacts mode,
 * so records take the notify stream). Paced changes: the next starts once
 * every watcher has the last; the figure is the time until the LAST watcher
 * had it. Baseline in the same run, interleaved change by change: Prosody
 * (Debian's package) with N @xmpp/client watchers subscribed to one
 * presentity client, the same way. Without Prosody the baseline is skipped
 * with the reason in the notes. Every JavaScript process (the presence-mesh
 * nodes, the XMPP clients, the floor) starts as the CLI starts its node, with
 * the same V8 settings (bench/as-product.ts).
 */
import os from 'node:os'
import path from 'node:path'
import { compileForPlainNode } from './compile.js'
import { forkChild } from './ipc.js'
import { ensureProsody, startProsody } from './prosody.js'
import { percentile, result } from './result.js'
import type { Child } from './ipc.js'
import type { Prosody } from './prosody.js'
import type { BenchResult } from './result.js'

/** The children run as the product ships: compiled by tsc, on plain node (set by benchDirect). */
let CHILD = ''
export const DIRECT_SIZES = [1, 10, 50]
const RUN_TIMEOUT_MS = 20_000

interface World {
  name: 'mesh' | 'xmpp' | 'raw'
  /** Brings every watcher back after a run that timed out (a connection the libp2p connection monitor aborted). */
  recover?: () => Promise<void>
  presentity: Child
  watchers: Child
  /** The presentity's method for one change. */
  method: string
  /** note -> resolve(time of the last arrival, ns) */
  waiting: Map<string, (t: bigint) => void>
}

async function spawn (role: string, n: number, env: Record<string, string> = {}): Promise<Child> {
  Object.assign(process.env, env)
  const child = await forkChild(CHILD, [role, String(n)], undefined, [])
  await new Promise<void>((resolve) => { child.on('started', () => { resolve() }) })
  return child
}

async function meshWorld (n: number, children: Child[]): Promise<World> {
  const presentity = await spawn('mesh-presentity', 1)
  children.push(presentity)
  const watchers = await spawn('mesh-watchers', n)
  children.push(watchers)
  const [p] = await presentity.call<Array<{ peerId: string, address: string }>>('ids')
  const ws = await watchers.call<Array<{ peerId: string }>>('ids')
  await presentity.call('befriend', ws.map(w => w.peerId))
  await watchers.call('befriend', [p.peerId])
  await watchers.call('connect', p.address)
  await watchers.call('ready', p.peerId)
  await presentity.call('watchers', n)
  const waiting = listen(watchers)
  await presentity.call('rawOpen')
  const recover = async (): Promise<void> => {
    for (let attempt = 1; ; attempt++) {
      try {
        await watchers.call('connect', p.address)
        await watchers.call('ready', p.peerId)
        await presentity.call('watchers', n)
        await presentity.call('rawOpen')
        return
      } catch (err) {
        // connections may keep dropping while the machine is overloaded
        if (attempt >= 3) throw err
      }
    }
  }
  return { name: 'mesh', presentity, watchers, method: 'change', waiting, recover }
}

async function xmppWorld (n: number, port: number, children: Child[]): Promise<World> {
  const env = { PM_BENCH_XMPP_PORT: String(port) }
  const presentity = await spawn('xmpp-presentity', 1, env)
  children.push(presentity)
  const watchers = await spawn('xmpp-watchers', n, env)
  children.push(watchers)
  await watchers.call('subscribe')
  await watchers.call('ready')
  return { name: 'xmpp', presentity, watchers, method: 'change', waiting: listen(watchers) }
}

function listen (watchers: Child): Map<string, (t: bigint) => void> {
  const waiting = new Map<string, (t: bigint) => void>()
  watchers.on('arrived', ({ note, t }: { note: string, t: string }) => { waiting.get(note)?.(BigInt(t)) })
  return waiting
}

/** One change: ms from the presentity's call until the last watcher had it. */
async function change (world: World, run: number): Promise<number> {
  const note = `run ${run}`
  let timer: ReturnType<typeof setTimeout> | undefined
  const last = new Promise<bigint>((resolve, reject) => {
    world.waiting.set(note, resolve)
    timer = setTimeout(() => { reject(new Error(`${world.name} run ${run}: not every watcher had it after ${RUN_TIMEOUT_MS} ms`)) }, RUN_TIMEOUT_MS)
  })
  presentityKinds.set(run, world.name)
  try {
    const t0 = BigInt(await world.presentity.call<string>(world.method, run))
    try {
      return Number((await last) - t0) / 1e6
    } catch (err: any) {
      if (world.name === 'xmpp') throw err
      const diag = await Promise.all([world.presentity.call('diag'), world.watchers.call('diag')]).catch(e => String(e))
      throw new Error(`${err.message}; presentity and watchers: ${JSON.stringify(diag).slice(0, 2000)}`)
    }
  } finally {
    clearTimeout(timer)
    world.waiting.delete(note)
  }
}

/**
 * PM_BENCH_STAGES=1: medians per stage of the measured runs, mesh and floor,
 * from the children's stamps (one clock): t0 -> the presentity's first socket
 * write -> the watchers' first socket read after it -> the LAST watcher's
 * event; and how long the presentity's call held it after the write, with the
 * CPU its process used per change (µs).
 */
function printStages (n: number, warmup: number, presentity: Record<string, string[]>, watchers: Record<string, string[]>): void {
  const rows: Record<string, number[][]> = { mesh: [], raw: [] }
  for (const [note, p] of Object.entries(presentity)) {
    const w = watchers[note]
    const run = Number(note.slice(4))
    if (w == null) continue
    const [t0, w1, done, cpu] = p.map(BigInt)
    const event = BigInt(w[w.length - 1])
    const r1 = w.slice(0, -1).map(BigInt).find(r => r > w1)
    if (r1 == null || w1 === 0n) continue
    // runs are numbered across worlds: the mesh's change and the floor's alternate
    rows[presentityKinds.get(run) === 'raw' ? 'raw' : 'mesh'].push([w1 - t0, r1 - w1, event - r1, event - t0, done - w1, cpu * 1000n].map(x => Number(x) / 1e3))
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN
  console.log(`presence.direct stages at N = ${n} (medians in µs of the runs after ${warmup} warm-up changes per world; events: the last watcher's)`)
  for (const kind of ['mesh', 'raw'] as const) {
    const measured = rows[kind].slice(warmup)
    const col = (j: number): string => median(measured.map(s => s[j])).toFixed(1).padStart(7)
    console.log(`  ${kind === 'mesh' ? 'presence' : 'floor   '} t0->write ${col(0)}  write->read ${col(1)}  read->event ${col(2)}  total ${col(3)}  | presentity busy after the write ${col(4)}, its CPU per change ${col(5)}  (${measured.length} runs)`)
  }
}
/** Run number -> world, for the stage table. */
const presentityKinds = new Map<number, string>()

export interface DirectOptions { sizes?: number[], runs?: number, warmup?: number }

export async function benchDirect (opts: DirectOptions = {}): Promise<BenchResult[]> {
  const sizes = opts.sizes ?? DIRECT_SIZES
  const runs = opts.runs ?? 200
  const warmup = opts.warmup ?? Math.max(10, Math.floor(runs / 10))
  const build = await compileForPlainNode('presence.direct')
  CHILD = path.join(build.dir, 'bench', 'direct-child.js')
  const bins = await ensureProsody()
  let prosody: Prosody | undefined
  let skipped: string | undefined
  if (typeof bins === 'string') {
    skipped = bins
    console.log(`presence.direct: XMPP baseline skipped: ${bins}`)
  } else {
    prosody = await startProsody(bins, ['p', ...Array.from({ length: Math.max(...sizes) }, (_, i) => `w${i + 1}`)]).catch(async (err) => { await build.remove(); throw err })
  }
  const rows: BenchResult[] = []
  try {
    for (const n of sizes) {
      const children: Child[] = []
      try {
        const mesh = await meshWorld(n, children)
        const worlds: World[] = [mesh, { ...mesh, name: 'raw', method: 'rawChange' }]
        if (prosody != null) worlds.push(await xmppWorld(n, prosody.port, children))
        const times: Record<string, number[]> = { mesh: [], xmpp: [], raw: [] }
        const load: number[] = []
        let run = 0
        const timeouts: string[] = []
        for (let i = 0; i < warmup + runs; i++) {
          const order = i % 2 === 0 ? worlds : [...worlds].reverse()
          for (const w of order) {
            try {
              const ms = await change(w, ++run)
              if (i >= warmup) times[w.name].push(ms)
            } catch (err: any) {
              // counted and reported, not measured; more than three end the suite
              if (w.recover == null || timeouts.length >= 3) throw err
              console.log(`presence.direct: ${err.message}; reconnecting`)
              timeouts.push(w.name)
              await w.recover()
            }
          }
          if (i % 20 === 0) load.push(os.loadavg()[0])
        }
        for (const t of Object.values(times)) t.sort((a, b) => a - b)
        if (process.env.PM_BENCH_STAGES === '1') printStages(n, warmup, await mesh.presentity.call('stages'), await mesh.watchers.call('stages'))
        const stats = await worlds[0].presentity.call('stats')
        const notes = `presentity and ${n} watcher node(s) in two processes (compiled by tsc, plain node; every JavaScript process of both sides, XMPP clients included, with V8 set up as the CLI sets it: cli/v8-tiering.ts), TCP loopback, noise, yamux; contacts mode, every watcher directly connected on /presence-mesh/notify/2.0.0; ` +
          `${runs} paced changes after ${warmup} warm-up, interleaved with the baseline; load average ${Math.min(...load).toFixed(1)}-${Math.max(...load).toFixed(1)} (${os.availableParallelism()} cores); ` +
          `floor (the same ${'258'} B on a bare libp2p stream per watcher, same processes and connections): p50 ${percentile(times.raw, 50).toFixed(3)} ms, p99 ${percentile(times.raw, 99).toFixed(3)} ms; ` +
          `presentity notify stats ${JSON.stringify(stats)}` +
          (timeouts.length > 0 ? `; ${timeouts.length} runs (${timeouts.join(', ')}) timed out after ${RUN_TIMEOUT_MS} ms and are not counted (libp2p's connection monitor aborted the connection after a failed ping; the watchers reconnected)` : '') + (skipped != null ? `; baseline skipped: ${skipped}` : '')
        for (const p of [50, 99] as const) {
          rows.push(result({
            name: `presence.direct.p${p}`,
            value: percentile(times.mesh, p),
            unit: 'ms',
            baseline: prosody != null ? `Prosody ${prosody.version} (Debian) on loopback, ${n} @xmpp/client watchers in one process, presentity client in another` : 'Prosody (skipped)',
            baselineValue: prosody != null ? percentile(times.xmpp, p) : NaN,
            nodes: n,
            runs,
            notes
          }))
        }
        for (const w of worlds.filter(w => w.name !== 'raw')) {
          await Promise.all([w.presentity.call('stop').catch(() => {}), w.watchers.call('stop').catch(() => {})])
        }
      } finally {
        await Promise.all(children.map(async c => { await c.kill() }))
      }
    }
  } finally {
    await prosody?.stop()
    await build.remove()
  }
  return rows
}
