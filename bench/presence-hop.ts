/**
 * What one presence hop costs, stage by stage, in microseconds (a diagnostic,
 * not a suite). Stages are timed by wrapping the methods of the path from
 * outside the product (instance and prototype hooks; the Ed25519 verify),
 * so the product runs as shipped.
 *
 * Two modes:
 *
 * - default (`hot`): two full nodes (PresenceNode, one process, TCP loopback,
 *   as presence.propagation builds them), the watcher watching the
 *   presentity on its public topic. The watcher: each record's bytes handed
 *   to the presence topic validator the way gossipsub hands them, one after
 *   the other, until it returned (the `presence` event and its listeners run
 *   inside it); openPresenceNow's parts (decode, checks, verify) by calling
 *   the protocol functions on the same bytes; the replay floor's write that
 *   follows. The presentity: setPresence() until gossipsub's publish() is
 *   called and until its first stream write. Allocation: heap bytes per hop
 *   over a loop without a scavenge (needs --expose-gc).
 * - `mesh N runs`: presence.propagation's own mesh and runs (N nodes,
 *   bench/propagation.ts), the same hooks on every watcher: what each stage
 *   costs per hop among everything else the nodes do, and the presentity's
 *   time from setPresence() (a raw run: from publish()) to its first stream
 *   write.
 *
 *   node --expose-gc --max-semi-space-size=64 --import tsx bench/presence-hop.ts [hot [records=3000] | mesh [nodes=10] [runs=300]]
 */
import '../node/polyfill.js'
import { performance, PerformanceObserver } from 'node:perf_hooks'
import crypto from 'node:crypto'
import { MAX_PRESENCE_TTL_MS } from '../protocol/limits.js'
import { PRESENCE_DOMAIN, PRESENCE_PAYLOAD_TYPE, PRESENCE_RECORD_RULES, encodePresence, openPresenceNow, sealPresenceNow } from '../protocol/presence-record.js'
import { cryptoBackend } from '../protocol/sodium.js'
import { decodeSignedRecord, sealSignedRecord, verifySignedRecord } from '../protocol/signed-envelope.js'
import { PresenceRecord as PresenceRecordPb } from '../protocol/pb/presence.js'
import { presenceTopic } from '../protocol/topics.js'
import { Announcement } from '../node/presence/announcement.js'
import { PersonView } from '../node/presence/person-view.js'
import { WatchStore } from '../node/presence/watch-store.js'
import { startMesh, waitUntil } from './mesh.js'
import { interleaved, propagationRuns, RAW_TOPIC } from './propagation.js'
import { percentileOf } from './result.js'
import type { PresenceNode } from '../node/presence-node.js'
import type { Presence } from '../protocol/presence-record.js'
import type { PeerId, PrivateKey } from '@libp2p/interface'

const mode = process.argv[2] === 'mesh' ? 'mesh' : 'hot'

/** Durations (ms) by stage label, inclusive of nested stages. */
const stats = new Map<string, number[]>()
let recording = false
const add = (label: string, ms: number): void => {
  if (!recording) return
  let a = stats.get(label)
  if (a == null) stats.set(label, a = [])
  a.push(ms)
}

/** Wraps `obj[name]` (a method, own or inherited) so each call's synchronous duration is added to `label`. */
function hook (obj: any, name: string, label: string): void {
  const orig = obj[name] as (...a: unknown[]) => unknown
  if (typeof orig !== 'function') throw new Error(`no method ${name} to hook`)
  obj[name] = function (this: unknown, ...a: unknown[]) {
    const t = performance.now()
    try {
      return orig.apply(this, a)
    } finally {
      add(label, performance.now() - t)
    }
  }
}

