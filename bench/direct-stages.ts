/**
 * Where one direct presence change spends its time (a diagnostic, not a
 * suite): a presentity and a contact watcher in ONE process on TCP loopback,
 * each change timed in four stages by hooks on the sockets:
 *
 *   t0 (setPresence called) -> the socket write -> the bytes read by the
 *   watcher's socket -> the watcher's `presence` event
 *
 * beside the same stages for the floor (a bare libp2p stream over the same
 * connection). In one process the write and the read never overlap, so
 * "t0 -> write" is the presentity's CPU before the wire and "read -> event"
 * the watcher's after it; "write -> read" also holds the presentity's work
 * after the write (one thread). Also counts socket writes per change.
 *
 * Run it as the product ships (compiled by tsc, plain node):
 *   npx tsx bench/direct-stages.ts [changes]
 * compiles the project to a temporary directory and runs the compiled copy.
 * With 220 changes (what presence.direct makes per size) V8 leaves most of
 * the path unoptimized; with thousands it is optimized (docs/benchmarks.md).
 */
import '../node/polyfill.js'
import fs from 'node:fs/promises'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { runCompiledCopy } from './compile.js'
import { percentileOf } from './result.js'

const changes = Number(process.argv[2] ?? 220)

async function main (): Promise<void> {
  const { PresenceNode } = await import('../node/presence-node.js')
  const now = (): bigint => process.hrtime.bigint()
  let writes: bigint[] = []
  let reads: bigint[] = []
  const write = net.Socket.prototype.write
  net.Socket.prototype.write = function (this: net.Socket, ...args: unknown[]) { writes.push(now()); return (write as (...a: unknown[]) => boolean).apply(this, args) } as typeof write
  const emit = net.Socket.prototype.emit
  net.Socket.prototype.emit = function (this: net.Socket, event: string | symbol, ...args: unknown[]) { if (event === 'data') reads.push(now()); return (emit as (...a: unknown[]) => boolean).call(this, event, ...args) } as typeof emit

  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'pm-direct-stages-'))
  const opts = (n: string): Parameters<typeof PresenceNode.start>[0] => ({ home: path.join(root, n), listen: ['/ip4/127.0.0.1/tcp/0'], sharedHost: true, mdns: false, rejoin: false, control: false })
  const p = await PresenceNode.start(opts('p'))
  const w = await PresenceNode.start(opts('w'))
  try {
    await p.roster.addContact(w.peerId.toString())
    await w.roster.addContact(p.peerId.toString())
    await w.connect(p.addresses()[0])
    const pid = p.peerId.toString()
    for (let i = 0; ; i++) {
      if (w.presenceOf(pid)?.status === 'online' && w.libp2p.services.presenceNotify?.subscriptions().includes(pid) === true && (p.libp2p.services.presenceNotify?.watchers().length ?? 0) > 0) break
      if (i >= 300) throw new Error('the watcher never subscribed directly')
      await new Promise(resolve => setTimeout(resolve, 100))
    }
    let arrived: ((t: bigint) => void) | undefined
    w.presence.addEventListener('presence', (evt) => { if (evt.detail.view.note?.startsWith('run ') === true) arrived?.(now()) })
    const RAW = '/presence-mesh-bench/stages/1.0.0'
    await w.libp2p.handle(RAW, (stream) => { stream.addEventListener('message', () => { arrived?.(now()) }) })
    const raw = await p.libp2p.getConnections(w.peerId)[0].newStream(RAW)
    const stages: Record<'mesh' | 'raw', number[][]> = { mesh: [], raw: [] }
    for (let i = 0; i < changes; i++) {
      for (const kind of ['mesh', 'raw'] as const) {
        writes = []
        reads = []
        const got = new Promise<bigint>(resolve => { arrived = resolve })
        const t0 = now()
        if (kind === 'mesh') {
          await p.setPresence({ status: i % 2 === 0 ? 'away' : 'online', note: `run ${i}` })
        } else {
          const frame = new Uint8Array(258)
          frame.set(new TextEncoder().encode(`run ${i}`))
          raw.send(frame)
        }
        const t3 = await got
        const [w1] = writes
        const r1 = reads.find(r => r > w1)
        if (w1 != null && r1 != null && i >= changes / 10) stages[kind].push([Number(w1 - t0) / 1e3, Number(r1 - w1) / 1e3, Number(t3 - r1) / 1e3, Number(t3 - t0) / 1e3, writes.length])
        await new Promise(resolve => setImmediate(resolve))
      }
    }
    const median = (xs: number[]): number => percentileOf(xs, 50)
    console.log(`${changes} changes (the first tenth not counted), load ${os.loadavg()[0].toFixed(2)}; medians in µs`)
    for (const kind of ['mesh', 'raw'] as const) {
      const col = (j: number): string => median(stages[kind].map(s => s[j])).toFixed(1)
      console.log(`${kind === 'mesh' ? 'presence' : 'floor   '}  t0->write ${col(0)}  write->read ${col(1)}  read->event ${col(2)}  total ${col(3)}  socket writes per change ${col(4)}`)
    }
  } finally {
    await Promise.all([p.stop(), w.stop()])
    await fs.rm(root, { recursive: true, force: true })
  }
}

if (import.meta.url.endsWith('.js')) {
  await main()
} else {
  // under tsx: compile, then run the compiled copy of this file on plain node
  await runCompiledCopy('direct-stages', [String(changes)])
}
