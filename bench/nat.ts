/**
 * npm run nat: two people behind two home routers (network namespaces; root
 * and nftables needed) with the production relay limits (RELAY_LIMITS):
 *
 *   cone       port-preserving NATs, five minutes of presence changes and chat
 *   symmetric  symmetric NATs, the same five minutes, relayed throughout
 *   idle       symmetric NATs, presence only, long enough for whole relayed
 *              connections: what presence alone costs a relay
 *
 * Writes bench/nat-results.json (a run of one phase replaces that phase's
 * row); docs/operations.md and the README quote it.
 *
 *   npm run nat [-- --phase cone|symmetric|idle] [-- --soak-ms 300000]
 */
import '../node/polyfill.js'
import fs from 'node:fs/promises'
import path from 'node:path'
import { RELAY_LIMITS } from '../node/libp2p.js'
import { unsupportedReason } from '../test/nat/netns.js'
import { runNatScenario } from '../test/nat/scenario.js'
import type { NatScenarioOptions, NatScenarioResult } from '../test/nat/scenario.js'

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`)
  return i < 0 ? undefined : process.argv[i + 1]
}
const soakMs = Number(arg('soak-ms') ?? 5 * 60_000)
const relayLimits = { ...RELAY_LIMITS, defaultDataLimit: Number(RELAY_LIMITS.defaultDataLimit) }
const common = { relayLimits, presenceTtlMs: 60_000, stepTimeoutMs: 120_000, log: (line: string) => { console.log(line) } }
const PHASES: Record<string, NatScenarioOptions> = {
  cone: { ...common, kind: 'cone', soakMs, messages: 200, presenceChanges: 10 },
  symmetric: { ...common, kind: 'symmetric', soakMs, messages: 200, presenceChanges: 10 },
  // one whole relayed connection (the duration limit) and a little more, nothing but presence
  idle: { ...common, kind: 'symmetric', soakMs: RELAY_LIMITS.defaultDurationLimit + 20_000, messages: 0, presenceChanges: 0 }
}
const phases = arg('phase') != null ? [arg('phase') as string] : Object.keys(PHASES)
for (const p of phases) if (PHASES[p] == null) throw new Error(`unknown phase ${p}: cone, symmetric or idle`)

const reason = unsupportedReason()
if (reason != null) {
  console.error(`npm run nat: cannot run here: ${reason}`)
  process.exit(1)
}

const out = path.resolve(import.meta.dirname, 'nat-results.json')
const previous = await fs.readFile(out, 'utf8').then(t => JSON.parse(t).results as Array<NatScenarioResult & { phase: string, date: string }>).catch(() => [])
const results = new Map(previous.filter(r => r.phase != null).map(r => [r.phase, r]))
for (const phase of phases) {
  const opts = PHASES[phase]
  console.log(`\n== ${phase}: ${opts.kind} NAT, ${opts.soakMs / 1000} s, relay limits ${relayLimits.defaultDurationLimit / 1000} s / ${relayLimits.defaultDataLimit} bytes ==`)
  const r = await runNatScenario(opts)
  console.log(JSON.stringify(r, null, 2))
  results.set(phase, { phase, date: new Date().toISOString(), ...r })
}

await fs.writeFile(out, JSON.stringify({ node: process.version, relayLimits, results: [...results.values()] }, null, 2) + '\n')
console.log(`\nwrote ${out}`)
process.exit(0)
