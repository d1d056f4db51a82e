/**
 * presence.propagation: from setPresence on one presentity until every other
 * node (all watching it) has accepted that record, against a raw gossipsub
 * publish of the same size on the same nodes and mesh, interleaved run by run.
 */
import { performance } from 'node:perf_hooks'
import { MAX_PRESENCE_TTL_MS } from '../protocol/limits.js'
import { presenceTopic } from '../protocol/topics.js'
import { startMesh, TRANSPORT, waitUntil } from './mesh.js'
import type { Mesh } from './mesh.js'
import { quietNote, untilQuiet, utilisationSampler } from './quiet.js'
import { blocksNote, percentile, result } from './result.js'
import type { BenchResult } from './result.js'
import type { PresenceEventDetail } from '../node/presence/index.js'
import type { PresenceNode } from '../node/presence-node.js'
import type { EventLoopUtilization } from 'node:perf_hooks'

export const RAW_TOPIC = '/presence-mesh-bench/raw/1'
export const RUN_TIMEOUT_MS = 20_000

export interface PropagationOptions {
  nodes: number
  runs?: number
  warmup?: number
}

/**
 * p99 of 100 runs is the second-slowest run, which one GC or background burst
 * decides (docs/benchmarks.md, presence.propagation, session 17): p99 here is
 * at least the 4th slowest, as in group.delivery.
 */
export function defaultRuns (nodes: number): number {
  return nodes <= 10 ? 600 : 400
}

/** The runs per kind of the method before session 17, whose p99 the notes also give, block by block. */
const oldMethodRuns = (nodes: number): number => nodes <= 10 ? 200 : 100

/** Resolves when `expected` distinct receivers reported, with the time of the last. */
export class Arrivals {
  private readonly seen = new Set<number>()
  readonly seqs = new Set<bigint | undefined>()
  private last = 0
  private done!: (t: number) => void
  readonly complete = new Promise<number>(resolve => { this.done = resolve })
  constructor (private readonly expected: number) {}
  arrive (receiver: number, t: number, seq?: bigint): void {
    if (this.seen.has(receiver)) return
    this.seqs.add(seq)
    this.seen.add(receiver)
    this.last = Math.max(this.last, t)
    if (this.seen.size === this.expected) this.done(this.last)
  }

  get count (): number { return this.seen.size }
}

interface EluSum { active: number, idle: number }
const eluOf = (s: EluSum): number => s.active / Math.max(1e-9, s.active + s.idle)

export async function benchPropagation (opts: PropagationOptions): Promise<BenchResult[]> {
  const n = opts.nodes
  const runs = opts.runs ?? defaultRuns(n)
  const warmup = opts.warmup ?? Math.max(5, Math.floor(runs / 10))
  // records live long and heartbeats are rare, so only the measured updates travel
  const mesh = await startMesh({ nodes: n, extraDials: 2, presence: { ttlMs: MAX_PRESENCE_TTL_MS } })
  try {
    const { size, runPresence, runRaw } = await propagationRuns(mesh)
    const quiet = await untilQuiet(utilisationSampler())
    const { measured: presence, raw, inOrder, elu, timeouts } = await interleaved(runs, warmup, runPresence, runRaw)
    const notes = `${TRANSPORT}; one process; ${mesh.links.length} links (random spanning tree + 2 random dials per node); ` +
      `${n - 1} watchers; ${size} B; ${quietNote(quiet)}; event-loop utilisation presence ${elu.measured.toFixed(2)} / raw ${elu.raw.toFixed(2)}` +
      blocksNote(inOrder, oldMethodRuns(n), 'one run of the method before session 17') +
      (timeouts > 0 ? `; ${timeouts} runs failed (a receiver missing after ${RUN_TIMEOUT_MS} ms, or the watchers accepted another seq than the run's) and are not counted` : '')
    return ([50, 95, 99] as const).map(p => result({
      name: `presence.propagation.p${p}`,
      value: percentile(presence, p),
      unit: 'ms',
      baseline: `raw gossipsub publish of ${size} B, same nodes and mesh`,
      baselineValue: percentile(raw, p),
      nodes: n,
      runs: Math.min(presence.length, raw.length),
      notes
    }))
  } finally {
    await mesh.stop()
  }
}

export interface PropagationRuns {
  /** Bytes of the record the presentity publishes in a run, and of each raw message. */
  size: number
  /** One timed presence change, and one raw publish, numbered i; each resolves with ms until the last watcher had it. */
  runPresence: (i: number) => Promise<number>
  runRaw: (i: number) => Promise<number>
}

/**
 * Makes node 0 of `mesh` the presentity every other node watches (waiting
 * until all see it online), subscribes every node to the raw topic, and
 * returns the two kinds of run.
 */
