import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { afterEach, describe, expect, it } from 'vitest'
import { loadOrCreateIdentity } from '../../node/home.js'
import { cleanupHomes, LOOPBACK, tmpHome, waitFor } from '../helpers.js'
import { killAllNodes, spawnNode } from '../process-helpers.js'
import type { ChatMessage } from '../../node/chat/index.js'
import type { NodeProcess } from '../process-helpers.js'
import type { PresenceNodeOptions } from '../../node/presence-node.js'

afterEach(async () => {
  await killAllNodes()
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

const received = (n: NodeProcess): ChatMessage[] => n.events.filter(e => e.event === 'chat-message').map(e => e.message)

async function expectExactlyOnceInOrder (receiver: NodeProcess, sender: string, ids: string[]): Promise<void> {
  await waitFor(async () => (await receiver.call<ChatMessage[]>('history', sender)).length >= ids.length, `all ${ids.length} stored`, 60_000)
  const hist = await receiver.call<ChatMessage[]>('history', sender)
  expect(hist.map(m => m.id)).toEqual(ids)
  expect(hist.map(m => m.text)).toEqual(ids.map((_, i) => `m ${i}`))
}

describe('chat survives SIGKILL', () => {
  it('of the sender with queued messages: restarted on the same home, it delivers all, once, in order', async () => {
    const rHome = await tmpHome('receiver')
    const sHome = await tmpHome('sender')
    const rId = peerIdFromPrivateKey((await loadOrCreateIdentity(rHome)).privateKey).toString()
    const r = await spawn(rHome)
    let s = await spawn(sHome, SLOW)
    await r.call('watch', s.peerId, 'sender')
    await s.call('watch', rId, 'receiver')
    await s.call('dial', r.addresses[0])

    const ids = await s.call<string[]>('sendMany', 'receiver', 'm', N)
    await waitFor(() => received(r).length >= 30, 'the stream is under way')
    await s.kill()
    const before = received(r).length
    expect(before).toBeLessThan(N)

    s = await spawn(sHome, SLOW)
    expect(await s.call<number>('outboxSize')).toBeGreaterThan(0)
    await s.call('dial', r.addresses[0])
    await expectExactlyOnceInOrder(r, s.peerId, ids)
    expect(received(r).map(m => m.id)).toEqual(ids)
    await waitFor(async () => await s.call<number>('outboxSize') === 0, 'sender outbox drained')
    const states = (await s.call<ChatMessage[]>('history', rId)).map(m => m.state)
    expect(states.every(st => st === 'delivered')).toBe(true)
  })

  it('of the receiver mid-stream: nothing lost, nothing duplicated', async () => {
    const rHome = await tmpHome('receiver')
    const s = await spawn(await tmpHome('sender'), SLOW)
    let r = await spawn(rHome)
    const rId = r.peerId
    await r.call('watch', s.peerId, 'sender')
    await s.call('watch', rId, 'receiver')
    await s.call('dial', r.addresses[0])

    const ids = await s.call<string[]>('sendMany', 'receiver', 'm', N)
    await waitFor(() => received(r).length >= 30, 'the stream is under way')
    await r.kill()
    expect(received(r).length).toBeLessThan(N)

    r = await spawn(rHome)
    await r.call('dial', s.addresses[0])
    await expectExactlyOnceInOrder(r, s.peerId, ids)
    await waitFor(async () => await s.call<number>('outboxSize') === 0, 'sender outbox drained')
    const hist = await s.call<ChatMessage[]>('history', rId)
    expect(hist.every(m => m.state === 'delivered')).toBe(true)
  })
})
