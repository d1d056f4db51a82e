/**
 * Two people behind two home routers (Linux network namespaces with nftables
 * NAT, test/nat/netns.ts), with short relay limits so that the symmetric run
 * crosses several of them in well under a minute. `npm run nat` runs the same
 * scenario for five minutes with the production limits.
 */
import { describe, expect, it } from 'vitest'
import { unsupportedReason } from './netns.js'
import { runNatScenario } from './scenario.js'
import type { NatScenarioOptions } from './scenario.js'

const reason = unsupportedReason()
if (reason != null) console.warn(`NAT traversal tests skipped: ${reason}`)

/** Short limits: a relayed connection lives 5 s or 16 KiB; a reservation 35 s unless renewed (clients renew after 30 s). */
const SHORT: Omit<NatScenarioOptions, 'kind' | 'soakMs'> = {
  relayLimits: { defaultDurationLimit: 5_000, defaultDataLimit: 16 * 1024, reservationTtl: 35_000 },
  messages: 200,
  presenceChanges: 3,
  // a watcher turns a silent presentity offline after 10 s: a link left cut until then is a flap
  // (records come every 3.3 s; 10 s leaves room for a loaded machine)
  presenceTtlMs: 10_000,
  stepTimeoutMs: 30_000
}
/**
 * The symmetric run waits about 40 s by design (the reservation's renewal) and every step has 30 s: the
 * suite's 120 s per test was crossed once at a load of 15 on 2 cores with every step passing.
 */
const SCENARIO_TIMEOUT_MS = 240_000
const log = (line: string): void => { if (process.env.DEBUG != null) console.log(line) }

// the two networks share nothing (their own namespaces, each named apart): they run at once, the
// symmetric one mostly waiting for the relay's reservation to be renewed
describe.skipIf(reason != null)('two contacts behind two NATs', () => {
  it.concurrent('cone NATs (port-preserving, endpoint-independent mapping): contacts through the relay, then a direct connection', async () => {
    const r = await runNatScenario({ ...SHORT, kind: 'cone', soakMs: 10_000, directWithinMs: 45_000, log })
    console.log(`cone NAT: contacts after ${r.contactMs} ms, direct after ${r.directMs} ms, punches ${JSON.stringify(r.punches)}`)
    expect(r.mapping).toMatchObject({ endpointIndependent: true, portPreserving: true })
    expect(r.directMs).not.toBeNull()
    // the first punch succeeds within a second on a quiet machine; on a loaded one it may take a retry (10 s, then 20 s)
    expect(r.directMs).toBeLessThan(45_000)
    expect(r.presence).toEqual({ changes: 6, seen: 6, flaps: 0 })
    expect(r.messages).toMatchObject({ sent: 400, delivered: 400, duplicates: 0, missing: 0 })
  }, SCENARIO_TIMEOUT_MS)

  it.concurrent('symmetric NATs: stays relayed across the relay\'s limits with no presence flap and no message lost or repeated', async () => {
    // messages for 24 s cross the data limit; the quiet time until the reservation was renewed
    // (its 35 s lifetime plus 2 s) crosses the duration limit
    const renewedBy = SHORT.relayLimits.reservationTtl + 2_000
    const r = await runNatScenario({ ...SHORT, kind: 'symmetric', soakMs: 24_000, relayedOpenAfterMs: renewedBy, log })
    console.log(`symmetric NAT: presence ${JSON.stringify(r.presence)}, ${JSON.stringify(r.relayedBytes)} relayed bytes, contacts after ${r.contactMs} ms, limit cuts ${JSON.stringify(r.limitCuts)}, longest gap ${r.longestGapMs} ms, last relayed connection ${r.lastRelayedOpenMs} ms after the reservation`)
    expect(r.mapping.endpointIndependent).toBe(false)
    expect(r.directMs).toBeNull()
    expect(r.punches.direct).toBe(0)
    expect(r.presence).toEqual({ changes: 6, seen: 6, flaps: 0 })
    expect(r.messages).toMatchObject({ sent: 400, delivered: 400, duplicates: 0, missing: 0 })
    // cut several times, by both limits
    expect(r.limitCuts.duration + r.limitCuts.data).toBeGreaterThanOrEqual(4)
    expect(r.limitCuts.duration).toBeGreaterThanOrEqual(1)
    expect(r.limitCuts.data).toBeGreaterThanOrEqual(1)
    // relayed connections kept opening after the first reservation's lifetime: it was renewed
    expect(r.lastRelayedOpenMs).toBeGreaterThan(renewedBy)
  }, SCENARIO_TIMEOUT_MS)
})
