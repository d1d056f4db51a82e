/**
 * One process of presence.scale (bench/scale.ts), compiled to plain JS and run
 * with --expose-gc:
 *   measured C   one PresenceNode with C contacts (the offline ones are made-up
 *                identities: pair keys, pair topics and locators all the same)
 *   bare         a bare libp2p node (tcp, noise, yamux, identify, ping)
 *   bare-quiet   the same without libp2p's connection monitor, which the
 *                product turns off (node/libp2p.ts CONNECTION_MONITOR): what
 *                the bare node's own pings of its 50 connections cost
 *   online N     N PresenceNodes, the contacts that are online
 */
import '../node/polyfill.js'
import './as-product.js'
import fs from 'node:fs/promises'
import { Session } from 'node:inspector/promises'
import os from 'node:os'
import path from 'node:path'
import v8 from 'node:v8'
import { noise } from '@chainsafe/libp2p-noise'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { identify } from '@libp2p/identify'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { LevelDatastore } from 'datastore-level'
import { PresenceNode } from '../node/presence-node.js'
import { measureIdle, settleForIdle } from './idle-measure.js'
import type { SettleFigures } from './gc-settle.js'
import { serveParent } from './ipc.js'
import type { Libp2p } from '@libp2p/interface'

const [role, countArg] = process.argv.slice(2)
const count = Number(countArg ?? 0)
const LISTEN = ['/ip4/127.0.0.1/tcp/0']
/**
 * PM_BENCH_STORE_OPS=dir (diagnostic): counts the node's datastore calls by
 * method and key prefix, and writes those of the idle window to
 * dir/<role>-<pid>.store.json.
 */
const storeOpsDir = process.env.PM_BENCH_STORE_OPS
const storeOps = new Map<string, number>()
if (storeOpsDir != null && storeOpsDir !== '') {
  const prefix = (key: unknown): string => String(key).split('/').slice(0, 3).join('/')
  const proto = LevelDatastore.prototype as unknown as Record<string, (...args: any[]) => any>
  for (const method of ['put', 'get', 'has', 'delete', 'query', 'queryKeys']) {
    const original = proto[method]
    proto[method] = function (this: unknown, ...args: any[]) {
      const what = method.startsWith('query') ? `${method} ${String(args[0]?.prefix ?? '')}` : `${method} ${prefix(args[0])}`
      storeOps.set(what, (storeOps.get(what) ?? 0) + 1)
      return original.apply(this, args)
    }
  }
  const batch = proto.batch
  proto.batch = function (this: unknown) {
    const b = batch.apply(this, [])
    storeOps.set('batch', (storeOps.get('batch') ?? 0) + 1)
    const put = b.put.bind(b)
    const del = b.delete.bind(b)
    b.put = (key: unknown, value: unknown) => { storeOps.set(`batch.put ${prefix(key)}`, (storeOps.get(`batch.put ${prefix(key)}`) ?? 0) + 1); put(key, value) }
    b.delete = (key: unknown) => { storeOps.set(`batch.delete ${prefix(key)}`, (storeOps.get(`batch.delete ${prefix(key)}`) ?? 0) + 1); del(key) }
    return b
  }
}

/**
 * PM_BENCH_TRACE_GC=1 (diagnostic): V8's --trace-gc from just before the
 * window's first GC to the end of the readings, on stdout (each line with V8's
 * reason: "memory reducer", "allocation failure", ...), between two marker lines.
 */
const traceGc = process.env.PM_BENCH_TRACE_GC === '1' || process.env.PM_BENCH_TRACE_GC === 'verbose'
/** PM_BENCH_TRACE_GC=verbose: --trace-gc-verbose too (V8 11.3 prints its memory reducer's decisions there: "Memory reducer: low alloc", "started GC #1", ...). */
const traceGcVerbose = process.env.PM_BENCH_TRACE_GC === 'verbose'
/** PM_BENCH_TRACE_OPT=1 (diagnostic): V8's --trace-opt and --trace-deopt over the same span (optimizing compiles run on V8's worker threads). */
const traceOpt = process.env.PM_BENCH_TRACE_OPT === '1'

