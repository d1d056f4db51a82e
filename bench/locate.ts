/**
 * locate() and fetchPresence() for peers the asking node is not connected to,
 * against raw kad-dht findPeer / get measured in the same run on the same
 * network: N nodes in one process on TCP loopback, each bootstrapped to one
 * random earlier node (a sparse tree the DHT has to fill in).
 */
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { PresenceNode } from '../node/presence-node.js'
import { presenceDhtKey } from '../protocol/dht-presence.js'
import { MAX_PRESENCE_TTL_MS } from '../protocol/limits.js'
import { percentile, result } from './result.js'
import type { BenchResult } from './result.js'

export interface LocateBenchOptions {
  nodes?: number
  /** Lookups per measured operation. */
  samples?: number
  /** Progress lines on stderr. */
  log?: (line: string) => void
}

const START_CONCURRENCY = 4
const SETTLE_TIMEOUT_MS = 120_000
const LOOKUP_TIMEOUT_MS = 30_000
const BENCH_TTL_MS = MAX_PRESENCE_TTL_MS

type Dht = PresenceNode['libp2p']['services']['dht'] & { routingTable: { size: number } }
const dhtOf = (n: PresenceNode): Dht => n.libp2p.services.dht as Dht

async function rawFindPeer (src: PresenceNode, dst: PresenceNode): Promise<void> {
  for await (const e of src.libp2p.services.dht.findPeer(dst.peerId, { useCache: false, signal: AbortSignal.timeout(LOOKUP_TIMEOUT_MS) })) {
    if (e.name === 'FINAL_PEER') return
  }
  throw new Error('findPeer: not found')
}

async function rawGet (src: PresenceNode, dst: PresenceNode): Promise<void> {
  let found = false
  for await (const e of src.libp2p.services.dht.get(presenceDhtKey(dst.peerId), { signal: AbortSignal.timeout(LOOKUP_TIMEOUT_MS) })) {
    if (e.name === 'VALUE') found = true
  }
  if (!found) throw new Error('get: no value')
}

async function timed (fn: () => Promise<unknown>): Promise<number | undefined> {
  const t = performance.now()
  try {
    await fn()
    return performance.now() - t
  } catch {
    return undefined
  }
}

