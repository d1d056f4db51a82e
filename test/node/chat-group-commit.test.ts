/**
 * Group commit must never acknowledge a frame before the batch holding it
 * committed, and a batch that fails must not let later frames of the stream
 * be stored ahead of it. The receiver's datastore commits are held at a gate,
 * so the frames of a burst pile up behind one commit deterministically.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import { MemoryDatastore } from 'datastore-core'
import { afterEach, describe, expect, it } from 'vitest'
import { createPresenceLibp2p } from '../../node/index.js'
import { cleanupHomes, LOOPBACK, startNode, waitFor } from '../helpers.js'
import type { ChatMessage, PresenceLibp2p } from '../../node/index.js'
import type { PresenceNode } from '../../node/presence-node.js'
import type { Batch } from 'interface-datastore'

const nodes: Array<{ stop: () => void | Promise<void> }> = []
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

/** A datastore whose chat commits wait at a gate until open() is called. */
function gatedDatastore (): { ds: MemoryDatastore, g: Gate } {
  const ds = new MemoryDatastore()
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
  return { ds, g }
}

/** a sends, b receives on the gated datastore (the same factory a PresenceNode uses, without a home). */
async function pair (): Promise<{ a: PresenceNode, b: PresenceLibp2p, g: Gate, atB: ChatMessage[], delivered: string[] }> {
  const a = await startNode({ chat: { retryBaseMs: 100, retryMaxMs: 200 } })
  const { ds, g } = gatedDatastore()
  const b = await createPresenceLibp2p({ privateKey: await generateKeyPair('Ed25519'), datastore: ds, listen: LOOPBACK, sharedHost: true, mdns: false })
  await b.start()
  nodes.push(a, b)
  await a.watch(b.peerId, 'bob')
  await b.services.roster.watch(a.peerId, 'alice')
  await a.libp2p.dial(multiaddr(b.getMultiaddrs()[0]))
  const atB: ChatMessage[] = []
  b.services.chat.addEventListener('message', (evt) => { atB.push(evt.detail) })
  const delivered: string[] = []
  a.chat.addEventListener('state', (evt) => { if (evt.detail.state === 'delivered') delivered.push(evt.detail.id) })
  return { a, b, g, atB, delivered }
}

/** The receiver has read a window of frames: one commit held, the rest queued behind it. */
const windowQueued = (b: PresenceLibp2p, g: Gate) => async (): Promise<boolean> =>
  g.held === 1 && b.services.chat.storeBacklog() >= WINDOW - 1

describe('chat group commit', () => {
  it('acknowledges nothing before its batch committed, then stores the queued frames together', async () => {
    const { a, b, g, atB, delivered } = await pair()
    const ids: string[] = []
    for (let i = 0; i < N; i++) ids.push(await a.send('bob', `m ${i}`))
    await waitFor(windowQueued(b, g), 'a window of frames waits for the held commit')
    expect(delivered).toEqual([])
    expect(atB).toEqual([])
    expect(a.chat.outboxSize()).toBe(N)

    g.open()
    await waitFor(() => delivered.length === N && a.chat.outboxSize() === 0, 'all delivered')
    expect(delivered).toEqual(ids)
    expect((await b.services.chat.history(a.peerId)).map(m => m.id)).toEqual(ids)
    expect(atB.map(m => m.text)).toEqual(ids.map((_, i) => `m ${i}`))
    // the frames queued behind the held commit went into one batch
    expect(g.committed[0]).toBe(1)
    expect(g.committed[1]).toBeGreaterThanOrEqual(WINDOW - 1)
  })

  it('stores no later frame of a stream once a batch failed: retried, all arrive once, in order', async () => {
    const { a, b, g, atB, delivered } = await pair()
    const ids: string[] = []
    for (let i = 0; i < N; i++) ids.push(await a.send('bob', `m ${i}`))
    await waitFor(windowQueued(b, g), 'a window of frames waits for the held commit')

    g.open(true)
    await waitFor(() => delivered.length === N && a.chat.outboxSize() === 0, 'all delivered after the retry')
    expect(delivered).toEqual(ids)
    expect((await b.services.chat.history(a.peerId)).map(m => m.id)).toEqual(ids)
    expect(atB.map(m => m.id)).toEqual(ids)
  })
})
