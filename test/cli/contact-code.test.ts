/**
 * Contact codes at the prompt: /code shows the node's code, /code rotate
 * replaces it, and /request takes a code (a mistyped one is one clear line).
 * The request reaches a private node that bootstraps from the same relay.
 */
import { spawn } from 'node:child_process'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { nodeArgs } from '../child-build.js'
import { cleanupHomes, startNode, tmpHome, waitFor } from '../helpers.js'

afterAll(cleanupHomes)

const MAIN = path.resolve(import.meta.dirname, '../../cli/main.ts')
const CODE = /pmc1:12D3KooW[1-9A-HJ-NP-Za-km-z]+:[a-z2-7]{29}/g

describe('contact codes at the prompt', () => {
  it('/code shows it, /code rotate replaces it, /request takes one', async () => {
    const relay = await startNode({ relay: true })
    const ann = await startNode({ bootstrap: [relay.addresses()[0]] })
    const home = await tmpHome('cli')
    const child = spawn(process.execPath, [...nodeArgs(MAIN), 'start', '--home', home, '--listen', '/ip4/127.0.0.1/tcp/0', '--no-mdns', '--bootstrap', relay.addresses()[0]], { stdio: ['pipe', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (d: Buffer) => { out += d.toString() })
    try {
      await waitFor(() => out.includes('type /help'), 'the node to start', 60_000)
      child.stdin.write('/code\n')
      await waitFor(() => (out.match(CODE) ?? []).length === 1, 'the code')
      child.stdin.write('/code rotate\n')
      await waitFor(() => (out.match(CODE) ?? []).length === 2, 'a new code')
      const [first, second] = out.match(CODE)!
      expect(second).not.toBe(first)
      expect(out).toContain('the old one no longer works')

      const code = ann.contactCode()
      const at = code.length - 6
      child.stdin.write(`/request ${code.slice(0, at)}${code[at] === 'a' ? 'b' : 'a'}${code.slice(at + 1)} hi\n`)
      await waitFor(() => out.includes('that contact code has a typo'), 'the typo error')
      child.stdin.write(`/request ${code} hi Ann\n`)
      await waitFor(() => ann.contactRequests().incoming.some(r => r.greeting === 'hi Ann'), 'the request at Ann', 60_000)
    } finally {
      child.kill('SIGKILL')
      await Promise.all([ann.stop(), relay.stop()])
    }
  })
})
