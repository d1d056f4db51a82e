/**
 * Two people behind two home routers, as a user sees them: Bob gives Alice
 * his contact code (she finds his relayed address, all he has, through it),
 * she asks to be his contact, he accepts, and from then on they watch each other's presence and chat while
 * the relay's limits cut their relayed connection. Shared by the test
 * (short limits) and `npm run nat` (production limits, five minutes).
 *
 * Every process runs inside the namespaces of test/nat/netns.ts; the test
 * process only talks to its children over pipes.
 */
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { spawn } from 'node:child_process'
import readline from 'node:readline'
import { nodeArgs } from '../child-build.js'
import { killAllNodesNow, spawnNode } from '../process-helpers.js'
import { createNatNetwork, HOME_A, onNetworkExit, removeLeftovers, WAN } from './netns.js'
import type { NatKind, NatNetwork } from './netns.js'
import type { NodeProcess } from '../process-helpers.js'

const PROBE = path.resolve(import.meta.dirname, '../fixtures/nat-probe.ts')

export interface NatScenarioOptions {
  kind: NatKind
  /** The relay's limits (RELAY_LIMITS' fields; the data limit in bytes). */
  relayLimits: { defaultDurationLimit: number, defaultDataLimit: number, reservationTtl: number }
  /** How long presence changes and messages flow once they are contacts. */
  soakMs: number
  /** Messages each way. */
  messages: number
  /** Presence changes each side makes during the soak. */
  presenceChanges: number
  presenceTtlMs: number
  /** Fails the scenario when a step takes longer. */
  stepTimeoutMs?: number
  /** Before finishing, wait for a relayed connection between them that opens this long after the reservation (proves it was renewed). */
  relayedOpenAfterMs?: number
  /** Before finishing, wait this long (from the first dial) for a direct connection between them; a failed punch is retried after 10 s, then 20 s. */
  directWithinMs?: number
  /**
   * How Alice asks Bob: `code` (default): both private (the default visibility), she asks with his
   * contact code alone and finds him through its intake record in the relay's DHT; `relayed-dial`:
   * both public, she dials the relayed address he gave her and asks by peer id.
   */
  contactBy?: 'relayed-dial' | 'code'
  log?: (line: string) => void
}

export interface NatMapping {
  /** Source port the home host used, and the ports two destinations saw, per trial. */
  trials: Array<{ local: number, seen: number[] }>
  endpointIndependent: boolean
  portPreserving: boolean
}

export interface NatScenarioResult {
  kind: NatKind
  mapping: NatMapping
  /** From Alice's first dial of Bob's relayed address to both seeing each other online. */
  contactMs: number
  /** From that first dial to the first direct (not relayed) connection between them, if any. */
  directMs: number | null
  /** Relayed connections between Alice and Bob, as Alice saw them open, and how many the relay cut. */
  relayedConnections: number
  /** Relayed connections between them that the relay cut, by which limit. */
  limitCuts: { duration: number, data: number }
  /** Longest time Alice had no connection to Bob, after the first. */
  longestGapMs: number
  /** From Bob's relay reservation to the last relayed connection between them that opened (past the reservation's lifetime only if it was renewed). */
  lastRelayedOpenMs: number
  /** Bytes that crossed the relay between them (both directions), and per minute on connections that lived out their duration limit. */
  relayedBytes: { total: number, perMinute: number | null }
  /** Alice's hole punches: attempts, direct connections, failures. */
  punches: { attempts: number, direct: number, failed: number }
  presence: { changes: number, seen: number, flaps: number }
  messages: { sent: number, delivered: number, duplicates: number, missing: number, lastDeliveredMs: number }
  soakMs: number
  totalMs: number
}

const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

