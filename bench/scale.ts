/**
 * presence.scale: one node with many contacts, idle. C contacts (100, 1,000),
 * 50 of them online as real nodes in another process and directly connected,
 * the rest offline made-up identities (their pair keys, pair topics and
 * locator records exist all the same). After setup and a settle time, CPU
 * per second and RSS over one idle minute, beside a bare libp2p node in its
 * own process, connected to the same 50 nodes and measured in the same
 * minute, and a third process beside them, the same bare node without libp2p's
 * connection monitor (the product turns it off: what the bare node's own
 * pings cost; in the notes). All run compiled on plain node (no tsx loader) with --expose-gc and
 * are measured by the same code (bench/idle-measure.ts): CPU over the minute
 * after a memory-reducing GC (the start-up's garbage is collected before it)
 * and the memory reducer's round that GC or the start-up armed (bench/gc-settle.ts;
 * PM_BENCH_SCALE_SETTLE=off begins right after the GC, as until session 16),
 * RSS as the median of readings after a memory-reducing GC (V8's
 * low-memory notification).
 */
import os from 'node:os'
import path from 'node:path'
import { forkChild } from './ipc.js'
import { compileForPlainNode } from './compile.js'
import { result } from './result.js'
import type { Child } from './ipc.js'
import type { BenchResult } from './result.js'
import { MAX_MS, QUIET_MS, WATCHDOG_QUIET_MS } from './gc-settle.js'
import { SAMPLES } from './idle-measure.js'
import type { IdleFigures, MemoryFigures } from './idle-measure.js'

export const SCALE_CONTACTS = [100, 1000]
const ONLINE = 50
const MiB = 1024 * 1024
const mib = (n: number | undefined): string => n == null ? '?' : (n / MiB).toFixed(1)

/** Where heapUsed sits, per V8 heap space (spaces under 1 MiB on both sides left out). */
function spaceNotes (m: Record<string, number> | undefined, b: Record<string, number> | undefined): string {
  const names = [...new Set([...Object.keys(m ?? {}), ...Object.keys(b ?? {})])]
  return names.filter(n => Math.max(m?.[n] ?? 0, b?.[n] ?? 0) >= MiB).map(n => `${n} ${mib(m?.[n])} vs ${mib(b?.[n])}`).join(', ')
}

/** The memory figures of both sides, for a row's notes. */
function memoryNotes (m: IdleFigures, b: IdleFigures): string {
  const pair = (label: string, k: Exclude<keyof MemoryFigures, 'spaces'>): string => `${label} ${mib(m.memory[k])} vs ${mib(b.memory[k])}`
  return `MiB, measured vs bare, medians of ${SAMPLES} readings each after a memory-reducing gc (V8's low-memory notification) and 1 s: ` +
    [pair('heapUsed', 'heapUsed'), pair('heapTotal', 'heapTotal'), pair('new space', 'newSpace'), pair('external', 'external'), pair('arrayBuffers', 'arrayBuffers'), pair('RssAnon', 'rssAnon'), pair('RssFile', 'rssFile')].join(', ') +
    `; used per heap space ${spaceNotes(m.memory.spaces, b.memory.spaces)}` +
    `; RSS range of the readings ${mib(m.rssRange[0])}-${mib(m.rssRange[1])} vs ${mib(b.rssRange[0])}-${mib(b.rssRange[1])}; ` +
    `RSS through the idle minute without gc (median of 5 s samples) ${mib(m.rssIdle)} vs ${mib(b.rssIdle)}, heapUsed ${mib(m.heapUsedIdle)} vs ${mib(b.heapUsedIdle)}`
}

export interface ScaleOptions { contacts?: number[], idleMs?: number, settleMs?: number }

