/**
 * The CLI side of the XMPP endpoint and PIDF: `start --xmpp`, the password
 * command, `who --pidf` against a running node.
 */
import { spawn } from 'node:child_process'
import fs from 'node:fs/promises'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { nodeArgs } from '../child-build.js'
import { cleanupHomes, PUBLIC, startNode, tmpHome, waitFor } from '../helpers.js'
import { here } from './pty.js'
import { cli, MAIN } from './run-cli.js'

afterAll(cleanupHomes)

describe('presence-mesh CLI: XMPP and PIDF', () => {
  it('xmpp-password prints the password, kept 0600; --rotate replaces it (the rules: units.test.ts)', async () => {
    const home = await tmpHome()
    const first = await cli('xmpp-password', '--home', home)
    expect(first.stdout.trim()).toMatch(/^[A-Za-z0-9_-]{24}$/)
    const file = path.join(home, 'xmpp-password')
    expect((await fs.readFile(file, 'utf8')).trim()).toBe(first.stdout.trim())
    // the real command once; the rest in this process (the same code)
    const rotated = await here(['xmpp-password', '--rotate', '--home', home])
    expect(rotated.stdout.trim()).not.toBe(first.stdout.trim())
    expect((await fs.readFile(file, 'utf8')).trim()).toBe(rotated.stdout.trim())
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600)
  })

  it('rejects a bad --xmpp address with one line', async () => {
    // refused while the options are read: in this process, no node starts
    const res = await here(['start', '--xmpp', 'localhost:99999'])
    expect(res.code).not.toBe(0)
    expect(res.stderr.trim().split('\n')).toHaveLength(1)
    expect(res.stderr).toContain('65535')
  })

  it('start --xmpp says where to log in; who --pidf prints what the running node sees', async () => {
    const bob = await startNode({ roster: PUBLIC })
    const home = await tmpHome()
    const child = spawn(process.execPath, [...nodeArgs(MAIN), 'start', '--home', home, '--listen', '/ip4/127.0.0.1/tcp/0', '--xmpp', '127.0.0.1:0',
      '--bootstrap', bob.addresses()[0]], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, DEBUG: '' } })
    let out = ''
    child.stdout.on('data', (d: Buffer) => { out += d.toString() })
    try {
      await waitFor(() => out.includes('type /help'), 'the node to start', 60_000)
      expect(out).toMatch(/XMPP: log in as me@localhost on 127\.0\.0\.1:\d+; password: presence-mesh xmpp-password/)
      expect(out).toMatch(/certificate SHA-256 ([0-9A-F]{2}:){31}[0-9A-F]{2}/)

      // through the node's control socket, in this process (the process boundary: xmpp-password above)
      const unknown = await here(['who', '--pidf', bob.peerId.toString(), '--home', home])
      expect(unknown.code).toBe(1)
      expect(unknown.stderr).toContain('sees no presence')

      await bob.setPresence({ status: 'away', note: 'out & about', activity: 'lunch' })
      child.stdin.write(`/watch ${bob.peerId.toString()} bob\n`)
      let pidf = ''
      // asked again until it shows
      await waitFor(async () => (pidf = (await here(['who', '--pidf', 'bob', '--home', home])).stdout).includes('<rpid:lunch/>'), 'bob\'s presence as PIDF')
      expect(pidf).toMatch(/^<\?xml version="1\.0" encoding="UTF-8"\?>\n<presence xmlns="urn:ietf:params:xml:ns:pidf"/)
      expect(pidf).toContain('<basic>open</basic>')
      expect(pidf).toContain('<rpid:away/>')
      expect(pidf).toContain('<dm:note>out &amp; about</dm:note>')
    } finally {
      child.kill('SIGTERM')
      await new Promise(resolve => child.exitCode != null ? resolve(null) : child.once('exit', resolve))
      await bob.stop()
    }
  })
})
