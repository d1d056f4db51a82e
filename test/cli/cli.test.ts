import { spawn } from 'node:child_process'
import { afterAll, describe, expect, it } from 'vitest'
import { cleanupHomes, tmpHome, waitFor } from '../helpers.js'
import { cli, MAIN } from './run-cli.js'

afterAll(cleanupHomes)

describe('presence-mesh CLI', () => {
  it('id --json prints the same peer id every time on one home', async () => {
    const home = await tmpHome()
    const first = JSON.parse((await cli('id', '--json', '--home', home)).stdout)
    const second = JSON.parse((await cli('--home', home, 'id', '--json')).stdout)
    expect(first.peerId).toMatch(/^12D3KooW/)
    expect(second).toEqual(first)
    expect(first.addresses[0]).toContain(`/p2p/${first.peerId}`)
  })

  it('init reports an existing identity instead of replacing it', async () => {
    const home = await tmpHome()
    const made = await cli('init', '--home', home)
    const again = await cli('init', '--home', home)
    const id = JSON.parse((await cli('id', '--json', '--home', home)).stdout).peerId
    expect(made.stdout).toContain(`created identity ${id}`)
    expect(again.stdout).toContain(`already holds identity ${id}`)
  })

  it.each([
    [['--bogus']],
    [['start', '--bootstrap', 'not-an-address']],
    [['start', '--bootstrap', '/ip4/127.0.0.1/tcp/1']],
    [['start', '--ttl', 'soon']]
  ])('rejects %j with one line and a non-zero exit', async (args) => {
    const res = await cli(...args)
    expect(res.code).not.toBe(0)
    expect(res.stderr.trim().split('\n')).toHaveLength(1)
    expect(res.stderr).not.toMatch(/\s+at\s/)
  })

  it('runs a node from piped commands: bad input is an error line, the node keeps going', async () => {
    const home = await tmpHome()
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'start', '--home', home, '--listen', '/ip4/127.0.0.1/tcp/0'], { stdio: ['pipe', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (d: Buffer) => { out += d.toString() })
    try {
      await waitFor(() => out.includes('type /help'), 'the node to start')
      expect(out).toMatch(/listening on:\n {2}\/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\/12D3KooW/)
      child.stdin.write('/watch not-a-peer\n/frobnicate\n/status sleeping\n/status away gone fishing\n/who\n')
      await waitFor(() => out.includes('nobody watched yet'), 'the /who answer')
      expect(out).toContain('error: not a peer id: not-a-peer')
      expect(out).toContain('error: unknown command /frobnicate, try /help')
      expect(out).toContain('error: usage: /status <online|away|busy|dnd|offline> [note]')
      expect(out).toContain('you are away — gone fishing')

      const second = await cli('start', '--home', home, '--listen', '/ip4/127.0.0.1/tcp/0')
      expect(second.code).toBe(1)
      expect(second.stderr).toMatch(/already running/)

      child.stdin.write('/quit\n')
      const code = await new Promise(resolve => child.once('exit', resolve))
      expect(code).toBe(0)
      expect(out).toContain('offline. bye')
    } finally {
      child.kill('SIGKILL')
    }
  })
})

describe('commands against a running node', () => {
  it('status and who go through the control socket; without a node they say so in one line', async () => {
    const home = await tmpHome()
    const none = await cli('who', '--home', home)
    expect(none.code).toBe(1)
    expect(none.stderr.trim()).toBe(`presence-mesh: no presence-mesh node is running on ${home} (start one with: presence-mesh start)`)

    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'start', '--home', home, '--listen', '/ip4/127.0.0.1/tcp/0'], { stdio: ['pipe', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (d: Buffer) => { out += d.toString() })
    try {
      await waitFor(() => out.includes('type /help'), 'the node to start')
      const set = await cli('status', 'away', 'out', 'for', 'lunch', '--home', home)
      expect(set.stdout.trim()).toBe('you are away — out for lunch')
      expect((await cli('status', '--home', home)).stdout.trim()).toBe('you are away — out for lunch')
      const bad = await cli('status', 'asleep', '--home', home)
      expect(bad.code).toBe(1)
      expect(bad.stderr.trim()).toBe('presence-mesh: status must be one of online, away, busy, dnd, offline')
      expect(JSON.parse((await cli('who', '--json', '--home', home)).stdout)).toEqual([])
      const queued = await cli('send', '12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN', 'see', 'you', '--home', home)
      expect(queued.stdout.trim()).toMatch(/^queued [0-9a-f]{32}$/)
      const unknown = await cli('send', 'nobody', 'hi', '--home', home)
      expect(unknown.stderr.trim()).toBe('presence-mesh: nobody is neither a known alias nor a peer id')

      const stranger = '12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN'
      expect((await cli('block', stranger, '--home', home)).stdout.trim()).toBe(`blocked ${stranger}`)
      expect((await cli('unblock', stranger, '--home', home)).stdout.trim()).toBe(`unblocked ${stranger}`)
      const snap = JSON.parse((await cli('contacts', '--json', '--home', home)).stdout)
      expect(snap).toMatchObject({ contacts: [], incoming: [] })
      expect((await cli('contacts', '--home', home)).stdout).toContain('no contacts yet')
    } finally {
      child.kill('SIGKILL')
    }
  })
})

describe('discovery from the prompt', () => {
  it('/locate finds a peer, /fetch says plainly when there is nothing to find', async () => {
    const { startNode } = await import('../helpers.js')
    const bob = await startNode()
    const home = await tmpHome()
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'start', '--home', home, '--listen', '/ip4/127.0.0.1/tcp/0', '--no-mdns', '--dht-client', '--max-connections', '16', '--bootstrap', bob.addresses()[0]], { stdio: ['pipe', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (d: Buffer) => { out += d.toString() })
    try {
      await waitFor(() => out.includes('type /help'), 'the node to start')
      child.stdin.write(`/locate ${bob.peerId.toString()}\n`)
      await waitFor(() => /found via (connected|peer-store|dht) in \d+ ms:\n {2}\/ip4\/127\.0\.0\.1\/tcp\/\d+/.test(out), 'the /locate answer')
      child.stdin.write('/fetch 12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN\n/locate\n')
      await waitFor(() => out.includes('no presence found'), 'the /fetch answer')
      await waitFor(() => out.includes('error: usage: /locate <alias|peer id>'), 'the usage error')
    } finally {
      child.kill('SIGKILL')
      await bob.stop()
    }
  })

  it('rejects a bad --max-connections in one line', async () => {
    const res = await cli('start', '--max-connections', 'lots')
    expect(res.code).not.toBe(0)
    expect(res.stderr.trim()).toMatch(/--max-connections.*must be a positive whole number/)
  })
})
