/**
 * Benchmark children: a script forked under tsx that answers calls over the
 * IPC channel and pushes events. Every child is killed by its pid when the
 * suite ends, whatever the outcome.
 */
import { fork, spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'

export interface Child {
  pid: number
  call: <T = any>(method: string, params?: unknown) => Promise<T>
  /** Events the child pushed with push(). */
  on: (event: string, fn: (data: any) => void) => void
  kill: () => Promise<void>
}

/**
 * `execArgv`: default runs TypeScript under tsx; compiled children pass their own (e.g. --expose-gc).
 * `prefix`: a command that execs node (e.g. `ip netns exec <ns>`: the pid is still the child's, and the IPC channel's descriptor goes through).
 */
export async function forkChild (script: string, args: string[], timeoutMs = 180_000, execArgv = ['--import', 'tsx'], prefix: string[] = []): Promise<Child> {
  const stdio: ['ignore', 'inherit', 'inherit', 'ipc'] = ['ignore', 'inherit', 'inherit', 'ipc']
  const child: ChildProcess = prefix.length === 0
    ? fork(script, args, { execArgv, stdio })
    : spawn(prefix[0], [...prefix.slice(1), process.execPath, ...execArgv, script, ...args], { stdio })
  const pending = new Map<number, { resolve: (v: any) => void, reject: (e: Error) => void, timer: ReturnType<typeof setTimeout> }>()
  const listeners = new Map<string, Array<(data: any) => void>>()
  let nextId = 1
  const exited = new Promise<void>(resolve => child.once('exit', () => {
    for (const p of pending.values()) { clearTimeout(p.timer); p.reject(new Error(`${script} exited`)) }
    pending.clear()
    resolve()
  }))
  // a dead child's channel errors are answered through the pending calls above
  child.on('error', () => {})
  child.on('message', (msg: any) => {
    if (msg.event != null) {
      for (const fn of listeners.get(msg.event) ?? []) fn(msg.data)
      return
    }
    const p = pending.get(msg.id)
    if (p == null) return
    pending.delete(msg.id)
    clearTimeout(p.timer)
    if (msg.error != null) p.reject(new Error(msg.error))
    else p.resolve(msg.result)
  })
  if (child.pid == null) throw new Error(`could not start ${script}`)
  return {
    pid: child.pid,
    call: async (method, params) => await new Promise((resolve, reject) => {
      const id = nextId++
      const timer = setTimeout(() => { pending.delete(id); reject(new Error(`${method} timed out after ${timeoutMs} ms`)) }, timeoutMs)
      pending.set(id, { resolve, reject, timer })
      child.send({ id, method, params }, (err) => {
        if (err == null) return
        clearTimeout(timer)
        pending.delete(id)
        reject(new Error(`${method}: the child is gone (${err.message})`))
      })
    }),
    on: (event, fn) => { listeners.set(event, [...(listeners.get(event) ?? []), fn]) },
    kill: async () => {
      if (child.exitCode == null && child.signalCode == null) child.kill('SIGKILL')
      await exited
    }
  }
}

/** In the child: answers calls with `methods`, and returns push(event, data). */
export function serveParent (methods: Record<string, (params: any) => unknown>): (event: string, data: unknown) => void {
  process.on('message', (msg: any) => {
    const fn = methods[msg.method]
    Promise.resolve()
      .then(async () => {
        if (fn == null) throw new Error(`no method ${String(msg.method)}`)
        return await fn(msg.params)
      })
      .then(result => { process.send?.({ id: msg.id, result }) }, (err: any) => { process.send?.({ id: msg.id, error: String(err?.stack ?? err) }) })
  })
  // the parent's end is the child's end
  process.on('disconnect', () => { process.exit(0) })
  return (event, data) => { process.send?.({ event, data }) }
}
