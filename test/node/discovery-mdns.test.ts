/**
 * mDNS for real, but inside a private network namespace the test makes
 * itself (unshare -rn): multicast stays on that namespace's loopback, never
 * reaches the host network, and cannot meet other test runs' nodes.
 */
import { spawn, spawnSync } from 'node:child_process'
import path from 'node:path'
import { afterEach, expect, it } from 'vitest'
import { nodeArgs } from '../child-build.js'
import type { ChildProcess } from 'node:child_process'

const FIXTURE = path.resolve(import.meta.dirname, '../fixtures/mdns-pair.ts')
const probe = spawnSync('unshare', ['-rn', 'sh', '-c', 'ip link set lo up'], { encoding: 'utf8' })
const namespaces = probe.status === 0
const why = namespaces ? '' : `no private network namespace for multicast here (unshare -rn: ${probe.error?.message ?? probe.stderr.trim()})`

let child: ChildProcess | undefined
afterEach(() => { if (child?.exitCode == null && child?.signalCode == null) child?.kill('SIGKILL') })

it.skipIf(!namespaces)(`two nodes with no bootstrap find each other by mDNS and watch${why === '' ? '' : ` - skipped: ${why}`}`, async () => {
  child = spawn('unshare', ['-rn', 'sh', '-c', `ip link set lo up && exec ${[process.execPath, ...nodeArgs(FIXTURE)].map(a => `"${a}"`).join(' ')}`], {
    stdio: ['ignore', 'pipe', 'inherit']
  })
  let out = ''
  child.stdout!.on('data', (d: Buffer) => { out += d.toString() })
  // 'close', not 'exit': the last line may still be in the pipe when the process has exited
  const code = await new Promise<number | null>(resolve => child!.once('close', resolve))
  const line = out.trim().split('\n').pop() ?? ''
  expect(code).toBe(0)
  expect(JSON.parse(line)).toEqual({ found: true, status: 'online' })
}, 90_000)
