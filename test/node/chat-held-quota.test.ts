/** The held bounds in the chat store alone: in-memory datastore, small limits. */
import { MemoryDatastore } from 'datastore-core'
import { describe, expect, it } from 'vitest'
import { ChatStore } from '../../node/chat/chat-store.js'

const LIMITS = { perSender: 3, perSenderBytes: 10, total: 4, totalBytes: 100 }

describe('held messages: bounds per sender and in total', () => {
  it('refuses past a bound, counts it, stores nothing of it; what is held counts again after a restart; discarding frees room', async () => {
    const ds = new MemoryDatastore()
    const store = new ChatStore(ds, LIMITS)
    await store.open()
    const save = async (peer: string, id: string, text: string): Promise<string> => {
      const r = await store.saveInbound(peer, id, text, 1, 'req')
      return r.refused ?? (r.duplicate ? 'duplicate' : 'held')
    }
    expect(await save('p', 'a1', 'abcd')).toBe('held')
    expect(await save('p', 'a2', 'abcd')).toBe('held')
    // 8 bytes held for p: 4 more would pass its 10-byte bound
    expect(await save('p', 'a3', 'abcd')).toBe('sender-full')
    expect(await save('p', 'a4', 'ab')).toBe('held')
    expect(await save('p', 'a2', 'abcd')).toBe('duplicate')
    expect(await save('q', 'b1', 'x')).toBe('held')
    expect(await save('r', 'c1', 'x')).toBe('total-full')
    expect(store.heldStats()).toEqual({ messages: 4, bytes: 11, senders: 2, refused: { 'sender-full': 1, 'total-full': 1 } })
    expect((await store.requests()).map(m => m.id)).toEqual(['a1', 'a2', 'a4', 'b1'])

    const again = new ChatStore(ds, LIMITS)
    await again.open()
    expect(again.heldStats()).toMatchObject({ messages: 4, bytes: 11, senders: 2 })
    expect(await again.saveInbound('r', 'c2', 'x', 1, 'req')).toMatchObject({ refused: 'total-full' })
    expect(await again.discardRequests('p')).toBe(3)
    const freed = await again.saveInbound('r', 'c2', 'x', 1, 'req')
    expect(freed.refused).toBeUndefined()
    expect(freed.message?.text).toBe('x')
    expect(again.heldStats()).toMatchObject({ messages: 2, bytes: 2, senders: 2 })
  })

  it('after a refused text, nothing later of its stream is stored, even in the same batch', async () => {
    const store = new ChatStore(new MemoryDatastore(), LIMITS)
    await store.open()
    const chain = { failed: false }
    const results = await Promise.all(['abcdefgh', 'abcdefgh', 'a'].map(async (text, i) => await store.saveInbound('p', `m${i}`, text, 1, 'req', chain)))
    expect(results.map(r => r.refused ?? 'held')).toEqual(['held', 'sender-full', 'sender-full'])
  })
})
