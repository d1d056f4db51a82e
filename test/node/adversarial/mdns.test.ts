/**
 * An attacker on the LAN answers mDNS as thousands of made-up peers (a
 * process from public packages only: test/fixtures/mdns-attacker.mjs). It all
 * runs inside a private network namespace the test makes (unshare -rn), so
 * the multicast never leaves it.
 */
import { spawn, spawnSync } from 'node:child_process'
import path from 'node:path'
import { afterEach, expect, it } from 'vitest'
import { nodeArgs } from '../../child-build.js'
import type { ChildProcess } from 'node:child_process'

const FIXTURE = path.resolve(import.meta.dirname, '../../fixtures/mdns-flood.ts')
const ATTACKER = path.resolve(import.meta.dirname, '../../fixtures/mdns-attacker.mjs')
const FAKES = 600
const probe = spawnSync('unshare', ['-rn', 'sh', '-c', 'ip link set lo up'], { encoding: 'utf8' })
const namespaces = probe.status === 0
const why = namespaces ? '' : `no private network namespace for multicast here (unshare -rn: ${probe.error?.message ?? probe.stderr.trim()})`

let child: ChildProcess | undefined
afterEach(() => { if (child?.exitCode == null && child?.signalCode == null) child?.kill('SIGKILL') })

it.skipIf(!namespaces)(`made-up mDNS answers leave nothing in the peer store, and the real LAN peer still connects${why === '' ? '' : ` - skipped: ${why}`}`, async () => {
  const command = [process.execPath, ...nodeArgs(FIXTURE), String(FAKES), ATTACKER].map(a => `"${a}"`).join(' ')
  child = spawn('unshare', ['-rn', 'sh', '-c', `ip link set lo up && exec ${command}`], { stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  child.stdout!.on('data', (d: Buffer) => { out += d.toString() })
  // 'close', not 'exit': the last line may still be in the pipe when the process has exited
  const code = await new Promise<number | null>(resolve => child!.once('close', resolve))
  const report = JSON.parse(out.trim().split('\n').pop() ?? '{}')
  expect(code).toBe(0)
  expect(report).toMatchObject({ connected: true, strangersStored: 0 })
  expect(report.seen).toBeGreaterThanOrEqual(100)
}, 120_000)
