/**
 * memory.node.rss: one standalone, idle node process with 100 contacts, next to
 * a bare libp2p node process. memory.perNode: what each extra node costs in one
 * process, next to bare libp2p nodes measured the same way. Each figure comes
 * from a fresh child process run with --expose-gc, measured after settling and GC.
 */
import { spawn } from 'node:child_process'
import path from 'node:path'
import { result } from './result.js'
import type { MemoryKind } from './memory-child.js'
import type { BenchResult } from './result.js'

const CHILD = path.join(import.meta.dirname, 'memory-child.ts')
const CHILD_TIMEOUT_MS = 180_000
const MiB = 1024 * 1024

interface ChildReport { first: NodeJS.MemoryUsage, after?: NodeJS.MemoryUsage }

async function measure (kind: MemoryKind, extra: number, contacts = 0): Promise<ChildReport> {
  const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', CHILD, kind, String(extra), String(contacts)], { stdio: ['ignore', 'pipe', 'inherit'] })
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
  // one at a time: the children must not compete with each other for the CPU
  const presence = await measure('presence', 0, contacts)
  const bare = await measure('bare', 0)
  const gossip = await measure('gossipsub', 0)
  const presenceMany = await measure('presence', extra)
  const bareMany = await measure('bare', extra)
  const mib = (b: number): number => b / MiB
  const per = (r: ChildReport, k: 'rss' | 'heapUsed'): number => mib((r.after![k] - r.first[k]) / extra)
  const stack = 'tcp+noise+yamux+identify+ping'
  const common = 'child process started with node --expose-gc --import tsx (loader overhead in both), measured after 3 s settle and 3x gc()'
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
