/**
 * The control socket: a Unix socket in the home directory through which other
 * invocations of the CLI (`presence-mesh status away`, `who --json`, ...) talk
 * to the running node. Owner-only: the socket is mode 0600 inside a 0700 home,
 * and clients refuse a socket that belongs to another user.
 *
 * Wire: one newline-terminated JSON request per connection,
 *   {"method": "who", "params": []}
 * answered by one line {"result": ...} or {"error": {"name", "message", ...fields}}
 * (the error's name and fields, so the client rebuilds the node's own error).
 */
import fs from 'node:fs/promises'
import net from 'node:net'
import path from 'node:path'
import { ControlError, errorToWire } from '../errors.js'
import { toJson } from '../util/json.js'
import type { Logger } from '@libp2p/interface'

export const CONTROL_SOCKET = 'control.sock'
export const MAX_CONTROL_REQUEST_BYTES = 64 * 1024
export const CONTROL_TIMEOUT_MS = 30_000
/** sun_path holds 108 bytes on Linux, including the terminating NUL. */
export const MAX_SOCKET_PATH = 107

export type ControlMethod = (...params: any[]) => unknown
export type ControlMethods = Record<string, ControlMethod>

export const controlSocketPath = (home: string): string => path.join(home, CONTROL_SOCKET)


export class ControlServer {
  private server?: net.Server
  private inFlight = 0
  constructor (private readonly home: string, private readonly methods: ControlMethods, private readonly log: Logger) {}

  /** Requests being answered now: what the node does meanwhile is (also) another client's doing. */
  get requestsInFlight (): number {
    return this.inFlight
  }

  get path (): string {
    return controlSocketPath(this.home)
  }

  /** Opens the socket; the caller holds the home, so a leftover socket file is stale. */
  async start (): Promise<void> {
    if (Buffer.byteLength(this.path) > MAX_SOCKET_PATH) {
      throw new ControlError('path-too-long', `home path too long for a control socket (${this.path}); use a shorter --home`)
    }
    await fs.rm(this.path, { force: true })
    const server = net.createServer({ allowHalfOpen: true }, socket => { this.serve(socket) })
    const umask = process.umask(0o177)
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject)
        server.listen(this.path, () => { server.off('error', reject); resolve() })
      })
    } finally {
      process.umask(umask)
    }
    await fs.chmod(this.path, 0o600)
    this.server = server
  }

  async stop (): Promise<void> {
    const server = this.server
    this.server = undefined
    if (server == null) return
    await new Promise<void>(resolve => { server.close(() => { resolve() }) })
    await fs.rm(this.path, { force: true })
  }

  private serve (socket: net.Socket): void {
    socket.setTimeout(CONTROL_TIMEOUT_MS, () => socket.destroy())
    let buf = ''
    let handled = false
    const answer = (reply: unknown): void => { socket.end(toJson(reply) + '\n') }
    socket.on('data', (chunk: Buffer) => {
      if (handled) return
      buf += chunk.toString('utf8')
      if (buf.length > MAX_CONTROL_REQUEST_BYTES) {
        handled = true
        answer({ error: errorToWire(new ControlError('too-large', 'request too large')) })
        return
      }
      const nl = buf.indexOf('\n')
      if (nl < 0) return
      handled = true
      void this.handle(buf.slice(0, nl)).then(answer)
    })
    socket.on('error', err => { this.log('control client error - %e', err) })
  }

  private async handle (line: string): Promise<unknown> {
    this.inFlight++
    try {
      const req = JSON.parse(line) as { method?: unknown, params?: unknown }
      const fn = typeof req.method === 'string' && Object.hasOwn(this.methods, req.method) ? this.methods[req.method] : undefined
      if (fn == null) throw new ControlError('unknown-method', `unknown method ${String(req.method)}`)
      const params = Array.isArray(req.params) ? req.params : []
      return { result: await fn(...params) ?? null }
    } catch (err: any) {
      this.log('control request failed - %e', err)
      return { error: errorToWire(err instanceof SyntaxError ? new ControlError('not-json', 'request is not JSON') : err) }
    } finally {
      this.inFlight--
    }
  }
}
