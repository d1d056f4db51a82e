/**
 * The node API the chat client stands on: remove contact on the wire, a
 * block that drops for good, held messages following consent, read receipts
 * off, taking back an undelivered text, search, the manual state across a
 * restart, names, connections and where locate says a peer listens.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { cleanupHomes, startNode, stopNodes, tmpHome, waitFor } from '../helpers.js'
import type { PresenceNode } from '../../node/presence-node.js'

afterAll(cleanupHomes)

const TTL = 4_000
const FAST = { retryBaseMs: 200, retryCapMs: 1_000 }
const CHAT = { retryBaseMs: 100, retryMaxMs: 500 }
const nodes: PresenceNode[] = []

async function node (opts: Parameters<typeof startNode>[0] = {}): Promise<PresenceNode> {
  // public: a private node admits a stranger only with its contact code (test/node/contact-codes.test.ts)
  const n = await startNode({ presence: { ttlMs: TTL }, contacts: FAST, chat: CHAT, roster: { defaultVisibility: 'public' }, ...opts })
  nodes.push(n)
  return n
}

afterEach(async () => {
  await stopNodes(nodes.splice(0))
})

/** Two nodes that are contacts, each naming the other. */
async function contacts (): Promise<[PresenceNode, PresenceNode]> {
  const a = await node()
  const b = await node({ bootstrap: [a.addresses()[0]] })
  await a.requestContact(b.peerId, 'hi', 'bob')
  await waitFor(() => b.contactRequests().incoming.length === 1, 'the request to arrive')
  await b.accept(a.peerId.toString(), 'ann')
  await waitFor(() => a.contacts().length === 1, 'the accept to arrive')
  await waitFor(() => a.presenceOf(b.peerId)?.status === 'online' && b.presenceOf(a.peerId)?.status === 'online', 'both to see each other online')
  return [a, b]
}

describe('remove contact', () => {
  it('ends the contact on both sides (the other learns it), keeps names and history', async () => {
    const [a, b] = await contacts()
    await a.send(b.peerId, 'before we part')
    await waitFor(async () => (await b.history(a.peerId)).length === 1, 'the message to arrive')
    const removed: string[] = []
    b.addEventListener('contact:removed', (e) => { removed.push(e.detail.peerId) })
    await a.removeContact('bob')
    expect(a.contacts()).toEqual([])
    expect(a.person(b.peerId)).toMatchObject({ alias: 'bob', watched: false })
    await waitFor(() => removed.includes(a.peerId.toString()), 'B to learn it was removed')
    expect(b.contacts()).toEqual([])
    expect(b.person(a.peerId)?.alias).toBe('ann')
    // each side's view of the other ends as a clean stop does
    await waitFor(() => b.who().every(v => v.peerId !== a.peerId.toString()) || b.presenceOf(a.peerId)?.status === 'offline', 'B to stop seeing A')
    expect((await a.history('bob')).map(m => m.text)).toEqual(['before we part'])
    await expect(a.removeContact('bob')).rejects.toMatchObject({ name: 'NotAContactError' })
    expect(a.watchers().asked[0]).toMatchObject({ direction: 'outgoing', outcome: 'removed' })
  })
})

describe('blocking drops for good', () => {
  it('what a blocked contact sends while blocked never shows, even after the unblock; what it sends after does', async () => {
    const [a, b] = await contacts()
    await a.block(b.peerId)
    await b.send(a.peerId, 'sent while blocked')
    await a.unblock(b.peerId)
    await waitFor(async () => (await b.history(a.peerId)).some(m => m.text === 'sent while blocked' && m.state === 'delivered'), 'the blocked text to be acknowledged after the unblock')
    await b.send(a.peerId, 'sent after the unblock')
    await waitFor(async () => (await a.history(b.peerId)).some(m => m.text === 'sent after the unblock'), 'the later text to arrive')
    expect((await a.history(b.peerId)).map(m => m.text)).toEqual(['sent after the unblock'])
  })
})

describe('held messages follow consent', () => {
  it('a denied requester\'s held texts are deleted; an accepted one\'s become history', async () => {
    const a = await node()
    const b = await node({ bootstrap: [a.addresses()[0]] })
    const c = await node({ bootstrap: [a.addresses()[0]] })
    // a is not public: strangers ask with its code (they know its address: their bootstrap)
    for (const s of [b, c]) {
      await s.requestContact(a.contactCode(), 'may I')
      await s.send(a.peerId, `hello from ${s === b ? 'b' : 'c'}`)
    }
    await waitFor(async () => (await a.requests()).length === 2 && a.contactRequests().incoming.length === 2, 'both texts held and both requests in')
    await a.deny(b.peerId)
    expect((await a.requests()).map(m => m.text)).toEqual(['hello from c'])
    await a.accept(c.peerId, 'carol')
    await waitFor(async () => (await a.requests()).length === 0, 'the held text to leave the requests')
    expect((await a.history('carol')).map(m => m.text)).toEqual(['hello from c'])
    expect(await a.unread()).toEqual({ [c.peerId.toString()]: 1 })
  })
})

