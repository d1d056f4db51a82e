/**
 * npm run chaos:tables [-- --seed 98888 --seconds 150 --every 10 --nodes 30 --per-process 5 --no-watch --compiled DIR]
 *
 * The chaos run's start phase alone, as a diagnostic of the DHT: the same
 * mesh as `npm run chaos` for a seed (bench/chaos/plan.ts: host processes of
 * 5 nodes, each bootstrapping from two random others, the same watches), and
 * every few seconds each node's routing-table size, how many DHT servers it
 * is connected to, the pings kad-dht made before adding a peer (ok / failed)
 * and how many watched views are online. Runs a fixed time, then kills every
 * host. Hold the heavy lock while it runs (docs/benchmarks.md, session 18);
 * `--compiled DIR` takes a compiled copy made before (bench/compile.ts's
 * layout), so the lock is not held while tsc runs.
 */
import '../node/polyfill.js'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { compileForPlainNode } from './compile.js'
import { prng } from './mesh.js'
import { killAllHosts } from './chaos/hosts.js'
import { meshCluster, planMesh } from './chaos/plan.js'
import type { TableCounts } from './chaos/table-track.js'

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '30' },
    'per-process': { type: 'string', default: '5' },
    ttl: { type: 'string', default: '6000' },
    seed: { type: 'string', default: '98888' },
    contacts: { type: 'string', default: '5' },
    seconds: { type: 'string', default: '150' },
    every: { type: 'string', default: '10' },
    'no-watch': { type: 'boolean', default: false },
    compiled: { type: 'string' }
  }
})
const N = Number(values.nodes)
const PER_PROCESS = Number(values['per-process'])
const SECONDS = Math.min(Number(values.seconds), 600)
const EVERY = Math.max(1, Number(values.every))

const T0 = Date.now()
const log = (msg: string): void => { console.log(`[${((Date.now() - T0) / 1000).toFixed(1)} s] ${msg}`) }
const load = (): string => os.loadavg().map(x => x.toFixed(2)).join(' ')
const sorted = (xs: number[]): number[] => [...xs].sort((a, b) => a - b)
const median = (xs: number[]): number => { const s = sorted(xs); return s.length === 0 ? NaN : s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2 }
const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0)

