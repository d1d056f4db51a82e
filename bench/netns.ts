/**
 * Hosts for group.delivery's multi-host variant (bench/group.ts, --netns): a
 * network namespace per node, each with one interface (eth0, 10.92.x.y/16),
 * all on one segment inside a hub namespace the bench makes:
 *
 *   - no link delay: veth pairs on a kernel bridge (br0) in the hub;
 *   - a link delay of D ms (D >= 0): TAP devices on bench/netns-switch.py, a
 *     learning switch in userspace in the hub that holds every frame D ms
 *     (this machine's kernel has no netem qdisc). D = 0 measures the switch.
 *
 * The addresses exist only inside these namespaces, which have no link to
 * the root namespace or the host's network: the root namespace has no route
 * to them and never dials them (the bench's parent talks to its children over
 * IPC pipes only). Every namespace is named `pmhost<pid>n<k>-...`; destroy()
 * kills what still runs in them and deletes them (their veths, TAPs and
 * bridge go with them), also at exit and on SIGINT/SIGTERM/SIGHUP
 * (test/nat/netns.ts's hook). A launcher may SIGKILL the bench before that
 * hook is done (tsx does, 60 ms after relaying a Ctrl-C), so a guard, a
 * shell in its own session, does the same when the bench's end of its stdin
 * closes, however the bench ended. Leftovers of dead runs are also removed
 * at the start.
 */
import { spawn, spawnSync } from 'node:child_process'
import path from 'node:path'
import { destroyAtExit, removeLeftovers, run } from '../test/nat/netns.js'

export const HOSTS_PREFIX = 'pmhost'
const SWITCH = path.join(import.meta.dirname, 'netns-switch.py')
const READY_TIMEOUT_MS = 20_000

export interface HostsOptions {
  count: number
  /** One-way delay of every hop between two hosts, through the userspace switch; undefined: a kernel bridge, no delay added. */
  delayMs?: number
  /** Test hook: throws after this many hosts are set up (cleanup on failure). */
  failAfter?: number
}

export interface Hosts {
  /** Namespace of host i. */
  names: string[]
  /** IPv4 address of host i. */
  addresses: string[]
  /** What joins the hosts, for a bench's notes. */
  link: string
  /** Command prefix that runs argv inside host i's namespace (`ip netns exec` execs: the pid is the command's). */
  exec: (i: number) => string[]
  /** Kills what still runs in the namespaces and deletes them; idempotent. */
  destroy: () => void
}

/** Why hosts cannot be made here, or null when they can. */
export function hostsUnsupported (delayMs?: number): string | null {
  if (process.platform !== 'linux') return 'network namespaces need Linux'
  if (process.getuid?.() !== 0) return 'making network namespaces needs root'
  if (spawnSync('ip', ['-V']).status !== 0) return 'the ip command (iproute2) is missing'
  if (delayMs != null && spawnSync('python3', ['--version']).status !== 0) return 'a link delay needs python3 (bench/netns-switch.py)'
  return null
}

/** Host i's address: 10.92.0.1 onwards (10.92.0.0/16). */
export function hostAddress (i: number): string {
  if (!Number.isInteger(i) || i < 0 || i >= 250 * 256) throw new RangeError(`no address for host ${i}`)
  return `10.92.${Math.floor(i / 250)}.${(i % 250) + 1}`
}

/** The namespaces of the pmhost runs whose process is gone are removed first. */
export function removeHostLeftovers (): number {
  return removeLeftovers(HOSTS_PREFIX)
}

let counter = 0

