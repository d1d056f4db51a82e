/**
 * Finding 4: what others write reached the terminal raw. The attacker (public
 * libp2p packages only) asks a node run by `presence-mesh start` to become a
 * contact with a greeting, and sends it a text, both full of what steers a
 * terminal: clear screen, an OSC window title, a newline that forges a line
 * of the node's own, erase-line plus carriage return over the asker's id, a
 * bidi override. Every byte the node prints must be safe: no control
 * character but the newline between its own lines, no bidi control, each
 * thing the attacker wrote on one line, escaped visibly.
 */
import { spawn } from 'node:child_process'
import path from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import { peerIdFromString } from '@libp2p/peer-id'
import { afterAll, describe, expect, it } from 'vitest'
import { nodeArgs } from '../../child-build.js'
import { chatText, sealContact, sendChat, sendContact, startAttacker } from '../../fixtures/attacker.js'
import { cleanupHomes, tmpHome, waitFor } from '../../helpers.js'

afterAll(cleanupHomes)

const MAIN = path.resolve(import.meta.dirname, '../../../cli/main.ts')
const FORGED = '[00:00] bob went offline'
const EVIL = `hi\u001b[2J\u001b]0;pwned\u0007\n${FORGED}\u001b[2K\rmallory \u202egnp.exe\u009b31m`

/** What a terminal would act on or reorder: C0 but the newline, DEL, C1, bidi embeddings, overrides and isolates. */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/u

describe('what a stranger writes reaches the terminal safely', () => {
  it('a greeting and a text full of escape sequences: every printed byte safe, each on one line, escaped visibly', async () => {
    const home = await tmpHome('display')
    const child = spawn(process.execPath, [...nodeArgs(MAIN), 'start', '--home', home, '--listen', '/ip4/127.0.0.1/tcp/0', '--no-mdns', '--no-notify'], {
      stdio: ['pipe', 'pipe', 'pipe'],
      // a public node: the stranger can reach it without a code (what it writes is the point here)
      env: { ...process.env, PRESENCE_MESH_VISIBILITY: 'public', NO_COLOR: '1', DEBUG: '' }
    })
    let out = ''
    child.stdout.on('data', (d: Buffer) => { out += d.toString('latin1') })
    const x = await startAttacker()
    try {
      await waitFor(() => out.includes('type /help'), 'the node to start', 60_000)
      const address = /^\s+(\/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\/\S+)$/m.exec(out)![1]
      const target = peerIdFromString(address.split('/p2p/')[1])
      await x.node.peerStore.merge(target, { multiaddrs: [multiaddr(address)] })

      const asked = await sendContact(x, target, await sealContact(x.privateKey, { kind: 'request', to: target, greeting: EVIL }))
      expect(asked).toEqual({ accepted: true, retryLater: false })
      expect(await sendChat(x, target, [chatText(EVIL)])).toEqual({ acknowledged: 1, reset: false })
      await waitFor(() => out.includes('asks to be your contact') && out.includes('sent you a message'), 'the request and the text to be announced')
      child.stdin.write('/requests\n/contacts\n')
      await waitFor(() => out.split('\n').filter(l => l.includes('mallory')).length >= 3, 'the greeting and the text, shown')

      const text = Buffer.from(out, 'latin1').toString('utf8')
      const bad = text.split('\n').map((line, i) => ({ i, line })).filter(({ line }) => UNSAFE.test(line))
      expect(bad).toEqual([])
      // the forged line is inside the attacker's, never a line of its own
      expect(text.split('\n').filter(l => l.startsWith(FORGED))).toEqual([])
      // each shows on one line, escaped as written
      const shown = 'hi\\x1b[2J\\x1b]0;pwned\\x07\\n[00:00] bob went offline\\x1b[2K\\rmallory \\u202egnp.exe\\x9b31m'
      const lines = text.split('\n').filter(l => l.includes('mallory'))
      expect(lines.length).toBeGreaterThanOrEqual(3)
      for (const l of lines) expect(l).toContain(shown)
    } finally {
      child.kill('SIGKILL')
      await x.stop()
    }
  })
})
