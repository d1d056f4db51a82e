import fs from 'node:fs/promises'
import { spawn } from 'node:child_process'
import { afterAll, describe, expect, it } from 'vitest'
import { callNode, NoRunningNodeError } from '../../node/control/client.js'
import { controlSocketPath } from '../../node/control/server.js'
import { cleanupHomes, startNode, tmpHome } from '../helpers.js'

afterAll(cleanupHomes)

describe('control socket', () => {
  it('is owner-only and drives the running node', async () => {
    const node = await startNode()
    try {
      const stat = await fs.stat(controlSocketPath(node.home))
      expect(stat.isSocket()).toBe(true)
      expect(stat.mode & 0o777).toBe(0o600)
      const self = await callNode<any>(node.home, 'status', 'dnd', 'deep work')
      expect(self).toMatchObject({ status: 'dnd', note: 'deep work' })
      expect(node.presence.self.status).toBe('dnd')
      await expect(callNode(node.home, 'status', 'asleep')).rejects.toThrow(/status must be one of/)
      await expect(callNode(node.home, 'watch', 'nope')).rejects.toThrow(/not a peer id/)
      await expect(callNode(node.home, 'constructor')).rejects.toThrow(/unknown method/)
      expect(await callNode(node.home, 'who')).toEqual([])
    } finally {
      await node.stop()
    }
    await expect(fs.stat(controlSocketPath(node.home))).rejects.toThrow()
  })

  it('blocks and unblocks by alias (a blocked contact keeps its name)', async () => {
    const node = await startNode()
    try {
      const zed = '12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN'
      await node.watch(zed, 'zed')
      expect(await callNode(node.home, 'block', 'zed')).toEqual({ blocked: zed })
      expect(node.isBlocked(zed)).toBe(true)
      expect(await callNode(node.home, 'unblock', 'zed')).toEqual({ unblocked: zed })
      expect(node.isBlocked(zed)).toBe(false)
    } finally {
      await node.stop()
    }
  })

  it('says plainly that no node is running', async () => {
    const home = await tmpHome()
    await expect(callNode(home, 'who')).rejects.toThrow(NoRunningNodeError)
    // a stale socket file left by a crashed node: the file is there, nobody listens
    const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(controlSocketPath(home))}, () => console.log('up'))`])
    try {
      await new Promise(resolve => child.stdout.once('data', resolve))
      child.kill('SIGKILL')
      await new Promise(resolve => child.once('exit', resolve))
      expect((await fs.stat(controlSocketPath(home))).isSocket()).toBe(true)
      await expect(callNode(home, 'who')).rejects.toThrow(NoRunningNodeError)
    } finally {
      child.kill('SIGKILL')
    }
  })

  it.skipIf(process.getuid?.() !== 0)('refuses a socket that belongs to another user (needs root to chown)', async () => {
    const node = await startNode()
    try {
      await fs.chown(controlSocketPath(node.home), 65534, 65534)
      await expect(callNode(node.home, 'who')).rejects.toThrow(/belongs to uid 65534, not to you/)
    } finally {
      await node.stop()
    }
  })

  it('refuses a file that is not a socket', async () => {
    const home = await tmpHome()
    await fs.writeFile(controlSocketPath(home), 'trap')
    await expect(callNode(home, 'who')).rejects.toThrow(/is not a socket/)
  })
})