describe('chat settings and the outbox', () => {
  it('with read receipts off, reading queues no receipt; an undelivered text can be taken back', async () => {
    const [a, b] = await contacts()
    await b.send(a.peerId, 'one')
    await waitFor(async () => (await a.unread())[b.peerId.toString()] === 1, 'the text to arrive unread')
    await b.stop()
    await a.setReadReceipts(false)
    expect(a.readReceipts()).toBe(false)
    expect(await a.markRead(b.peerId)).toBe(1)
    expect(a.chat.outboxSize(b.peerId)).toBe(0)
    expect(await a.unread()).toEqual({})

    // b is gone: a text to it waits; taken back, it leaves history and the outbox
    const id = await a.send('bob', 'never mind')
    expect(a.undelivered().map(m => m.text)).toEqual(['never mind'])
    const taken = await a.unsend('bob', id)
    expect(taken?.text).toBe('never mind')
    expect(a.undelivered()).toEqual([])
    expect((await a.history('bob')).map(m => m.text)).toEqual(['one'])
    expect(await a.unsend('bob', id)).toBeUndefined()
    await expect(a.send('bob', '   \n ')).rejects.toMatchObject({ name: 'InvalidMessageError', problem: 'empty' })
  })

  it('search finds every word, case-insensitively, across conversations or in one', async () => {
    const [a, b] = await contacts()
    await a.send(b.peerId, 'Dinner at EIGHT?')
    await b.send(a.peerId, 'eight is fine, dinner it is')
    await a.send(b.peerId, 'lunch instead')
    await waitFor(async () => (await a.history(b.peerId)).length === 3, 'the conversation')
    expect((await a.search('dinner eight')).map(m => m.text)).toEqual(['Dinner at EIGHT?', 'eight is fine, dinner it is'])
    expect((await a.search('dinner', { peer: 'bob', limit: 1 })).map(m => m.text)).toEqual(['eight is fine, dinner it is'])
    expect(await a.search('breakfast')).toEqual([])
    expect(await a.conversations()).toEqual([b.peerId.toString()])
  })
})

describe('who and where', () => {
  it('the state set by hand comes back after a restart, and contacts see it', async () => {
    const [a, b] = await contacts()
    const home = a.home
    await a.setPresence({ status: 'away', note: 'gone fishing' })
    await a.stop()
    const again = await node({ home, bootstrap: [b.addresses()[0]] })
    expect(again.self()).toMatchObject({ status: 'away', note: 'gone fishing', auto: false, manual: { status: 'away' } })
    await waitFor(() => b.presenceOf(again.peerId)?.note === 'gone fishing' && b.presenceOf(again.peerId)?.status === 'away', 'B to see the stored state')
  })

  it('names come from aliases (verified); connections list; locate gives where a peer listens, not its connection\'s port', async () => {
    const [a, b] = await contacts()
    expect(a.displayName(b.peerId)).toEqual({ name: 'bob', verified: true })
    // without a name of ours, the one bob gives himself (his card), marked unverified
    await b.setCategory({ kind: 'card', displayName: 'Bobby B' })
    await a.setAlias(b.peerId, undefined)
    await waitFor(() => a.displayName(b.peerId)?.name === 'Bobby B', 'bob\'s card to arrive')
    expect(a.displayName(b.peerId)).toEqual({ name: 'Bobby B', verified: false })
    await a.setAlias(b.peerId, 'bob')
    const c = await node({ home: await tmpHome() })
    expect(a.displayName(c.peerId)).toBeUndefined()
    expect(a.connections().map(x => x.peerId)).toContain(b.peerId.toString())
    // b dialled a, so a's connection to b has b's ephemeral port
    const conn = a.connections().find(x => x.peerId === b.peerId.toString())!
    expect(conn.direction).toBe('inbound')
    const found = await a.locate(b.peerId)
    const listening = b.addresses().map(x => x.replace(/\/p2p\/.*/, ''))
    expect(found.addresses.some(x => listening.includes(x.replace(/\/p2p\/.*/, '')))).toBe(true)
    expect(found.addresses).not.toContain(conn.address)
  })
})
