/**
 * npm run chaos [-- --nodes 30 --ttl 6000 --seed 1]
 *
 * 30+ presence nodes in separate processes on TCP loopback. SIGKILLs 30% of
 * them and restarts them on the same home and port, then partitions the mesh
 * in two (connection gater, links cut) and heals it. Checks that every
 * watcher's view converges: killed nodes offline within the TTL, restarted
 * ones online again, each side of the partition offline for the other within
 * the TTL, everyone online after the heal. Contacts chat all along (messages to
 * dead or cut-off peers included); at the end every message send() accepted
 * must be in the receiver's history exactly once. Bounded by a global deadline; kills
 * every child in every outcome. Exit code 0 only when every check passed.
 */
import '../node/polyfill.js'
import fs from 'node:fs/promises'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { generateKeyPair, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { IDENTITY_FILE } from '../node/home.js'
import { killAllNodes, spawnNode } from '../test/process-helpers.js'
import { prng } from './mesh.js'
import type { PresenceView } from '../node/presence/index.js'
import type { NodeProcess } from '../test/process-helpers.js'

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '30' },
    ttl: { type: 'string', default: '6000' },
    seed: { type: 'string', default: String(Date.now() % 100_000) },
    contacts: { type: 'string', default: '5' },
    'kill-fraction': { type: 'string', default: '0.3' },
    deadline: { type: 'string', default: '900' }
  }
})
const N = Number(values.nodes)
const TTL = Number(values.ttl)
const SEED = Number(values.seed)
const CONTACTS = Math.min(Number(values.contacts), N - 1)
const KILL_FRACTION = Number(values['kill-fraction'])
const DEADLINE_S = Number(values.deadline)
for (const [k, v] of Object.entries({ nodes: N, ttl: TTL, seed: SEED, contacts: CONTACTS, deadline: DEADLINE_S })) {
  if (!Number.isFinite(v) || v < 0) { console.error(`--${k} must be a non-negative number`); process.exit(2) }
}
if (N < 4) { console.error('--nodes must be at least 4'); process.exit(2) }
/** How long beyond the TTL a check may take: the machine is shared, records need CPU to travel. */
const SLACK_MS = Math.max(5_000, TTL)
const START_BATCH = 5
/** Expiry timers fire late on a loaded machine; this much lateness is not counted against the TTL. */
const TIMER_TOLERANCE_MS = 500
/** How long queued messages may take to arrive after the heal (the outbox retries with backoff up to minutes). */
const CHAT_DEADLINE_MS = 180_000

const random = prng(SEED)
const pickDistinct = (n: number, k: number, not: Set<number>): number[] => {
  const out = new Set<number>()
  for (let guard = 0; out.size < k && guard < 10_000; guard++) {
    const x = Math.floor(random() * n)
    if (!not.has(x)) out.add(x)
  }
  return [...out]
}

interface Member {
  i: number
  home: string
  port: number
  peerId: string
  addr: string
  bootstrap: number[]
  contacts: number[]
  proc?: NodeProcess
  /** Message ids send() returned, by receiver index. */
  sent: Map<number, string[]>
  /** Date.now() of the last SIGKILL. */
  killedAt?: number
}

interface Check { name: string, ok: boolean, detail: string }
const checks: Check[] = []
const check = (name: string, ok: boolean, detail: string): void => {
  checks.push({ name, ok, detail })
  console.log(`${ok ? 'PASS' : 'FAIL'} ${name}: ${detail}`)
}
const log = (msg: string): void => { console.log(`[${((Date.now() - T0) / 1000).toFixed(1)} s] ${msg}`) }
const T0 = Date.now()

async function freePorts (n: number): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: n }, async () => await new Promise<net.Server>((resolve, reject) => {
    const s = net.createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => resolve(s))
  })))
  const ports = servers.map(s => (s.address() as net.AddressInfo).port)
  await Promise.all(servers.map(async s => await new Promise(resolve => s.close(resolve))))
  return ports
}

async function start (m: Member, members: Member[]): Promise<void> {
  m.proc = await spawnNode({
    home: m.home,
    listen: [`/ip4/127.0.0.1/tcp/${m.port}`],
    bootstrap: m.bootstrap.map(j => members[j].addr),
    sharedHost: true,
    presence: { ttlMs: TTL },
    // the chaos run watches strangers: public presence
    roster: { defaultVisibility: 'public' }
  }, 120_000)
  if (m.proc.peerId !== m.peerId) throw new Error(`node ${m.i} came up as ${m.proc.peerId}, expected ${m.peerId}`)
}

const alive = (members: Member[]): Member[] => members.filter(m => m.proc != null)

/**
 * What discovery does for a real node: dial every contact. The presence service
 * itself never dials; without this a watcher whose only path to a contact ran
 * through crashed nodes keeps it offline until something reconnects them.
 */