const tag = (): string => bare != null ? role : 'measured'

/** The GC before the window and the wait for V8's memory reducer (bench/idle-measure.ts settleForIdle), traced from its start. */
async function settle (): Promise<SettleFigures | null> {
  if (traceGc) {
    console.log(`[scale ${role} ${process.pid}] trace-gc on at ${performance.now().toFixed(0)} ms`)
    v8.setFlagsFromString('--trace-gc')
    if (traceGcVerbose) v8.setFlagsFromString('--trace-gc-verbose')
  }
  settled = await settleForIdle(tag())
  return settled ?? null
}
let settled: SettleFigures | undefined

async function idleWithStoreOps (ms: number): Promise<unknown> {
  if (traceOpt) {
    console.log(`[scale ${role} ${process.pid}] trace-opt on at ${performance.now().toFixed(0)} ms`)
    v8.setFlagsFromString('--trace-opt')
    v8.setFlagsFromString('--trace-deopt')
  }
  try {
    return await idleWithStoreOpsTraced(ms)
  } finally {
    if (traceOpt) {
      v8.setFlagsFromString('--no-trace-opt')
      v8.setFlagsFromString('--no-trace-deopt')
    }
    if (traceGc) {
      v8.setFlagsFromString('--no-trace-gc')
      v8.setFlagsFromString('--no-trace-gc-verbose')
      console.log(`[scale ${role} ${process.pid}] trace-gc off at ${performance.now().toFixed(0)} ms`)
    }
  }
}

async function idleWithStoreOpsTraced (ms: number): Promise<unknown> {
  const before = new Map(storeOps)
  if (allocSession != null) {
    await stopAllocProfile('start')
    await startAllocProfile()
  }
  const figures = await measureIdle(ms, tag(), settled)
  await stopAllocProfile('window')
  if (storeOpsDir != null && storeOpsDir !== '') {
    const window = Object.fromEntries([...storeOps].map(([k, v]) => [k, v - (before.get(k) ?? 0)]).filter(([, v]) => (v as number) > 0).sort((a, b) => (b[1] as number) - (a[1] as number)))
    await fs.mkdir(storeOpsDir, { recursive: true })
    await fs.writeFile(path.join(storeOpsDir, `${role}-${process.pid}.store.json`), JSON.stringify(window, null, 1))
  }
  return figures
}

/**
 * PM_BENCH_ALLOC=dir (diagnostic): sampling heap profiles of the measured
 * node, objects the GC already collected included (what it allocates, not
 * only what it keeps): from its restart to the idle window
 * (dir/<role>-<pid>.start.heapprofile) and over the window and the readings
 * after it (dir/<role>-<pid>.window.heapprofile).
 */
const allocDir = process.env.PM_BENCH_ALLOC
let allocSession: Session | undefined
async function startAllocProfile (): Promise<void> {
  if (allocDir == null || allocDir === '' || allocSession != null) return
  allocSession = new Session()
  allocSession.connect()
  await allocSession.post('HeapProfiler.enable')
  await allocSession.post('HeapProfiler.startSampling', { samplingInterval: 65536, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true } as any)
}
async function stopAllocProfile (part: string): Promise<void> {
  if (allocSession == null || allocDir == null) return
  const { profile } = await allocSession.post('HeapProfiler.stopSampling')
  allocSession.disconnect()
  allocSession = undefined
  await fs.mkdir(allocDir, { recursive: true })
  await fs.writeFile(path.join(allocDir, `${role}-${process.pid}.${part}.heapprofile`), JSON.stringify(profile))
}

const root = await fs.mkdtemp(path.join(os.tmpdir(), `pm-bench-scale-${role}-`))