async function until<T> (fn: () => Promise<T | undefined | false> | T | undefined | false, what: string, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs
  let delay = 50
  while (Date.now() < end) {
    const v = await fn()
    if (v !== undefined && v !== false) return v
    await sleep(delay)
    delay = Math.min(delay * 2, 500)
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
}

/** Runs a command inside a namespace and returns its output (bounded). */
async function runIn (net: NatNetwork, ns: string, argv: string[], timeoutMs = 20_000): Promise<string> {
  const cmd = [...net.exec(ns), ...argv]
  return await new Promise((resolve, reject) => {
    const child = spawn(cmd[0], cmd.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', d => { out += d.toString() })
    child.stderr.on('data', d => { err += d.toString() })
    const timer = setTimeout(() => { child.kill('SIGKILL') }, timeoutMs)
    child.on('exit', code => {
      clearTimeout(timer)
      if (code === 0) resolve(out)
      else reject(new Error(`${argv.join(' ')} exited ${code}: ${err.trim()}`))
    })
  })
}

/** What the NAT does to source ports: two destinations, same source port, three trials. */
export async function probeMapping (net: NatNetwork): Promise<NatMapping> {
  const serverCmd = [...net.exec(net.ns.relay), process.execPath, ...nodeArgs(PROBE), 'server', '7001', '7002']
  const server = spawn(serverCmd[0], serverCmd.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] })
  try {
    await new Promise<void>((resolve, reject) => {
      readline.createInterface({ input: server.stdout }).once('line', () => { resolve() })
      server.once('exit', code => { reject(new Error(`probe server exited ${code}`)) })
    })
    const trials: NatMapping['trials'] = []
    const out = await runIn(net, net.ns.homeA, [process.execPath, ...nodeArgs(PROBE), 'client', WAN.relay, '40001,40002,40003', '7001', '7002'])
    for (const line of out.trim().split('\n')) trials.push(JSON.parse(line))
    return {
      trials,
      endpointIndependent: trials.every(t => t.seen.every(p => p === t.seen[0])),
      portPreserving: trials.every(t => t.seen.every(p => p === t.local))
    }
  } finally {
    server.kill('SIGKILL')
  }
}

const relayed = (addr: string): boolean => addr.includes('/p2p-circuit')
const PUBLIC = { defaultVisibility: 'public' as const }
/** A node process not listening by then has failed to start. */
const SPAWN_TIMEOUT_MS = 60_000
/** Messages go out in batches spread over the soak, so some are in flight when a limit cuts the link. */
const BATCH = 10

