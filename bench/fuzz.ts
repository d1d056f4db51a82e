/**
 * Fuzzing of every decoder that takes network input. Each target supplies
 * valid seeds, structure-aware mutations and an independent oracle; the
 * driver adds generic byte mutations and checks that nothing throws and that
 * nothing invalid is accepted.
 *
 *   npm run fuzz [-- 100000]          (also part of npm run bench)
 */
import '../node/polyfill.js'
import { chatFrameTarget } from './fuzz-chat.js'
import { displayTarget } from './fuzz-display.js'
import { presenceEnvelopeTarget } from './fuzz-presence.js'
import { prng } from './mesh.js'
import { result } from './result.js'
import type { BenchResult } from './result.js'
import { contactMessageTarget, dhtPresenceTarget, locatorTarget } from './fuzz-signed.js'
import { groupEntryTarget, groupOpTarget } from './fuzz-group.js'
import { admissionTarget, contactCodeTarget } from './fuzz-admission.js'
import { categoryBundleTarget, categoryItemTarget, pairMessageTarget, queryFramesTarget } from './fuzz-categories.js'
import { xmppStreamTarget } from './fuzz-xmpp.js'

export const FUZZ_DEFAULT_COUNT = 100_000

export type Random = () => number

export interface DecodeOutcome {
  accepted: boolean
  /** Why it was refused (for the statistics). */
  reason?: string
  /** What the decoder under test returned, handed to the oracle. */
  value?: unknown
}

/** A prepared target: seeds and the functions the driver calls for every input. */
export interface FuzzCorpus {
  seeds: Uint8Array[]
  /** Structure-aware mutation (re-encode, re-sign, field edits). */
  mutate: (seed: Uint8Array, random: Random) => Promise<Uint8Array>
  /** The decoder under test. Must never throw; the driver counts a throw as a crash. */
  decode: (input: Uint8Array, random: Random) => Promise<DecodeOutcome & { context?: unknown }>
  /**
   * Independent judgement of an accepted input: undefined when it is really valid
   * and the decoded value is right, else the reason it should have been refused.
   * { lenient } marks input that is not canonical wire format (e.g. a known field
   * with the wrong protobuf wire type) but decoded to a value every rule allows:
   * reported, not counted as invalid.
   */
  oracle: (input: Uint8Array, outcome: DecodeOutcome & { context?: unknown }) => Promise<string | undefined | { lenient: string }>
}

export interface FuzzTarget {
  name: string
  /** Every input is valid (a display function): the oracle judges each output, nothing is rejected. */
  acceptsAll?: boolean
  setup: (random: Random) => Promise<FuzzCorpus>
}

export const FUZZ_TARGETS: FuzzTarget[] = [
  presenceEnvelopeTarget,
  chatFrameTarget,
  contactMessageTarget,
  dhtPresenceTarget,
  locatorTarget,
  groupEntryTarget,
  groupOpTarget,
  contactCodeTarget,
  admissionTarget,
  categoryItemTarget,
  categoryBundleTarget,
  pairMessageTarget,
  queryFramesTarget,
  xmppStreamTarget,
  displayTarget
]

