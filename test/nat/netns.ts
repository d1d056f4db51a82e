/**
 * A small internet made of Linux network namespaces, for NAT traversal tests:
 *
 *   relay (16.0.0.1) ──┐
 *                      ├── br0 in "wan" (the public internet)
 *   router A wan0 (16.0.0.11) ── NAT ── lan0 10.91.1.1 ── home A 10.91.1.2
 *   router B wan0 (16.0.0.12) ── NAT ── lan0 10.91.2.1 ── home B 10.91.2.2
 *
 * The "public" addresses are ordinary unicast ones on purpose: libp2p treats
 * the documentation and benchmarking ranges as private and would skip them
 * in AutoNAT and DCUtR. They exist only inside these namespaces, which have
 * no link to the root namespace or the host's network, so nothing sent to
 * them can leave the machine; the root namespace has no route to them and
 * never dials them. Every namespace and process is named `pmnat<pid>...`
 * and removed at the end, in every outcome; leftovers of dead runs are
 * removed at the start.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import fs from 'node:fs'

export const PREFIX = 'pmnat'
export type NatKind = 'cone' | 'symmetric'

export const WAN = { relay: '16.0.0.1', routerA: '16.0.0.11', routerB: '16.0.0.12', prefix: 24 }
export const HOME_A = { router: '10.91.1.1', host: '10.91.1.2', prefix: 24 }
export const HOME_B = { router: '10.91.2.1', host: '10.91.2.2', prefix: 24 }

/** The five namespaces of one network. */
export interface NatNetwork {
  kind: NatKind
  ns: { wan: string, relay: string, routerA: string, routerB: string, homeA: string, homeB: string }
  /** Command prefix that runs argv inside a namespace. */
  exec: (ns: string) => string[]
  destroy: () => void
}

const live = new Set<{ destroy: () => void }>()
let exitHookInstalled = false

export function run (argv: string[], input?: string): string {
  return execFileSync(argv[0], argv.slice(1), { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], timeout: 20_000 })
}

function namespaces (): string[] {
  const r = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' })
  if (r.status !== 0) return []
  return r.stdout.split('\n').map(l => l.split(' ')[0]).filter(n => n.length > 0)
}

function pidAlive (pid: number): boolean {
  return fs.existsSync(`/proc/${pid}`)
}

/**
 * Removes namespaces left by runs whose process is gone (a SIGKILLed test, say):
 * those named `<prefix><pid>n<k>-...` (bench/netns.ts names its hosts so too).
 */
export function removeLeftovers (prefix = PREFIX): number {
  let removed = 0
  for (const ns of namespaces()) {
    const m = new RegExp(`^${prefix}(\\d+)n\\d+-`).exec(ns)
    if (m == null || pidAlive(Number(m[1]))) continue
    spawnSync('ip', ['netns', 'del', ns])
    removed++
  }
  return removed
}

/** Why namespaces cannot be made here, or null when they can. */
export function unsupportedReason (): string | null {
  if (process.platform !== 'linux') return 'network namespaces need Linux'
  if (process.getuid?.() !== 0) return 'making network namespaces needs root'
  if (spawnSync('ip', ['-V']).status !== 0) return 'the ip command (iproute2) is missing'
  if (spawnSync('nft', ['--version']).status !== 0 && !installNftables()) {
    return 'nft (nftables) is missing and could not be installed with apt-get'
  }
  const probe = `${PREFIX}${process.pid}n0-probe`
  const r = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' })
  if (r.status !== 0) return `ip netns add failed: ${r.stderr.trim()}`
  try {
    const t = spawnSync('ip', ['netns', 'exec', probe, 'nft', '-f', '-'], {
      input: 'table ip t {\n chain p {\n  type nat hook postrouting priority srcnat;\n  masquerade random\n }\n}\n', encoding: 'utf8'
    })
    if (t.status !== 0) return `nftables NAT does not work in a namespace: ${t.stderr.trim()}`
  } finally {
    spawnSync('ip', ['netns', 'del', probe])
  }
  return null
}

/** On a clean machine (CI) nftables may be absent: Debian's package brings it. */
function installNftables (): boolean {
  if (spawnSync('apt-get', ['--version']).status !== 0) return false
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  let r = spawnSync('apt-get', ['install', '-y', '-qq', 'nftables'], { env, timeout: 180_000 })
  if (r.status !== 0) {
    spawnSync('apt-get', ['update', '-qq'], { env, timeout: 180_000 })
    r = spawnSync('apt-get', ['install', '-y', '-qq', 'nftables'], { env, timeout: 180_000 })
  }
  return r.status === 0 && spawnSync('nft', ['--version']).status === 0
}

let counter = 0