export async function runNatScenario (opts: NatScenarioOptions): Promise<NatScenarioResult> {
  const log = opts.log ?? (() => {})
  const step = opts.stepTimeoutMs ?? 60_000
  const byCode = opts.contactBy !== 'relayed-dial'
  const started = Date.now()
  removeLeftovers()
  const net = createNatNetwork(opts.kind)
  onNetworkExit(killAllNodesNow)
  const homes: string[] = []
  // this scenario's processes only: another one may run beside it (the test runs cone and symmetric at once)
  const procs: NodeProcess[] = []
  const spawnIn = async (ns: string, options: Parameters<typeof spawnNode>[0]): Promise<NodeProcess> => {
    // starting is CPU work (tsx, keys, LevelDB): a loaded machine needs longer than a step
    const p = await spawnNode(options, Math.max(step, SPAWN_TIMEOUT_MS), net.exec(ns))
    procs.push(p)
    return p
  }
  const home = async (name: string): Promise<string> => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), `pmnat-${name}-`))
    homes.push(dir)
    return dir
  }
  try {
    const mapping = await probeMapping(net)
    log(`${opts.kind} NAT: ${JSON.stringify(mapping)}`)

    const relay = await spawnIn(net.ns.relay, {
      home: await home('relay'),
      listen: [`/ip4/${WAN.relay}/tcp/4791`],
      relay: true,
      relayLimits: opts.relayLimits as any,
      maxConnections: 512,
      sharedHost: false,
      mdns: false,
      roster: PUBLIC
    })
    const relayAddr = `/ip4/${WAN.relay}/tcp/4791/p2p/${relay.peerId}`
    const user = async (name: string, ns: string): Promise<NodeProcess> => await spawnIn(ns, {
      home: await home(name),
      listen: ['/ip4/0.0.0.0/tcp/4791'],
      bootstrap: [relayAddr],
      sharedHost: false,
      mdns: false,
      presence: { ttlMs: opts.presenceTtlMs },
      ...(byCode ? {} : { roster: PUBLIC })
    })
    const [alice, bob] = await Promise.all([user('alice', net.ns.homeA), user('bob', net.ns.homeB)])
    log(`alice ${alice.peerId} on ${HOME_A.host}, bob ${bob.peerId}, relay ${relayAddr}`)

    // each holds a slot on the relay, and announces the relayed address
    const bobRelayed = await until(async () => (await bob.call<string[]>('addresses')).find(relayed), 'bob to announce a relayed address', step)
    const reservedAt = Date.now()
    await until(async () => (await alice.call<string[]>('addresses')).some(relayed), 'alice to announce a relayed address', step)

    // Bob gives Alice his relayed address; she asks, he accepts
    const firstContact = Date.now()
    if (byCode) {
      await alice.call('requestContact', await bob.call<string>('contactCode'), 'hi Bob, it is Alice')
    } else {
      // a dial that fails (the relay busy, the slot being renewed) is tried again, as a person would
      await until(async () => await alice.call('dial', bobRelayed).then(() => true, () => false), 'alice to reach bob through the relay', step)
      await alice.call('requestContact', bob.peerId, 'hi Bob, it is Alice')
    }
    await until(async () => (await bob.call<any>('contactRequests')).incoming.some((r: any) => r.peerId === alice.peerId), 'bob to receive the request', step)
    await bob.call('accept', alice.peerId, 'alice')
    const onlineFor = (events: any[], peer: string): boolean => events.some(e => e.event === 'presence' && e.view.peerId === peer && e.view.status === 'online')
    await until(() => onlineFor(alice.events, bob.peerId) && onlineFor(bob.events, alice.peerId), 'both to see each other online', step)
    const contactMs = Date.now() - firstContact
    log(`contacts and online after ${contactMs} ms`)

    // the soak: presence changes and messages, spread over soakMs
    const soakStart = Date.now()
    const notes: Array<{ who: NodeProcess, watcher: NodeProcess, note: string }> = []
    const sends: Array<Promise<unknown>> = []
    const batches = Math.max(1, Math.ceil(opts.messages / BATCH))
    const changes = opts.presenceChanges * 2
    const actions: Array<{ at: number, run: () => Promise<void> }> = []
    for (let i = 0; i < batches; i++) {
      const count = Math.min(BATCH, opts.messages - i * BATCH)
      actions.push({
        at: opts.soakMs * i / batches,
        run: async () => {
          sends.push(alice.call('sendMany', bob.peerId, `alice->bob ${i}`, count))
          sends.push(bob.call('sendMany', alice.peerId, `bob->alice ${i}`, count))
        }
      })
    }
    for (let i = 0; i < changes; i++) {
      const [who, watcher] = i % 2 === 0 ? [alice, bob] : [bob, alice]
      const note = `note ${i}`
      actions.push({
        at: opts.soakMs * (i + 0.5) / changes,
        run: async () => {
          notes.push({ who, watcher, note })
          await who.call('setPresence', { status: i % 4 < 2 ? 'away' : 'online', note })
        }
      })
    }
    for (const a of actions.sort((x, y) => x.at - y.at)) {
      await sleep(Math.max(0, soakStart + a.at - Date.now()))
      await a.run()
    }
    await Promise.all(sends)
    await sleep(Math.max(0, soakStart + opts.soakMs - Date.now()))
    const soakMs = Date.now() - soakStart

    if (opts.relayedOpenAfterMs != null) {
      const after = reservedAt + opts.relayedOpenAfterMs
      await until(() => alice.events.some(e => e.event === 'connection:open' && e.peer === bob.peerId && e.limited && e.at > after),
        'a relayed connection after the reservation\'s first lifetime', step)
    }

    if (opts.directWithinMs != null) {
      const deadline = firstContact + opts.directWithinMs - Date.now()
      await until(() => alice.events.some(e => e.event === 'connection:open' && e.peer === bob.peerId && !e.limited), 'a direct connection', Math.max(0, deadline)).catch(() => {})
    }

    // everything sent arrives exactly once
    const texts = (events: any[], from: string): string[] => events.filter(e => e.event === 'chat-message' && e.message.peer === from && e.message.direction === 'in').map(e => e.message.text)
    const expected = (prefix: string): string[] => Array.from({ length: batches }, (_, i) => Array.from({ length: Math.min(BATCH, opts.messages - i * BATCH) }, (_, j) => `${prefix} ${i} ${j}`)).flat()
    await until(() => new Set(texts(bob.events, alice.peerId)).size >= opts.messages && new Set(texts(alice.events, bob.peerId)).size >= opts.messages,
      'every message to arrive', step * 2)
    const lastDeliveredMs = Date.now() - soakStart
    const count = (got: string[], want: string[]): { duplicates: number, missing: number } => {
      const seen = new Map<string, number>()
      for (const t of got) seen.set(t, (seen.get(t) ?? 0) + 1)
      return {
        duplicates: [...seen.values()].reduce((n, c) => n + c - 1, 0) + got.filter(t => !want.includes(t)).length,
        missing: want.filter(t => !seen.has(t)).length
      }
    }
    const ab = count(texts(bob.events, alice.peerId), expected('alice->bob'))
    const ba = count(texts(alice.events, bob.peerId), expected('bob->alice'))
    // the stores agree with what was shown
    for (const [node, peer, prefix] of [[bob, alice.peerId, 'alice->bob'], [alice, bob.peerId, 'bob->alice']] as const) {
      const history = (await node.call<any[]>('history', peer, Math.max(1, opts.messages * 4))).filter(m => m.direction === 'in').map(m => m.text)
      const c = count(history, expected(prefix))
      ab.duplicates += c.duplicates
      ab.missing += c.missing
    }

    // every presence change was seen by the other side
    await until(() => notes.every(n => n.watcher.events.some(e => e.event === 'presence' && e.view.peerId === n.who.peerId && e.view.note === n.note)),
      'every presence change to be seen', step).catch(() => {})
    const seenChanges = notes.filter(n => n.watcher.events.some(e => e.event === 'presence' && e.view.peerId === n.who.peerId && e.view.note === n.note)).length
    const flapsOf = (events: any[], peer: string): number => events.filter(e => e.event === 'presence' && e.view.peerId === peer && e.at > firstContact + contactMs &&
      (e.cause === 'expired' || e.view.status === 'offline')).length
    const flaps = flapsOf(alice.events, bob.peerId) + flapsOf(bob.events, alice.peerId)

    // how the link between them ran, from Alice's side
    const links = alice.events.filter(e => (e.event === 'connection:open' || e.event === 'connection:close') && e.peer === bob.peerId)
    const direct = links.find(e => e.event === 'connection:open' && !e.limited)
    const relayedOpened = new Set(links.filter(e => e.event === 'connection:open' && e.limited).map(e => e.id)).size
    // a relayed connection the relay cut lived its whole duration limit or
    // used up its data limit (the client counts the same bytes the relay does)
    const { defaultDurationLimit, defaultDataLimit } = opts.relayLimits
    const used = (e: any): number => e.bytesLeft == null ? 0 : defaultDataLimit - Number(e.bytesLeft)
    const byDuration = (e: any): boolean => e.at - e.openedAt >= defaultDurationLimit * 0.95
    const byData = (e: any): boolean => used(e) >= defaultDataLimit * 0.95
    const closedRelayed = links.filter(e => e.event === 'connection:close' && e.limited)
    const limitCuts = { duration: closedRelayed.filter(byDuration).length, data: closedRelayed.filter(e => !byDuration(e) && byData(e)).length }
    const open = new Set<string>()
    let gapFrom: number | undefined
    let longestGapMs = 0
    for (const e of links) {
      if (e.event === 'connection:open') {
        if (open.size === 0 && gapFrom != null) longestGapMs = Math.max(longestGapMs, e.at - gapFrom)
        open.add(e.id)
      } else {
        open.delete(e.id)
        if (open.size === 0) gapFrom = e.at
      }
    }
    if (open.size === 0 && gapFrom != null) longestGapMs = Math.max(longestGapMs, Date.now() - gapFrom)
    // traffic of a relayed pair: connections that lived out their duration limit
    const fullLives = closedRelayed.filter(byDuration)
    const fullMs = fullLives.reduce((n, e) => n + e.at - e.openedAt, 0)

    const lastRelayedOpen = links.filter(e => e.event === 'connection:open' && e.limited).at(-1)
    const punches = await alice.call('punchStats')

    await Promise.all([alice, bob, relay].map(async n => await n.call('stop').catch(() => {})))
    return {
      kind: opts.kind,
      mapping,
      contactMs,
      directMs: direct == null ? null : direct.at - firstContact,
      relayedConnections: relayedOpened,
      limitCuts,
      longestGapMs,
      lastRelayedOpenMs: lastRelayedOpen == null ? 0 : lastRelayedOpen.at - reservedAt,
      relayedBytes: {
        total: closedRelayed.reduce((n, e) => n + used(e), 0),
        perMinute: fullMs === 0 ? null : Math.round(fullLives.reduce((n, e) => n + used(e), 0) * 60_000 / fullMs)
      },
      punches,
      presence: { changes: notes.length, seen: seenChanges, flaps },
      messages: { sent: opts.messages * 2, delivered: new Set(texts(bob.events, alice.peerId)).size + new Set(texts(alice.events, bob.peerId)).size, duplicates: ab.duplicates + ba.duplicates, missing: ab.missing + ba.missing, lastDeliveredMs },
      soakMs,
      totalMs: Date.now() - started
    }
  } finally {
    await Promise.all(procs.map(async p => { await p.kill() }))
    net.destroy()
    await Promise.all(homes.map(async d => await fs.rm(d, { recursive: true, force: true })))
  }
}