async function presenceNodes (n: number): Promise<PresenceNode[]> {
  const out: PresenceNode[] = []
  for (let i = 0; i < n; i += 10) {
    out.push(...await Promise.all(Array.from({ length: Math.min(10, n - i) }, async (_, j) =>
      PresenceNode.start({ home: path.join(root, `n${i + j}`), listen: LISTEN, sharedHost: true, mdns: false, rejoin: false, control: false }))))
  }
  return out
}

let nodes: PresenceNode[] = []
let bare: Libp2p | undefined
if (role === 'bare' || role === 'bare-quiet') {
  bare = await createLibp2p({
    addresses: { listen: LISTEN },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionManager: { inboundConnectionThreshold: 1000 },
    ...(role === 'bare-quiet' ? { connectionMonitor: { enabled: false } } : {}),
    services: { identify: identify(), ping: ping() }
  }) as unknown as Libp2p
} else {
  nodes = await presenceNodes(role === 'online' ? count : 1)
}

serveParent({
  ids: () => bare != null
    ? [{ peerId: bare.peerId.toString(), address: bare.getMultiaddrs()[0].toString() }]
    : nodes.map(n => ({ peerId: n.peerId.toString(), address: n.addresses()[0] })),
  /** measured: `offline` made-up contacts, then the online ones; online: the measured node. */
  befriend: async ({ peers, offline }: { peers: string[], offline?: number }) => {
    for (const n of nodes) {
      for (let i = 0; i < (offline ?? 0); i++) await n.roster.addContact(peerIdFromPrivateKey(await generateKeyPair('Ed25519')))
      for (const p of peers) await n.roster.addContact(p)
    }
  },
  /** measured: stops and starts again on the same home, as its owner would after adding everyone (adding 1,000 contacts one by one churns memory that is not what idling costs). */
  restart: async () => {
    await Promise.all(nodes.map(async n => n.stop()))
    await startAllocProfile()
    nodes = await Promise.all(nodes.map(async n => PresenceNode.start({ home: n.home, listen: LISTEN, sharedHost: true, mdns: false, rejoin: false, control: false })))
  },
  connect: async (addresses: string[]) => {
    const dial = async (n: PresenceNode, a: string): Promise<void> => {
      // a loaded machine drops some dials: try again a few times
      for (let attempt = 1; ; attempt++) {
        try {
          await n.libp2p.dial(multiaddr(a), { signal: AbortSignal.timeout(30_000) })
          return
        } catch (err) {
          if (attempt >= 5) throw err
          await new Promise(resolve => setTimeout(resolve, 500 * attempt))
        }
      }
    }
    for (let i = 0; i < nodes.length; i += 10) {
      await Promise.all(nodes.slice(i, i + 10).map(async n => { for (const a of addresses) await dial(n, a) }))
    }
  },
  /** measured: contacts whose presence it sees online, and watchers with a direct stream. */
  state: () => ({
    online: nodes[0]?.who().filter(v => v.status === 'online').length,
    direct: nodes[0]?.libp2p.services.presenceNotify?.watchers().length,
    topics: nodes[0]?.libp2p.services.pubsub.getTopics().length,
    connections: (bare ?? nodes[0]?.libp2p)?.getConnections().length
  }),
  /** PM_BENCH_TRACE_GC=verbose: the trace from here (the parent calls it once the 50 are connected, before its settle), so the memory reducer's state before the window's GC shows. */
  traceFromHere: () => {
    if (!traceGcVerbose) return
    console.log(`[scale ${role} ${process.pid}] trace-gc-verbose on (before the settle) at ${performance.now().toFixed(0)} ms`)
    v8.setFlagsFromString('--trace-gc')
    v8.setFlagsFromString('--trace-gc-verbose')
  },
  settle: async () => await settle(),
  idle: async (ms: number) => await idleWithStoreOps(ms),
  stop: async () => {
    await Promise.all(nodes.map(async n => n.stop().catch(() => {})))
    await bare?.stop()
    await fs.rm(root, { recursive: true, force: true })
  }
})
process.send?.({ event: 'started', data: null })
