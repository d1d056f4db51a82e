/**
 * memory.node.rss: one standalone, idle node process with 100 contacts, next to
 * a bare libp2p node process. memory.perNode: what each extra node costs in one
 * process, next to bare libp2p nodes measured the same way. Each figure comes
 * from a fresh child process (compiled JS on plain node, --expose-gc), measured
 * after settling and GC.
 */
import { execFile, spawn } from 'node:child_process'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { result } from './result.js'
import type { MemoryKind } from './memory-child.js'
import type { BenchResult } from './result.js'

const ROOT = path.resolve(import.meta.dirname, '..')
const CHILD_TIMEOUT_MS = 180_000
const MiB = 1024 * 1024

/**
 * Compiles the project to plain JavaScript in a temporary directory, so the
 * measured processes run on bare node: under tsx a loader thread with its own
 * V8 heap would add tens of MiB to every RSS figure.
 */
export async function compileForPlainNode (childScript = 'bench/memory-child.js'): Promise<{ dir: string, child: string }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pm-bench-js-'))
  try {
    await promisify(execFile)(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', path.join(ROOT, 'tsconfig.json'),
      '--outDir', dir, '--sourceMap', 'false', '--declaration', 'false', '--noEmit', 'false'], { cwd: ROOT, maxBuffer: 16 * MiB })
    await fs.writeFile(path.join(dir, 'package.json'), JSON.stringify({ type: 'module' }))
    await fs.symlink(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir')
    return { dir, child: path.join(dir, childScript) }
  } catch (err: any) {
    await fs.rm(dir, { recursive: true, force: true })
    throw new Error(`could not compile the project for the memory benchmark: ${err.stdout ?? ''}${err.message}`)
  }
}

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
  const build = await compileForPlainNode()
  let presence: ChildReport, bare: ChildReport, gossip: ChildReport, presenceMany: ChildReport, bareMany: ChildReport
  try {
    // one at a time: the children must not compete with each other for the CPU
    presence = await measure(build.child, 'presence', 0, contacts)
    bare = await measure(build.child, 'bare', 0)
    gossip = await measure(build.child, 'gossipsub', 0)
    presenceMany = await measure(build.child, 'presence', extra)
    bareMany = await measure(build.child, 'bare', extra)
  } finally {
    await fs.rm(build.dir, { recursive: true, force: true })
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
