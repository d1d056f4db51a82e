// scratch: start N nodes like the chaos run and print, every 5 s, how many views are wrong and why
import '../../node/polyfill.js'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { compileForPlainNode } from '../compile.js'
import { prng } from '../mesh.js'
import { freePorts, makeIdentity } from '../../test/mesh-helpers.js'
import { Cluster } from './cluster.js'
import { killAllHosts } from './hosts.js'
import type { Member } from './cluster.js'
const N = Number(process.argv[2] ?? 30); const P = Number(process.argv[3] ?? 3); const SECS = Number(process.argv[4] ?? 120)
const random = prng(4934)
const pick = (n: number, k: number, not: Set<number>): number[] => { const o = new Set<number>(); while (o.size < k) { const x = Math.floor(random() * n); if (!not.has(x)) o.add(x) } return [...o] }
const root = await fs.mkdtemp(path.join(os.tmpdir(), 'pm-probe-'))
const build = await compileForPlainNode('probe')
try {
  const ports = await freePorts(N)
  const members: Member[] = []
  for (let i = 0; i < N; i++) { const home = path.join(root, `n${i}`); const peerId = await makeIdentity(home); members.push({ i, home, port: ports[i], peerId, addr: `/ip4/127.0.0.1/tcp/${ports[i]}/p2p/${peerId}`, bootstrap: [], contacts: [], host: Math.floor(i / P), slot: i % P, sent: new Map() }) }
  for (const m of members) for (const c of pick(N, 5, new Set([m.i]))) { if (!m.contacts.includes(c)) m.contacts.push(c); if (!members[c].contacts.includes(m.i)) members[c].contacts.push(m.i) }
  for (const m of members) m.bootstrap = pick(N, 2, new Set([m.i]))
  const hostMembers = Array.from({ length: Math.ceil(N / P) }, (_, h) => members.filter(m => m.host === h).map(m => m.i))
  const cluster = new Cluster(members, hostMembers, path.join(build.dir, 'bench/chaos/host.js'), m => ({ home: m.home, listen: [`/ip4/127.0.0.1/tcp/${m.port}`], bootstrap: m.bootstrap.map(j => members[j].addr), presence: { ttlMs: 6000 }, roster: { defaultVisibility: 'public' }, ...(process.env.NO_DHT != null ? { publishPresence: false } : {}) }), 120_000)
  const t0 = Date.now()
  await Promise.all(hostMembers.map(async (_, h) => { await cluster.start(h) }))
  console.log(`started in ${Date.now() - t0} ms, load ${os.loadavg()[0].toFixed(1)}`)
  await Promise.all(members.map(async m => { for (const c of m.contacts) await cluster.call(m, 'watch', members[c].peerId, `n${c}`) }))
  const t1 = Date.now()
  while (Date.now() - t1 < SECS * 1000) {
    await new Promise(r => setTimeout(r, 5000))
    const wrong = await cluster.wrongViews(() => 'online')
    const mesh = await Promise.all(members.map(async m => await cluster.call(m, 'mesh')))
    const rt = mesh.map(x => x.routingTable).sort((a, b) => a - b)
    const states: Record<string, number> = {}
    for (const x of mesh) for (const s of x.following) states[s] = (states[s] ?? 0) + 1
    const health = await cluster.health()
    const lag = [...health.values()].map(h => h.lagP99).sort((a, b) => a - b)
    const cpu = [...health.values()].reduce((a, h) => a + h.cpu, 0)
    console.log(`+${Math.round((Date.now() - t1) / 1000)} s wrong ${wrong.length}; routing table min ${rt[0]} median ${rt[Math.floor(N / 2)]}; conns median ${mesh.map(x => x.connections).sort((a, b) => a - b)[Math.floor(N / 2)]}; follows ${JSON.stringify(states)}; lag p99 median ${lag[Math.floor(lag.length / 2)]} ms; cpu ${cpu.toFixed(2)}; load ${os.loadavg()[0].toFixed(1)}`)
    if (wrong.length === 0) break
  }
  const wrong = await cluster.wrongViews(() => 'online')
  for (const l of (await cluster.explain(wrong.slice(0, 6)))) console.log('  ' + l)
} finally {
  await killAllHosts(); await build.remove(); await fs.rm(root, { recursive: true, force: true })
}