const us = (ms: number): string => (ms * 1000).toFixed(1)
const sum = (label: string): number => (stats.get(label) ?? []).reduce((x, y) => x + y, 0)
const median = (label: string): number => percentileOf(stats.get(label) ?? [], 50)
/** A table row: the median call, the mean time per record (or change, or run: `per` of them), calls per record. */
function row (label: string, per: number, name = label): string {
  const n = stats.get(label)?.length ?? 0
  if (n === 0) return `| ${name} | - | - | 0 |`
  return `| ${name} | ${us(median(label))} | ${us(sum(label) / per)} | ${(n / per).toFixed(2)} |`
}
function table (title: string, prefix: string, per: number, unit = 'record'): void {
  console.log(`\n${title}\n\n| stage | median call µs | mean µs per ${unit} | calls per ${unit} |\n|---|---|---|---|`)
  for (const label of [...stats.keys()].filter(k => k.startsWith(prefix))) console.log(row(label, per, label.slice(prefix.length)))
}

/** Times `fn` `n` times; each call's duration goes to `label`. */
function loop (label: string, n: number, fn: (i: number) => unknown): void {
  for (let i = 0; i < n; i++) {
    const t = performance.now()
    fn(i)
    add(label, performance.now() - t)
  }
}

const gcs: number[] = []
new PerformanceObserver(list => { for (const e of list.getEntries()) gcs.push(e.duration) }).observe({ entryTypes: ['gc'] })

/**
 * The verify protocol/ed25519-fast.ts calls (libsodium's crypto_sign_verify_detached where sodium-native
 * loads, node:crypto's verify elsewhere), timed when a watcher's receive calls it.
 */
let receiving = 0
const { sodium, name: backend } = cryptoBackend()
const VERIFY = `w: . . . Ed25519 verify (${backend})`
const verifier: Record<string, unknown> = sodium ?? crypto
const verifyName = sodium != null ? 'crypto_sign_verify_detached' : 'verify'
const verify = verifier[verifyName] as (...a: unknown[]) => unknown
verifier[verifyName] = function (this: unknown, ...a: unknown[]) {
  const t = performance.now()
  try { return verify.apply(this, a) } finally { if (receiving > 0) add(VERIFY, performance.now() - t) }
}

/** The watcher's stages, hooked on `node`'s presence service; the topic validator of `topic` is wrapped to time the whole hop. */
function hookWatcher (node: PresenceNode, topic: string): void {
  const svc = node.presence as any
  const watched = svc.watched
  hook(watched, 'validate', 'w: . watched.validate (channel open + receive)')
  hook(watched, 'receive', 'w: . . receive (open, checks, verify, accept)')
  const receive = watched.receive
  watched.receive = function (this: unknown, ...a: unknown[]) {
    receiving++
    try { return receive.apply(this, a) } finally { receiving-- }
  }
  hook(watched, 'learnVersion', 'w: . . . learnVersion')
  hook(watched, 'fromRecord', 'w: . . . fromRecord')
  hook(watched, 'accept', 'w: . . . accept (view, person view, event, persistSoon)')
  hook(watched, 'shown', 'w: . . . . shown (the view\'s copy for the event)')
  hook(watched.init, 'onPresence', 'w: . . . . presence event dispatch (every listener)')
  hook(watched, 'persistSoon', 'w: . . . . persistSoon (schedule the floor\'s write)')
  const validators = (node.libp2p.services.pubsub as any).topicValidators as Map<string, (...a: unknown[]) => unknown>
  const v = validators.get(topic)
  if (v == null) throw new Error('no presence validator on a watcher')
  validators.set(topic, (...a: unknown[]) => {
    const t = performance.now()
    try { return v(...a) } finally { add('w: HOP: the topic validator, synchronous (all of the below)', performance.now() - t) }
  })
}
const update = PersonView.prototype.update
PersonView.prototype.update = function (this: PersonView, ...a: Parameters<typeof update>) {
  const t = performance.now()
  try { return update.apply(this, a) } finally { if (receiving > 0) add('w: . . . . person view update', performance.now() - t) }
}
hook(WatchStore.prototype, 'flush', 'persist: WatchStore.flush: snapshot + LevelDB batch, synchronous part (100 ms after, one batch per node)')

