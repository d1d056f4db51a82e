import { spawn } from 'node:child_process'
import path from 'node:path'
import readline from 'node:readline'
import { nodeArgs } from './child-build.js'
import type { PresenceNodeOptions } from '../node/presence-node.js'
import type { ChildProcess } from 'node:child_process'

const FIXTURE = path.resolve(import.meta.dirname, 'fixtures/node-process.ts')

/** The line-delimited JSON a child process speaks (a node here, a chaos host): its event lines, its ready line, and answers by id. */
export interface JsonLines<E> {
  events: E[]
  ready: Promise<any>
  /** Writes `{ id, ...msg }`; resolves with the answer's result, rejects with its error. */
  request: <T>(msg: Record<string, unknown>) => Promise<T>
}

export function jsonLines<E = any> (child: ChildProcess): JsonLines<E> {
  const events: E[] = []
  const pending = new Map<number, { resolve: (v: any) => void, reject: (e: Error) => void }>()
  let nextId = 1
  let ready: (v: any) => void = () => {}
  const readyP = new Promise<any>(resolve => { ready = resolve })
  readline.createInterface({ input: child.stdout! }).on('line', line => {
    let msg: any
    try { msg = JSON.parse(line) } catch { return }
    if (msg.event === 'ready') ready(msg)
    else if (msg.event != null) events.push(msg)
    else {
      const p = pending.get(msg.id)
      pending.delete(msg.id)
      if (msg.error != null) p?.reject(new Error(msg.error))
      else p?.resolve(msg.result)
    }
  })
  return {
    events,
    ready: readyP,
    request: async <T>(msg: Record<string, unknown>): Promise<T> => {
      const id = nextId++
      const p = new Promise<T>((resolve, reject) => { pending.set(id, { resolve, reject }) })
      child.stdin!.write(JSON.stringify({ id, ...msg }) + '\n')
      return await p
    }
  }
}
const children = new Set<ChildProcess>()

export interface NodeProcess {
  child: ChildProcess
  peerId: string
  addresses: string[]
  /** Every event line the child printed so far. */
  events: any[]
  call: <T = any>(method: string, ...params: unknown[]) => Promise<T>
  /** SIGKILL: no goodbye, no cleanup, like a crash or power loss. */
  kill: () => Promise<void>
  exited: Promise<number | null>
}

/**
 * Starts a node in a child process and waits until it is listening. `prefix`
 * runs it through another command, e.g. `ip netns exec <ns>` (which execs, so
 * the child's pid is still the node's).
 */
export async function spawnNode (opts: PresenceNodeOptions, timeoutMs = 60_000, prefix: string[] = []): Promise<NodeProcess> {
  const argv = [...prefix, process.execPath, ...nodeArgs(FIXTURE), JSON.stringify(opts)]
  const child = spawn(argv[0], argv.slice(1), {
    stdio: ['pipe', 'pipe', 'inherit']
  })
  children.add(child)
  const exited = new Promise<number | null>(resolve => child.once('exit', code => { children.delete(child); resolve(code) }))
  const lines = jsonLines(child)
  const timer = setTimeout(() => { child.kill('SIGKILL') }, timeoutMs)
  const first = await Promise.race([lines.ready, exited.then(code => { throw new Error(`node process exited with ${code} before it was ready`) })])
  clearTimeout(timer)
  return {
    child,
    peerId: first.peerId,
    addresses: first.addresses,
    events: lines.events,
    exited,
    call: async (method, ...params) => {
      return await Promise.race([lines.request<any>({ method, params }), exited.then(code => { throw new Error(`node process exited (${code}) during ${method}`) })])
    },
    kill: async () => {
      if (child.exitCode == null && child.signalCode == null) child.kill('SIGKILL')
      await exited
    }
  }
}

/** Kills every child still alive, synchronously (for exit handlers). */
export function killAllNodesNow (): void {
  for (const c of children) c.kill('SIGKILL')
}

/** Kills every child still alive: call from afterEach/afterAll so no outcome leaks a process. */
export async function killAllNodes (): Promise<void> {
  await Promise.all([...children].map(async c => {
    c.kill('SIGKILL')
    await new Promise(resolve => c.exitCode != null || c.signalCode != null ? resolve(null) : c.once('exit', resolve))
  }))
}
