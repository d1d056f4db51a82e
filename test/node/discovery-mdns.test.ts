/**
 * mDNS for real, but inside a private network namespace the test makes
 * itself (test/lan-namespace.ts).
 */
import path from 'node:path'
import { afterEach, expect, it } from 'vitest'
import { killNamespaced, noNamespaces, runInNamespace } from '../lan-namespace.js'

const FIXTURE = path.resolve(import.meta.dirname, '../fixtures/mdns-pair.ts')
const REQUEST_FIXTURE = path.resolve(import.meta.dirname, '../fixtures/mdns-request.ts')
afterEach(killNamespaced)

it.skipIf(noNamespaces !== '')(`two nodes with no bootstrap find each other by mDNS and watch${noNamespaces === '' ? '' : ` - skipped: ${noNamespaces}`}`, async () => {
  const { code, report } = await runInNamespace(FIXTURE)
  expect(code).toBe(0)
  expect(report).toEqual({ found: true, status: 'online' })
}, 90_000)

it.skipIf(noNamespaces !== '')(`a request by contact code between two closed LAN nodes with no DHT server reaches the other on its first attempt${noNamespaces === '' ? '' : ` - skipped: ${noNamespaces}`}`, async () => {
  const { code, report } = await runInNamespace(REQUEST_FIXTURE)
  expect(code).toBe(0)
  expect(report).toEqual({ firstAttempt: 'delivered', seen: true })
}, 120_000)
