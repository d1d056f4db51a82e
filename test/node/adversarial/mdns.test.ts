/**
 * An attacker on the LAN answers mDNS as hundreds of made-up peers (a
 * process from public packages only: test/fixtures/mdns-attacker.mjs). It all
 * runs inside a private network namespace the test makes (test/lan-namespace.ts).
 */
import path from 'node:path'
import { afterEach, expect, it } from 'vitest'
import { killNamespaced, noNamespaces, runInNamespace } from '../../lan-namespace.js'

const FIXTURE = path.resolve(import.meta.dirname, '../../fixtures/mdns-flood.ts')
const ATTACKER = path.resolve(import.meta.dirname, '../../fixtures/mdns-attacker.mjs')
const FAKES = 600
afterEach(killNamespaced)

it.skipIf(noNamespaces !== '')(`made-up mDNS answers leave nothing in the peer store, and the real LAN peer still connects${noNamespaces === '' ? '' : ` - skipped: ${noNamespaces}`}`, async () => {
  const { code, report } = await runInNamespace(FIXTURE, [String(FAKES), ATTACKER])
  expect(code).toBe(0)
  expect(report).toMatchObject({ connected: true, strangersStored: 0 })
  expect(report.seen).toBeGreaterThanOrEqual(100)
}, 120_000)
