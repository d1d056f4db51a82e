/**
 * group.delivery: from sendToGroup on one member until every other member's
 * groups service has emitted the text (signed, sealed under a sender key,
 * journaled and published by the sender, which commits it meanwhile, checked
 * and opened by each member, who commits it right after showing it), against a raw gossipsub
 * publish of the same size on the same nodes and mesh, interleaved run by run.
 * Both are timed at the same point of gossipsub's receive path: a member shows
 * a text when gossipsub dispatches its `message` event (right after the topic
 * validator, before the forward), where the raw run's listener is called too.
 */
import { performance } from 'node:perf_hooks'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { MAX_PRESENCE_TTL_MS } from '../protocol/limits.js'
import { sealContentEntry } from '../protocol/group-entry.js'
import { dial, startMesh, TRANSPORT, waitUntil } from './mesh.js'
import { Arrivals, interleaved, rawRun, RUN_TIMEOUT_MS, withTimeout } from './propagation.js'
import { percentile, result } from './result.js'
import type { BenchResult } from './result.js'

const RAW_TOPIC = '/presence-mesh-bench/group-raw/1'
/** The bench sends faster than a person: lift the per-sender limits. */
const LIMITS = { sendsPerWindow: 1_000_000, receivesPerWindow: 1_000_000 }
const SETUP_BATCH = 10

export interface GroupBenchOptions {
  nodes: number
  runs?: number
  warmup?: number
}

export async function benchGroup (opts: GroupBenchOptions): Promise<BenchResult[]> {
  const n = opts.nodes
  // p99 of 100 runs is the second-slowest run and moved 2x between runs of the same code: p99 here is at least the 4th slowest
  const runs = opts.runs ?? (n <= 10 ? 600 : 400)
  const warmup = opts.warmup ?? Math.max(5, Math.floor(runs / 10))
  const mesh = await startMesh({ nodes: n, extraDials: 2, presence: { ttlMs: MAX_PRESENCE_TTL_MS }, groups: LIMITS })
  try {
    const [sender, ...members] = mesh.nodes
    // consent's outcome, without its round trips: the sender and every member are contacts,
    // and connected, as discovery keeps a node connected to the contacts it follows
    for (const m of members) {
      await sender.roster.addContact(m.peerId)
      await m.roster.addContact(sender.peerId)
      await dial(sender, m)
    }
    // invited ten at a time: a busy host loses the odd connection, and deliveries retry with backoff
    const { id: group } = await sender.createGroup('bench')
    for (let i = 0; i < members.length; i += SETUP_BATCH) {
      const batch = members.slice(i, i + SETUP_BATCH)
      for (const m of batch) await sender.inviteToGroup(group, m.peerId)
      await waitUntil(() => batch.every(m => m.groupInvitations().length > 0), `invitations ${i + 1}-${i + batch.length}`, 300_000)
      for (const m of batch) await m.acceptGroup(group)
      await waitUntil(() => sender.group(group).members.length === i + batch.length + 1, `members ${i + 1}-${i + batch.length} to join`, 300_000)
    }
    await waitUntil(() => mesh.nodes.every(m => m.group(group).members.length === n), `every member to see ${n} members`, 300_000)

    const pending = new Map<string, Arrivals>()
    members.forEach((m, i) => {
      m.addEventListener('group:message', (evt) => {
        const t = performance.now()
        pending.get(`g${evt.detail.text}`)?.arrive(i, t)
      })
      m.libp2p.services.pubsub.addEventListener('message', (evt) => {
        const t = performance.now()
        if (evt.detail.topic !== RAW_TOPIC) return
        pending.get(`r${new DataView(evt.detail.data.buffer, evt.detail.data.byteOffset).getUint32(0)}`)?.arrive(i, t)
      })
      m.libp2p.services.pubsub.subscribe(RAW_TOPIC)
    })
    sender.libp2p.services.pubsub.subscribe(RAW_TOPIC)
    await waitUntil(() => sender.libp2p.services.pubsub.getSubscribers(RAW_TOPIC).length > 0, 'the raw topic mesh', 60_000)

    const text = (i: number): string => `bench run ${String(i).padStart(6, '0')}`
    // a raw message of exactly the size of the group entry each run publishes
    const key = await generateKeyPair('Ed25519')
    const size = sealContentEntry({ group: new Uint8Array(16), seq: 1_000, lamport: 1_000, sentAt: Date.now(), prev: new Uint8Array(32) }, peerIdFromPrivateKey(key).toMultihash().bytes,
      new Uint8Array(16), new Uint8Array(32), { kind: 'text', text: text(0) }, key).byteLength

    const runGroup = async (i: number): Promise<number> => {
      const arrivals = new Arrivals(members.length)
      pending.set(`g${text(i)}`, arrivals)
      try {
        const t0 = performance.now()
        await sender.sendToGroup(group, text(i))
        return await withTimeout(arrivals, t0, `group run ${i}`)
      } finally {
        pending.delete(`g${text(i)}`)
      }
    }
    const runRaw = rawRun(pending, sender, RAW_TOPIC, members.length, size)
    const { measured, raw, elu, timeouts } = await interleaved(runs, warmup, runGroup, runRaw)
    const notes = `${TRANSPORT}; one process; ${mesh.links.length} links (random spanning tree + 2 random dials per node), and the sender connected to every member (its contacts); ` +
      `1 sender, ${n - 1} receiving members, each showing every text when gossipsub delivers it (as the raw listener is called), then storing it in its own LevelDB; the sender appends its entry to its journal, publishes it, then stores it; ${size} B; ` +
      `event-loop utilisation group ${elu.measured.toFixed(2)} / raw ${elu.raw.toFixed(2)}` +
      (timeouts > 0 ? `; ${timeouts} runs timed out after ${RUN_TIMEOUT_MS} ms and are not counted` : '')
    return ([50, 99] as const).map(p => result({
      name: `group.delivery.p${p}`,
      value: percentile(measured, p),
      unit: 'ms',
      baseline: `raw gossipsub publish of ${size} B, same nodes and mesh`,
      baselineValue: percentile(raw, p),
      nodes: n,
      runs: Math.min(measured.length, raw.length),
      notes
    }))
  } finally {
    await mesh.stop()
  }
}