/** Derived rows: what the hooks leave between them. */
function derive (): void {
  const pairs: Array<[string, string, string[]]> = [
    ['w: . validate prelude (isBlocked, isChannel; HOP - watched.validate)', 'w: HOP: the topic validator, synchronous (all of the below)', ['w: . watched.validate (channel open + receive)']],
    ['w: . . . open + checks without the verify (receive - the others)', 'w: . . receive (open, checks, verify, accept)', [VERIFY, 'w: . . . learnVersion', 'w: . . . fromRecord', 'w: . . . accept (view, person view, event, persistSoon)']],
    ['w: . . . . view building (accept - the others)', 'w: . . . accept (view, person view, event, persistSoon)', ['w: . . . . person view update', 'w: . . . . shown (the view\'s copy for the event)', 'w: . . . . presence event dispatch (every listener)', 'w: . . . . persistSoon (schedule the floor\'s write)']]
  ]
  for (const [label, whole, parts] of pairs) {
    const w = stats.get(whole) ?? []
    const ps = parts.map(p => stats.get(p) ?? [])
    stats.set(label, w.map((x, i) => x - ps.reduce((s, p) => s + (p.length === w.length ? p[i] : 0), 0)))
  }
}

async function hot (records: number): Promise<void> {
  const warm = Math.min(1000, Math.floor(records / 3))
  const mesh = await startMesh({ nodes: 2, extraDials: 0, presence: { ttlMs: MAX_PRESENCE_TTL_MS } })
  try {
    const [presentity, watcher] = mesh.nodes
    const topic = presenceTopic(presentity.peerId)
    let events = 0
    watcher.presence.addEventListener('presence', (evt) => { if (evt.detail.cause === 'record') events++ })
    await watcher.watch(presentity.peerId)
    await waitUntil(() => watcher.presence.get(presentity.peerId)?.status === 'online', 'the watcher to see the presentity online', 60_000)
    console.log(`hot: node ${process.version}, ${records} records (${warm} warm-up), ${new Date().toISOString()}`)

    // ---- the presentity ----
    const changes = Math.min(records, 1500)
    const send = hookPresentity(presentity)
    for (let i = 0; i < changes; i++) {
      recording = i >= changes / 3
      const note = `bench run ${String(i).padStart(6, '0')}`
      send.begin('presence')
      await presentity.setPresence({ status: i % 2 === 0 ? 'away' : 'online', note })
      await waitUntil(() => watcher.presence.get(presentity.peerId)?.note === note, 'the watcher to see the change', 30_000)
    }
    recording = false
    table('### presentity: setPresence() to the wire, per change', 'p: ', changes - Math.ceil(changes / 3), 'change')
    const key = (presentity as any).privateKey as PrivateKey
    const rec: Presence = { presentity: presentity.peerId, status: 'away', note: 'bench run 000001', seq: 1n, issuedAt: Date.now(), expiresAt: Date.now() + 60_000, maxVersion: 2 }
    const payload = encodePresence(rec)
    recording = true
    loop('p-iso: encodePresence', 3000, i => encodePresence({ ...rec, seq: BigInt(i + 1) }))
    loop('p-iso: sealSignedRecord (sign + marshal)', 3000, () => sealSignedRecord(PRESENCE_DOMAIN, PRESENCE_PAYLOAD_TYPE, payload, key))
    loop('p-iso: sealPresenceNow (check + encode + sign + marshal)', 3000, i => sealPresenceNow({ ...rec, seq: BigInt(i + 1) }, key))
    recording = false
    table('in isolation, a record like the bench\'s', 'p-iso: ', 3000, 'call')

    // ---- the watcher ----
    hookWatcher(watcher, topic)
    const validator = (watcher.libp2p.services.pubsub as any).topicValidators.get(topic) as (from: PeerId, msg: unknown) => Promise<unknown>
    const base = BigInt(Date.now()) * 1000n
    const now = Date.now()
    const make = (i: number): Uint8Array => sealPresenceNow({ presentity: presentity.peerId, status: i % 2 === 0 ? 'away' : 'online', note: `bench run ${String(i).padStart(6, '0')}`, seq: base + BigInt(i), issuedAt: now, expiresAt: now + 600_000, maxVersion: 2 }, key)
    const envelopes = Array.from({ length: records }, (_, i) => make(i))
    const from = presentity.peerId
    const before = events
    const watched = (watcher.presence as any).watched
    for (let i = 0; i < records; i++) {
      recording = i >= warm
      const res = await validator(from, { type: 'unsigned', topic, data: envelopes[i] })
      if (res !== 'accept') throw new Error(`record ${i} was not accepted: ${String(res)}`)
      if ((i & 63) === 0) await watched.settled()
    }
    await watched.settled()
    recording = false
    if (events - before !== records) throw new Error(`${events - before} presence events for ${records} records`)
    derive()
    table('### watcher: the presence topic validator, per record', 'w: ', records - warm)
    table('and the write that follows (per record; one batch per node holds every presentity heard within 100 ms)', 'persist: ', records - warm)

    recording = true
    const N = Math.min(records, 3000)
    const opts = (i: number): any => ({ now: Date.now(), expectedPresentity: presentity.peerId.toString(), lastSeq: base + BigInt(i) - 1n, maxClockSkewMs: 30_000 })
    loop('w-iso: openPresenceNow (decode, checks, verify)', N, i => openPresenceNow(envelopes[i], opts(i)))
    loop('w-iso: openPresenceNow without the verify (authenticated)', N, i => openPresenceNow(envelopes[i], { ...opts(i), authenticated: true }))
    loop('w-iso: decodeSignedRecord (envelope scan, payload scan, protons decode)', N, i => decodeSignedRecord(envelopes[i], PRESENCE_PAYLOAD_TYPE, PRESENCE_RECORD_RULES, PresenceRecordPb))
    const decoded = envelopes.slice(0, N).map(e => decodeSignedRecord(e, PRESENCE_PAYLOAD_TYPE, PRESENCE_RECORD_RULES, PresenceRecordPb) as any)
    loop('w-iso: verifySignedRecord (signing bytes + verify)', N, i => verifySignedRecord(decoded[i], PRESENCE_DOMAIN))
    recording = false
    table('in isolation, the same bytes', 'w-iso: ', N, 'call')

    // allocation per hop: a loop of fresh records with no scavenge in it
    const g = (globalThis as any).gc as (() => void) | undefined
    if (g == null) { console.log('\n(allocation: run with --expose-gc)'); return }
    const more = Array.from({ length: 1000 }, (_, i) => make(records + i))
    g()
    const gcBefore = gcs.length
    const h0 = process.memoryUsage().heapUsed
    for (const data of more) await validator(from, { type: 'unsigned', topic, data })
    const h1 = process.memoryUsage().heapUsed
    const scavenges = gcs.length - gcBefore
    console.log(`\nallocation: ${((h1 - h0) / more.length).toFixed(0)} B of heap per hop over ${more.length} hops (${scavenges} GCs in the loop${scavenges > 0 ? ': too low' : ''})`)
    await watched.settled()
  } finally {
    await mesh.stop()
  }
}

