import { spawn } from 'node:child_process'
import path from 'node:path'
import { expect, it } from 'vitest'
import { nodeArgs } from '../child-build.js'

const DEMO = path.resolve(import.meta.dirname, '../../cli/demo.ts')

it('npm run demo observes every step and exits 0', async () => {
  // the demo's nodes /watch each other as strangers, which needs public visibility (default: contacts)
  const child = spawn(process.execPath, [...nodeArgs(DEMO)], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout.on('data', (d: Buffer) => { out += d.toString() })
  child.stderr.on('data', (d: Buffer) => { out += d.toString() })
  try {
    // 'close': the transcript read to its end, not only the process ended
    const code = await new Promise(resolve => child.once('close', resolve))
    expect(out).toContain('demo passed')
    expect(code).toBe(0)
  } finally {
    child.kill('SIGKILL')
  }
}, 300_000)