async function dialContacts (members: Member[]): Promise<number> {
  let failed = 0
  await Promise.all(alive(members).map(async m => Promise.all([...new Set([...m.contacts, ...m.bootstrap])].map(async j => {
    if (members[j].proc == null) return
    await m.proc!.call('dial', members[j].addr).catch(() => { failed++ })
  }))))
  return failed
}

/** Every live watcher's view of each of its contacts, by polling `who`. */
async function views (members: Member[]): Promise<Map<number, Map<string, PresenceView>>> {
  const out = new Map<number, Map<string, PresenceView>>()
  await Promise.all(alive(members).map(async m => {
    const list = await m.proc!.call<PresenceView[]>('who')
    out.set(m.i, new Map(list.map(v => [v.peerId, v])))
  }))
  return out
}

/**
 * Waits until want(watcher, contact) matches every live watcher's view of every
 * contact; returns the pairs still wrong at the deadline (empty = converged).
 */
async function converge (members: Member[], want: (w: Member, c: Member) => 'online' | 'offline' | 'any', timeoutMs: number): Promise<{ wrong: string[], ms: number }> {
  const t = Date.now()
  let wrong: string[] = []
  while (true) {
    const v = await views(members)
    wrong = []
    for (const w of alive(members)) {
      for (const ci of w.contacts) {
        const c = members[ci]
        const expect = want(w, c)
        if (expect === 'any') continue
        const seen = v.get(w.i)?.get(c.peerId)?.status ?? 'missing'
        const isOnline = seen !== 'offline' && seen !== 'missing'
        if ((expect === 'online') !== isOnline) wrong.push(`${w.i}->${c.i}:${seen}`)
      }
    }
    if (wrong.length === 0 || Date.now() - t > timeoutMs) return { wrong, ms: Date.now() - t }
    await new Promise(resolve => setTimeout(resolve, 250))
  }
}

/** Time from `since` until the watcher printed an event showing the contact offline (undefined: none yet). */
function offlineAfter (w: Member, c: Member, since: number): number | undefined {
  const e = w.proc?.events.find(ev => ev.event === 'presence' && ev.view?.peerId === c.peerId && ev.view?.status === 'offline' && ev.at >= since)
  return e == null ? undefined : e.at - since
}

/** Every live node sends one message to each contact, dead or cut off or not. */
async function chatRound (members: Member[], label: string): Promise<number> {
  let n = 0
  await Promise.all(alive(members).map(async m => {
    for (const c of m.contacts) {
      const [id] = await m.proc!.call<string[]>('sendMany', members[c].peerId, `${label} ${m.i}->${c}`, 1)
      m.sent.set(c, [...(m.sent.get(c) ?? []), id])
      n++
    }
  }))
  return n
}

/** Per receiver and sender: how often each sent id is in the receiver's history. */
async function chatDelivery (members: Member[]): Promise<{ sent: number, missing: number, duplicated: number, unexpected: number }> {
  let sent = 0
  let missing = 0
  let duplicated = 0
  let unexpected = 0
  await Promise.all(alive(members).map(async r => {
    for (const s of members) {
      const ids = s.sent.get(r.i)
      if (ids == null) continue
      const inbound = (await r.proc!.call<Array<{ id: string, direction: string }>>('history', s.peerId)).filter(h => h.direction === 'in')
      const count = new Map<string, number>()
      for (const h of inbound) count.set(h.id, (count.get(h.id) ?? 0) + 1)
      for (const id of ids) {
        sent++
        const k = count.get(id) ?? 0
        if (k === 0) missing++
        if (k > 1) duplicated++
      }
      unexpected += inbound.filter(h => !ids.includes(h.id)).length
    }
  }))
  return { sent, missing, duplicated, unexpected }
}

const stats = (xs: number[]): string => {
  if (xs.length === 0) return 'none'
  const s = [...xs].sort((a, b) => a - b)
  return `n=${s.length} min ${s[0]} ms, median ${s[Math.floor(s.length / 2)]} ms, max ${s[s.length - 1]} ms`
}