/**
 * The NAT of each home router. Linux's masquerade keeps the source port when
 * it is free, and conntrack lets only replies in: a port-preserving,
 * endpoint-independent mapping with address-and-port-dependent filtering
 * ("port-restricted cone", what most home routers do). `random` picks the
 * source port from a hash of both ends: a new port per destination, the
 * endpoint-dependent mapping of a symmetric NAT. Unsolicited packets to the
 * router are dropped, as home routers do.
 */
function natRules (kind: NatKind): string {
  return `table ip ${PREFIX} {
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "wan0" masquerade${kind === 'symmetric' ? ' random' : ''}
  }
  chain forward {
    type filter hook forward priority filter; policy drop;
    ct state established,related accept
    iifname "lan0" oifname "wan0" accept
  }
  chain input {
    type filter hook input priority filter; policy accept;
    iifname "wan0" ct state new drop
  }
}
`
}

/** Builds the network; call destroy() (also run at process exit) to remove it. */
export function createNatNetwork (kind: NatKind): NatNetwork {
  const tag = `${PREFIX}${process.pid}n${++counter}`
  const ns = {
    wan: `${tag}-wan`,
    relay: `${tag}-relay`,
    routerA: `${tag}-rta`,
    routerB: `${tag}-rtb`,
    homeA: `${tag}-a`,
    homeB: `${tag}-b`
  }
  const net: NatNetwork = {
    kind,
    ns,
    exec: (n) => ['ip', 'netns', 'exec', n],
    destroy: () => {
      for (const n of Object.values(ns)) spawnSync('ip', ['netns', 'del', n])
      forget()
    }
  }
  const forget = destroyAtExit(net)
  try {
    for (const n of Object.values(ns)) {
      run(['ip', 'netns', 'add', n])
      run(['ip', '-n', n, 'link', 'set', 'lo', 'up'])
    }
    const ip = (n: string, ...args: string[]): string => run(['ip', '-n', n, ...args])
    ip(ns.wan, 'link', 'add', 'br0', 'type', 'bridge')
    ip(ns.wan, 'link', 'set', 'br0', 'up')
    // one veth per host on the public segment: `dev` in the host, `port` in the bridge
    const attach = (n: string, dev: string, port: string, addr: string): void => {
      ip(n, 'link', 'add', dev, 'type', 'veth', 'peer', 'name', port, 'netns', ns.wan)
      ip(ns.wan, 'link', 'set', port, 'master', 'br0', 'up')
      ip(n, 'addr', 'add', `${addr}/${WAN.prefix}`, 'dev', dev)
      ip(n, 'link', 'set', dev, 'up')
    }
    attach(ns.relay, 'eth0', 'prelay', WAN.relay)
    const home = (router: string, host: string, wanAddr: string, lan: typeof HOME_A, port: string): void => {
      attach(router, 'wan0', port, wanAddr)
      ip(router, 'link', 'add', 'lan0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', host)
      ip(router, 'addr', 'add', `${lan.router}/${lan.prefix}`, 'dev', 'lan0')
      ip(router, 'link', 'set', 'lan0', 'up')
      ip(host, 'addr', 'add', `${lan.host}/${lan.prefix}`, 'dev', 'eth0')
      ip(host, 'link', 'set', 'eth0', 'up')
      ip(host, 'route', 'add', 'default', 'via', lan.router)
      // the router knows the public segment and its LAN, nothing else: the
      // other home's private addresses are unreachable from here, as on the internet
      run(['ip', 'netns', 'exec', router, 'sysctl', '-qw', 'net.ipv4.ip_forward=1'])
      run(['ip', 'netns', 'exec', router, 'nft', '-f', '-'], natRules(kind))
    }
    home(ns.routerA, ns.homeA, WAN.routerA, HOME_A, 'prta')
    home(ns.routerB, ns.homeB, WAN.routerB, HOME_B, 'prtb')
  } catch (err) {
    net.destroy()
    throw err
  }
  return net
}

/** Child processes started inside namespaces are killed before the namespaces go. */
const exitCallbacks = new Set<() => void>()
export function onNetworkExit (fn: () => void): void {
  exitCallbacks.add(fn)
}

/** Destroys `net` at the process's exit or on SIGINT, SIGTERM or SIGHUP, unless it was destroyed (and deleted from the set) before. */
export function destroyAtExit (net: { destroy: () => void }): () => void {
  installExitHook()
  live.add(net)
  return () => { live.delete(net) }
}

function installExitHook (): void {
  if (exitHookInstalled) return
  exitHookInstalled = true
  const cleanup = (): void => {
    for (const fn of exitCallbacks) {
      try { fn() } catch {}
    }
    for (const net of [...live]) net.destroy()
  }
  process.once('exit', cleanup)
  // on, not once: Ctrl-C signals the whole process group, and a launcher such as tsx relays it
  // again; with the listener gone the second SIGINT would kill the process before the namespaces go
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      cleanup()
      process.exit(130)
    })
  }
}
