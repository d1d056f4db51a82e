/**
 * The parent side of chaos host processes (host.ts): start one with some
 * nodes, call a node's methods, SIGKILL it, and kill every host still alive
 * in every outcome.
 */
import { spawn } from 'node:child_process'
import { jsonLines } from '../../test/process-helpers.js'
import type { PresenceNodeOptions } from '../../node/presence-node.js'
import type { ChildProcess } from 'node:child_process'

const children = new Set<ChildProcess>()

export interface HostEvent {
  event: string
  node: number
  at: number
  [k: string]: any
}

export interface Host {
  child: ChildProcess
  /** Per hosted node, in the order given: its peer id and addresses. */
  nodes: Array<{ peerId: string, addresses: string[] }>
  /** Every event line the host printed so far. */
  events: HostEvent[]
  call: <T = any>(node: number, method: string, ...params: unknown[]) => Promise<T>
  /** SIGKILL: no goodbye, no cleanup, like a crash or power loss. */
  kill: () => Promise<void>
}

/** Starts a host process running `script` (the compiled host.js) with these nodes; resolves when all listen. */
export async function spawnHost (script: string, nodes: PresenceNodeOptions[], timeoutMs: number): Promise<Host> {
  const child = spawn(process.execPath, [script, JSON.stringify(nodes)], { stdio: ['pipe', 'pipe', 'inherit'] })
  children.add(child)
  // a host that died (SIGKILLed by the run, say) closes its stdin: the call fails, the run goes on
  child.stdin!.on('error', () => {})
  const exited = new Promise<number | null>(resolve => child.once('exit', code => { children.delete(child); resolve(code) }))
  const lines = jsonLines<HostEvent>(child)
  const timer = setTimeout(() => { child.kill('SIGKILL') }, timeoutMs)
  try {
    const first = await Promise.race([lines.ready, exited.then(code => { throw new Error(`host process exited with ${code} before it was ready`) })])
    return {
      child,
      nodes: first.nodes,
      events: lines.events,
      call: async (node, method, ...params) => {
        if (child.exitCode != null || child.signalCode != null || child.killed) throw new Error(`host process is gone (${method})`)
        return await Promise.race([lines.request<any>({ node, method, params }), exited.then(code => { throw new Error(`host process exited (${code}) during ${method}`) })])
      },
      kill: async () => {
        if (child.exitCode == null && child.signalCode == null) child.kill('SIGKILL')
        await exited
      }
    }
  } finally {
    clearTimeout(timer)
  }
}

/** Kills every host still alive. */
export async function killAllHosts (): Promise<void> {
  await Promise.all([...children].map(async c => {
    c.kill('SIGKILL')
    await new Promise(resolve => c.exitCode != null || c.signalCode != null ? resolve(null) : c.once('exit', resolve))
  }))
}
