/**
 * npm run nat: two people behind two home routers (network namespaces; root
 * and nftables needed), once behind port-preserving cone NATs and once behind
 * symmetric NATs, each for five minutes with the production relay limits
 * (RELAY_LIMITS). Writes bench/nat-results.json; docs/operations.md and the
 * README quote it.
 *
 *   npm run nat [-- --soak-ms 300000] [-- --kind symmetric]
 */
import '../node/polyfill.js'
import fs from 'node:fs/promises'
import path from 'node:path'
import { RELAY_LIMITS } from '../node/libp2p.js'
import { unsupportedReason } from '../test/nat/netns.js'
import { runNatScenario } from '../test/nat/scenario.js'
import type { NatKind } from '../test/nat/netns.js'
import type { NatScenarioResult } from '../test/nat/scenario.js'

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`)
  return i < 0 ? undefined : process.argv[i + 1]
}
const soakMs = Number(arg('soak-ms') ?? 5 * 60_000)
const kinds = (arg('kind') != null ? [arg('kind')] : ['cone', 'symmetric']) as NatKind[]

const reason = unsupportedReason()
if (reason != null) {
  console.error(`npm run nat: cannot run here: ${reason}`)
  process.exit(1)
}

const results: NatScenarioResult[] = []
for (const kind of kinds) {
  console.log(`\n== ${kind} NAT, ${soakMs / 1000} s, relay limits ${RELAY_LIMITS.defaultDurationLimit / 1000} s / ${RELAY_LIMITS.defaultDataLimit} bytes ==`)
  const r = await runNatScenario({
    kind,
    relayLimits: { ...RELAY_LIMITS, defaultDataLimit: Number(RELAY_LIMITS.defaultDataLimit) },
    soakMs,
    messages: 200,
    presenceChanges: 10,
    presenceTtlMs: 60_000,
    stepTimeoutMs: 120_000,
    log: line => { console.log(line) }
  })
  console.log(JSON.stringify(r, null, 2))
  results.push(r)
}

const out = path.resolve(import.meta.dirname, 'nat-results.json')
await fs.writeFile(out, JSON.stringify({
  date: new Date().toISOString(),
  node: process.version,
  relayLimits: { ...RELAY_LIMITS, defaultDataLimit: Number(RELAY_LIMITS.defaultDataLimit) },
  results
}, null, 2) + '\n')
console.log(`\nwrote ${out}`)
process.exit(0)