export async function benchScale (opts: ScaleOptions = {}): Promise<BenchResult[]> {
  // PM_BENCH_SCALE_IDLE_S: a longer window (session 16's steady-state check: 300)
  const idleMs = opts.idleMs ?? (Number(process.env.PM_BENCH_SCALE_IDLE_S ?? 0) > 0 ? Number(process.env.PM_BENCH_SCALE_IDLE_S) * 1000 : 60_000)
  const settleMs = opts.settleMs ?? 15_000
  const build = await compileForPlainNode('the scale benchmark')
  const childScript = path.join(build.dir, 'bench/scale-child.js')
  const rows: BenchResult[] = []
  try {
    for (const contacts of opts.contacts ?? SCALE_CONTACTS) {
      const children: Child[] = []
      const spawn = async (role: string, n = 0): Promise<Child> => {
        const child = await forkChild(childScript, [role, String(n)], Math.max(600_000, idleMs + MAX_MS + 180_000), ['--expose-gc'])
        children.push(child)
        await new Promise<void>(resolve => { child.on('started', () => { resolve() }) })
        return child
      }
      try {
        const [measured, bare, quiet, online] = await Promise.all([spawn('measured'), spawn('bare'), spawn('bare-quiet'), spawn('online', ONLINE)])
        let [m] = await measured.call<Array<{ peerId: string, address: string }>>('ids')
        const [b] = await bare.call<Array<{ peerId: string, address: string }>>('ids')
        const [q] = await quiet.call<Array<{ peerId: string, address: string }>>('ids')
        const on = await online.call<Array<{ peerId: string }>>('ids')
        const t0 = Date.now()
        await measured.call('befriend', { peers: on.map(o => o.peerId), offline: contacts - ONLINE })
        const setupS = (Date.now() - t0) / 1000
        await measured.call('restart')
        ;[m] = await measured.call<Array<{ peerId: string, address: string }>>('ids')
        await online.call('befriend', { peers: [m.peerId] })
        await online.call('connect', [m.address, b.address, q.address])
        let state: any
        const deadline = Date.now() + 300_000
        while (!(state?.online === ONLINE && state?.direct === ONLINE)) {
          if (Date.now() > deadline) throw new Error(`${ONLINE} contacts not online and direct after 300 s: ${JSON.stringify(state)}`)
          await new Promise(resolve => setTimeout(resolve, 500))
          state = await measured.call('state')
        }
        await Promise.all([measured, bare, quiet].map(async c => c.call('traceFromHere')))
        await new Promise(resolve => setTimeout(resolve, settleMs))
        // each side settles on its own (a GC, then V8's memory reducer's round), then the three windows begin together
        const t1 = Date.now()
        await Promise.all([measured, bare, quiet].map(async c => c.call('settle')))
        const settleAllS = (Date.now() - t1) / 1000
        const load0 = os.loadavg()[0]
        const [pm, bm, qm] = await Promise.all([measured.call<IdleFigures>('idle', idleMs), bare.call<IdleFigures>('idle', idleMs), quiet.call<IdleFigures>('idle', idleMs)])
        state = await measured.call('state')
        const gcNotes = (f: IdleFigures): string => `${f.settle == null ? 'no settle (PM_BENCH_SCALE_SETTLE=off)' : `settle ${(f.settle.ms / 1000).toFixed(0)} s (${f.settle.why}; its mark-compacts at ${f.settle.majors.map(g => `${g.atS} s${g.reducer ? ' reducer' : ''}`).join(', ') || 'none'})`}, window: ${f.windowGcs.scavenges} scavenges, ${f.windowGcs.majors} mark-compacts (${f.windowGcs.reducer} the memory reducer's)${f.cpuByMinute.length > 1 ? `, % by minute ${f.cpuByMinute.map(c => (c * 100).toFixed(2)).join(' / ')}` : ''}`
        console.log(`presence.scale ${contacts}: measured ${(pm.cpu * 100).toFixed(2)}% (${gcNotes(pm)}); bare ${(bm.cpu * 100).toFixed(2)}% (${gcNotes(bm)}); quiet bare ${(qm.cpu * 100).toFixed(2)}% (${gcNotes(qm)})`)
        const notes = `${contacts} contacts: ${ONLINE} online (real nodes in another process, directly connected, mutual contacts), ${contacts - ONLINE} offline made-up identities; ` +
          `idle ${idleMs / 1000} s after ${settleMs / 1000} s settle and the GC settle below (${settleAllS.toFixed(0)} s, the three windows begin together after it); adding the contacts one by one took ${setupS.toFixed(1)} s, then the node restarted with them; measured node: ${JSON.stringify(state)}; ` +
          `bare node connected to the same ${ONLINE} nodes; beside it in the same minute the same bare node without libp2p's connection monitor (the product turns it off; the bare node pings each of its ${ONLINE} connections every 10 s): ${(qm.cpu * 100).toFixed(2)}% of a core, RSS ${mib(qm.memory.rss)} MiB; ` +
          `each side begins with a memory-reducing gc (start-up garbage is not idle cost)${pm.settle == null ? ', the window right after it (PM_BENCH_SCALE_SETTLE=off)' : ` and waits for V8's memory reducer to have had the round that gc or the start-up armed (bench/gc-settle.ts: its round done and ${QUIET_MS / 1000} s with no mark-compact, or ${WATCHDOG_QUIET_MS / 1000} s with none, at most ${MAX_MS / 1000} s; a one-time cost of a process that grew, not idle cost)`}; GCs: measured ${gcNotes(pm)}; bare ${gcNotes(bm)}; quiet bare ${gcNotes(qm)}; all compiled, plain node --expose-gc, the same measurement on both sides; load average ${load0.toFixed(1)}-${os.loadavg()[0].toFixed(1)} (${os.availableParallelism()} cores)`
        rows.push(result({ name: 'presence.scale.cpu', value: pm.cpu * 100, unit: '% of a core', baseline: 'bare libp2p node (tcp, noise, yamux, identify, ping), same minute', baselineValue: bm.cpu * 100, nodes: contacts, runs: 1, notes: notes + '; target < 2% at 1,000 contacts' }))
        rows.push(result({ name: 'presence.scale.rss', value: pm.memory.rss / MiB, unit: 'MiB', baseline: 'bare libp2p node (tcp, noise, yamux, identify, ping), same minute', baselineValue: bm.memory.rss / MiB, nodes: contacts, runs: 1, notes: memoryNotes(pm, bm) + '; ' + notes + '; target < 2x bare at 1,000 contacts' }))
        await Promise.all([measured, bare, quiet, online].map(async c => c.call('stop').catch(() => {})))
      } finally {
        await Promise.all(children.map(async c => { await c.kill() }))
      }
    }
  } finally {
    await build.remove()
  }
  return rows
}
