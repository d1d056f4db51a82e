/**
 * The command line: version and help, the identity and the addresses to
 * share, one error style with its exit codes, the piped prompt, and
 * export, backup and restore.
 */
import { spawn } from 'node:child_process'
import fs from 'node:fs/promises'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { nodeArgs } from '../child-build.js'
import { cleanupHomes, startNode, tmpHome, waitFor } from '../helpers.js'
import { cli, here, MAIN } from './pty.js'

afterAll(cleanupHomes)

const STRANGER = '12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN'

describe('presence-mesh CLI', () => {
  it('--version, and help that shows --home and the defaults', async () => {
    const pkg = JSON.parse(await fs.readFile(path.resolve(import.meta.dirname, '../../package.json'), 'utf8'))
    // the real command once; the rest in this process (the same code)
    const v = await cli(['--version'])
    expect(v).toMatchObject({ code: 0, stdout: `${pkg.version as string}\n` })
    const help = (await here(['start', '--help'])).stdout
    expect(help).toMatch(/--home <dir> +node home directory \(default:\s+\$PRESENCE_MESH_HOME,\s+else ~\/\.presence-mesh\)/)
    expect(help).toMatch(/--ttl <seconds>[\s\S]*\(default: 60\)/)
    expect(help).toMatch(/--max-connections <n>[\s\S]*\(default: 64\)/)
    expect(help).toMatch(/--listen <multiaddr>[\s\S]*\/ip4\/0\.0\.0\.0\/tcp\/4791/)
    expect(help).toMatch(/--auto-away <duration>[\s\S]*5 min\)/)
    expect((await here(['--help'])).stdout).toMatch(/Exit codes: 0 done, 1 the command failed, 2 wrong usage, 3 no node running on this home,\s+4 the node could not start/)
  })

  it('id prints the same peer id every time, and addresses to share: never the wildcard 0.0.0.0', async () => {
    const home = await tmpHome()
    const first = JSON.parse((await cli(['id', '--json', '--home', home])).stdout)
    const second = JSON.parse((await here(['--home', home, 'id', '--json'])).stdout)
    expect(first.peerId).toMatch(/^12D3KooW/)
    expect(second).toEqual(first)
    expect(first.addresses.length).toBeGreaterThan(0)
    for (const a of first.addresses) {
      expect(a).toMatch(new RegExp(`^/ip4/\\d+\\.\\d+\\.\\d+\\.\\d+/tcp/4791/p2p/${first.peerId as string}$`))
      expect(a).not.toContain('/0.0.0.0/')
    }
    const text = (await here(['id', '--home', home])).stdout
    expect(text).toContain(`peer id: ${first.peerId as string} (…${(first.peerId as string).slice(-8)})`)
  })

  it('init reports an existing identity instead of replacing it', async () => {
    const home = await tmpHome()
    const made = await here(['init', '--home', home])
    const again = await here(['init', '--home', home])
    const id = JSON.parse((await here(['id', '--json', '--home', home])).stdout).peerId
    expect(made.stdout).toContain(`created identity ${id as string}`)
    expect(again.stdout).toContain(`already holds identity ${id as string}`)
  })

  it('wrong usage: one line each, exit 2', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--bogus'], /^error: unknown option '--bogus'$/],
      [['frobnicate'], /^error: unknown command 'frobnicate'/],
      [['start', '--bootstrap', '/ip4/127.0.0.1/tcp/1'], /lacks \/p2p\/<peer id>$/],
      [['start', '--ttl', 'soon'], /^error: option '--ttl <seconds>' argument 'soon' is invalid\. must be seconds between/],
      [['start', '--auto-away', 'soonish'], /is not a duration \(like 10m, 90s, 1h\) or off$/],
      [['history'], /^error: missing required argument 'name'$/]
    ]
    const real = await cli(['--bogus'])
    expect(real).toMatchObject({ code: 2, stderr: 'error: unknown option \'--bogus\'\n' })
    await Promise.all(cases.map(async ([args, said]) => {
      const res = await here(args)
      expect(res.code, args.join(' ')).toBe(2)
      expect(res.stderr.trim().split('\n')).toHaveLength(1)
      expect(res.stderr.trim()).toMatch(said)
    }))
  })
})

