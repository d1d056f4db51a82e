/**
 * npm run chaos [-- --nodes 30 --per-process 5 --ttl 6000 --seed 1 --record]
 *
 * A mesh of presence nodes in host processes on TCP loopback (the project
 * compiled to JavaScript once, so no process transpiles). Each node bootstraps
 * from two random others and watches a few random contacts (mutual); nothing
 * here dials: the product's bootstrap, rejoin and discovery connect it. Then
 * it SIGKILLs 30% of the host processes and restarts them on the same homes
 * and ports, partitions the mesh in two (connection gaters) and heals it.
 * Checks that every watcher's view converges, and that every chat message
 * send() accepted (sent all along, to dead and cut-off contacts too) arrives
 * exactly once. Every failed check names the watcher, the contact and what
 * the watcher knew. The load average and each host's event-loop delay are
 * recorded per phase. Bounded by a global deadline; kills every host in every
 * outcome. Exit code 0 only when every check passed.
 */
import '../node/polyfill.js'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { compileForPlainNode } from './compile.js'
import { prng } from './mesh.js'
import { result } from './result.js'
import { offlineAfter, offlineEvent, stats, viewBefore } from './chaos/cluster.js'
import { killAllHosts } from './chaos/hosts.js'
import { meshCluster, pickDistinct, planMesh } from './chaos/plan.js'
import { formatLoad, LoadRecorder } from './chaos/load.js'
import type { Cluster, Member } from './chaos/cluster.js'
import type { BenchResult } from './result.js'
import type { ChatMessage } from '../node/chat/index.js'

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '30' },
    // 6 processes on 2 cores: see docs/benchmarks.md "The chaos run" for why
    'per-process': { type: 'string', default: '5' },
    ttl: { type: 'string', default: '6000' },
    seed: { type: 'string', default: String(Date.now() % 100_000) },
    contacts: { type: 'string', default: '5' },
    'kill-fraction': { type: 'string', default: '0.3' },
    deadline: { type: 'string', default: '900' },
    record: { type: 'boolean', default: false },
    /** Keep the nodes' homes (datastores) when a check failed, for a post-mortem. */
    keep: { type: 'boolean', default: false }
  }
})
const N = Number(values.nodes)
const PER_PROCESS = Number(values['per-process'])
const TTL = Number(values.ttl)
const SEED = Number(values.seed)
const CONTACTS = Math.min(Number(values.contacts), N - 1)
const KILL_FRACTION = Number(values['kill-fraction'])
const DEADLINE_S = Number(values.deadline)
for (const [k, v] of Object.entries({ nodes: N, 'per-process': PER_PROCESS, ttl: TTL, seed: SEED, contacts: CONTACTS, deadline: DEADLINE_S })) {
  if (!Number.isFinite(v) || v < 0) { console.error(`--${k} must be a non-negative number`); process.exit(2) }
}
if (N < 4) { console.error('--nodes must be at least 4'); process.exit(2) }
if (!Number.isInteger(PER_PROCESS) || PER_PROCESS < 1) { console.error('--per-process must be a positive integer'); process.exit(2) }

/** How long beyond the TTL a crash or partition check may take: records need CPU to travel. */
const SLACK_MS = Math.max(5_000, TTL)
/** Lateness of an expiry past the TTL that is not counted against it (timer and pipe latency). */
const TIMER_TOLERANCE_MS = 500
/** Views must be right again this soon after the restarted nodes listen, and after the heal. */
const RECOVERY_MS = 30_000 + 2 * TTL
/** The first convergence: every node starts with an empty peer store and finds its contacts through the DHT. */
const START_CONVERGENCE_MS = 60_000 + 2 * TTL
/** docs/protocol.md §7.3: the outbox delivers within 30 s once both sides are reachable. */
const CHAT_BOUND_MS = 30_000

const random = prng(SEED)