async function main (): Promise<void> {
  log(`chaos tables: ${N} nodes, ${PER_PROCESS} per process, seed ${String(values.seed)}, ${SECONDS} s; load average ${load()}`)
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'pm-chaos-tables-'))
  const build = values.compiled != null ? { dir: values.compiled, remove: async () => {} } : await compileForPlainNode('the chaos tables diagnostic')
  try {
    const plan = await planMesh(root, N, PER_PROCESS, Math.min(Number(values.contacts), N - 1), prng(Number(values.seed)))
    const cluster = meshCluster(plan, path.join(build.dir, 'bench/chaos/host.js'), Number(values.ttl))
    const { members, hostMembers } = plan
    const t = Date.now()
    await Promise.all(hostMembers.map(async (_, h) => { await cluster.start(h) }))
    log(`started ${hostMembers.length} processes in ${Date.now() - t} ms; load average ${load()}`)
    const start = Date.now()
    if (values['no-watch'] !== true) {
      await Promise.all(members.map(async m => { for (const c of m.contacts) await cluster.call(m, 'watch', members[c].peerId, `n${c}`) }))
      log('watches issued')
    }
    const pairs = sum(members.map(m => m.contacts.length))
    console.log('  s  | table min/med/max (sum) | DHT servers connected min/med/max | pings ok/failed (max failed ms) | adds/removes | queues upd/ping | findPeer walks (found) / own-key+other walks | views online | load | sample took')
    // a sample takes what the loaded hosts take to answer: the next one starts EVERY seconds after it began, or at once
    for (let at = start; at - start <= SECONDS * 1000; at = Math.max(at + EVERY * 1000, Date.now())) {
      await new Promise(resolve => setTimeout(resolve, Math.max(0, at - Date.now())))
      const counts = await Promise.all(members.map(async m => await cluster.call<TableCounts>(m, 'table').catch(() => undefined)))
      const ok = counts.filter((c): c is TableCounts => c != null)
      const views = await cluster.views()
      const online = sum(members.map(m => m.contacts.filter(c => views.get(m.i)?.get(members[c].peerId)?.status === 'online').length))
      const table = ok.map(c => c.table)
      const servers = ok.map(c => c.dhtServersConnected)
      console.log(`${String(Math.round((Date.now() - start) / 1000)).padStart(4)} | ${Math.min(...table)}/${median(table)}/${Math.max(...table)} (${sum(table)}) | ` +
        `${Math.min(...servers)}/${median(servers)}/${Math.max(...servers)} | ${sum(ok.map(c => c.pingsOk))}/${sum(ok.map(c => c.pingsFailed))} (${Math.max(...ok.map(c => c.pingFailedMaxMs))}) | ` +
        `${sum(ok.map(c => c.adds))}/${sum(ok.map(c => c.removes))} | ${sum(ok.map(c => c.updateQueue))}/${sum(ok.map(c => c.pingQueue))} | ` +
        `${sum(ok.map(c => c.findPeers))} (${sum(ok.map(c => c.findPeersFound))}) / ${sum(ok.map(c => c.closestPeerWalks))} | ${online}/${pairs} | ${load()} | ${((Date.now() - at) / 1000).toFixed(1)} s`)
    }
    const last = await Promise.all(members.map(async m => await cluster.call<TableCounts>(m, 'table').catch(() => undefined)))
    log(`per node (table/servers connected/connections): ${last.map((c, i) => `${i}:${c?.table ?? '-'}/${c?.dhtServersConnected ?? '-'}/${c?.connections ?? '-'}`).join(' ')}`)
    const errors = new Map<string, number>()
    for (const c of last) for (const [e, n] of Object.entries(c?.pingErrors ?? {})) errors.set(e, (errors.get(e) ?? 0) + n)
    const outcomes = new Map<string, { n: number, ms: number }>()
    for (const c of last) {
      for (const [k, o] of Object.entries(c?.findPeerOutcomes ?? {})) {
        const t = outcomes.get(k) ?? { n: 0, ms: 0 }
        outcomes.set(k, { n: t.n + o.n, ms: t.ms + o.ms })
      }
    }
    log(`findPeer walks by outcome (count, mean ms): ${[...outcomes].sort((a, b) => b[1].n - a[1].n).map(([k, o]) => `${k} ${o.n} (${Math.round(o.ms / o.n)} ms)`).join('; ')}`)
    const missed = new Map<string, number>()
    for (const c of last) for (const [id, n] of Object.entries(c?.findPeerMisses ?? {})) missed.set(id, (missed.get(id) ?? 0) + n)
    const indexOf = new Map(members.map(m => [m.peerId, m.i]))
    log(`findPeer walks that missed, by target node (node:misses, table/servers connected/connections at the end): ${[...missed].sort((a, b) => b[1] - a[1]).map(([id, n]) => {
      const i = indexOf.get(id)
      return i == null ? `${id.slice(-6)}:${n}` : `${i}:${n} (${last[i]?.table ?? '-'}/${last[i]?.dhtServersConnected ?? '-'}/${last[i]?.connections ?? '-'})`
    }).join(' ')}`)
    const missEvents = new Map<string, number>()
    for (const c of last) for (const [k, n] of Object.entries(c?.findPeerMissEvents ?? {})) missEvents.set(k, (missEvents.get(k) ?? 0) + n)
    log(`the events of the findPeer walks that missed: ${[...missEvents].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${n} ${k}`).join('; ')}`)
    const rpcs = new Map<string, { n: number, ms: number, max: number, over5s: number, failed: number }>()
    for (const c of last) {
      for (const [k, h] of Object.entries(c?.rpcHandled ?? {})) {
        const t = rpcs.get(k) ?? { n: 0, ms: 0, max: 0, over5s: 0, failed: 0 }
        rpcs.set(k, { n: t.n + h.n, ms: t.ms + h.ms, max: Math.max(t.max, h.max), over5s: t.over5s + h.over5s, failed: t.failed + h.failed })
      }
    }
    log(`inbound DHT RPCs answered, by type (count, mean ms, slowest ms, over 5 s, failed): ${[...rpcs].map(([k, h]) => `${k} ${h.n} (${Math.round(h.ms / Math.max(1, h.n))}, ${h.max}, ${h.over5s}, ${h.failed})`).join('; ')}`)
    const calls = new Map<string, { n: number, ms: number, max: number, over1s: number }>()
    for (const c of last) {
      for (const [k, h] of Object.entries(c?.storeCalls ?? {})) {
        const t = calls.get(k) ?? { n: 0, ms: 0, max: 0, over1s: 0 }
        calls.set(k, { n: t.n + h.n, ms: t.ms + h.ms, max: Math.max(t.max, h.max), over1s: t.over1s + h.over1s })
      }
    }
    log(`peer-store and datastore calls (count, mean ms, slowest ms, over 1 s): ${[...calls].map(([k, h]) => `${k} ${h.n} (${(h.ms / Math.max(1, h.n)).toFixed(1)}, ${h.max}, ${h.over1s})`).join('; ')}`)
    log(`failed pings (every ping of the node, kad-dht's and others) by error: ${[...errors].sort((a, b) => b[1] - a[1]).map(([e, n]) => `${n} ${e}`).join('; ')}`)
  } finally {
    await killAllHosts()
    await build.remove()
    await fs.rm(root, { recursive: true, force: true }).catch(() => {})
  }
  log(`done; load average ${load()}`)
}

const deadline = setTimeout(() => {
  console.error('chaos tables: deadline reached, killing every node')
  void killAllHosts().finally(() => process.exit(1))
}, (SECONDS + 300) * 1000)
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => { void killAllHosts().finally(() => process.exit(130)) })
}
main().then(() => { clearTimeout(deadline); process.exit(0) }, async (err) => {
  clearTimeout(deadline)
  console.error('chaos tables: aborted -', err)
  await killAllHosts()
  process.exit(1)
})
