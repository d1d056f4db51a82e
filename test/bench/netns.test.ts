/**
 * bench/netns.ts, group.delivery's hosts: two hosts reach each other through
 * the userspace switch's delay, and every namespace goes in every outcome
 * (destroy, a failure half-way through, SIGTERM). Needs root and iproute2.
 */
import { spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createHosts, hostsUnsupported } from '../../bench/netns.js'
import { nodeArgs, ROOT } from '../child-build.js'
import type { Hosts } from '../../bench/netns.js'

const why = hostsUnsupported(0)
const namespaces = (): string[] => spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n').map(l => l.split(' ')[0])
const ours = (): string[] => namespaces().filter(n => n.startsWith(`pmhost${process.pid}n`))
/** Running, not a zombie waiting for a parent that is gone. */
const alive = (pid: number): boolean => {
  try { return fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z' } catch { return false }
}

describe.skipIf(why != null)(`bench hosts in network namespaces${why != null ? ` (skipped: ${why})` : ''}`, () => {
  let hosts: Hosts | undefined
  afterEach(() => { hosts?.destroy() })

  it('joins the hosts through the switch, one delay per hop, and deletes every namespace after', async () => {
    const delayMs = 20
    hosts = await createHosts({ count: 2, delayMs })
    expect(ours()).toHaveLength(3)
    const server = spawn(hosts.exec(1)[0], [...hosts.exec(1).slice(1), process.execPath, '-e',
      `require('net').createServer(s => s.end()).listen(7000, '${hosts.addresses[1]}', () => console.log('up'))`], { stdio: ['ignore', 'pipe', 'inherit'] })
    try {
      await new Promise<void>((resolve, reject) => {
        server.stdout!.on('data', (d: Buffer) => { if (d.toString().includes('up')) resolve() })
        server.once('exit', code => { reject(new Error(`the server exited (${code})`)) })
      })
      // ARP's request and answer, then SYN and SYN-ACK: four hops of 20 ms before connect
      const client = spawnSync(hosts.exec(0)[0], [...hosts.exec(0).slice(1), process.execPath, '-e',
        `const t = performance.now(); require('net').connect(7000, '${hosts.addresses[1]}', function () { console.log(performance.now() - t); this.destroy() })`], { encoding: 'utf8', timeout: 20_000 })
      expect(client.status).toBe(0)
      expect(Number(client.stdout.trim())).toBeGreaterThanOrEqual(4 * delayMs)
    } finally {
      server.kill('SIGKILL')
    }
    hosts.destroy()
    expect(ours()).toEqual([])
  })

  it('deletes what it made when setting up fails half-way', async () => {
    await expect(createHosts({ count: 3, failAfter: 2 })).rejects.toThrow(/failing after 2 hosts/)
    expect(ours()).toEqual([])
  })

  // SIGKILL: what a launcher does when its relayed Ctrl-C is not answered within 60 ms (tsx): the guard's work
  it.each(['SIGINT', 'SIGTERM', 'SIGKILL'] as const)('deletes its namespaces, and kills what runs in them, on %s', async (signal) => {
    const child = spawn(process.execPath, nodeArgs(path.join(ROOT, 'test/fixtures/netns-hosts.ts')), { stdio: ['ignore', 'pipe', 'inherit'] })
    try {
      const report = await new Promise<{ names: string[], sleeper: number }>((resolve, reject) => {
        let out = ''
        child.stdout!.on('data', (d: Buffer) => {
          out += d.toString()
          if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]))
        })
        child.once('exit', code => { reject(new Error(`the fixture exited (${code}) before it reported`)) })
      })
      expect(namespaces()).toEqual(expect.arrayContaining(report.names))
      expect(alive(report.sleeper)).toBe(true)
      const exited = new Promise(resolve => child.once('exit', resolve))
      child.kill(signal)
      await exited
      const deadline = Date.now() + 15_000
      while ((namespaces().some(n => report.names.includes(n)) || alive(report.sleeper)) && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 50))
      expect(namespaces().filter(n => report.names.includes(n))).toEqual([])
      expect(alive(report.sleeper)).toBe(false)
    } finally {
      child.kill('SIGKILL')
    }
  })
})
