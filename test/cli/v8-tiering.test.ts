import { execFile } from 'node:child_process'
import path from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { nodeArgs, ROOT } from '../child-build.js'
import { NODE_V8_FLAGS } from '../../cli/v8-tiering.js'

const PROBE = path.join(ROOT, 'test/fixtures/v8-tiering-probe.ts')

/** Runs the probe in a fresh process: whether V8 optimized a function called 200 times. */
async function probe (mode: 'tune' | 'plain', flags: string[] = []): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--allow-natives-syntax', '--no-concurrent-recompilation', ...flags, ...nodeArgs(PROBE, { nodeV8: true }), mode], { timeout: 60_000 })
  return stdout.trim()
}

describe('V8 tiering of a node (cli/v8-tiering.ts)', () => {
  it('optimizes a function that ran 200 times, which the default budget leaves alone; a budget on the command line wins', async () => {
    expect(NODE_V8_FLAGS).toContain('--interrupt-budget=4096')
    // and a budget given on the command line stays as it is
    const [plain, tuned, given] = await Promise.all([probe('plain'), probe('tune'), probe('tune', ['--interrupt_budget=67584'])])
    expect(plain).toBe('not optimized')
    expect(tuned).toBe('optimized')
    expect(given).toBe('not optimized')
  })
})