interface Check { name: string, ok: boolean, detail: string }
const checks: Check[] = []
const check = (name: string, ok: boolean, detail: string): void => {
  checks.push({ name, ok, detail })
  console.log(`${ok ? 'PASS' : 'FAIL'} ${name}: ${detail}`)
}
const T0 = Date.now()
const log = (msg: string): void => { console.log(`[${((Date.now() - T0) / 1000).toFixed(1)} s] ${msg}`) }
const wrongList = (wrong: string[]): string => wrong.length === 0 ? '' : `; ${wrong.length} wrong: ${wrong.slice(0, 8).join('; ')}${wrong.length > 8 ? '; …' : ''}`
const load = (): string => os.loadavg().map(x => x.toFixed(1)).join(' ')
const figures: Record<string, number> = {}

/** Logs the half-open connections found now (docs/benchmarks.md, "Runs of session 8") and the phase's lost subscriptions. */
async function reportOneSided (cluster: Cluster, phase: string): Promise<void> {
  const found = await cluster.oneSided()
  figures[`chaos.${phase}.oneSided`] = found.length
  log(`one-sided connections after ${phase}: ${found.length}${found.length > 0 ? `\n  ${found.join('\n  ')}` : ''}`)
  await reportSubscriptionGaps(cluster, phase)
}

/** Watchers whose subscription a contact's gossipsub lost by detaching them while connected, and how long until it came back. */
async function reportSubscriptionGaps (cluster: Cluster, phase: string): Promise<void> {
  const gaps = await cluster.subscriptionGaps()
  const back = gaps.filter(g => g.back).map(g => g.ms)
  const open = gaps.filter(g => !g.back)
  log(`watchers detached while connected (their subscription lost at the contact) during ${phase}: ${back.length} came back${back.length > 0 ? `, after ${stats(back)}` : ''}` +
    `${open.length > 0 ? `; missing now: ${open.map(g => `${(g.ms / 1000).toFixed(1)} s${g.connected === true ? ' (connected)' : ''}`).join(', ')}` : ''}` +
    `${gaps.length > 0 ? `; detached by: ${[...new Set(gaps.map(g => g.why))].join(' | ')}` : ''}`)
}

/** Every live node sends one message to each contact, dead or cut off or not. */
async function chatRound (cluster: Cluster, label: string): Promise<number> {
  let n = 0
  await Promise.all(cluster.alive().map(async m => {
    for (const c of m.contacts) {
      const [id] = await cluster.call<string[]>(m, 'sendMany', cluster.members[c].peerId, `${label} ${m.i}->${c}`, 1)
      m.sent.set(c, [...(m.sent.get(c) ?? []), id])
      n++
    }
  }))
  return n
}

interface Delivery { sent: number, missing: Array<{ s: Member, r: Member, id: string }>, duplicated: number, unexpected: number }

/** Per receiver and sender: how often each sent id is in the receiver's history. */
async function chatDelivery (cluster: Cluster): Promise<Delivery> {
  const d: Delivery = { sent: 0, missing: [], duplicated: 0, unexpected: 0 }
  await Promise.all(cluster.alive().map(async r => {
    for (const s of cluster.members) {
      const ids = s.sent.get(r.i)
      if (ids == null) continue
      const inbound = (await cluster.call<ChatMessage[]>(r, 'history', s.peerId)).filter(h => h.direction === 'in')
      const count = new Map<string, number>()
      for (const h of inbound) count.set(h.id, (count.get(h.id) ?? 0) + 1)
      for (const id of ids) {
        d.sent++
        const k = count.get(id) ?? 0
        if (k === 0) d.missing.push({ s, r, id })
        if (k > 1) d.duplicated++
      }
      d.unexpected += inbound.filter(h => !ids.includes(h.id)).length
    }
  }))
  return d
}

/**
 * For each message missing at the last look, asked in this order: the sender,
 * then the receiver again (so one that arrived meanwhile is not taken for
 * lost). Late: it arrived after the deadline. Not delivered: the sender still
 * shows it queued or sent. Lost: the sender was told it was delivered and the
 * receiver does not have it.
 */
