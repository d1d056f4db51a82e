/**
 * Runs the locate/fetch benchmark and prints its rows as JSON.
 *
 *   npx tsx bench/locate-main.ts [--nodes 100] [--samples 30]
 */
import '../node/polyfill.js'
import { benchLocate } from './locate.js'

function flag (name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`)
  if (i < 0) return fallback
  const v = Number(process.argv[i + 1])
  if (!Number.isInteger(v) || v < 2) throw new Error(`--${name} needs an integer >= 2`)
  return v
}

const rows = await benchLocate({
  nodes: flag('nodes', 100),
  samples: flag('samples', 30),
  log: line => { process.stderr.write(`${new Date().toISOString()} ${line}\n`) }
})
process.stdout.write(JSON.stringify(rows, null, 2) + '\n')
process.exit(0)
