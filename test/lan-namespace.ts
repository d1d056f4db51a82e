/**
 * Runs a test fixture inside a private network namespace the test makes
 * itself (unshare -rn, loopback only): its mDNS multicast never reaches the
 * host's network and cannot meet other test runs' nodes.
 */
import { spawn, spawnSync } from 'node:child_process'
import { nodeArgs } from './child-build.js'
import type { ChildProcess } from 'node:child_process'

const probe = spawnSync('unshare', ['-rn', 'sh', '-c', 'ip link set lo up'], { encoding: 'utf8' })
/** Empty when namespaces can be made here; else why not (for the skipped test's name). */
export const noNamespaces = probe.status === 0 ? '' : `no private network namespace for multicast here (unshare -rn: ${probe.error?.message ?? probe.stderr.trim()})`

const running = new Set<ChildProcess>()

/** Kills what still runs (call in afterEach). */
export function killNamespaced (): void {
  for (const child of running) if (child.exitCode == null && child.signalCode == null) child.kill('SIGKILL')
  running.clear()
}

/** Runs the fixture (with its arguments) in a new namespace; resolves with its exit code and the JSON of its last line. */
export async function runInNamespace (fixture: string, args: string[] = []): Promise<{ code: number | null, report: any }> {
  const command = [process.execPath, ...nodeArgs(fixture), ...args].map(a => `"${a}"`).join(' ')
  const child = spawn('unshare', ['-rn', 'sh', '-c', `ip link set lo up && exec ${command}`], { stdio: ['ignore', 'pipe', 'inherit'] })
  running.add(child)
  let out = ''
  child.stdout!.on('data', (d: Buffer) => { out += d.toString() })
  // 'close', not 'exit': the last line may still be in the pipe when the process has exited
  const code = await new Promise<number | null>(resolve => child.once('close', resolve))
  running.delete(child)
  return { code, report: JSON.parse(out.trim().split('\n').pop() ?? '{}') }
}
