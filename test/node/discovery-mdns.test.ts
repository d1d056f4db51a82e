/**
 * mDNS for real, but inside a private network namespace the test makes
 * itself (test/lan-namespace.ts).
 */
import path from 'node:path'
import { afterEach, expect, it } from 'vitest'
import { killNamespaced, noNamespaces, runInNamespace } from '../lan-namespace.js'

const FIXTURE = path.resolve(import.meta.dirname, '../fixtures/mdns-pair.ts')
afterEach(killNamespaced)

it.skipIf(noNamespaces !== '')(`two nodes with no bootstrap find each other by mDNS and watch${noNamespaces === '' ? '' : ` - skipped: ${noNamespaces}`}`, async () => {
  const { code, report } = await runInNamespace(FIXTURE)
  expect(code).toBe(0)
  expect(report).toEqual({ found: true, status: 'online' })
}, 90_000)
