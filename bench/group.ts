/**
 * group.delivery: from sendToGroup on one member until every other member's
 * groups service has emitted the text (signed, sealed under a sender key,
 * journaled and published by the sender, which commits it meanwhile, checked
 * and opened by each member, who commits it right after showing it), against a raw gossipsub
 * publish of the same size on the same nodes and mesh, interleaved run by run.
 * Both are timed at the same point of gossipsub's receive path: a member shows
 * a text when gossipsub dispatches its `message` event (right after the topic
 * validator, before the forward), where the raw run's listener is called too.
 *
 * The nodes run in a few processes (bench/group-child.ts; node i in process
 * i mod procs), as members are people on their own devices: each member
 * checks and opens every text itself, and in one process every member's
 * checks would wait for the others' on one thread, a cost no real member
 * pays (docs/benchmarks.md, group delivery, session 7). The raw baseline runs
 * on the same nodes, processes and connections.
 *
 * With `netns` (npm run bench -- --only group --netns [--link-delay-ms D]) each
 * node is a host of its own: one process per node, each in its own network
 * namespace on one segment (bench/netns.ts), with D ms one way per hop when
 * given. The parent stays in the root namespace and drives the children over
 * their IPC pipes only. Its rows are named group.delivery.netns-<link>.p50/p99.
 */
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { MAX_PRESENCE_TTL_MS } from '../protocol/limits.js'
import { sealContentEntry } from '../protocol/group-entry.js'
import { compileForPlainNode } from './compile.js'
import { sameSendOrder, spreadNodes } from './group-layout.js'
import { forkChild } from './ipc.js'
import { createHosts } from './netns.js'
import { prng, sparseTopology, TRANSPORT } from './mesh.js'
import { Arrivals, interleaved, RUN_TIMEOUT_MS, withTimeout } from './propagation.js'
import { quietNote, untilQuiet } from './quiet.js'
import { blocksNote, percentile, result } from './result.js'
import type { BenchResult } from './result.js'
import type { Child } from './ipc.js'
import type { Hosts } from './netns.js'
import type { StartParams } from './group-child.js'

const RAW_TOPIC = '/presence-mesh-bench/group-raw/1'
/** The bench sends faster than a person: lift the per-sender limits. */
const LIMITS = { sendsPerWindow: 1_000_000, receivesPerWindow: 1_000_000 }
const SETUP_BATCH = 10
/**
 * p99 of 600 runs is the 6th-slowest run: at 10 members its ratio moved 0.89-1.96x between runs of
 * one tree on this machine (docs/benchmarks.md, session 22), the spread of six samples of a loaded
 * host's hiccups. 2,000 runs make it the 20th; each 600 of them is still reported in the notes.
 */
const defaultRuns = (nodes: number): number => nodes <= 10 ? 2000 : 1000
/** What one run of the method before session 22 measured. */
const oldMethodRuns = (nodes: number): number => nodes <= 10 ? 600 : 400
/** Processes the nodes are spread over unless PM_BENCH_GROUP_PROCS says otherwise (1: every node in one process, as before session 7). */
export const DEFAULT_GROUP_PROCS = 4
const SETUP_TIMEOUT_MS = 300_000

export interface GroupBenchOptions {
  nodes: number
  runs?: number
  warmup?: number
  procs?: number
  /** A host (process and network namespace) per node; `delayMs`: one-way delay per hop through the userspace switch, else a kernel bridge. */
  netns?: { delayMs?: number }
}

/** Polls an asynchronous condition every 50 ms until it holds. */
async function until (cond: () => Promise<boolean>, what: string, timeoutMs = SETUP_TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!await cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 50))
  }
}

function procsOption (opts: GroupBenchOptions): number {
  const procs = opts.procs ?? Number(process.env.PM_BENCH_GROUP_PROCS ?? DEFAULT_GROUP_PROCS)
  if (!Number.isInteger(procs) || procs < 1) throw new RangeError(`group bench: processes must be a positive integer, got ${procs}`)
  return procs
}

