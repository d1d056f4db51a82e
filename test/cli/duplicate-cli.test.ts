/**
 * `presence-mesh start` on a copy of a running node's home (docs/protocol.md
 * §13): it stops by itself with exit code 5 and one line that says what to
 * do, while the node that was running keeps running.
 */
import { execFile } from 'node:child_process'
import fs from 'node:fs/promises'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { RUNTIME_FILE } from '../../node/home.js'
import { nodeArgs } from '../child-build.js'
import { cleanupHomes, PUBLIC, startNode, tmpHome } from '../helpers.js'
import { MAIN } from './pty.js'
import type { PresenceNode } from '../../node/presence-node.js'

const running: PresenceNode[] = []
afterAll(async () => {
  await Promise.all(running.map(async n => { await n.stop() }))
  await cleanupHomes()
})

/** The CLI as a child process, killed after `timeoutMs` whatever happens. */
async function start (home: string, bootstrap: string, timeoutMs: number): Promise<{ code: number | null, stderr: string }> {
  return await new Promise(resolve => {
    execFile(process.execPath, [...nodeArgs(MAIN), '--home', home, 'start', '--listen', '/ip4/127.0.0.1/tcp/0', '--bootstrap', bootstrap],
      { env: { ...process.env, DEBUG: '', PRESENCE_MESH_MDNS: 'off' }, timeout: timeoutMs, killSignal: 'SIGKILL' },
      (err: any, _stdout, stderr) => { resolve({ code: err == null ? 0 : (typeof err.code === 'number' ? err.code : null), stderr }) })
      .stdin?.end()
  })
}

describe('presence-mesh start on a copied home', () => {
  it('exits 5 with one line; the running node runs on', async () => {
    const c = await startNode({ roster: PUBLIC })
    running.push(c)
    const bootstrap = c.addresses()[0]
    const homeA = await tmpHome('dup-cli-a')
    await (await startNode({ home: homeA })).stop()
    const homeB = await tmpHome('dup-cli-b')
    await fs.cp(homeA, homeB, { recursive: true })
    await fs.rm(path.join(homeB, RUNTIME_FILE), { force: true })
    const a = await startNode({ home: homeA, bootstrap: [bootstrap] })
    running.push(a)

    const res = await start(homeB, bootstrap, 60_000)
    expect(res.code).toBe(5)
    expect(res.stderr).toMatch(/^error: another node is running with this identity \(started \d\d:\d\d, at \/ip4\/127\.0\.0\.1\/tcp\/\d+\): stopped\. Stop the other one first, or give this device its own identity/m)
    expect(a.libp2p.status).toBe('started')
  }, 90_000)
})