/**
 * Hooks on the presentity: its stages, and the time from the start of a
 * run (`begin`) to gossipsub's publish() and to its first stream write.
 */
function hookPresentity (presentity: PresenceNode): { begin: (kind: 'presence' | 'raw') => void } {
  const svc = presentity.presence as any
  const pubsub = presentity.libp2p.services.pubsub as any
  let kind: 'presence' | 'raw' = 'presence'
  let t0 = 0
  let published = true
  let wrote = true
  const publish = pubsub.publish.bind(pubsub)
  pubsub.publish = (...a: unknown[]) => {
    if (!published) { published = true; if (kind === 'presence') add('p: setPresence() -> publish() called', performance.now() - t0) }
    return publish(...a)
  }
  const sendRpc = pubsub.sendRpc.bind(pubsub)
  pubsub.sendRpc = (...a: unknown[]) => {
    if (!wrote) { wrote = true; add(kind === 'presence' ? 'p: setPresence() -> first stream write (sendRpc)' : 'p: raw: publish() -> first stream write (sendRpc)', performance.now() - t0) }
    return sendRpc(...a)
  }
  hook(svc.me, 'stage', 'p: . stage (check the update, apply it in memory)')
  hook(svc.me.own, 'stageChange', 'p: . . own.stageChange')
  hook(svc.me, 'announcement', 'p: . announcement (seqs, the state item, own items)')
  hook(svc.me.seqs, 'next', 'p: . . seq reservation')
  hook(svc.audiences, 'still', 'p: . audiences.still')
  hook(svc.me, 'changedSelf', 'p: . changedSelf (whether a self event is due)')
  hook(svc, 'safeDispatchEvent', 'p: . self and announce events (listeners included)')
  hook(svc.me.own.store, 'commit', 'p: . commit of the change (category store, synchronous part)')
  const seal = Announcement.prototype.legacyEnvelope
  Announcement.prototype.legacyEnvelope = function (this: Announcement, ...a: Parameters<typeof seal>) {
    const t = performance.now()
    const cached = (this as any).legacy.size
    try { return seal.apply(this, a) } finally { add(cached === 0 ? 'p: . the version 1 envelope (check, encode, sign, marshal)' : 'p: . the version 1 envelope again (cached)', performance.now() - t) }
  }
  const set = presentity.setPresence.bind(presentity)
  presentity.setPresence = async (u) => {
    const t = performance.now()
    const p = set(u)
    add('p: setPresence() synchronous part', performance.now() - t)
    await p
  }
  return {
    begin: (k) => { kind = k; t0 = performance.now(); published = wrote = false }
  }
}

