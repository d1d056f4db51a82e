/**
 * One side of presence.direct in its own process (bench/direct.ts):
 *   mesh-presentity | mesh-watchers N | xmpp-presentity | xmpp-watchers N
 * A presentity changes its presence on `change` and answers with the time it
 * started; watchers push `arrived` with the time the LAST of them had it.
 * Times are process.hrtime (CLOCK_MONOTONIC: one clock for every process).
 */
import '../node/polyfill.js'
import './as-product.js'
import fs from 'node:fs/promises'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { client, xml } from '@xmpp/client'
import { PresenceNode } from '../node/presence-node.js'
import { startCpuProfile } from './cpu-profile.js'
import { serveParent } from './ipc.js'
import { XMPP_DOMAIN, XMPP_PASSWORD } from './prosody.js'
import { waitUntil } from './mesh.js'
import type { CpuProfiler } from './cpu-profile.js'
import type { PresenceEventDetail } from '../node/presence/index.js'
import type { Stream } from '@libp2p/interface'

const [role, countArg] = process.argv.slice(2)
const count = Number(countArg ?? 1)
const now = (): string => process.hrtime.bigint().toString()
export const note = (run: number): string => `run ${run}`
const RAW_PROTOCOL = '/presence-mesh-bench/raw/1.0.0'
/** The size of a notify frame carrying a presence envelope with a short note. */
const RAW_BYTES = 258
const rawNote = (bytes: Uint8Array): string => new TextDecoder().decode(bytes.subarray(0, bytes.indexOf(0)))

/**
 * PM_BENCH_PROFILE=dir: each mesh process records a V8 CPU profile (100 µs
 * sampling) from the end of its setup (the nodes connected and ready) to
 * `stop`, written to dir/<role>-<n>-<pid>.cpuprofile: where the measured
 * changes' time goes (open in Chrome DevTools or speedscope).
 */
const PROFILE_DIR = role.startsWith('mesh-') ? process.env.PM_BENCH_PROFILE : undefined
let profiling: Promise<CpuProfiler> | undefined
const startProfiler = async (): Promise<void> => {
  if (PROFILE_DIR == null || PROFILE_DIR === '' || profiling != null) return
  profiling = startCpuProfile(100)
  await profiling
}
const stopProfiler = async (): Promise<void> => {
  if (PROFILE_DIR == null || profiling == null) return
  await (await profiling).stopTo(path.join(PROFILE_DIR, `${role}-${count}-${process.pid}.cpuprofile`))
}

/**
 * PM_BENCH_STAGES=1: each mesh process stamps (process.hrtime) its socket
 * writes and reads, and the presentity how long each change held it, so
 * bench/direct.ts can print where a change's time goes with the two sides in
 * their own processes, as measured (direct-stages.ts has them in one).
 */
const STAGES = role.startsWith('mesh-') && process.env.PM_BENCH_STAGES === '1'
/** Presentity: per run, [t0, first socket write after it, the call's return, CPU µs the process used meanwhile]. Watchers: per note, [socket reads since the last arrival..., the arrival]. */
const stageLog = new Map<string, string[]>()
let socketStamps: bigint[] = []
if (STAGES) {
  const write = net.Socket.prototype.write
  net.Socket.prototype.write = function (this: net.Socket, ...args: unknown[]) { if (socketStamps.length < 64) socketStamps.push(process.hrtime.bigint()); return (write as (...a: unknown[]) => boolean).apply(this, args) } as typeof write
  const emit = net.Socket.prototype.emit
  net.Socket.prototype.emit = function (this: net.Socket, event: string | symbol, ...args: unknown[]) { if (event === 'data' && socketStamps.length < 64) socketStamps.push(process.hrtime.bigint()); return (emit as (...a: unknown[]) => boolean).call(this, event, ...args) } as typeof emit
}
/** Presentity: times one change made by `send` (returns t0). */
const staged = async (run: number, send: () => unknown): Promise<string> => {
  socketStamps = []
  const cpu = STAGES ? process.cpuUsage() : undefined
  const t0 = process.hrtime.bigint()
  await send()
  const done = process.hrtime.bigint()
  if (cpu != null) {
    const used = process.cpuUsage(cpu)
    stageLog.set(note(run), [t0, socketStamps[0] ?? 0n, done, BigInt(used.user + used.system)].map(String))
  }
  return t0.toString()
}

/** Counts arrivals of each run's note; pushes the time of the last one. */
function arrivals (push: (event: string, data: unknown) => void, expected: number): (who: number, text: string | undefined) => void {
  const runs = new Map<string, Set<number>>()
  return (who, text) => {
    if (text == null || !text.startsWith('run ')) return
    const t = now()
    let seen = runs.get(text)
    if (seen == null) runs.set(text, seen = new Set())
    seen.add(who)
    if (seen.size === expected) {
      runs.delete(text)
      if (STAGES) { stageLog.set(text, [...socketStamps, BigInt(t)].map(String)); socketStamps = [] }
      push('arrived', { note: text, t })
    }
  }
}

