import { MemoryDatastore } from 'datastore-core'
import { describe, expect, it } from 'vitest'
import { WatchStore } from '../../../node/presence/watch-store.js'
import { waitFor } from '../../helpers.js'

describe('watch state saved in batches', () => {
  it('writes the newest state of each presentity once, within the delay, in one batch', async () => {
    const datastore = new MemoryDatastore()
    let batches = 0
    const batch = datastore.batch.bind(datastore)
    datastore.batch = () => { batches++; return batch() }
    const store = new WatchStore(datastore)
    for (let seq = 1n; seq <= 50n; seq++) {
      store.saveSoon('a', { peerId: 'a', lastSeq: seq, lastSeen: Number(seq) }, 20)
      store.saveSoon('b', { peerId: 'b', lastSeq: seq * 2n }, 20)
    }
    // nothing waits for the disk: not written yet
    expect(await store.loadAll()).toEqual([])
    await waitFor(async () => (await store.loadAll()).length === 2, 'the batch to be written', 5_000)
    expect(await store.loadAll()).toEqual([{ peerId: 'a', lastSeq: 50n, lastSeen: 50 }, { peerId: 'b', lastSeq: 100n }])
    expect(batches).toBe(1)
  })

  it('flush writes what waits at once; delete drops a waiting save', async () => {
    const store = new WatchStore(new MemoryDatastore())
    store.saveSoon('a', { peerId: 'a', lastSeq: 7n }, 60_000)
    store.saveSoon('b', { peerId: 'b', lastSeq: 8n }, 60_000)
    await store.delete('b')
    await store.flush()
    expect(await store.loadAll()).toEqual([{ peerId: 'a', lastSeq: 7n }])
  })

  it('a state given as a function is made when the batch is written: the newest one', async () => {
    const store = new WatchStore(new MemoryDatastore())
    let seq = 1n
    let made = 0
    const make = (): { peerId: string, lastSeq: bigint } => { made++; return { peerId: 'a', lastSeq: seq } }
    for (; seq <= 5n; seq++) store.saveSoon('a', make, 60_000)
    seq = 9n
    await store.flush()
    expect(made).toBe(1)
    expect(await store.loadAll()).toEqual([{ peerId: 'a', lastSeq: 9n }])
  })
})
