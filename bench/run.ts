/**
 * npm run bench [-- --only presence,memory --nodes 10,50 --runs 50 --fuzz 2000 --out file]
 *
 * Runs the benchmark suites, prints a table and writes bench/results.json
 * (an array of BenchResult rows). Every figure comes with its baseline,
 * measured in the same run on the same machine.
 */
import '../node/polyfill.js'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { benchCategories } from './categories.js'
import { benchCrypto } from './crypto.js'
import { benchDirect, DIRECT_SIZES } from './direct.js'
import { benchFuzz, FUZZ_DEFAULT_COUNT } from './fuzz.js'
import { benchHotPath } from './hot-path.js'
import { benchCompose } from './compose.js'
import { benchMemory } from './memory.js'
import { benchPropagation } from './propagation.js'
import { benchScale } from './scale.js'
import { benchSignals } from './signals.js'
import type { BenchResult } from './result.js'
// ---- suites delivered by other branches: one import each, plus one entry in SUITES below ----
import { benchChat } from './chat.js'
import { benchLocate } from './locate.js'
import { benchGroup } from './group.js'
import { hostsUnsupported } from './netns.js'
import { benchRefusal } from './refusal.js'

export interface SuiteContext {
  /** Node counts for the multi-node suites (--nodes). */
  nodes: number[]
  /** True when --nodes was given (suites with their own default size honour it then). */
  nodesGiven: boolean
  /** Measured runs per size of the multi-node suites (--runs); undefined: each suite's default. */
  runs?: number
  /** Interleaved rounds of the ops/s suites (--rounds). */
  rounds?: number
  fuzzCount: number
  /** --netns [--link-delay-ms D]: the group suite with a host (process and network namespace) per node. */
  netns?: { delayMs?: number }
}

export interface Suite {
  /** Selected by --only when the id starts with one of the given prefixes. */
  id: string
  run: (ctx: SuiteContext) => Promise<BenchResult[]>
}

const forEachSize = async (ctx: SuiteContext, fn: (nodes: number) => Promise<BenchResult[]>): Promise<BenchResult[]> => {
  const out: BenchResult[] = []
  for (const n of ctx.nodes) out.push(...await fn(n))
  return out
}

export const SUITES: Suite[] = [
  { id: 'presence.sign-verify', run: async ctx => benchCrypto({ rounds: ctx.rounds }) },
  { id: 'presence.categories', run: async ctx => benchCategories({ rounds: ctx.rounds }) },
  { id: 'presence.hot-path', run: async ctx => benchHotPath({ rounds: ctx.rounds }) },
  { id: 'presence.compose', run: async ctx => benchCompose({ rounds: ctx.rounds }) },
  { id: 'presence.direct', run: async ctx => benchDirect({ sizes: ctx.nodesGiven ? ctx.nodes : DIRECT_SIZES, runs: ctx.runs }) },
  {
    id: 'presence.propagation',
    run: async ctx => forEachSize(ctx, async nodes => {
      if (nodes < 2) throw new UsageError('presence.propagation needs at least 2 nodes (a presentity and a watcher)')
      return await benchPropagation({ nodes, runs: ctx.runs })
    })
  },
  { id: 'presence.scale', run: async ctx => benchScale(ctx.nodesGiven ? { contacts: ctx.nodes } : {}) },
  { id: 'memory', run: async () => benchMemory() },
  { id: 'memory.anySignal', run: async () => benchSignals() },
  { id: 'fuzz', run: async ctx => benchFuzz(ctx.fuzzCount) },
  // ---- other branches' suites go here (locate runs at 100 nodes unless --nodes says otherwise):
  { id: 'chat', run: async () => benchChat() },
  { id: 'locate', run: async ctx => forEachSize(ctx.nodesGiven ? ctx : { ...ctx, nodes: [100] }, async nodes => benchLocate({ nodes })) },
  // group messages to 10 and 50 members unless --nodes says otherwise
  { id: 'group', run: async ctx => forEachSize(ctx.nodesGiven ? ctx : { ...ctx, nodes: [10, 50] }, async nodes => benchGroup({ nodes, runs: ctx.runs, netns: ctx.netns })) },
  { id: 'privacy.refusal', run: async ctx => benchRefusal({ runs: ctx.runs }) },
]

