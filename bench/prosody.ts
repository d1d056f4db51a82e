/**
 * A throwaway Prosody (Debian's package) for the XMPP baseline: installed
 * with apt-get when missing and possible, started on a free loopback port
 * with a temporary config and data directory, stopped by its pid.
 */
import { execFile, spawn } from 'node:child_process'
import fs from 'node:fs/promises'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)
export const XMPP_DOMAIN = 'localhost'
export const XMPP_PASSWORD = 'bench-password'

export interface Prosody {
  port: number
  version: string
  stop: () => Promise<void>
}

async function which (cmd: string): Promise<string | undefined> {
  try {
    return (await run('sh', ['-c', `command -v ${cmd}`])).stdout.trim() || undefined
  } catch {
    return undefined
  }
}

/** Prosody's binaries, installing the package if we can; a reason string when not. */
export async function ensureProsody (): Promise<{ prosody: string, prosodyctl: string } | string> {
  let prosody = await which('prosody')
  if (prosody == null) {
    if (process.getuid?.() !== 0) return 'prosody is not installed and this is not root (apt-get install prosody)'
    try {
      await run('apt-get', ['install', '-y', '--no-install-recommends', 'prosody'], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, timeout: 300_000 })
    } catch (err: any) {
      return `apt-get install prosody failed: ${String(err?.stderr ?? err?.message ?? err).trim().split('\n').slice(-2).join(' ')}`
    }
    prosody = await which('prosody')
    if (prosody == null) return 'apt-get installed no prosody binary'
  }
  const prosodyctl = await which('prosodyctl')
  if (prosodyctl == null) return 'prosodyctl is missing'
  return { prosody, prosodyctl }
}

export async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const s = net.createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port
      s.close(() => { resolve(port) })
    })
  })
}

/** Starts Prosody with `users` registered (password XMPP_PASSWORD). */
export async function startProsody (bins: { prosody: string, prosodyctl: string }, users: string[]): Promise<Prosody> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pm-bench-prosody-'))
  const port = await freePort()
  const config = path.join(dir, 'prosody.cfg.lua')
  await fs.mkdir(path.join(dir, 'data'))
  await fs.writeFile(config, `-- presence-mesh benchmark: loopback only, no TLS, no s2s, no disk logs but warnings
run_as_root = true
pidfile = "${dir}/prosody.pid"
data_path = "${dir}/data"
log = { warn = "${dir}/prosody.log" }
interfaces = { "127.0.0.1" }
c2s_interfaces = { "127.0.0.1" }
c2s_ports = { ${port} }
s2s_ports = { }
modules_enabled = { "roster"; "saslauth"; "disco"; "ping"; "posix" }
modules_disabled = { "s2s"; "offline" }
c2s_require_encryption = false
allow_unencrypted_plain_auth = true
authentication = "internal_plain"
storage = "internal"
VirtualHost "${XMPP_DOMAIN}"
`)
  const ctl = async (...args: string[]): Promise<string> => (await run(bins.prosodyctl, ['--config', config, ...args], { timeout: 60_000 })).stdout
  for (let i = 0; i < users.length; i += 8) {
    await Promise.all(users.slice(i, i + 8).map(async u => await ctl('register', u, XMPP_DOMAIN, XMPP_PASSWORD)))
  }
  const version = (await ctl('about').catch(() => '')).match(/Prosody\s+([\d.]+)/)?.[1] ?? 'unknown'
  const child = spawn(bins.prosody, ['--config', config, '-F'], { stdio: 'ignore' })
  // a benchmark that dies (an uncaught error, a signal) still takes its Prosody with it
  const onExit = (): void => { if (child.exitCode == null && child.pid != null) process.kill(child.pid, 'SIGKILL') }
  process.once('exit', onExit)
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => { onExit(); process.exit(1) })
  const exited = new Promise<void>(resolve => child.once('exit', () => { process.off('exit', onExit); resolve() }))
  const stop = async (): Promise<void> => {
    if (child.exitCode == null && child.signalCode == null && child.pid != null) process.kill(child.pid, 'SIGTERM')
    await Promise.race([exited, new Promise(resolve => setTimeout(resolve, 5_000))])
    if (child.exitCode == null && child.signalCode == null && child.pid != null) process.kill(child.pid, 'SIGKILL')
    await fs.rm(dir, { recursive: true, force: true })
  }
  const deadline = Date.now() + 20_000
  for (;;) {
    const up = await new Promise<boolean>(resolve => {
      const s = net.connect(port, '127.0.0.1', () => { s.destroy(); resolve(true) })
      s.once('error', () => { resolve(false) })
    })
    if (up) break
    if (child.exitCode != null || Date.now() > deadline) {
      await stop()
      throw new Error(`prosody did not listen on 127.0.0.1:${port}`)
    }
    await new Promise(resolve => setTimeout(resolve, 100))
  }
  return { port, version, stop }
}