export interface FuzzReport {
  target: string
  inputs: number
  accepted: number
  rejected: number
  crashes: Array<{ input: string, error: string }>
  invalidAccepted: Array<{ input: string, why: string }>
  lenient: Array<{ input: string, why: string }>
  reasons: Record<string, number>
  mutations: Record<string, number>
  ms: number
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const pick = <T>(random: Random, xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]
const int = (random: Random, n: number): number => Math.floor(random() * n)
const randomBytes = (random: Random, n: number): Uint8Array => Uint8Array.from({ length: n }, () => int(random, 256))

/** Generic byte-level mutations, any input format. */
export const BYTE_MUTATIONS: Record<string, (b: Uint8Array, random: Random, other: Uint8Array) => Uint8Array> = {
  bitflip: (b, random) => {
    const out = Uint8Array.from(b)
    for (let k = 1 + int(random, 4); k > 0 && out.length > 0; k--) out[int(random, out.length)] ^= 1 << int(random, 8)
    return out
  },
  byte: (b, random) => {
    const out = Uint8Array.from(b)
    if (out.length > 0) out[int(random, out.length)] = pick(random, [0, 1, 0x7f, 0x80, 0xff, int(random, 256)])
    return out
  },
  truncate: (b, random) => b.slice(0, int(random, b.length)),
  extend: (b, random) => Uint8Array.from([...b, ...randomBytes(random, 1 + int(random, 16))]),
  splice: (b, random, other) => Uint8Array.from([...b.subarray(0, int(random, b.length + 1)), ...other.subarray(int(random, other.length + 1))]),
  insert: (b, random) => {
    const at = int(random, b.length + 1)
    return Uint8Array.from([...b.subarray(0, at), ...randomBytes(random, 1 + int(random, 8)), ...b.subarray(at)])
  },
  remove: (b, random) => {
    const at = int(random, b.length + 1)
    return Uint8Array.from([...b.subarray(0, at), ...b.subarray(at + 1 + int(random, 8))])
  },
  duplicate: (b, random) => {
    const at = int(random, b.length + 1)
    const len = int(random, b.length - at + 1)
    return Uint8Array.from([...b.subarray(0, at + len), ...b.subarray(at, at + len), ...b.subarray(at + len)])
  },
  empty: () => new Uint8Array(0),
  random: (_b, random) => randomBytes(random, int(random, 300))
}

/** Fuzzes one target with `count` mutated inputs. */
export async function fuzzTarget (target: FuzzTarget, count: number, seed = 1): Promise<FuzzReport> {
  const random = prng(seed)
  const corpus = await target.setup(random)
  const report: FuzzReport = { target: target.name, inputs: 0, accepted: 0, rejected: 0, crashes: [], invalidAccepted: [], lenient: [], reasons: {}, mutations: {}, ms: 0 }
  const byteKinds = Object.keys(BYTE_MUTATIONS)
  const t0 = Date.now()
  for (let i = 0; i < count; i++) {
    const base = pick(random, corpus.seeds)
    let input: Uint8Array
    let kind: string
    const r = random()
    if (r < 0.4) {
      kind = 'structured'
      input = await corpus.mutate(base, random)
    } else {
      kind = pick(random, byteKinds)
      input = BYTE_MUTATIONS[kind](base, random, pick(random, corpus.seeds))
      // stacked mutations reach states one mutation cannot
      if (random() < 0.2) input = BYTE_MUTATIONS[pick(random, byteKinds)](input, random, pick(random, corpus.seeds))
    }
    if (r > 0.97) { kind = 'seed'; input = base }
    report.mutations[kind] = (report.mutations[kind] ?? 0) + 1
    report.inputs++
    let outcome: DecodeOutcome & { context?: unknown }
    try {
      outcome = await corpus.decode(input, random)
    } catch (err: any) {
      if (report.crashes.length < 20) report.crashes.push({ input: hex(input), error: String(err?.stack ?? err) })
      else report.crashes.length++
      continue
    }
    if (!outcome.accepted) {
      report.rejected++
      const reason = outcome.reason ?? 'rejected'
      report.reasons[reason] = (report.reasons[reason] ?? 0) + 1
      continue
    }
    report.accepted++
    let why: string | undefined | { lenient: string }
    try {
      why = await corpus.oracle(input, outcome)
    } catch (err: any) {
      why = `oracle refused it: ${err?.message ?? err}`
    }
    if (typeof why === 'string') report.invalidAccepted.push({ input: hex(input), why })
    else if (why != null) report.lenient.push({ input: hex(input), why: why.lenient })
  }
  report.ms = Date.now() - t0
  return report
}

export async function fuzzAll (count: number, seed = 1): Promise<FuzzReport[]> {
  const out: FuzzReport[] = []
  for (const t of FUZZ_TARGETS) out.push(await fuzzTarget(t, count, seed))
  return out
}

export function describeReport (r: FuzzReport): string {
  const top = (m: Record<string, number>): string => Object.entries(m).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ')
  return `${r.target}: ${r.inputs} inputs in ${(r.ms / 1000).toFixed(1)} s, ${r.accepted} accepted (all checked by the oracle), ` +
    `${r.rejected} rejected, ${r.crashes.length} crashes, ${r.invalidAccepted.length} invalid accepted, ${r.lenient.length} non-canonical accepted; rejections: ${top(r.reasons)}; mutations: ${top(r.mutations)}`
}

/** Rows for bench/results.json: failures (crashes + invalid accepted) out of inputs; the target is 0. */
export async function benchFuzz (count = FUZZ_DEFAULT_COUNT): Promise<BenchResult[]> {
  const reports = await fuzzAll(count)
  for (const r of reports) {
    console.log(describeReport(r))
    for (const c of r.crashes.slice(0, 5)) console.log(`  crash on ${c.input}: ${c.error}`)
    for (const c of r.invalidAccepted.slice(0, 5)) console.log(`  accepted invalid ${c.input}: ${c.why}`)
    for (const c of r.lenient.slice(0, 3)) console.log(`  accepted non-canonical ${c.input}: ${c.why}`)
  }
  return reports.map(r => result({
    name: `fuzz.${r.target}.failures`,
    value: r.crashes.length + r.invalidAccepted.length,
    unit: 'inputs',
    baseline: 'mutated inputs tried',
    baselineValue: r.inputs,
    nodes: 1,
    runs: r.inputs,
    notes: `${r.crashes.length} crashes, ${r.invalidAccepted.length} invalid accepted, ${r.accepted - r.invalidAccepted.length} valid accepted (${r.lenient.length} of them non-canonical protobuf), ${r.rejected} rejected, ${(r.inputs / (r.ms / 1000)).toFixed(0)} inputs/s; target 0`
  }))
}

if (process.argv[1] != null && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const count = process.argv[2] != null ? Number(process.argv[2]) : FUZZ_DEFAULT_COUNT
  if (!Number.isInteger(count) || count <= 0) {
    console.error(`usage: npm run fuzz -- [count], count a positive integer (got ${process.argv[2]})`)
    process.exit(2)
  }
  const reports = await fuzzAll(count)
  let failed = false
  for (const r of reports) {
    console.log(describeReport(r))
    for (const c of r.crashes.slice(0, 5)) console.log(`  crash on ${c.input}: ${c.error}`)
    for (const c of r.invalidAccepted.slice(0, 5)) console.log(`  accepted invalid ${c.input}: ${c.why}`)
    for (const c of r.lenient.slice(0, 3)) console.log(`  accepted non-canonical ${c.input}: ${c.why}`)
    failed ||= r.crashes.length + r.invalidAccepted.length > 0
  }
  process.exit(failed ? 1 : 0)
}
