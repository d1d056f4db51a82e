/**
 * Child of bench/signals.ts, run as `node --expose-gc --import tsx signals-child.ts ours|node`:
 * combines a long-lived signal with a fresh one 100,000 times (nobody waits on the results),
 * in five rounds of 20,000 with full GCs after each, and prints what stayed on the heap per
 * combined signal after the first round (which sizes what is reused: code, tables) and the
 * time per call. `ours` is node/signals.ts's anySignal, `node` Node's own AbortSignal.any.
 */
import '../node/polyfill.js'
import { anySignal } from '../node/signals.js'

const ROUND = 20_000
const ROUNDS = 5

const gc = (globalThis as { gc?: () => void }).gc
if (gc == null) throw new Error('run with --expose-gc')
const combine = process.argv[2] === 'node' ? (s: AbortSignal[]) => AbortSignal.any(s) : anySignal

const long = new AbortController()
const heapAfterGc = async (): Promise<number> => {
  for (let i = 0; i < 4; i++) {
    gc()
    await new Promise(resolve => setTimeout(resolve, 20))
  }
  return process.memoryUsage().heapUsed
}
let callMs = 0
const heaps: number[] = []
for (let r = 0; r < ROUNDS; r++) {
  const t = performance.now()
  for (let i = 0; i < ROUND; i++) combine([long.signal, new AbortController().signal])
  callMs += performance.now() - t
  heaps.push(await heapAfterGc())
}
if (long.signal.aborted) throw new Error('the long-lived signal ended')
// what the rounds after the first added
const counted = (ROUNDS - 1) * ROUND
console.log(JSON.stringify({
  signals: counted,
  retainedPerSignal: (heaps[ROUNDS - 1] - heaps[0]) / counted,
  usPerCall: callMs * 1000 / (ROUNDS * ROUND)
}))