export async function createHosts (opts: HostsOptions): Promise<Hosts> {
  const why = hostsUnsupported(opts.delayMs)
  if (why != null) throw new Error(`cannot make hosts here: ${why}`)
  if (opts.delayMs != null && !(opts.delayMs >= 0 && opts.delayMs <= 1000)) throw new RangeError(`link delay must be 0-1000 ms, got ${opts.delayMs}`)
  removeHostLeftovers()
  const tag = `${HOSTS_PREFIX}${process.pid}n${++counter}`
  const hub = `${tag}-hub`
  const names = Array.from({ length: opts.count }, (_, i) => `${tag}-h${i}`)
  const addresses = names.map((_, i) => hostAddress(i))
  const made: string[] = []
  // kills what runs in each namespace (the bench's children, the switch) and deletes it, once the bench is gone
  const guard = spawn('sh', ['-c', 'read -r _; for ns in "$@"; do for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p"; done; ip netns del "$ns"; done 2>/dev/null',
    'pmhost-guard', hub, ...names], { stdio: ['pipe', 'ignore', 'ignore'], detached: true })
  guard.unref()
  let switchProc: ReturnType<typeof spawn> | undefined
  let destroyed = false
  const hosts: Hosts = {
    names,
    addresses,
    link: opts.delayMs == null
      ? 'a host per node (network namespaces, 10.92.0.0/16), veth pairs on one kernel bridge, no delay added'
      : `a host per node (network namespaces, 10.92.0.0/16), TAP devices on one userspace switch (bench/netns-switch.py) holding every frame ${opts.delayMs} ms one way`,
    exec: (i) => ['ip', 'netns', 'exec', names[i]],
    destroy: () => {
      if (destroyed) return
      destroyed = true
      forget()
      if (switchProc?.pid != null && switchProc.exitCode == null && switchProc.signalCode == null) switchProc.kill('SIGKILL')
      for (const ns of made) {
        // what still runs in a namespace is the bench's own child (or the switch): kill it by pid
        const pids = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8', timeout: 10_000 }).stdout ?? ''
        for (const pid of pids.split('\n').map(Number).filter(p => Number.isInteger(p) && p > 0)) {
          try { process.kill(pid, 'SIGKILL') } catch {}
        }
        spawnSync('ip', ['netns', 'del', ns], { timeout: 10_000 })
      }
      guard.stdin?.end()
    }
  }
  const forget = destroyAtExit(hosts)
  try {
    const ip = (ns: string, ...args: string[]): string => run(['ip', '-n', ns, ...args])
    const add = (ns: string): void => {
      run(['ip', 'netns', 'add', ns])
      made.push(ns)
      ip(ns, 'link', 'set', 'lo', 'up')
      // no IPv6 router and neighbour chatter on the segment
      run(['ip', 'netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1'])
    }
    add(hub)
    const port = (i: number): string => `pm${i}`
    if (opts.delayMs == null) {
      ip(hub, 'link', 'add', 'br0', 'type', 'bridge')
      ip(hub, 'link', 'set', 'br0', 'up')
    } else {
      const sw = spawn('ip', ['netns', 'exec', hub, 'python3', SWITCH, String(opts.delayMs), String(opts.count), 'pm'], { stdio: ['pipe', 'pipe', 'inherit'] })
      switchProc = sw
      await new Promise<void>((resolve, reject) => {
        let out = ''
        const timer = setTimeout(() => { reject(new Error(`the switch was not ready in ${READY_TIMEOUT_MS} ms`)) }, READY_TIMEOUT_MS)
        sw.stdout?.on('data', (d: Buffer) => {
          out += d.toString()
          if (out.includes('ready')) { clearTimeout(timer); resolve() }
        })
        sw.once('exit', (code) => { clearTimeout(timer); reject(new Error(`the switch exited (${code}) before it was ready`)) })
      })
    }
    for (let i = 0; i < opts.count; i++) {
      if (opts.failAfter === i) throw new Error(`failing after ${i} hosts, as asked`)
      const ns = names[i]
      add(ns)
      if (opts.delayMs == null) {
        ip(hub, 'link', 'add', port(i), 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns)
        ip(hub, 'link', 'set', port(i), 'master', 'br0', 'up')
      } else {
        ip(hub, 'link', 'set', port(i), 'netns', ns)
        ip(ns, 'link', 'set', port(i), 'name', 'eth0')
      }
      ip(ns, 'addr', 'add', `${addresses[i]}/16`, 'dev', 'eth0')
      ip(ns, 'link', 'set', 'eth0', 'up')
    }
  } catch (err) {
    hosts.destroy()
    throw err
  }
  return hosts
}