export async function propagationRuns (mesh: Mesh): Promise<PropagationRuns> {
  const [presentity, ...watchers] = mesh.nodes
  const pending = new Map<string, Arrivals>()
  const topic = presenceTopic(presentity.peerId)
  let recordBytes = 0
  watchers.forEach((w, i) => {
    w.presence.addEventListener('presence', (evt: CustomEvent<PresenceEventDetail>) => {
      const t = performance.now()
      if (evt.detail.cause === 'record') pending.get(`p${evt.detail.view.note ?? ''}`)?.arrive(i, t, evt.detail.view.seq)
    })
    w.libp2p.services.pubsub.addEventListener('message', (evt) => {
      const t = performance.now()
      if (evt.detail.topic === topic) recordBytes = evt.detail.data.byteLength
      if (evt.detail.topic !== RAW_TOPIC) return
      const id = new DataView(evt.detail.data.buffer, evt.detail.data.byteOffset).getUint32(0)
      pending.get(`r${id}`)?.arrive(i, t)
    })
    w.libp2p.services.pubsub.subscribe(RAW_TOPIC)
  })
  presentity.libp2p.services.pubsub.subscribe(RAW_TOPIC)
  await Promise.all(watchers.map(async w => w.watch(presentity.peerId)))
  await waitUntil(() => watchers.every(w => w.presence.get(presentity.peerId)?.status === 'online'),
    'every watcher to see the presentity online', 120_000)

  const note = (i: number): string => `bench run ${String(i).padStart(6, '0')}`
  // the raw message is exactly as large as the record the presentity publishes in a run (every note has one length):
  // read off the wire from an untimed change, so the baseline never carries fewer bytes than the product
  recordBytes = 0
  await presentity.setPresence({ status: 'away', note: note(0) })
  await waitUntil(() => recordBytes > 0 && watchers.every(w => w.presence.get(presentity.peerId)?.note === note(0)),
    'every watcher to see the sizing record', 120_000)
  const size = recordBytes

  const runPresence = async (i: number): Promise<number> => {
    // runs are told apart by their note; the seq every watcher accepted is checked after
    const arrivals = new Arrivals(watchers.length)
    pending.set(`p${note(i)}`, arrivals)
    try {
      const before = presentity.presence.self.seq
      const t0 = performance.now()
      await presentity.setPresence({ status: i % 2 === 0 ? 'away' : 'online', note: note(i) })
      const ms = await withTimeout(arrivals, t0, `presence run ${i}`)
      // every watcher accepted a record of this run: the change's, or a re-announce of it (a watcher that
      // (re)subscribes gets one, with a later seq, possibly before setPresence returned), never an older one
      const last = presentity.presence.self.seq
      if ([...arrivals.seqs].some(s => s == null || s <= before || s > last)) throw new Error(`presence run ${i}: watchers accepted seqs ${[...arrivals.seqs].join(',')}, sent ${before + 1n}..${last}`)
      return ms
    } finally {
      pending.delete(`p${note(i)}`)
    }
  }
  const runRaw = rawRun(pending, presentity, RAW_TOPIC, watchers.length, size)
  return { size, runPresence, runRaw }
}

export async function withTimeout (arrivals: Arrivals, t0: number, what: string): Promise<number> {
  let timer: ReturnType<typeof setTimeout> | undefined
  try {
    const last = await Promise.race([
      arrivals.complete,
      new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => { reject(new Error(`${what}: only ${arrivals.count} receivers after ${RUN_TIMEOUT_MS} ms`)) }, RUN_TIMEOUT_MS)
      })
    ])
    return last - t0
  } finally {
    clearTimeout(timer)
  }
}

/** A raw baseline run: `sender` publishes `size` bytes numbered `i` on `topic` until `receivers` listeners of `pending` saw it (key `r<i>`). */
export function rawRun (pending: Map<string, Arrivals>, sender: PresenceNode, topic: string, receivers: number, size: number): (i: number) => Promise<number> {
  return async (i) => {
    const data = new Uint8Array(size)
    new DataView(data.buffer).setUint32(0, i)
    const arrivals = new Arrivals(receivers)
    pending.set(`r${i}`, arrivals)
    try {
      const t0 = performance.now()
      await sender.libp2p.services.pubsub.publish(topic, data)
      return await withTimeout(arrivals, t0, `raw run ${i}`)
    } finally {
      pending.delete(`r${i}`)
    }
  }
}

export interface Interleaved {
  /** Sorted run times of the measured path and of its raw baseline, ms. */
  measured: number[]
  raw: number[]
  /** The same times in the order they ran (a failed run left out). */
  inOrder: { measured: number[], raw: number[] }
  /** Event-loop utilisation while each ran. */
  elu: { measured: number, raw: number }
  /** Measured runs (either kind) that failed and are not counted. */
  timeouts: number
}

/**
 * `warmup` then `runs` rounds of one measured run and one raw run, the order
 * swapped every round, 20 ms apart (so acknowledgements and IHAVE gossip of
 * one run drain before the next). A warm-up failure throws.
 */
export async function interleaved (runs: number, warmup: number, measured: (i: number) => Promise<number>, raw: (i: number) => Promise<number>): Promise<Interleaved> {
  const times = { measured: [] as number[], raw: [] as number[] }
  const elu: Record<'measured' | 'raw', EluSum> = { measured: { active: 0, idle: 0 }, raw: { active: 0, idle: 0 } }
  let timeouts = 0
  for (let i = 1; i <= warmup + runs; i++) {
    const keep = i > warmup
    for (const kind of (i % 2 === 0 ? ['measured', 'raw'] : ['raw', 'measured']) as Array<'measured' | 'raw'>) {
      const before: EventLoopUtilization = performance.eventLoopUtilization()
      try {
        const ms = await (kind === 'measured' ? measured : raw)(i)
        if (keep) times[kind].push(ms)
      } catch (err) {
        if (!keep) throw err
        timeouts++
      }
      const d = performance.eventLoopUtilization(before)
      if (keep) { elu[kind].active += d.active; elu[kind].idle += d.idle }
      await new Promise(resolve => setTimeout(resolve, 20))
    }
  }
  const inOrder = { measured: [...times.measured], raw: [...times.raw] }
  times.measured.sort((a, b) => a - b)
  times.raw.sort((a, b) => a - b)
  return { ...times, inOrder, elu: { measured: eluOf(elu.measured), raw: eluOf(elu.raw) }, timeouts }
}