export const DEFAULT_NODES = [10, 50, 100]

const COLUMNS = ['name', 'value', 'unit', 'baseline', 'baselineValue', 'ratio', 'nodes', 'runs', 'notes'] as const

function fmt (v: unknown): string {
  if (typeof v !== 'number') return String(v ?? '')
  if (Number.isNaN(v)) return 'n/a'
  if (Number.isInteger(v)) return String(v)
  return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toFixed(3)
}

/** A plain-text table; long baseline and notes columns are printed in full after the row. */
export function formatTable (rows: BenchResult[]): string {
  const short = COLUMNS.filter(c => c !== 'notes' && c !== 'baseline')
  const cells = rows.map(r => short.map(c => fmt(r[c])))
  const widths = short.map((c, i) => Math.max(c.length, ...cells.map(row => row[i].length)))
  const line = (vals: string[]): string => vals.map((v, i) => i === 0 ? v.padEnd(widths[i]) : v.padStart(widths[i])).join('  ')
  const out = [line([...short]), line(widths.map(w => '-'.repeat(w)))]
  rows.forEach((r, i) => {
    out.push(line(cells[i]))
    out.push(`    baseline: ${r.baseline}`)
    if (r.notes != null && r.notes !== '') out.push(`    notes: ${r.notes}`)
  })
  return out.join('\n')
}

/** A markdown table of the same rows, for docs/benchmarks.md (`notes: false`: without the long notes column). */
export function formatMarkdown (rows: BenchResult[], options: { notes?: boolean } = {}): string {
  const columns = options.notes === false ? COLUMNS.filter(c => c !== 'notes') : COLUMNS
  const head = `| ${columns.join(' | ')} |\n|${columns.map(() => '---').join('|')}|`
  return head + '\n' + rows.map(r => `| ${columns.map(c => fmt(r[c]).replace(/\|/g, '\\|')).join(' | ')} |`).join('\n')
}

export function machine (): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU'
  return `${os.availableParallelism()} cores, ${cpu}, Node ${process.version}, ${os.platform()} ${os.release()}, load average ${os.loadavg().map(l => l.toFixed(2)).join(' ')}`
}

class UsageError extends Error {}

async function readRows (file: string): Promise<BenchResult[]> {
  try {
    const rows = JSON.parse(await fs.readFile(file, 'utf8'))
    return Array.isArray(rows) ? rows : []
  } catch (err: any) {
    if (err?.code === 'ENOENT') return []
    throw new UsageError(`${file} is not a results file (${err.message}); pass another --out`)
  }
}