async function explainMissing (cluster: Cluster, missing: Delivery['missing']): Promise<{ lines: string[], lost: number }> {
  let lost = 0
  const lines = await Promise.all(missing.map(async ({ s, r, id }) => {
    const state = (await cluster.call<ChatMessage[]>(s, 'history', r.peerId).catch(() => []))
      .find(h => h.id === id)?.state ?? 'unknown'
    const arrived = (await cluster.call<ChatMessage[]>(r, 'history', s.peerId).catch(() => [])).find(h => h.id === id)
    const held = (await cluster.call<ChatMessage[]>(r, 'held').catch(() => [])).some(h => h.id === id)
    const shown = cluster.events(r, true).find(e => (e.event === 'chat-in' || e.event === 'chat-held') && e.id === id)
    const what = arrived != null
      ? `arrived late, at +${Math.round(((arrived.receivedAt ?? 0) - T0) / 1000)} s`
      : held
        ? 'held by the receiver as from a non-contact'
        : state === 'delivered' ? `LOST: delivered at the sender, not at the receiver${shown != null ? ` (which showed it at +${Math.round((shown.at - T0) / 1000)} s, seq ${String(shown.seq)})` : ''}` : `not delivered: ${state} at the sender`
    if (arrived == null && state === 'delivered') lost++
    const sender = arrived != null ? undefined : await cluster.call<Record<string, unknown>>(s, 'delivery', r.peerId).catch(() => undefined)
    const status = sender == null ? '' : ` (sender: ${Object.entries(sender).filter(([, v]) => v !== undefined).map(([k, v]) => `${k} ${String(v)}`).join(', ')})`
    return `${s.i}->${r.i} ${id.slice(0, 8)} ${what}${status}`
  }))
  return { lines, lost }
}