async function main (): Promise<void> {
  log(`chaos: ${N} node processes on TCP loopback, TTL ${TTL} ms, ${CONTACTS} random contacts each (made mutual), kill ${Math.round(KILL_FRACTION * 100)}%, seed ${SEED}`)
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'pm-chaos-'))
  try {
    const ports = await freePorts(N)
    // identities exist before the first start so every bootstrap list can name any peer
    const members: Member[] = []
    for (let i = 0; i < N; i++) {
      const home = path.join(root, `n${i}`)
      await fs.mkdir(home, { recursive: true, mode: 0o700 })
      const key = await generateKeyPair('Ed25519')
      await fs.writeFile(path.join(home, IDENTITY_FILE), privateKeyToProtobuf(key), { mode: 0o600 })
      const peerId = peerIdFromPrivateKey(key).toString()
      members.push({ i, home, port: ports[i], peerId, addr: `/ip4/127.0.0.1/tcp/${ports[i]}/p2p/${peerId}`, bootstrap: [], contacts: [], sent: new Map() })
    }
    const half = Math.floor(N / 2)
    const side = (i: number): number => i < half ? 0 : 1
    // contacts are mutual, so chat between them is contact chat, not a request
    for (const m of members) {
      for (const c of pickDistinct(N, CONTACTS, new Set([m.i]))) {
        if (!m.contacts.includes(c)) m.contacts.push(c)
        if (!members[c].contacts.includes(m.i)) members[c].contacts.push(m.i)
      }
    }
    for (const m of members) {
      // Gossipsub forwards a topic only among its subscribers, so a watcher needs a link to its
      // contact (what discovery provides); bootstrap entries are keep-alive and redialled after
      // crashes. A path inside each half plus one random link make the rest of the mesh.
      const inside = m.i === 0 || m.i === half ? [] : [m.i - 1]
      m.bootstrap = [...new Set([...m.contacts, ...inside, ...pickDistinct(N, 1, new Set([m.i]))])]
    }

    let t = Date.now()
    for (let b = 0; b < N; b += START_BATCH) await Promise.all(members.slice(b, b + START_BATCH).map(async m => start(m, members)))
    log(`started ${N} processes in ${Date.now() - t} ms`)
    await Promise.all(members.map(async m => { for (const c of m.contacts) await m.proc!.call('watch', members[c].peerId, `n${c}`) }))
    log(`dialled contacts (${await dialContacts(members)} dials failed)`)
    const pairs = members.reduce((n, m) => n + m.contacts.length, 0)
    t = Date.now()
    let r = await converge(members, () => 'online', 120_000)
    check('initial convergence', r.wrong.length === 0, `${pairs} watcher->contact views online after ${r.ms} ms${r.wrong.length > 0 ? `; wrong: ${r.wrong.slice(0, 10).join(' ')}` : ''}`)

    log(`chat: ${await chatRound(members, 'start')} messages sent`)

    // ---- crash: SIGKILL 30%, no goodbye ----
    const victims = pickDistinct(N, Math.round(N * KILL_FRACTION), new Set()).map(i => members[i])
    const killAt = Date.now()
    await Promise.all(victims.map(async v => { await v.proc!.kill(); v.proc = undefined; v.killedAt = killAt }))
    const dead = new Set(victims.map(v => v.i))
    log(`SIGKILLed ${victims.length} nodes: ${victims.map(v => v.i).join(' ')}; chat: ${await chatRound(members, 'crash')} messages sent, some to dead nodes`)
    r = await converge(members, (_w, c) => dead.has(c.i) ? 'offline' : 'online', TTL + SLACK_MS)
    const toOffline: number[] = []
    let missingEvents = 0
    for (const w of alive(members)) {
      for (const ci of w.contacts) {
        if (!dead.has(ci)) continue
        const ms = offlineAfter(w, members[ci], killAt)
        if (ms == null) missingEvents++
        else toOffline.push(ms)
      }
    }
    const late = toOffline.filter(ms => ms > TTL + TIMER_TOLERANCE_MS).length
    const strictlyLate = toOffline.filter(ms => ms > TTL).length
    check('killed nodes offline for every watcher', r.wrong.length === 0 && missingEvents === 0,
      `converged in ${r.ms} ms; kill -> offline ${stats(toOffline)}${missingEvents > 0 ? `; ${missingEvents} views without an offline event` : ''}${r.wrong.length > 0 ? `; wrong: ${r.wrong.slice(0, 10).join(' ')}` : ''}`)
    check('offline within the TTL', late === 0 && toOffline.length > 0,
      `${strictlyLate} of ${toOffline.length} later than TTL ${TTL} ms, ${late} later than TTL + ${TIMER_TOLERANCE_MS} ms timer tolerance (max ${Math.max(0, ...toOffline)} ms)`)
    const falseOffline = alive(members).flatMap(w => w.proc!.events.filter(e => e.event === 'presence' && e.at >= killAt && e.view?.status === 'offline' &&
      !dead.has(members.findIndex(m => m.peerId === e.view.peerId))).map(e => `${w.i}->${members.findIndex(m => m.peerId === e.view.peerId)}`))
    check('no live node shown offline during the crash', falseOffline.length === 0, falseOffline.length === 0 ? 'none' : `${falseOffline.length} transient offline views: ${falseOffline.slice(0, 10).join(' ')}`)

    // ---- restart the victims on the same home and port ----
    t = Date.now()
    for (let b = 0; b < victims.length; b += START_BATCH) await Promise.all(victims.slice(b, b + START_BATCH).map(async v => start(v, members)))
    dead.clear()
    log(`restarted ${victims.length} nodes in ${Date.now() - t} ms; dialled contacts (${await dialContacts(members)} dials failed)`)
    r = await converge(members, () => 'online', 60_000 + TTL)
    check('restarted nodes online again everywhere (and they see their contacts)', r.wrong.length === 0,
      `all ${pairs} views online ${r.ms} ms after the restarts finished${r.wrong.length > 0 ? `; wrong: ${r.wrong.slice(0, 10).join(' ')}` : ''}`)

    // ---- partition the mesh in two halves, then heal ----
    const A = members.filter(m => side(m.i) === 0)
    const B = members.filter(m => side(m.i) === 1)
    const cross = (w: Member, c: Member): boolean => side(w.i) !== side(c.i)
    const partAt = Date.now()
    await Promise.all(members.map(async m => m.proc!.call('deny', (side(m.i) === 0 ? B : A).map(x => x.peerId))))
    log(`partitioned: ${A.length} | ${B.length} nodes, cross links cut and refused; chat: ${await chatRound(members, 'partition')} messages sent, some across the cut`)
    r = await converge(members, (w, c) => cross(w, c) ? 'offline' : 'online', TTL + SLACK_MS)
    const crossPairs = members.reduce((n, w) => n + w.contacts.filter(c => cross(w, members[c])).length, 0)
    const partOffline = members.flatMap(w => w.contacts.filter(c => cross(w, members[c])).map(c => offlineAfter(w, members[c], partAt)).filter((x): x is number => x != null))
    check('partition: the other side offline, own side online', r.wrong.length === 0,
      `${crossPairs} cross views offline, ${pairs - crossPairs} same-side views online, converged in ${r.ms} ms; partition -> offline ${stats(partOffline)}${r.wrong.length > 0 ? `; wrong: ${r.wrong.slice(0, 10).join(' ')}` : ''}`)
    const leaks = (await Promise.all(members.map(async m => (await m.proc!.call<string[]>('connections')).filter(p => (side(m.i) === 0 ? B : A).some(x => x.peerId === p)).length))).reduce((a, b) => a + b, 0)
    check('partition holds: no connection across the cut', leaks === 0, `${leaks} cross connections`)

    const healAt = Date.now()
    await Promise.all(members.map(async m => m.proc!.call('allowAll')))
    log(`healed; dialled contacts (${await dialContacts(members)} dials failed)`)
    r = await converge(members, () => 'online', 60_000 + TTL)
    check('heal: every view online again', r.wrong.length === 0, `converged ${Date.now() - healAt} ms after the heal${r.wrong.length > 0 ? `; wrong: ${r.wrong.slice(0, 10).join(' ')}` : ''}`)

    // ---- chat: every message send() accepted is in the receiver's history exactly once ----
    log(`chat: ${await chatRound(members, 'healed')} messages sent after the heal`)
    const chatT = Date.now()
    let d = await chatDelivery(members)
    while ((d.missing > 0 || d.duplicated > 0) && Date.now() - chatT < CHAT_DEADLINE_MS) {
      await new Promise(resolve => setTimeout(resolve, 1_000))
      d = await chatDelivery(members)
    }
    check('chat: every accepted message delivered exactly once', d.missing === 0 && d.duplicated === 0 && d.unexpected === 0,
      `${d.sent} messages (sent before and during the crash, across the partition, after the heal): ${d.missing} missing, ${d.duplicated} duplicated, ${d.unexpected} unexpected, all in ${Date.now() - chatT} ms after the last round`)
  } finally {
    await killAllNodes()
    await fs.rm(root, { recursive: true, force: true }).catch(() => {})
  }
}

// every outcome kills every child: success, failure, deadline, Ctrl-C
const deadline = setTimeout(() => {
  console.error(`chaos: global deadline of ${DEADLINE_S} s reached, killing every node`)
  void killAllNodes().finally(() => process.exit(1))
}, DEADLINE_S * 1000)
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => { void killAllNodes().finally(() => process.exit(130)) })
}
main().then(() => {
  clearTimeout(deadline)
  const failed = checks.filter(c => !c.ok)
  console.log(`\nchaos summary (${((Date.now() - T0) / 1000).toFixed(0)} s, seed ${SEED}): ${checks.length - failed.length} of ${checks.length} checks passed`)
  for (const c of checks) console.log(`  ${c.ok ? 'PASS' : 'FAIL'} ${c.name}: ${c.detail}`)
  process.exit(failed.length === 0 ? 0 : 1)
}, async (err) => {
  clearTimeout(deadline)
  console.error('chaos: aborted -', err)
  await killAllNodes()
  process.exit(1)
})