async function meshSide (push: (event: string, data: unknown) => void): Promise<void> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), `pm-bench-direct-${role}-`))
  const nodes: PresenceNode[] = []
  const n = role === 'mesh-presentity' ? 1 : count
  for (let i = 0; i < n; i += 10) {
    nodes.push(...await Promise.all(Array.from({ length: Math.min(10, n - i) }, async (_, j) =>
      PresenceNode.start({ home: path.join(root, `n${i + j}`), listen: ['/ip4/127.0.0.1/tcp/0'], sharedHost: true, mdns: false, rejoin: false, control: false }))))
  }
  const arrived = arrivals(push, n)
  nodes.forEach((node, i) => {
    node.presence.addEventListener('presence', (evt: CustomEvent<PresenceEventDetail>) => { arrived(i, evt.detail.view.note) })
  })
  // the floor: the same bytes on a bare libp2p stream per watcher, no presence code on either side
  const rawArrived = arrivals(push, n)
  await Promise.all(nodes.map(async (node, i) => node.libp2p.handle(RAW_PROTOCOL, (stream) => {
    stream.addEventListener('message', (evt) => { rawArrived(i, rawNote(evt.data.subarray())) })
  })))
  let rawStreams: Stream[] = []
  const stop = async (): Promise<void> => {
    await stopProfiler()
    await Promise.all(nodes.map(async x => x.stop().catch(() => {})))
    await fs.rm(root, { recursive: true, force: true })
  }
  let runs = 0
  serveParent({
    ids: () => nodes.map(x => ({ peerId: x.peerId.toString(), address: x.addresses()[0] })),
    befriend: async (peers: string[]) => {
      for (const x of nodes) for (const p of peers) await x.roster.addContact(p)
    },
    /** Every node not connected to `address`'s peer dials it (all of them at setup). */
    connect: async (address: string) => {
      const missing = nodes.filter(x => x.libp2p.getConnections().every(c => !address.endsWith(c.remotePeer.toString())))
      for (let i = 0; i < missing.length; i += 10) await Promise.all(missing.slice(i, i + 10).map(async x => { await x.connect(address) }))
    },
    /** Watchers: every one sees `presentity` online and has a live notify stream to it. */
    ready: async (presentity: string) => {
      await waitUntil(() => nodes.every(x => x.presenceOf(presentity)?.status === 'online' &&
        x.libp2p.services.presenceNotify?.subscriptions().includes(presentity) === true), 'every watcher online with a direct stream', 60_000)
      await startProfiler()
    },
    /** Presentity: `n` watchers have a live notify stream. */
    watchers: async (n: number) => {
      await waitUntil(() => (nodes[0].libp2p.services.presenceNotify?.watchers().length ?? 0) >= n, `${n} direct watchers`, 120_000)
      await startProfiler()
    },
    change: async (run: number) => await staged(run, async () => { await nodes[0].setPresence({ status: runs++ % 2 === 0 ? 'away' : 'online', note: note(run) }) }),
    /** PM_BENCH_STAGES: what this process stamped, by note (then forgotten). */
    stages: () => { const out = Object.fromEntries(stageLog); stageLog.clear(); return out },
    stats: () => nodes[0].libp2p.services.presenceNotify?.getStats(),
    /** What each node knows, for a run that timed out. */
    diag: () => nodes.map(x => ({ views: x.who().map(v => `${v.status} ${v.note ?? ''} ${String(v.seq)}`), self: String(x.self().seq), notify: x.libp2p.services.presenceNotify?.getStats(), subs: x.libp2p.services.presenceNotify?.subscriptions().length, watchers: x.libp2p.services.presenceNotify?.watchers().length, conns: x.libp2p.getConnections().length })),
    rawOpen: async () => {
      rawStreams = await Promise.all(nodes[0].libp2p.getConnections().map(async c => c.newStream(RAW_PROTOCOL)))
      return rawStreams.length
    },
    rawChange: async (run: number) => await staged(run, () => {
      const frame = new Uint8Array(RAW_BYTES)
      frame.set(new TextEncoder().encode(note(run)))
      for (const st of rawStreams) st.send(frame)
    }),
    stop
  })
}

async function xmppSide (push: (event: string, data: unknown) => void, port: number): Promise<void> {
  const n = role === 'xmpp-presentity' ? 1 : count
  const users = role === 'xmpp-presentity' ? ['p'] : Array.from({ length: n }, (_, i) => `w${i + 1}`)
  const presentity = `p@${XMPP_DOMAIN}`
  const arrived = arrivals(push, n)
  const online = new Set<number>()
  const clients = users.map((username, i) => {
    const c = client({ service: `xmpp://127.0.0.1:${port}`, domain: XMPP_DOMAIN, username, password: XMPP_PASSWORD, resource: 'bench' })
    c.on('error', (err: Error) => { console.error(`xmpp ${username}: ${err.message}`) })
    c.on('stanza', (s: any) => {
      if (!s.is('presence')) return
      if (s.attrs.type === 'subscribe') { void c.send(xml('presence', { to: s.attrs.from, type: 'subscribed' })); return }
      if (typeof s.attrs.from !== 'string' || !s.attrs.from.startsWith(presentity) || s.attrs.type != null) return
      online.add(i)
      arrived(i, s.getChildText('status') ?? undefined)
    })
    return c
  })
  for (let i = 0; i < clients.length; i += 10) await Promise.all(clients.slice(i, i + 10).map(async c => c.start()))
  for (const c of clients) await c.send(xml('presence'))
  let runs = 0
  serveParent({
    subscribe: async () => {
      for (const c of clients) await c.send(xml('presence', { to: presentity, type: 'subscribe' }))
    },
    ready: () => waitUntil(() => online.size === n, 'every xmpp watcher to see the presentity', 120_000),
    change: async (run: number) => {
      const t0 = now()
      await clients[0].send(xml('presence', {}, xml('show', {}, runs++ % 2 === 0 ? 'away' : 'chat'), xml('status', {}, note(run))))
      return t0
    },
    stop: async () => { await Promise.all(clients.map(async c => c.stop().catch(() => {}))) }
  })
}

const push = (event: string, data: unknown): void => { process.send?.({ event, data }) }
if (role.startsWith('mesh-')) await meshSide(push)
else await xmppSide(push, Number(process.env.PM_BENCH_XMPP_PORT))
process.send?.({ event: 'started', data: null })