async function main (): Promise<void> {
  const hostCount = Math.ceil(N / PER_PROCESS)
  log(`chaos: ${N} nodes in ${hostCount} processes (${PER_PROCESS} per process) on TCP loopback, TTL ${TTL} ms, ${CONTACTS} random contacts each (made mutual), ` +
    `kill ${Math.round(KILL_FRACTION * 100)}% of the processes, seed ${SEED}; ${os.cpus().length} cores, load average ${load()}`)
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'pm-chaos-'))
  const build = await compileForPlainNode('the chaos run')
  log(`compiled the project to JavaScript; load average ${load()}`)
  let recorder: LoadRecorder | undefined
  try {
    const plan = await planMesh(root, N, PER_PROCESS, CONTACTS, random)
    const { members, hostMembers } = plan
    const half = Math.floor(N / 2)
    const side = (i: number): number => i < half ? 0 : 1
    const cluster = meshCluster(plan, path.join(build.dir, 'bench/chaos/host.js'), TTL)
    recorder = new LoadRecorder(async () => await cluster.health())
    recorder.start()
    const pairs = members.reduce((n, m) => n + m.contacts.length, 0)

    // ---- start: bootstrap only; watching is the user's act, finding contacts the product's ----
    recorder.phase('start')
    let t = Date.now()
    await Promise.all(hostMembers.map(async (_, h) => { await cluster.start(h) }))
    log(`started ${hostCount} processes in ${Date.now() - t} ms; load average ${load()}`)
    // to read the nodes' debug logs (which name peers only) against a failed check's pair
    log(`peer ids: ${cluster.members.map(m => `${m.i}=${m.peerId}`).join(' ')}`)
    await Promise.all(members.map(async m => { for (const c of m.contacts) await cluster.call(m, 'watch', members[c].peerId, `n${c}`) }))
    let r = await cluster.converge(() => 'online', START_CONVERGENCE_MS)
    figures['chaos.start.convergence'] = r.ms
    check('initial convergence', r.wrong.length === 0, `${pairs} watcher->contact views online ${r.ms} ms after the watches${wrongList(r.wrong)}`)
    await reportOneSided(cluster, 'start')
    log(`chat: ${await chatRound(cluster, 'start')} messages sent`)

    // ---- crash: SIGKILL a share of the processes, no goodbye ----
    recorder.phase('crash')
    const victims = pickDistinct(random, hostCount, Math.max(1, Math.round(hostCount * KILL_FRACTION)), new Set())
    const dead = new Set(victims.flatMap(h => hostMembers[h]))
    // what each watcher showed for a victim just before the kill
    const killAt = Date.now()
    const before = new Map<string, string | undefined>()
    for (const w of cluster.alive()) for (const c of w.contacts) if (dead.has(c)) before.set(`${w.i}->${c}`, viewBefore(cluster.events(w), members[c], killAt)?.view?.status)
    await Promise.all(victims.map(async h => { await cluster.kill(h) }))
    log(`SIGKILLed processes ${victims.join(' ')} (nodes ${[...dead].join(' ')}); chat: ${await chatRound(cluster, 'crash')} messages sent, some to dead nodes`)
    r = await cluster.converge((_w, c) => dead.has(c.i) ? 'offline' : 'online', TTL + SLACK_MS)
    const toOffline: number[] = []
    const lateness: number[] = []
    const late: string[] = []
    const noEvent: string[] = []
    for (const w of cluster.alive()) {
      for (const ci of w.contacts) {
        if (!dead.has(ci)) continue
        const e = offlineEvent(cluster.events(w), members[ci], killAt)
        if (e == null) {
          noEvent.push(`${w.i}->${ci} (showed ${before.get(`${w.i}->${ci}`) ?? 'nothing'} before the kill)`)
          continue
        }
        const ms = e.at - killAt
        const lateMs: number = e.lateMs ?? 0
        toOffline.push(ms)
        lateness.push(lateMs)
        // docs/protocol.md §5: one TTL from the last record, plus the watcher's own lag grace (at most TTL / 3)
        if (ms > TTL + Math.min(lateMs, TTL / 3) + TIMER_TOLERANCE_MS) late.push(`${w.i}->${ci} after ${ms} ms (${lateMs} ms after the record's local expiry)`)
      }
    }
    check('killed nodes offline for every watcher', r.wrong.length === 0 && noEvent.length === 0,
      `converged in ${r.ms} ms; kill -> offline ${stats(toOffline)}${noEvent.length > 0 ? `; no offline event: ${noEvent.join(', ')}` : ''}${wrongList(r.wrong)}`)
    figures['chaos.kill.offline.max'] = Math.max(0, ...toOffline)
    check('offline within the TTL (plus the watcher\'s own lag grace)', late.length === 0 && toOffline.length > 0,
      `${toOffline.filter(ms => ms > TTL).length} of ${toOffline.length} later than TTL ${TTL} ms; lateness past the record's local expiry (the watcher's event-loop delay and grace) ${stats(lateness)}; ` +
      `${late.length} later than TTL + min(lateness, TTL / 3) + ${TIMER_TOLERANCE_MS} ms${late.length > 0 ? `: ${late.slice(0, 10).join(', ')}` : ''}`)
    const falseOffline = await Promise.all(cluster.alive().flatMap(w => cluster.events(w)
      .filter(e => e.event === 'presence' && e.at >= killAt && e.view?.status === 'offline')
      .map(e => ({ e, c: members.find(m => m.peerId === e.view.peerId) }))
      .filter(({ c }) => c != null && !dead.has(c.i))
      .map(async ({ e, c }) => `${w.i}->${c!.i} at +${e.at - killAt} ms (${e.cause}${e.lateMs != null ? `, ${String(e.lateMs)} ms after its local expiry` : ''}; contact on host ${c!.host}; ` +
        `${await cluster.missedRecords(w, c!, e.at, TTL)}; now: ${(await cluster.explain([{ w, c: c!, seen: 'now' }]))[0]})`)))
    check('no live node shown offline during the crash', falseOffline.length === 0, falseOffline.length === 0 ? 'none' : `${falseOffline.length} transient offline views: ${falseOffline.slice(0, 10).join(', ')}`)
    await reportOneSided(cluster, 'crash')

    // ---- restart the victims on the same homes and ports ----
    recorder.phase('restart')
    t = Date.now()
    await Promise.all(victims.map(async h => { await cluster.start(h) }))
    dead.clear()
    log(`restarted processes ${victims.join(' ')} in ${Date.now() - t} ms; load average ${load()}`)
    r = await cluster.converge(() => 'online', RECOVERY_MS)
    figures['chaos.restart.convergence'] = r.ms
    check('restarted nodes online again everywhere (and they see their contacts)', r.wrong.length === 0,
      `all ${pairs} views online ${r.ms} ms after the restarted nodes listened${wrongList(r.wrong)}`)
    await reportOneSided(cluster, 'restart')

    // ---- partition the mesh in two halves, then heal ----
    recorder.phase('partition')
    const A = members.filter(m => side(m.i) === 0)
    const B = members.filter(m => side(m.i) === 1)
    const cross = (w: Member, c: Member): boolean => side(w.i) !== side(c.i)
    const partAt = Date.now()
    await Promise.all(members.map(async m => { await cluster.call(m, 'deny', (side(m.i) === 0 ? B : A).map(x => x.peerId)) }))
    log(`partitioned: ${A.length} | ${B.length} nodes, cross links cut and refused; chat: ${await chatRound(cluster, 'partition')} messages sent, some across the cut`)
    r = await cluster.converge((w, c) => cross(w, c) ? 'offline' : 'online', TTL + SLACK_MS)
    const crossPairs = members.reduce((n, w) => n + w.contacts.filter(c => cross(w, members[c])).length, 0)
    const partOffline = members.flatMap(w => w.contacts.filter(c => cross(w, members[c])).map(c => offlineAfter(cluster.events(w), members[c], partAt)).filter((x): x is number => x != null))
    const sameSideEvents = members.flatMap(w => cluster.events(w)
      .filter(e => e.event === 'presence' && e.at >= partAt && e.view?.status === 'offline')
      .map(e => ({ e, c: members.find(m => m.peerId === e.view.peerId) }))
      .filter((x): x is { e: typeof x.e, c: Member } => x.c != null && !cross(w, x.c))
      .map(({ e, c }) => ({ w, c, e })))
    // why: what the watcher knows of that contact now, both sides
    const sameSideOffline = await Promise.all(sameSideEvents.map(async ({ w, c, e }) =>
      `${w.i}->${c.i} at +${e.at - partAt} ms (${String(e.cause)}${e.lateMs != null ? `, ${String(e.lateMs)} ms after its local expiry` : ''}; ` +
      `${await cluster.missedRecords(w, c, e.at, TTL)}; now: ${(await cluster.explain([{ w, c, seen: 'now' }]))[0]})`))
    check('partition: the other side offline, own side online', r.wrong.length === 0 && sameSideOffline.length === 0,
      `${crossPairs} cross views offline, ${pairs - crossPairs} same-side views online, converged in ${r.ms} ms; partition -> offline ${stats(partOffline)}` +
      `${sameSideOffline.length > 0 ? `; same-side views shown offline meanwhile: ${sameSideOffline.join(' ')}` : ''}${wrongList(r.wrong)}`)
    const leaks = (await Promise.all(members.map(async m => (await cluster.call<string[]>(m, 'connections'))
      .filter(p => (side(m.i) === 0 ? B : A).some(x => x.peerId === p)).map(p => `${m.i}->${members.find(x => x.peerId === p)!.i}`)))).flat()
    check('partition holds: no connection across the cut', leaks.length === 0, `${leaks.length} cross connections${leaks.length > 0 ? `: ${leaks.join(' ')}` : ''}`)
    await reportOneSided(cluster, 'partition')

    recorder.phase('heal')
    const healAt = Date.now()
    await Promise.all(members.map(async m => { await cluster.call(m, 'allowAll') }))
    r = await cluster.converge(() => 'online', RECOVERY_MS)
    figures['chaos.heal.convergence'] = r.ms
    check('heal: every view online again', r.wrong.length === 0, `converged ${Date.now() - healAt} ms after the heal${wrongList(r.wrong)}`)
    await reportOneSided(cluster, 'heal')

    // ---- chat: every message send() accepted is in the receiver's history exactly once ----
    recorder.phase('chat')
    log(`chat: ${await chatRound(cluster, 'healed')} messages sent after the heal`)
    let d = await chatDelivery(cluster)
    while ((d.missing.length > 0 || d.duplicated > 0) && Date.now() - healAt < CHAT_BOUND_MS + r.ms) {
      await new Promise(resolve => setTimeout(resolve, 1_000))
      d = await chatDelivery(cluster)
    }
    const deliveredAfterHealMs = Date.now() - healAt
    figures['chaos.chat.missing'] = d.missing.length
    figures['chaos.chat.duplicated'] = d.duplicated
    const why = await explainMissing(cluster, d.missing)
    figures['chaos.chat.lost'] = why.lost
    check('chat: every accepted message delivered exactly once', d.missing.length === 0 && d.duplicated === 0 && d.unexpected === 0,
      `${d.sent} messages (sent before and during the crash, across the partition, after the heal): ${d.missing.length} missing (${why.lost} lost), ${d.duplicated} duplicated, ` +
      `${d.unexpected} unexpected, ${deliveredAfterHealMs} ms after the heal and ${deliveredAfterHealMs - r.ms} ms after every view was online again (bound: ${CHAT_BOUND_MS} ms)` +
      `${why.lines.length > 0 ? `; missing: ${why.lines.slice(0, 10).join(', ')}` : ''}`)
    await reportOneSided(cluster, 'chat')
    figures['chaos.chat.sent'] = d.sent
  } finally {
    await recorder?.stop()
    await killAllHosts()
    await build.remove()
    if (values.keep === true && checks.some(c => !c.ok)) console.log(`homes kept in ${root}`)
    else await fs.rm(root, { recursive: true, force: true }).catch(() => {})
  }
  console.log('\nload per phase:')
  for (const p of recorder.summary()) console.log(`  ${formatLoad(p)}`)
  if (values.record === true) await record(recorder.summary())
}

