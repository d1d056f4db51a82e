/**
 * A text to a contact person goes to each of their devices; the sender hears
 * of it as ONE text: each copy's state change is reported, named by the
 * person, only when it moves the text further (queued < sent < delivered < read).
 */
import { describe, expect, it } from 'vitest'
import { Conversations } from '../../node/chat/conversations.js'
import type { ChatMessage, DeliveryState } from '../../node/chat/chat-store.js'

const alice = 'alice-person'
const devices = [alice, 'alice-phone', 'alice-tablet']
const roster = {
  get: (peer: string) => devices.includes(peer) ? { id: alice, contact: {}, devices } : peer === 'blocked' ? { id: 'blocked', contact: {}, blockedSince: 1, devices: ['blocked'] } : undefined,
  contacts: () => []
}
const people = new Conversations({ self: 'me', roster, changed: () => {} } as any)
const copy = (peer: string, state: DeliveryState, id = 't1', direction: 'in' | 'out' = 'out'): ChatMessage => ({ id, peer, direction, text: 'hi', sentAt: 1, state, seq: 1 })

describe('a text to a person of several devices, reported once per step', () => {
  it('names the person, and reports a state only the first time any copy reaches it', () => {
    const shown = [
      copy('alice-phone', 'sent'),
      copy(alice, 'sent'),
      copy('alice-tablet', 'delivered'),
      copy('alice-phone', 'delivered'),
      copy(alice, 'sent'),
      copy(alice, 'read')
    ].map(m => people.personState(m)).map(m => m == null ? '-' : `${m.peer}:${m.state}`)
    expect(shown).toEqual([`${alice}:sent`, '-', `${alice}:delivered`, '-', '-', `${alice}:read`])
  })

  it('keeps texts apart, and leaves incoming messages, strangers and blocked people as they are', () => {
    expect(people.personState(copy('alice-phone', 'delivered', 't2'))?.peer).toBe(alice)
    expect(people.personState(copy('alice-tablet', 'delivered', 't3'))?.peer).toBe(alice)
    const incoming = copy('alice-phone', 'read', 't4', 'in')
    expect(people.personState(incoming)).toBe(incoming)
    const stranger = copy('stranger', 'delivered')
    expect(people.personState(stranger)).toBe(stranger)
    expect(people.personState(people.personState(stranger)!)).toBe(stranger)
    const blocked = copy('blocked', 'delivered')
    expect(people.personState(blocked)).toBe(blocked)
  })
})


describe('the first start with conversations', () => {
  it('moves each contact\'s history into the person\'s conversation, and what was read stays read', async () => {
    const { MemoryDatastore } = await import('datastore-core')
    const { ChatStore } = await import('../../node/chat/chat-store.js')
    const { ConversationLog } = await import('../../node/chat/conversation-log.js')
    const ds = new MemoryDatastore()
    const store = new ChatStore(ds)
    await store.open()
    const { generateKeyPair } = await import('@libp2p/crypto/keys')
    const { peerIdFromPrivateKey } = await import('@libp2p/peer-id')
    const [bob, me] = await Promise.all([1, 2].map(async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()))
    await store.saveInbound(bob, 'a1', 'read before', 10, 'msg')
    await store.markRead(bob)
    await store.saveInbound(bob, 'a2', 'not read yet', 20, 'msg')
    const log = new ConversationLog(ds, me)
    await log.open()
    const moved = new Conversations({ self: me, datastore: ds, store, log, roster: { get: () => undefined, contacts: () => [{ id: bob, devices: [bob] }] }, changed: () => {} } as any)
    await moved.migrate()
    expect((await log.conversation(bob)).map(m => m.text)).toEqual(['read before', 'not read yet'])
    expect((await log.unread()).get(bob)).toBe(1)
  })
})

describe('reading a conversation', () => {
  it('marks up to the newest text from them, so one of theirs written earlier but arriving later is unread', async () => {
    const { MemoryDatastore } = await import('datastore-core')
    const { ChatStore } = await import('../../node/chat/chat-store.js')
    const { ConversationLog } = await import('../../node/chat/conversation-log.js')
    const { generateKeyPair } = await import('@libp2p/crypto/keys')
    const { peerIdFromPrivateKey } = await import('@libp2p/peer-id')
    const { chatIdToHex, newChatId } = await import('../../protocol/chat-frame.js')
    const [bob, me] = await Promise.all([1, 2].map(async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()))
    const ds = new MemoryDatastore()
    const store = new ChatStore(ds)
    await store.open()
    const log = new ConversationLog(ds, me)
    await log.open()
    const people = new Conversations({ self: me, datastore: ds, store, log, roster: { get: () => ({ id: bob, contact: {}, devices: [bob] }), contacts: () => [] }, changed: () => {} } as any)
    const bring = async (author: string, text: string, sentAt: number): Promise<void> => {
      const m = { contact: bob, id: chatIdToHex(newChatId()), outgoing: author === me, author, sentAt, text }
      await store.change(async (tx) => { log.stageOwn(tx, m, false) })
    }
    await bring(bob, 'see you at ten', 10_000)
    await bring(me, 'on my way', 30_000)
    expect(await people.markRead(bob, async () => 0)).toBe(1)
    expect((await log.unread()).get(bob) ?? 0).toBe(0)
    // written at 20 s, held in bob's outbox while we were away, it arrives now
    await bring(bob, 'running late', 20_000)
    expect((await log.unread()).get(bob)).toBe(1)
  })
})

describe('a contact\'s text that another own device got first', () => {
  it('is stored on its own copy\'s arrival too, but reported once: the inbound copy says it was mirrored already', async () => {
    const { MemoryDatastore } = await import('datastore-core')
    const { ChatStore } = await import('../../node/chat/chat-store.js')
    const { ConversationLog } = await import('../../node/chat/conversation-log.js')
    const { generateKeyPair } = await import('@libp2p/crypto/keys')
    const { peerIdFromPrivateKey } = await import('@libp2p/peer-id')
    const [bob, me, phone] = await Promise.all([1, 2, 3].map(async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()))
    const ds = new MemoryDatastore()
    const store = new ChatStore(ds)
    await store.open()
    const log = new ConversationLog(ds, me)
    await log.open()
    const people = new Conversations({ self: me, datastore: ds, store, log, roster: { get: () => ({ id: bob, contact: {}, devices: [bob] }), contacts: () => [] }, changed: () => {} } as any)
    // the phone had it first: history sync took it here
    const fromPhone = { contact: bob, id: 'c1', outgoing: false, author: bob, sentAt: 5_000, text: 'seen on the phone', origin: phone, seq: 1 }
    await store.change(async (tx) => { await log.stageTaken(tx, [fromPhone]) })
    const first = await store.saveInbound(bob, 'c1', 'seen on the phone', 5_000, 'msg', undefined, people.inboundMirror(bob, 'c1', 'seen on the phone', 5_000))
    const other = await store.saveInbound(bob, 'c2', 'only here', 6_000, 'msg', undefined, people.inboundMirror(bob, 'c2', 'only here', 6_000))
    expect([first.mirrored, other.mirrored]).toEqual([true, false])
    expect((await store.history(bob)).map(m => m.id)).toEqual(['c1', 'c2'])
  })
})
