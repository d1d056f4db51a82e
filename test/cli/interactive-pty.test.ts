import { spawn } from 'node:child_process'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { nodeArgs } from '../child-build.js'
import { cleanupHomes, startNode, tmpHome, waitFor } from '../helpers.js'
import { here } from './pty.js'

afterAll(cleanupHomes)

const MAIN = path.resolve(import.meta.dirname, '../../cli/main.ts')
const ANSI = /\u001b\[[0-9;?]*[A-Za-z]/g
const COLOUR = /\u001b\[(?:1|2|3\d|90)m/

/** Runs the interactive client under a pseudo-terminal (util-linux `script`), as a person would. */
function ptyClient (args: string[], env: Record<string, string | undefined>): { send: (keys: string) => void, screen: () => string, raw: () => string, exit: Promise<number | null>, kill: () => void } {
  const cmd = [process.execPath, ...nodeArgs(MAIN), ...args].map(a => `'${a}'`).join(' ')
  const child = spawn('script', ['-qfec', cmd, '/dev/null'], { env: { ...process.env, TERM: 'xterm', DEBUG: '', ...env }, stdio: ['pipe', 'pipe', 'pipe'] })
  let out = ''
  child.stdout.on('data', (d: Buffer) => { out += d.toString() })
  // 'close': every byte of the output read, not only the process ended
  const exit = new Promise<number | null>(resolve => child.once('close', resolve))
  return {
    send: (keys) => { child.stdin.write(keys) },
    screen: () => out.replace(ANSI, '').replace(/\r/g, ''),
    raw: () => out,
    exit,
    kill: () => { child.kill('SIGKILL') }
  }
}

describe('interactive client on a terminal', () => {
  it('completes commands and aliases, shows presence changes with time and colour, quits cleanly', async () => {
    const bob = await startNode({ presence: { ttlMs: 5_000 }, roster: { defaultVisibility: 'public' } }) // watched as a stranger: public mode
    const home = await tmpHome('alice')
    const ui = ptyClient(['start', '--home', home, '--listen', '/ip4/127.0.0.1/tcp/0', '--bootstrap', bob.addresses()[0]], { NO_COLOR: undefined })
    try {
      await waitFor(() => ui.screen().includes('type /help'), 'the prompt', 60_000)
      ui.send('/wa\t')
      await waitFor(() => ui.screen().includes('/watch'), 'tab to complete /watch')
      ui.send(` ${bob.peerId.toString()} bob\r`)
      await waitFor(() => /\[\d\d:\d\d\] bob came online: online/.test(ui.screen()), 'bob to come online on screen')
      await bob.setPresence({ status: 'away', note: 'lunch' })
      await waitFor(() => /\[\d\d:\d\d\] bob is away — lunch/.test(ui.screen()), 'bob away on screen')

      // chat: alice writes to bob, bob answers; unread shows until alice reads the history
      const aliceId = JSON.parse((await here(['id', '--json', '--home', home])).stdout).peerId as string
      await bob.watch(aliceId, 'alice')
      ui.send('/msg bob hello bob\r')
      await waitFor(async () => (await bob.history(aliceId)).some(m => m.text === 'hello bob'), 'bob to receive the message')
      await waitFor(() => /→ bob: "hello bob" delivered/.test(ui.screen()), 'the delivered mark')
      await bob.send(aliceId, 'hi alice')
      await waitFor(() => /\[\d\d:\d\d\] bob: hi alice/.test(ui.screen()), 'the incoming message on screen')
      ui.send('/who\r')
      await waitFor(() => ui.screen().includes('(1 unread)'), 'the unread count')
      ui.send('/history bob\r')
      await waitFor(() => /→ bob: hello bob ✓✓[\s\S]*bob: hi alice/.test(ui.screen()), 'the history')
      await waitFor(async () => (await bob.history(aliceId)).find(m => m.text === 'hi alice')?.state === 'read', 'bob to get the read receipt')
      ui.send('/unwatch b\t')
      await waitFor(() => ui.screen().includes('/unwatch bob'), 'tab to complete the alias')
      ui.send('\r')
      await waitFor(() => ui.screen().includes('stopped watching bob'), 'unwatch')
      expect(ui.raw()).toMatch(COLOUR)
      ui.send('/quit\r')
      expect(await ui.exit).toBe(0)
      expect(ui.screen()).toContain('offline. bye')
      expect(ui.screen()).not.toMatch(/libp2p:|Error:/)
    } finally {
      ui.kill()
      await bob.stop()
    }
  })
})