export async function benchGroup (opts: GroupBenchOptions): Promise<BenchResult[]> {
  const n = opts.nodes
  const runs = opts.runs ?? defaultRuns(n)
  const warmup = opts.warmup ?? Math.max(5, Math.floor(runs / 10))
  const layout = spreadNodes(n, opts.netns != null ? n : procsOption(opts))
  const build = await compileForPlainNode('group.delivery')
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'pm-bench-group-'))
  const children: Child[] = []
  let hosts: Hosts | undefined
  try {
    if (opts.netns != null) hosts = await createHosts({ count: n, delayMs: opts.netns.delayMs })
    for (let p = 0; p < layout.length; p++) {
      const child = await forkChild(path.join(build.dir, 'bench', 'group-child.js'), [], SETUP_TIMEOUT_MS, [], hosts?.exec(p) ?? [])
      children.push(child)
      await new Promise<void>((resolve) => { child.on('started', () => { resolve() }) })
    }
    const at = (i: number): Child => children[i % layout.length]
    const started = await Promise.all(layout.map(async (indices, p) =>
      await children[p].call<Array<{ index: number, peerId: string, address: string }>>('start', { indices, root, host: hosts?.addresses[p], presence: { ttlMs: MAX_PRESENCE_TTL_MS }, groups: LIMITS } satisfies StartParams)))
    const info = started.flat().sort((a, b) => a.index - b.index)
    const memberIds = info.slice(1).map(m => m.index)

    // consent's outcome, without its round trips: the sender and every member are contacts,
    // and connected, as discovery keeps a node connected to the contacts it follows
    await at(0).call('addContacts', { at: 0, peers: memberIds.map(i => info[i].peerId) })
    await Promise.all(memberIds.map(async i => { await at(i).call('addContacts', { at: i, peers: [info[0].peerId] }) }))
    const links = sparseTopology(n, 2, prng(1))
    for (let i = 0; i < links.length; i += 20) {
      await Promise.all(links.slice(i, i + 20).map(async ([a, b]) => { await at(a).call('dial', { from: a, address: info[b].address }) }))
    }
    for (const i of memberIds) await at(0).call('dial', { from: 0, address: info[i].address })

    // invited ten at a time: a busy host loses the odd connection, and deliveries retry with backoff
    const group = await at(0).call<string>('createGroup', { at: 0, name: 'bench' })
    for (let i = 0; i < memberIds.length; i += SETUP_BATCH) {
      const batch = memberIds.slice(i, i + SETUP_BATCH)
      for (const m of batch) await at(0).call('invite', { at: 0, group, peer: info[m].peerId })
      const byProc = layout.map(indices => batch.filter(m => indices.includes(m))).map((indices, p) => ({ indices, p })).filter(x => x.indices.length > 0)
      await until(async () => (await Promise.all(byProc.map(async x => await children[x.p].call<boolean>('invited', { indices: x.indices })))).every(Boolean), `invitations ${i + 1}-${i + batch.length}`)
      await Promise.all(byProc.map(async x => { await children[x.p].call('accept', { indices: x.indices, group }) }))
      await until(async () => await at(0).call<number>('members', { at: 0, group }) === i + batch.length + 1, `members ${i + 1}-${i + batch.length} to join`)
    }
    await until(async () => (await Promise.all(children.map(async c => await c.call<number>('fewestMembers', { group })))).every(m => m === n), `every member to see ${n} members`)

    // each process with members reports each run once, when its last member has it
    const pending = new Map<string, Arrivals>()
    const reporting = layout.map((indices, p) => ({ p, members: indices.filter(i => i !== 0) })).filter(x => x.members.length > 0)
    for (const { p, members } of reporting) {
      children[p].on('arrived', ({ key, t }: { key: string, t: number }) => { pending.get(key)?.arrive(p, t) })
      await children[p].call('listen', { members, rawTopic: RAW_TOPIC })
    }
    if (!reporting.some(x => x.p === 0)) await children[0].call('listen', { members: [], rawTopic: RAW_TOPIC })
    // the raw topic subscribed member by member in the order the sender holds them on the group's topic,
    // so that both kinds are sent in one order (bench/group-layout.ts sameSendOrder)
    const groupOrder = async (): Promise<string[]> => await at(0).call<string[]>('topicPeers', { at: 0, group })
    const rawOrder = async (): Promise<string[]> => await at(0).call<string[]>('topicPeers', { at: 0, topic: RAW_TOPIC })
    await until(async () => (await groupOrder()).length === n - 1, 'the sender to see every member on the group\'s topic', 60_000)
    await at(0).call('subscribeRaw', { indices: [0], rawTopic: RAW_TOPIC })
    for (const [k, i] of sameSendOrder(await groupOrder(), memberIds.map(m => ({ index: m, peerId: info[m].peerId }))).entries()) {
      await at(i).call('subscribeRaw', { indices: [i], rawTopic: RAW_TOPIC })
      await until(async () => (await rawOrder()).length === k + 1, `the sender to see member ${i} on the raw topic`, 60_000)
    }
    await until(async () => await at(0).call<number>('subscribers', { at: 0, group, rawTopic: RAW_TOPIC }) === n - 1, 'the sender to see every member on both topics', 60_000)
    const sameOrder = async (): Promise<boolean> => (await groupOrder()).join() === (await rawOrder()).join()
    if (!await sameOrder()) throw new Error('the sender holds the members in another order on the raw topic than on the group\'s')

    const text = (i: number): string => `bench run ${String(i).padStart(6, '0')}`
    // a raw message of exactly the size of the group entry each run publishes
    const key = await generateKeyPair('Ed25519')
    const size = sealContentEntry({ group: new Uint8Array(16), seq: 1_000, lamport: 1_000, sentAt: Date.now(), prev: new Uint8Array(32) }, peerIdFromPrivateKey(key).toMultihash().bytes,
      new Uint8Array(16), new Uint8Array(32), { kind: 'text', text: text(0) }, key).byteLength

    const timed = async (k: string, what: string, start: () => Promise<number>): Promise<number> => {
      const arrivals = new Arrivals(reporting.length)
      pending.set(k, arrivals)
      try {
        return await withTimeout(arrivals, await start(), what)
      } finally {
        pending.delete(k)
      }
    }
    const runGroup = async (i: number): Promise<number> => await timed(`g${text(i)}`, `group run ${i}`, async () => await at(0).call<number>('sendGroup', { at: 0, group, text: text(i) }))
    const runRaw = async (i: number): Promise<number> => await timed(`r${i}`, `raw run ${i}`, async () => await at(0).call<number>('publishRaw', { at: 0, topic: RAW_TOPIC, n: i, size }))
    const quiet = await untilQuiet(async () => Math.max(...await Promise.all(children.map(async c => await c.call<number>('utilisation')))))
    const { measured, raw, inOrder, timeouts } = await interleaved(runs, warmup, runGroup, runRaw)
    const orderKept = await sameOrder()
    const notes = (hosts == null
      ? `${TRANSPORT}; ${layout.length} process${layout.length === 1 ? '' : 'es'} (node i in process i mod ${layout.length}, the sender is node 0); `
      : `TCP, noise, yamux between ${hosts.link}; a process per node, ${n} processes on this machine's ${os.availableParallelism()} cores (the sender is node 0); `) +
      `${links.length} links (random spanning tree + 2 random dials per node), and the sender connected to every member (its contacts); ` +
      `1 sender, ${n - 1} receiving members, each showing every text when gossipsub delivers it (as the raw listener is called), then storing it in its own LevelDB; the sender appends its entry to its journal, publishes it, then stores it; ${size} B; ` +
      `${quietNote(quiet)}; the sender sends both kinds to the members in one order (${orderKept ? 'still the same after the runs' : 'NOT the same any more after the runs'})` +
      blocksNote(inOrder, oldMethodRuns(n), 'one run of the method before session 22') +
      (timeouts > 0 ? `; ${timeouts} runs timed out after ${RUN_TIMEOUT_MS} ms and are not counted` : '')
    return ([50, 99] as const).map(p => result({
      name: hosts == null ? `group.delivery.p${p}` : `group.delivery.netns-${opts.netns?.delayMs == null ? 'bridge' : `${opts.netns.delayMs}ms`}.p${p}`,
      value: percentile(measured, p),
      unit: 'ms',
      baseline: `raw gossipsub publish of ${size} B, same nodes, processes${hosts == null ? '' : ', hosts'} and mesh`,
      baselineValue: percentile(raw, p),
      nodes: n,
      runs: Math.min(measured.length, raw.length),
      notes
    }))
  } finally {
    // a stuck child is killed all the same
    await Promise.all(children.map(async c => {
      await Promise.race([c.call('stop').catch(() => {}), new Promise(resolve => setTimeout(resolve, 30_000).unref())])
      await c.kill()
    }))
    hosts?.destroy()
    await fs.rm(root, { recursive: true, force: true })
    await build.remove()
  }
}
