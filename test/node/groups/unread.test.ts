/**
 * Unread group texts in the store: incoming ones count until the group is
 * read, wherever their Lamport time puts them in the history (a caught-up
 * text is old by the group's order but new to the reader).
 */
import { MemoryDatastore } from 'datastore-core'
import { describe, expect, it } from 'vitest'
import { GroupStore } from '../../../node/groups/group-store.js'
import type { StoredMessage } from '../../../node/groups/group-store.js'

const G = '0123456789abcdef0123456789abcdef'
const [ME, BOB, CAROL] = ['me', 'bob', 'carol']

const text = (author: string, seq: number, lamport: number): StoredMessage =>
  ({ id: `${author}:${seq}`, group: G, author, seq, lamport, text: `${author} ${seq}`, sentAt: lamport, direction: author === ME ? 'out' : 'in' })

async function stored (...messages: StoredMessage[]): Promise<GroupStore> {
  const store = new GroupStore(new MemoryDatastore())
  await put(store, ...messages)
  return store
}

async function put (store: GroupStore, ...messages: StoredMessage[]): Promise<void> {
  await store.store.change((tx) => {
    for (const m of messages) store.putMessage(tx, m)
    return () => {}
  })
}

const everyone = (): boolean => true

describe('unread group texts', () => {
  it('counts incoming texts, not own ones, in the group\'s order, caught-up ones included', async () => {
    const store = await stored(text(BOB, 1, 1), text(ME, 1, 2), text(CAROL, 1, 3))
    expect(await store.unreadCount(G, everyone)).toBe(2)
    // a text bob wrote while partitioned arrives later with an older Lamport time
    await put(store, text(BOB, 2, 2))
    expect((await store.unreadMessages(G, everyone)).map(m => m.id)).toEqual(['bob:1', 'bob:2', 'carol:1'])
    expect((await store.unreadMessages(G, everyone, 2)).map(m => m.id)).toEqual(['bob:2', 'carol:1'])
  })

  it('leaves out the authors the reader does not show, without forgetting their texts', async () => {
    const store = await stored(text(BOB, 1, 1), text(CAROL, 1, 2))
    const notCarol = (a: string): boolean => a !== CAROL
    expect(await store.unreadCount(G, notCarol)).toBe(1)
    expect((await store.unreadMessages(G, notCarol)).map(m => m.id)).toEqual(['bob:1'])
    expect(await store.unreadCount(G, everyone)).toBe(2)
  })

  it('marks a group read, and only what was there: a later text is unread', async () => {
    const store = await stored(text(BOB, 1, 1), text(CAROL, 1, 2))
    expect(await store.markRead(G)).toBe(2)
    expect(await store.unreadCount(G, everyone)).toBe(0)
    expect(await store.markRead(G)).toBe(0)
    await put(store, text(BOB, 2, 3))
    expect((await store.unreadMessages(G, everyone)).map(m => m.id)).toEqual(['bob:2'])
    expect((await store.messages(G)).map(m => m.id)).toEqual(['bob:1', 'carol:1', 'bob:2'])
  })

  it('marks only the texts named read: one older than those shown, or one come meanwhile, stays unread', async () => {
    const store = await stored(text(BOB, 1, 1), text(CAROL, 1, 2), text(BOB, 2, 3))
    expect(await store.markRead(G, ['carol:1', 'bob:2', 'me:1', 'bob:9'])).toBe(2)
    expect((await store.unreadMessages(G, everyone)).map(m => m.id)).toEqual(['bob:1'])
  })

  it('keeps groups apart', async () => {
    const store = await stored(text(BOB, 1, 1), { ...text(BOB, 1, 1), group: 'ffffffffffffffffffffffffffffffff' })
    expect(await store.markRead(G)).toBe(1)
    expect(await store.unreadCount('ffffffffffffffffffffffffffffffff', everyone)).toBe(1)
  })
})
