/**
 * Chat across a SIGKILL: the side that is killed is a node process of its own
 * (test/fixtures/node-process.ts), the side that lives on a node in this
 * process (what it proves does not need a process boundary, and it costs none).
 */
import { afterEach, describe, expect, it } from 'vitest'
import { cleanupHomes, LOOPBACK, startNode, tmpHome, waitFor } from '../helpers.js'
import { killAllNodes, spawnNode } from '../process-helpers.js'
import type { ChatMessage } from '../../node/chat/index.js'
import type { NodeProcess } from '../process-helpers.js'
import type { PresenceNode, PresenceNodeOptions } from '../../node/presence-node.js'

const nodes: PresenceNode[] = []
afterEach(async () => {
  await killAllNodes()
  await Promise.all(nodes.splice(0).map(async n => { await n.stop() }))
  await cleanupHomes()
})

/**
 * A slow sender, so a SIGKILL reliably lands mid-stream: 300 messages take 6 s. At 100 a second
 * (3 s) a loaded machine saw the 30th message and killed the sender only after the 300th.
 */
const SLOW: PresenceNodeOptions['chat'] = { sendRatePerSecond: 50, sendBurst: 10 }
const N = 300

const spawn = async (home: string, chat?: PresenceNodeOptions['chat']): Promise<NodeProcess> =>
  await spawnNode({ home, listen: LOOPBACK, sharedHost: true, chat })

/** A node in this process, with the messages it shows (what a node process prints as chat-message events). */
async function live (chat?: PresenceNodeOptions['chat']): Promise<{ node: PresenceNode, received: ChatMessage[] }> {
  const node = await startNode({ home: await tmpHome('live'), chat })
  nodes.push(node)
  const received: ChatMessage[] = []
  node.chat.addEventListener('message', (evt) => { received.push(evt.detail) })
  return { node, received }
}

const received = (n: NodeProcess): ChatMessage[] => n.events.filter(e => e.event === 'chat-message').map(e => e.message)

async function expectExactlyOnceInOrder (history: () => Promise<ChatMessage[]>, ids: string[]): Promise<void> {
  await waitFor(async () => (await history()).length >= ids.length, `all ${ids.length} stored`, 60_000)
  const hist = await history()
  expect(hist.map(m => m.id)).toEqual(ids)
  expect(hist.map(m => m.text)).toEqual(ids.map((_, i) => `m ${i}`))
}

describe('chat survives SIGKILL', () => {
  it('of the sender with queued messages: restarted on the same home, it delivers all, once, in order', async () => {
    const sHome = await tmpHome('sender')
    const { node: r, received: got } = await live()
    const rId = r.peerId.toString()
    let s = await spawn(sHome, SLOW)
    await r.watch(s.peerId, 'sender')
    await s.call('watch', rId, 'receiver')
    await s.call('dial', r.addresses()[0])

    const ids = await s.call<string[]>('sendMany', 'receiver', 'm', N)
    await waitFor(() => got.length >= 30, 'the stream is under way')
    await s.kill()
    const before = got.length
    expect(before).toBeLessThan(N)

    s = await spawn(sHome, SLOW)
    expect(await s.call<number>('outboxSize')).toBeGreaterThan(0)
    await s.call('dial', r.addresses()[0])
    await expectExactlyOnceInOrder(async () => await r.history(s.peerId), ids)
    expect(got.map(m => m.id)).toEqual(ids)
    await waitFor(async () => await s.call<number>('outboxSize') === 0, 'sender outbox drained')
    const states = (await s.call<ChatMessage[]>('history', rId)).map(m => m.state)
    expect(states.every(st => st === 'delivered')).toBe(true)
  })

  it('of the receiver mid-stream: nothing lost, nothing duplicated', async () => {
    const rHome = await tmpHome('receiver')
    const { node: s } = await live(SLOW)
    let r = await spawn(rHome)
    const rId = r.peerId
    await r.call('watch', s.peerId.toString(), 'sender')
    await s.watch(rId, 'receiver')
    await r.call('dial', s.addresses()[0])

    const ids: string[] = []
    for (let i = 0; i < N; i++) ids.push(await s.send('receiver', `m ${i}`))
    await waitFor(() => received(r).length >= 30, 'the stream is under way')
    await r.kill()
    expect(received(r).length).toBeLessThan(N)

    r = await spawn(rHome)
    await r.call('dial', s.addresses()[0])
    await expectExactlyOnceInOrder(async () => await r.call<ChatMessage[]>('history', s.peerId.toString()), ids)
    await waitFor(() => s.chat.outboxSize() === 0, 'sender outbox drained')
    const hist = await s.history(rId)
    expect(hist.every(m => m.state === 'delivered')).toBe(true)
  })
})
