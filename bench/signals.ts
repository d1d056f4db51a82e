/**
 * memory.anySignal.retained: what a combined signal nobody waits on leaves on a
 * long-lived source for good (a service's shutdown signal, a follow's), per
 * signal, next to Node 20's AbortSignal.any in the same run; each in a fresh
 * child process (bench/signals-child.ts).
 */
import { spawn } from 'node:child_process'
import path from 'node:path'
import { result } from './result.js'
import type { BenchResult } from './result.js'

const CHILD = path.join(import.meta.dirname, 'signals-child.ts')
const CHILD_TIMEOUT_MS = 300_000

interface Report { signals: number, retainedPerSignal: number, usPerCall: number }

async function measure (impl: 'ours' | 'node'): Promise<Report> {
  const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', CHILD, impl], { stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  child.stdout.on('data', (d: Buffer) => { out += d.toString() })
  const timer = setTimeout(() => { child.kill('SIGKILL') }, CHILD_TIMEOUT_MS)
  try {
    const code = await new Promise<number | null>(resolve => child.once('close', resolve))
    if (code !== 0) throw new Error(`signals child (${impl}) exited with ${code}`)
    return JSON.parse(out.trim().split('\n').pop() ?? '') as Report
  } finally {
    clearTimeout(timer)
    if (child.exitCode == null && child.signalCode == null) child.kill('SIGKILL')
  }
}

export async function benchSignals (): Promise<BenchResult[]> {
  // one at a time: the children must not compete with each other for the CPU
  const ours = await measure('ours')
  const node = await measure('node')
  return [result({
    name: 'memory.anySignal.retained',
    value: ours.retainedPerSignal,
    unit: 'B per combined signal',
    baseline: 'Node 20 AbortSignal.any, same child process setup',
    baselineValue: node.retainedPerSignal,
    nodes: 1,
    runs: ours.signals,
    notes: `heap growth after full GCs over ${ours.signals} combined signals nobody waits on, each of a long-lived source and a fresh one, after a first round of 20,000; ` +
      `${ours.usPerCall.toFixed(1)} us per call (AbortSignal.any ${node.usPerCall.toFixed(1)} us); fresh child process each (tsx, --expose-gc); target: nothing retained (under 8 B per signal)`
  })]
}