async function inMesh (nodes: number, runs: number): Promise<void> {
  const mesh = await startMesh({ nodes, extraDials: 2, presence: { ttlMs: MAX_PRESENCE_TTL_MS } })
  try {
    const { runPresence, runRaw } = await propagationRuns(mesh)
    const [presentity, ...watchers] = mesh.nodes
    const topic = presenceTopic(presentity.peerId)
    for (const w of watchers) hookWatcher(w, topic)
    const send = hookPresentity(presentity)
    const pubsub = presentity.libp2p.services.pubsub as any
    const publish = pubsub.publish
    pubsub.publish = (topic: string, ...a: unknown[]) => { if (topic === RAW_TOPIC) send.begin('raw'); return publish(topic, ...a) }
    const setPresence = presentity.setPresence
    presentity.setPresence = async (u) => { send.begin('presence'); await setPresence(u) }
    const warmup = Math.max(5, Math.floor(runs / 10))
    let measured = 0
    let gcMs = 0
    const cpu = { presence: 0, raw: 0 }
    const timed = (kind: 'presence' | 'raw', run: (i: number) => Promise<number>) => async (i: number): Promise<number> => {
      recording = i > warmup
      const c0 = process.cpuUsage()
      const g0 = gcs.length
      try {
        return await run(i)
      } finally {
        const c = process.cpuUsage(c0)
        if (recording) { cpu[kind] += (c.user + c.system) / 1000; if (kind === 'presence') { measured++; gcMs += gcs.slice(g0).reduce((s, d) => s + d, 0) } }
        recording = false
      }
    }
    console.log(`mesh: ${nodes} nodes, ${runs} runs per kind (${warmup} warm-up), node ${process.version}, ${new Date().toISOString()}`)
    const res = await interleaved(runs, warmup, timed('presence', runPresence), timed('raw', runRaw))
    derive()
    const p50 = (xs: number[]): string => xs[Math.floor(xs.length / 2)].toFixed(2)
    console.log(`presence p50 ${p50(res.measured)} ms, raw p50 ${p50(res.raw)} ms; process CPU per run: presence ${(cpu.presence / runs).toFixed(2)} ms, raw ${(cpu.raw / runs).toFixed(2)} ms; GC in presence runs ${(gcMs / measured).toFixed(2)} ms per run`)
    table(`### watchers: the presence topic validator, per hop (${nodes - 1} hops a run)`, 'w: ', measured * (nodes - 1), 'hop')
    table('### presentity, per run', 'p: ', measured, 'run')
    table('and the floor writes that follow (per hop)', 'persist: ', measured * (nodes - 1), 'hop')
  } finally {
    await mesh.stop()
  }
}

if (mode === 'mesh') await inMesh(Number(process.argv[3] ?? 10), Number(process.argv[4] ?? 300))
else await hot(Number(process.argv[3] ?? 3000))
process.exit(0)
