/**
 * One identity, two live nodes (docs/protocol.md §13), end to end: A runs
 * with contact C; B starts from a copy of A's home (same key, another home
 * path) and connects to C. C holds two connections of one peer id, runs the
 * exchange, and B (the later one) stops with DuplicateInstanceError while A
 * keeps running, keeps C, and gets C's messages.
 */
import '../../../node/polyfill.js'
import fs from 'node:fs/promises'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { RUNTIME_FILE } from '../../../node/home.js'
import { DuplicateInstanceError } from '../../../node/instance/errors.js'
import { cleanupHomes, makeContacts, startNode, tmpHome, waitFor } from '../../helpers.js'
import type { DuplicateInstance } from '../../../node/instance/index.js'
import type { PresenceNode } from '../../../node/presence-node.js'

const running: PresenceNode[] = []

afterAll(async () => {
  await Promise.all(running.map(async n => { await n.stop() }))
  await cleanupHomes()
})

describe('two live nodes with one key', () => {
  it('the copy started later stops with a clear error; the first keeps running and keeps its contact', async () => {
    const c = await startNode({ home: await tmpHome('instance-c') })
    running.push(c)
    const bootstrap = [c.addresses()[0]]
    const homeA = await tmpHome('instance-a')
    let a = await startNode({ home: homeA, bootstrap })
    await makeContacts(a, c)
    // a copy of the home as a user makes it: the node stopped, the directory copied, both started again
    await a.stop()
    const homeB = await tmpHome('instance-b')
    await fs.cp(homeA, homeB, { recursive: true })
    await fs.rm(path.join(homeB, RUNTIME_FILE), { force: true })
    a = await startNode({ home: homeA, bootstrap })
    running.push(a)
    const warnings: DuplicateInstance[] = []
    a.addEventListener('duplicate', (evt) => { warnings.push(evt.detail) })
    await waitFor(() => c.connections().some(x => x.peerId === a.peerId.toString()), 'C to see A')

    // B may meet A through C while it starts (it dials its known peers): start then fails; or later: it halts
    const outcome = await startNode({ home: homeB, bootstrap }).then(async (b) => {
      running.push(b)
      expect(b.peerId.equals(a.peerId)).toBe(true)
      return await b.halted()
    }, (err: unknown) => err)
    expect(outcome).toBeInstanceOf(DuplicateInstanceError)
    const err = outcome as DuplicateInstanceError
    expect(err.otherStartedAt).toBe(a.libp2p.services.instance.startedAt)
    expect(err.observer).toBe(c.peerId.toString())
    expect(err.message).toMatch(/^another node is running with this identity \(started .*\): stopped$/)

    // A was told, and runs on: its contact reaches it, not the stopped copy
    await waitFor(() => warnings.length === 1, 'A to be told of the copy')
    expect(warnings[0]).toMatchObject({ yielded: false, observer: c.peerId.toString() })
    expect(a.libp2p.status).toBe('started')
    expect(a.contacts().map(x => x.peerId)).toEqual([c.peerId.toString()])
    await c.send(a.peerId, 'still you?')
    await waitFor(async () => (await a.history(c.peerId)).some(m => m.text === 'still you?'), 'A to get C\'s message', 60_000)
    expect(c.libp2p.services.instance.getStats()).toMatchObject({ duplicates: 1 })
  }, 90_000)
})