export async function benchLocate (opts: LocateBenchOptions = {}): Promise<BenchResult[]> {
  const n = opts.nodes ?? 100
  const samples = opts.samples ?? 30
  const log = opts.log ?? (() => {})
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'pm-bench-locate-'))
  const nodes: PresenceNode[] = []
  const eluStart = performance.eventLoopUtilization()
  const t0 = performance.now()
  try {
    // node 0 first, then small batches; each node bootstraps to one random node already up
    for (let i = 0; i < n; i += i === 0 ? 1 : START_CONCURRENCY) {
      const batch = await Promise.all(Array.from({ length: i === 0 ? 1 : Math.min(START_CONCURRENCY, n - i) }, async (_, j) => {
        const home = path.join(root, `n${i + j}`)
        const peer = nodes.length > 0 ? nodes[Math.floor(Math.random() * nodes.length)] : undefined
        return await PresenceNode.start({
          home,
          listen: ['/ip4/127.0.0.1/tcp/0'],
          bootstrap: peer != null ? [peer.addresses()[0]] : [],
          sharedHost: true,
          mdns: false,
          // the longest record lifetime: heartbeats and DHT re-puts of 100 nodes would otherwise
          // dominate the one event loop they share (a real node has its own)
          presence: { ttlMs: BENCH_TTL_MS },
          // locating and fetching strangers by peer id: public nodes (DHT servers)
          roster: { defaultVisibility: 'public' }
        })
      }))
      nodes.push(...batch)
    }
    const startMs = performance.now() - t0
    log(`${n} nodes up in ${(startMs / 1000).toFixed(1)} s`)

    const minTable = Math.min(8, n - 1)
    const settleEnd = Date.now() + SETTLE_TIMEOUT_MS
    while (nodes.some(x => dhtOf(x).routingTable.size < minTable) && Date.now() < settleEnd) {
      await new Promise(resolve => setTimeout(resolve, 500))
    }
    log(`routing tables >= ${minTable} on ${nodes.filter(x => dhtOf(x).routingTable.size >= minTable).length}/${n} nodes after ${((performance.now() - t0) / 1000).toFixed(1)} s`)
    const eluSetup = performance.eventLoopUtilization(eluStart)

    // disjoint random (src, dst) pairs per operation, interleaved, never already connected
    const pick = (): [PresenceNode, PresenceNode] => {
      for (let tries = 0; tries < 1000; tries++) {
        const s = nodes[Math.floor(Math.random() * n)]
        const d = nodes[Math.floor(Math.random() * n)]
        if (s !== d && s.libp2p.getConnections(d.peerId).length === 0) return [s, d]
      }
      throw new Error('every pair is connected: the network is too small for this bench')
    }
    const ops = {
      locate: [] as number[],
      findPeer: [] as number[],
      fetch: [] as number[],
      get: [] as number[]
    }
    let fetchMisses = 0
    const eluMeasureStart = performance.eventLoopUtilization()
    for (let i = 0; i < samples; i++) {
      const runs: Array<[keyof typeof ops, () => Promise<unknown>]> = [
        ['findPeer', async () => { const [s, d] = pick(); await rawFindPeer(s, d) }],
        ['locate', async () => { const [s, d] = pick(); await s.locate(d.peerId, { useCache: false }) }],
        ['get', async () => { const [s, d] = pick(); await rawGet(s, d) }],
        ['fetch', async () => {
          const [s, d] = pick()
          const r = await s.fetchPresence(d.peerId)
          if (r.source !== 'dht') { fetchMisses++; throw new Error('no record') }
        }]
      ]
      // alternate the order so neither side always runs on connections the other warmed up
      if (i % 2 === 1) runs.reverse()
      for (const [name, fn] of runs) {
        const ms = await timed(fn)
        if (ms != null) ops[name].push(ms)
      }
      if ((i + 1) % 10 === 0) log(`${i + 1}/${samples} samples`)
    }
    const elu = performance.eventLoopUtilization(eluMeasureStart)
    for (const v of Object.values(ops)) v.sort((a, b) => a - b)

    const conns = nodes.map(x => x.libp2p.getConnections().length).sort((a, b) => a - b)
    const rss = process.memoryUsage().rss / 2 ** 20
    const notes = [
      `TCP loopback, ${n} nodes in one process (sparse random tree bootstrap), presence TTL ${BENCH_TTL_MS / 1000} s`,
      `event-loop utilisation: ${elu.utilization.toFixed(2)} while measuring, ${eluSetup.utilization.toFixed(2)} during start+settle (${(startMs / 1000).toFixed(1)} s to start)`,
      `connections per node p50 ${percentile(conns, 50)} max ${conns[conns.length - 1]}; RSS ${rss.toFixed(0)} MiB`,
      `successes: locate ${ops.locate.length}/${samples}, findPeer ${ops.findPeer.length}/${samples}, fetch ${ops.fetch.length}/${samples} (${fetchMisses} without a record), get ${ops.get.length}/${samples}`,
      'both sides ignore cached addresses (useCache: false); locate includes the dial'
    ].join('; ')
    const common = { unit: 'ms', nodes: n, notes }
    return [
      result({ name: 'locate.p50', value: percentile(ops.locate, 50), baseline: 'kad-dht findPeer p50 (same run, no dial)', baselineValue: percentile(ops.findPeer, 50), runs: ops.locate.length, ...common }),
      result({ name: 'locate.p95', value: percentile(ops.locate, 95), baseline: 'kad-dht findPeer p95 (same run, no dial)', baselineValue: percentile(ops.findPeer, 95), runs: ops.locate.length, ...common }),
      result({ name: 'fetchPresence.p50', value: percentile(ops.fetch, 50), baseline: 'kad-dht get p50 (same run)', baselineValue: percentile(ops.get, 50), runs: ops.fetch.length, ...common })
    ]
  } finally {
    // stop in batches: each stop says goodbye on gossip and in the DHT
    for (let i = 0; i < nodes.length; i += 10) {
      await Promise.all(nodes.slice(i, i + 10).map(async x => x.stop().catch(() => {})))
    }
    await fs.rm(root, { recursive: true, force: true })
  }
}
