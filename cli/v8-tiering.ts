/**
 * V8's tiering for a node that runs all day. V8 11 (Node 20) moves a
 * function to its optimizing compiler once the function has run through its
 * interrupt budget (66 KB of bytecode executed in it by default) about three
 * times plus a share for its size. A presence change runs each of the
 * direct path's functions once: at the default budget none of presence's
 * own functions is optimized after hundreds of changes, and the path costs
 * about twice what it costs warm (docs/benchmarks.md, issue 12). A budget of
 * 4 KB optimizes what runs a few dozen times; its price is about a quarter
 * second more CPU at start (code that loops while starting is optimized too).
 *
 * Set after the product's modules are loaded (in PresenceNode.start, say)
 * it reached only part of the path in the benchmark: a function made at load
 * starts with the budget of that time. So an entry point calls tuneV8ForNode()
 * before it imports the product's modules (cli/main.ts). A budget given on
 * the command line (`node --interrupt-budget=N`) is left as it is.
 */
import v8 from 'node:v8'

/** The V8 flags a presence-mesh node runs with. */
export const NODE_V8_FLAGS: readonly string[] = ['--interrupt-budget=4096']

let tuned = false

/** Applies NODE_V8_FLAGS to this process (once; flags the process was started with win). */
export function tuneV8ForNode (): void {
  if (tuned) return
  tuned = true
  const given = new Set(process.execArgv.map(a => a.replace(/^--/, '').split('=')[0].replaceAll('_', '-')))
  for (const flag of NODE_V8_FLAGS) {
    if (given.has(flag.replace(/^--/, '').split('=')[0])) continue
    v8.setFlagsFromString(flag)
  }
}