async function main (): Promise<void> {
  const { values } = parseArgs({
    options: {
      only: { type: 'string' },
      nodes: { type: 'string' },
      runs: { type: 'string' },
      rounds: { type: 'string' },
      fuzz: { type: 'string' },
      out: { type: 'string' },
      markdown: { type: 'boolean' },
      table: { type: 'boolean' },
      netns: { type: 'boolean' },
      'link-delay-ms': { type: 'string' },
      help: { type: 'boolean', short: 'h' }
    }
  })
  if (values.help === true) {
    console.log(`usage: npm run bench -- [--only ${SUITES.map(s => s.id).join(',')}] [--nodes 10,50,100] [--runs N] [--rounds N] [--fuzz N] [--out bench/results.json] [--markdown] [--table]
  --table    run nothing: print the rows of bench/results.json (or --out) as docs/benchmarks.md's "Latest rows" table
  --only     comma-separated prefixes of suite ids (e.g. --only presence runs both presence suites)
  --nodes    node counts for multi-node suites (default ${DEFAULT_NODES.join(',')})
  --runs     measured runs per size of multi-node suites (default each suite's: presence.propagation 600 at 10 nodes, else 400; group 2,000 at 10, else 1,000)
  --rounds   interleaved rounds of the ops/s suites (default 7)
  --fuzz     mutated inputs per decoder (default ${FUZZ_DEFAULT_COUNT})
  --netns    group only (root, Linux, iproute2): a host per node, each node in its own process and network namespace
             (10.92.0.0/16, joined by a kernel bridge in a namespace of the bench's); rows group.delivery.netns-bridge.*
  --link-delay-ms D   with --netns: the hosts joined by a userspace switch (python3 bench/netns-switch.py) that holds
             every frame D ms, one way per hop (this kernel has no netem); rows group.delivery.netns-<D>ms.*
             Every namespace is named pmhost<pid>n<k>-* and deleted at the end, on error and on SIGINT/SIGTERM`)
    return
  }
  if (values.table === true) {
    const file = path.resolve(values.out ?? path.join(import.meta.dirname, 'results.json'))
    const rows = await readRows(file)
    if (rows.length === 0) throw new UsageError(`${file} holds no rows`)
    console.log(formatMarkdown(rows, { notes: false }))
    return
  }
  const list = (s: string | undefined): string[] => s == null ? [] : s.split(',').map(x => x.trim()).filter(x => x !== '')
  const positive = (s: string, what: string): number => {
    const n = Number(s)
    if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${what} must be a positive integer, got ${s}`)
    return n
  }
  const only = list(values.only)
  const ctx: SuiteContext = {
    nodes: values.nodes != null ? list(values.nodes).map(s => positive(s, '--nodes')) : DEFAULT_NODES,
    nodesGiven: values.nodes != null,
    runs: values.runs != null ? positive(values.runs, '--runs') : undefined,
    rounds: values.rounds != null ? positive(values.rounds, '--rounds') : undefined,
    fuzzCount: values.fuzz != null ? positive(values.fuzz, '--fuzz') : FUZZ_DEFAULT_COUNT
  }
  if (ctx.nodes.some(n => n < 1)) throw new UsageError('--nodes: every size must be at least 1')
  const chosen = SUITES.filter(s => only.length === 0 || only.some(p => s.id.startsWith(p)))
  if (chosen.length === 0) throw new UsageError(`--only ${values.only} matches no suite; suites: ${SUITES.map(s => s.id).join(', ')}`)
  if (values.netns === true || values['link-delay-ms'] != null) {
    if (values.netns !== true) throw new UsageError('--link-delay-ms needs --netns')
    const delay = values['link-delay-ms']
    const delayMs = delay == null ? undefined : Number(delay)
    if (delayMs != null && !(delay?.trim() !== '' && delayMs >= 0 && delayMs <= 1000)) throw new UsageError(`--link-delay-ms must be 0-1000, got ${delay}`)
    if (chosen.some(s => s.id !== 'group')) throw new UsageError('--netns runs the group suite only: pass --only group')
    const why = hostsUnsupported(delayMs)
    if (why != null) throw new UsageError(`--netns cannot run here: ${why}`)
    ctx.netns = { delayMs }
  }

  console.log(`presence-mesh benchmarks on ${machine()}`)
  const rows: BenchResult[] = []
  for (const suite of chosen) {
    const t0 = Date.now()
    console.log(`\n== ${suite.id} ...`)
    const got = await suite.run(ctx)
    rows.push(...got)
    console.log(formatTable(got))
    console.log(`== ${suite.id} took ${((Date.now() - t0) / 1000).toFixed(1)} s`)
  }
  const out = path.resolve(values.out ?? path.join(import.meta.dirname, 'results.json'))
  // a run of some suites updates their rows and keeps the others' (same name and node count: replaced)
  const kept = (await readRows(out)).filter(old => !rows.some(r => r.name === old.name && r.nodes === old.nodes))
  await fs.writeFile(out, JSON.stringify([...kept, ...rows], null, 2) + '\n')
  console.log(`\n== all results\n${formatTable(rows)}\n\nwrote ${rows.length} rows to ${out} (kept ${kept.length} rows of earlier runs)`)
  if (values.markdown === true) console.log('\n' + formatMarkdown(rows))
}

if (process.argv[1] != null && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  main().then(() => process.exit(0), (err) => {
    if (err instanceof UsageError || err?.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      console.error(`bench: ${err.message} (see npm run bench -- --help)`)
      process.exit(2)
    }
    console.error(err)
    process.exit(1)
  })
}