/** Replaces the chaos.* rows of bench/results.json with this run's. */
async function record (phases: ReturnType<LoadRecorder['summary']>): Promise<void> {
  const file = path.join(import.meta.dirname, 'results.json')
  const rows = (JSON.parse(await fs.readFile(file, 'utf8')) as BenchResult[]).filter(r => !r.name.startsWith('chaos.'))
  const notes = `${N} nodes, ${PER_PROCESS} per process, TTL ${TTL} ms, seed ${SEED}, ${os.cpus().length} cores; ` +
    phases.map(p => `${p.phase}: load ${p.load1.min.toFixed(1)}-${p.load1.max.toFixed(1)}, lag p99 ${p.medianLagP99}/${p.worstLagP99} ms`).join('; ')
  const passed = checks.filter(c => c.ok).length
  rows.push(result({ name: 'chaos.checks.passed', value: passed, unit: 'checks', baseline: 'checks run', baselineValue: checks.length, nodes: N, runs: 1, notes }))
  for (const [name, value] of Object.entries(figures)) {
    const chat = name.startsWith('chaos.chat')
    rows.push(result({
      name, value, unit: chat ? 'messages' : 'ms', baseline: chat ? 'messages sent' : 'record TTL', baselineValue: chat ? figures['chaos.chat.sent'] : TTL, nodes: N, runs: 1, notes
    }))
  }
  await fs.writeFile(file, JSON.stringify(rows, null, 2) + '\n')
}

// every outcome kills every host: success, failure, deadline, Ctrl-C
const deadline = setTimeout(() => {
  console.error(`chaos: global deadline of ${DEADLINE_S} s reached, killing every node`)
  void killAllHosts().finally(() => process.exit(1))
}, DEADLINE_S * 1000)
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => { void killAllHosts().finally(() => process.exit(130)) })
}
main().then(() => {
  clearTimeout(deadline)
  const failed = checks.filter(c => !c.ok)
  console.log(`\nchaos summary (${((Date.now() - T0) / 1000).toFixed(0)} s, seed ${SEED}, ${N} nodes in ${Math.ceil(N / PER_PROCESS)} processes): ${checks.length - failed.length} of ${checks.length} checks passed`)
  for (const c of checks) console.log(`  ${c.ok ? 'PASS' : 'FAIL'} ${c.name}: ${c.detail}`)
  process.exit(failed.length === 0 ? 0 : 1)
}, async (err) => {
  clearTimeout(deadline)
  console.error('chaos: aborted -', err)
  await killAllHosts()
  process.exit(1)
})
