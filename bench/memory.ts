/**
 * memory.node.rss: one standalone, idle node process with 100 contacts, next to
 * a bare libp2p node process. memory.perNode: what each extra node costs in one
 * process, next to bare libp2p nodes measured the same way. Each figure comes
 * from a fresh child process (compiled JS on plain node, --expose-gc), measured
 * after settling and GC.
 */
import { spawn } from 'node:child_process'
import path from 'node:path'
import { compileForPlainNode } from './compile.js'
import { result } from './result.js'
import type { MemoryKind } from './memory-child.js'
import type { BenchResult } from './result.js'

const CHILD_TIMEOUT_MS = 180_000
const MiB = 1024 * 1024

interface ChildReport { first: NodeJS.MemoryUsage, after?: NodeJS.MemoryUsage }

async function measure (script: string, kind: MemoryKind, extra: number, contacts = 0): Promise<ChildReport> {
  const child = spawn(process.execPath, ['--expose-gc', script, kind, String(extra), String(contacts)], { stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  child.stdout.on('data', (d: Buffer) => { out += d.toString() })
  const timer = setTimeout(() => { child.kill('SIGKILL') }, CHILD_TIMEOUT_MS)
  try {
    const code = await new Promise<number | null>(resolve => child.once('exit', resolve))
    if (code !== 0) throw new Error(`memory child ${kind} ${extra} exited with ${code}`)
    return JSON.parse(out.trim().split('\n').pop() ?? '') as ChildReport
  } finally {
    clearTimeout(timer)
    if (child.exitCode == null && child.signalCode == null) child.kill('SIGKILL')
  }
}

export async function benchMemory (opts: { contacts?: number, extraNodes?: number } = {}): Promise<BenchResult[]> {
  const contacts = opts.contacts ?? 100
  const extra = opts.extraNodes ?? 20
  const build = await compileForPlainNode('the memory benchmark')
  const child = path.join(build.dir, 'bench/memory-child.js')
  let presence: ChildReport, bare: ChildReport, gossip: ChildReport, presenceMany: ChildReport, bareMany: ChildReport
  try {
    // one at a time: the children must not compete with each other for the CPU
    presence = await measure(child, 'presence', 0, contacts)
    bare = await measure(child, 'bare', 0)
    gossip = await measure(child, 'gossipsub', 0)
    presenceMany = await measure(child, 'presence', extra)
    bareMany = await measure(child, 'bare', extra)
  } finally {
    await build.remove()
  }
  const mib = (b: number): number => b / MiB
  const per = (r: ChildReport, k: 'rss' | 'heapUsed'): number => mib((r.after![k] - r.first[k]) / extra)
  const stack = 'tcp+noise+yamux+identify+ping'
  const common = 'fresh child process (project compiled by tsc, plain node --expose-gc), measured after 3 s settle and 3x gc()'
  return [
    result({
      name: 'memory.node.rss', value: mib(presence.first.rss), unit: 'MiB', baseline: `bare libp2p node process (${stack}, no datastore, no pubsub)`,
      baselineValue: mib(bare.first.rss), nodes: 1, runs: 1,
      notes: `idle, ${contacts} contacts watched, LevelDB home; heapUsed ${mib(presence.first.heapUsed).toFixed(1)} vs ${mib(bare.first.heapUsed).toFixed(1)} MiB; libp2p+gossipsub alone: rss ${mib(gossip.first.rss).toFixed(1)} MiB, heap ${mib(gossip.first.heapUsed).toFixed(1)} MiB; ${common}`
    }),
    result({
      name: 'memory.perNode.rss', value: per(presenceMany, 'rss'), unit: 'MiB', baseline: `extra bare libp2p node (${stack}) in one process`,
      baselineValue: per(bareMany, 'rss'), nodes: extra + 1, runs: 1,
      notes: `${extra} extra nodes in one process, each dialled to the first, TCP loopback; rss delta / ${extra}; ${common}`
    }),
    result({
      name: 'memory.perNode.heap', value: per(presenceMany, 'heapUsed'), unit: 'MiB', baseline: `extra bare libp2p node (${stack}) in one process`,
      baselineValue: per(bareMany, 'heapUsed'), nodes: extra + 1, runs: 1,
      notes: `heapUsed delta / ${extra}, same processes as memory.perNode.rss`
    })
  ]
}