describe('commands against a running node', () => {
  it('no node: exit 3 in one line; the prompt and the subcommands; failures exit 1, wrong usage 2, a second start 4', async () => {
    const home = await tmpHome()
    const none = await here(['who', '--home', home])
    expect(none).toMatchObject({ code: 3, stdout: '' })
    expect(none.stderr).toBe(`error: no node is running on ${home} (start one with: presence-mesh start)\n`)

    const child = spawn(process.execPath, [...nodeArgs(MAIN), 'start', '--home', home, '--listen', '/ip4/127.0.0.1/tcp/0', '--no-mdns'], { stdio: ['pipe', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (d: Buffer) => { out += d.toString() })
    try {
      // typed before the prompt is ready: nothing is lost
      child.stdin.write('/watch not-a-peer\n/frobnicate\n/status sleeping\n/status away gone fishing\n/who\n')
      await waitFor(() => out.includes('nobody watched yet'), 'the /who answer', 60_000)
      expect(out).toMatch(/listening on:\n {2}\/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\/12D3KooW/)
      expect(out).toContain('error: not-a-peer is neither a name you gave nor a peer id (/contacts lists names)')
      expect(out).toContain('error: unknown command /frobnicate, try /help')
      expect(out).toContain('error: sleeping is not a status (online, away, busy, dnd, offline); usage: /status [online|away|busy|dnd|offline] [note...]')
      expect(out).toContain('you are away — gone fishing')

      expect((await here(['status', '--home', home])).stdout.trim()).toBe('you are away — gone fishing')
      const bad = await here(['status', 'asleep', '--home', home])
      expect(bad).toMatchObject({ code: 2, stderr: 'error: asleep is not a status (online, away, busy, dnd, offline); usage: presence-mesh status [online|away|busy|dnd|offline] [note...]\n' })
      expect(JSON.parse((await here(['who', '--json', '--home', home])).stdout)).toEqual([])
      const queued = await here(['send', STRANGER, 'see', 'you', '--home', home])
      expect(queued.stdout.trim()).toMatch(/^\[\d\d:\d\d\] → …4kx6nXTN: see you …$/)
      const unknown = await here(['msg', 'nobody', 'hi', '--home', home])
      expect(unknown).toMatchObject({ code: 1, stderr: 'error: nobody is neither a name you gave nor a peer id (/contacts lists names)\n' })
      const huge = await here(['msg', STRANGER, 'x'.repeat(100_000), '--home', home])
      expect(huge).toMatchObject({ code: 2, stderr: 'error: a message holds at most 4,000 bytes of UTF-8; this one has 100,000\n' })
      const blank = await here(['msg', STRANGER, '   ', '--home', home])
      expect(blank.stderr).toBe('error: a message needs some text; usage: presence-mesh msg <name> <text...>\n')

      expect((await here(['block', STRANGER, '--home', home])).stdout.trim()).toBe('blocked …4kx6nXTN: to them you look offline')
      expect((await here(['unblock', '…4kx6nXTN', '--home', home])).stdout.trim()).toBe('unblocked …4kx6nXTN')
      expect(JSON.parse((await here(['contacts', '--json', '--home', home])).stdout)).toEqual({ contacts: [], incoming: [], outgoing: [] })
      expect((await here(['contacts', '--home', home])).stdout).toContain('no contacts yet')

      const second = await here(['start', '--home', home, '--listen', '/ip4/127.0.0.1/tcp/0'])
      expect(second.code).toBe(4)
      expect(second.stderr).toMatch(/^error: a node is already running on .* \(pid \d+\)\n$/)

      child.stdin.write('/quit\n')
      // 'close': its last words read too, not only its exit
      expect(await new Promise(resolve => child.once('close', resolve))).toBe(0)
      expect(out).toContain('offline. bye')
    } finally {
      child.kill('SIGKILL')
    }
  })
})

describe('export, backup and restore', () => {
  it('export writes dated history with or without a running node; backup and restore bring identity and contacts to a new home', async () => {
    const alice = await startNode()
    const bob = await startNode()
    await alice.roster.addContact(bob.peerId, { alias: 'bob' })
    await bob.roster.addContact(alice.peerId, { alias: 'alice' })
    await bob.connect(alice.addresses()[0])
    await bob.send(alice.peerId, 'line one\u001b[2J')
    await waitFor(async () => (await alice.history(bob.peerId)).length === 1, 'the message')
    await bob.stop()

    // with the node running: through its control socket
    const running = await here(['export', 'bob', '--home', alice.home])
    expect(running.stdout).toMatch(new RegExp(`^# bob \\(${bob.peerId.toString()}\\): 1 message\\(s\\)\\n\\[\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d\\] bob: line one\\\\x1b\\[2J\\n$`))
    const backupFile = path.join(await tmpHome('files'), 'alice.pmbackup')
    const made = await cli(['backup', backupFile, '--home', alice.home], { input: 'a long enough passphrase\n' })
    expect(made.stdout).toContain(`backed up identity …${alice.peerId.toString().slice(-8)}, 1 contact(s)`)
    expect((await fs.stat(backupFile)).mode & 0o777).toBe(0o600)
    expect(await here(['backup', backupFile, '--home', alice.home])).toMatchObject({ code: 2, stderr: `error: ${backupFile} exists; choose another file or add --force\n` })
    await alice.stop()

    // without: the home is read directly
    const out = path.join(path.dirname(backupFile), 'all.json')
    const offline = await here(['export', '--json', '-o', out, '--home', alice.home])
    expect(offline.stdout.trim()).toBe(`exported 1 message(s) of 1 conversation(s) to ${out}`)
    expect(JSON.parse(await fs.readFile(out, 'utf8')).conversations[0]).toMatchObject({ peer: bob.peerId.toString(), name: 'bob', messages: [{ text: 'line one\u001b[2J' }] })

    const fresh = await tmpHome('restored')
    const wrong = await here(['restore', backupFile, '--home', fresh], 'not the passphrase')
    expect(wrong).toMatchObject({ code: 1, stderr: 'error: wrong passphrase, or the backup file is damaged\n' })
    const restored = await here(['restore', backupFile, '--home', fresh], 'a long enough passphrase')
    expect(restored.stdout).toContain(`restored identity …${alice.peerId.toString().slice(-8)}`)
    expect(JSON.parse((await here(['id', '--json', '--home', fresh])).stdout).peerId).toBe(alice.peerId.toString())
    const again = await startNode({ home: fresh })
    try {
      expect(again.contacts()).toMatchObject([{ peerId: bob.peerId.toString(), alias: 'bob' }])
    } finally {
      await again.stop()
    }
    const other = await here(['restore', backupFile, '--home', bob.home], 'a long enough passphrase')
    expect(other.code).toBe(1)
    expect(other.stderr).toMatch(/holds another identity/)
  })
})
