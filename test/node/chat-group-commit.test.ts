/**
 * Group commit must never acknowledge a frame before the batch holding it
 * committed, and a batch that fails must not let later frames of the stream
 * be stored ahead of it. The receiver's datastore commits are held at a gate,
 * so the frames of a burst pile up behind one commit deterministically.
 */
import { multiaddr } from '@multiformats/multiaddr'
import { afterEach, describe, expect, it } from 'vitest'
import { cleanupHomes, startNode, waitFor } from '../helpers.js'
import type { ChatMessage } from '../../node/chat/index.js'
import type { PresenceNode } from '../../node/presence-node.js'
import type { Batch, Datastore } from 'interface-datastore'

const nodes: PresenceNode[] = []
const N = 50
/** IN_FLIGHT_WINDOW: what the sender puts on the wire before it needs a receipt. */
const WINDOW = 32

afterEach(async () => {
  await Promise.all(nodes.splice(0).map(async n => { await n.stop() }))
  await cleanupHomes()
})

interface Gate {
  /** Commits started and not yet released. */
  held: number
  /** Texts (dedup keys) in each commit that went through, in commit order. */
  committed: number[]
  /** Lets the held commits go on; fail: the first of them fails instead. */
  open: (fail?: boolean) => void
}

/** Holds every chat commit of node's datastore until open() is called. */
function gate (node: PresenceNode): Gate {
  const ds = (node as any).datastore as Datastore
  const batch = ds.batch.bind(ds)
  let release: (fail: boolean) => void = () => {}
  let opened = new Promise<boolean>(resolve => { release = resolve })
  const g: Gate = {
    held: 0,
    committed: [],
    open: (fail = false) => {
      release(fail)
      opened = Promise.resolve(false)
    }
  }
  ds.batch = (): Batch => {
    const b = batch()
    let texts = 0
    let chat = false
    const put = b.put.bind(b)
    b.put = (key, value) => {
      chat ||= key.toString().startsWith('/presence-mesh/chat/')
      if (key.toString().startsWith('/presence-mesh/chat/iid/')) texts++
      put(key, value)
    }
    const commit = b.commit.bind(b)
    b.commit = async (opts) => {
      if (!chat) {
        await commit(opts)
        return
      }
      g.held++
      const fail = await opened
      g.held--
      if (fail) {
        opened = Promise.resolve(false)
        throw new Error('disk full (test)')
      }
      await commit(opts)
      if (texts > 0) g.committed.push(texts)
    }
    return b
  }
  return g
}

async function pair (): Promise<{ a: PresenceNode, b: PresenceNode, atB: ChatMessage[], delivered: string[] }> {
  const a = await startNode({ chat: { retryBaseMs: 100, retryMaxMs: 200 } })
  const b = await startNode()
  nodes.push(a, b)
  await a.watch(b.peerId, 'bob')
  await b.watch(a.peerId, 'alice')
  await a.libp2p.dial(multiaddr(b.addresses()[0]))
  const atB: ChatMessage[] = []
  b.chat.addEventListener('message', (evt) => { atB.push(evt.detail) })
  const delivered: string[] = []
  a.chat.addEventListener('state', (evt) => { if (evt.detail.state === 'delivered') delivered.push(evt.detail.id) })
  return { a, b, atB, delivered }
}

/** The receiver has read a window of frames: one commit held, the rest queued behind it. */
const windowQueued = (b: PresenceNode, g: Gate) => async (): Promise<boolean> =>
  g.held === 1 && (b.chat as any).store.pendingChanges >= WINDOW - 1

describe('chat group commit', () => {
  it('acknowledges nothing before its batch committed, then stores the queued frames together', async () => {
    const { a, b, atB, delivered } = await pair()
    const g = gate(b)
    const ids: string[] = []
    for (let i = 0; i < N; i++) ids.push(await a.send('bob', `m ${i}`))
    await waitFor(windowQueued(b, g), 'a window of frames waits for the held commit')
    expect(delivered).toEqual([])
    expect(atB).toEqual([])
    expect(a.chat.outboxSize()).toBe(N)

    g.open()
    await waitFor(() => delivered.length === N && a.chat.outboxSize() === 0, 'all delivered')
    expect(delivered).toEqual(ids)
    expect((await b.history('alice')).map(m => m.id)).toEqual(ids)
    expect(atB.map(m => m.text)).toEqual(ids.map((_, i) => `m ${i}`))
    // the frames queued behind the held commit went into one batch
    expect(g.committed[0]).toBe(1)
    expect(g.committed[1]).toBeGreaterThanOrEqual(WINDOW - 1)
  })

  it('stores no later frame of a stream once a batch failed: retried, all arrive once, in order', async () => {
    const { a, b, atB, delivered } = await pair()
    const g = gate(b)
    const ids: string[] = []
    for (let i = 0; i < N; i++) ids.push(await a.send('bob', `m ${i}`))
    await waitFor(windowQueued(b, g), 'a window of frames waits for the held commit')

    g.open(true)
    await waitFor(() => delivered.length === N && a.chat.outboxSize() === 0, 'all delivered after the retry')
    expect(delivered).toEqual(ids)
    expect((await b.history('alice')).map(m => m.id)).toEqual(ids)
    expect(atB.map(m => m.id)).toEqual(ids)
  })
})
