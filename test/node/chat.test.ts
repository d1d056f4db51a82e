import { multiaddr } from '@multiformats/multiaddr'
import { afterEach, describe, expect, it } from 'vitest'
import { cleanupHomes, startNode, tmpHome, waitFor } from '../helpers.js'
import type { ChatMessage } from '../../node/chat/index.js'
import type { PresenceNode } from '../../node/presence-node.js'

const nodes: PresenceNode[] = []

async function node (opts: Parameters<typeof startNode>[0] = {}): Promise<PresenceNode> {
  const n = await startNode(opts)
  nodes.push(n)
  return n
}

async function stop (n: PresenceNode): Promise<void> {
  nodes.splice(nodes.indexOf(n), 1)
  await n.stop()
}

async function connect (a: PresenceNode, b: PresenceNode): Promise<void> {
  await a.libp2p.dial(multiaddr(b.addresses()[0]))
}

/** Two nodes that watch each other, so each is the other's contact. */
async function contacts (): Promise<[PresenceNode, PresenceNode]> {
  const a = await node()
  const b = await node()
  await a.watch(b.peerId, 'bob')
  await b.watch(a.peerId, 'alice')
  await connect(a, b)
  return [a, b]
}

function received (n: PresenceNode): ChatMessage[] {
  const got: ChatMessage[] = []
  n.chat.addEventListener('message', (evt) => { got.push(evt.detail) })
  return got
}

afterEach(async () => {
  await Promise.all(nodes.splice(0).map(async n => { await n.stop() }))
  await cleanupHomes()
})

describe('chat between two nodes', () => {
  it('delivers both ways with receipts, read state and typing', async () => {
    const [a, b] = await contacts()
    const atB = received(b)
    const atA = received(a)
    const typing: Array<{ peer: string, typing: boolean }> = []
    b.chat.addEventListener('typing', (evt) => { typing.push(evt.detail) })

    a.chat.typing(b.peerId)
    await waitFor(() => typing.some(t => t.typing && t.peer === a.peerId.toString()), 'typing shown at b')

    const id = await a.send('bob', 'hello bob ✓')
    expect(id).toMatch(/^[0-9a-f]{32}$/)
    await waitFor(() => atB.length === 1, 'b receives')
    expect(atB[0]).toMatchObject({ id, peer: a.peerId.toString(), direction: 'in', text: 'hello bob ✓', state: 'delivered' })
    expect(typing.at(-1)).toEqual({ peer: a.peerId.toString(), typing: false })

    await waitFor(async () => (await a.history('bob'))[0]?.state === 'delivered', 'a sees delivered')
    expect(await b.markRead('alice')).toBe(1)
    await waitFor(async () => (await a.history('bob'))[0]?.state === 'read', 'a sees read')
    expect((await b.history('alice'))[0].state).toBe('read')
    expect(await b.markRead('alice')).toBe(0)

    await b.send(a.peerId, 'hi alice')
    await waitFor(() => atA.length === 1, 'a receives')
    expect(atA[0].text).toBe('hi alice')
    const hist = await a.history('bob')
    expect(hist.map(m => [m.direction, m.text])).toEqual([['out', 'hello bob ✓'], ['in', 'hi alice']])
    expect(await a.history('bob', 1)).toHaveLength(1)
    expect(b.chat.outboxSize()).toBe(0)
    await waitFor(() => a.chat.outboxSize() === 0, 'a outbox empty')
  })

  it('rejects what cannot be sent without storing anything', async () => {
    const a = await node()
    await expect(a.send('nobody', 'x')).rejects.toThrow(/neither a known alias nor a peer id/)
    await expect(a.send(a.peerId, 'x')).rejects.toThrow(/itself/)
    const b = await node()
    await expect(a.send(b.peerId, '')).rejects.toThrow(/some text/)
    await expect(a.send(b.peerId, 'x'.repeat(4001))).rejects.toThrow(/4001 bytes/)
    await expect(a.history(b.peerId, 0)).rejects.toThrow(/positive/)
    expect(await a.history(b.peerId)).toEqual([])
  })
})
