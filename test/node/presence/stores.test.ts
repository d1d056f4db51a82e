/**
 * The presence stores read what a node of the previous release wrote (the
 * hand-written JSON codecs it had) and write values that release reads.
 */
import { MemoryDatastore } from 'datastore-core'
import { Key } from 'interface-datastore'
import { fromString as uint8ArrayFromString } from 'uint8arrays/from-string'
import { toString as uint8ArrayToString } from 'uint8arrays/to-string'
import { describe, expect, it } from 'vitest'
import { FetchStore } from '../../../node/presence/fetch-store.js'
import { WatchStore } from '../../../node/presence/watch-store.js'

const PEER = '12D3KooWGZ6y5YoJN7ZryJzKXG4DaeDtnLXzYq6VhnwH8Y5vGDXM'
const BIG = 1_700_000_000_123_456_789n
const json = (v: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(v))
const parse = (b: Uint8Array): any => JSON.parse(new TextDecoder().decode(b))

describe('watch store', () => {
  it('reads the previous format and writes it back unchanged', async () => {
    const ds = new MemoryDatastore()
    // as the previous WatchStore.save and saveSeq wrote them
    await ds.put(new Key(`/presence-mesh/presence/watch/${PEER}`), json({ alias: 'bob', lastSeq: BIG.toString(), lastSeen: 1234 }))
    await ds.put(new Key('/presence-mesh/presence/watch/12D3KooWNoSeq'), json({}))
    await ds.put(new Key('/presence-mesh/presence/self/seq'), new TextEncoder().encode(BIG.toString()))
    const store = new WatchStore(ds)
    expect(await store.loadAll()).toEqual([
      { peerId: PEER, alias: 'bob', lastSeq: BIG, lastSeen: 1234 },
      { peerId: '12D3KooWNoSeq', alias: undefined, lastSeq: undefined, lastSeen: undefined }
    ])
    expect(await store.loadSeq()).toBe(BIG)

    await store.save({ peerId: PEER, alias: 'robert', lastSeq: BIG + 1n, lastSeen: 99 })
    expect(parse(await ds.get(new Key(`/presence-mesh/presence/watch/${PEER}`)))).toEqual({ alias: 'robert', lastSeq: (BIG + 1n).toString(), lastSeen: 99 })
    await store.saveSeq(BIG + 2n)
    expect(new TextDecoder().decode(await ds.get(new Key('/presence-mesh/presence/self/seq')))).toBe((BIG + 2n).toString())
    await store.delete(PEER)
    expect((await store.loadAll()).map(w => w.peerId)).toEqual(['12D3KooWNoSeq'])
  })

  it('a fresh home has sequence 0 and no watches', async () => {
    const store = new WatchStore(new MemoryDatastore())
    expect(await store.loadSeq()).toBe(0n)
    expect(await store.loadAll()).toEqual([])
  })
})

describe('fetch store', () => {
  const envelope = Uint8Array.from({ length: 200 }, (_, i) => (i * 37) & 0xff)

  it('reads the previous format and writes it back unchanged', async () => {
    const ds = new MemoryDatastore()
    const key = new Key(`/presence-mesh/fetch/${PEER}`)
    // as the previous DhtPresenceService.saveSeen wrote it
    await ds.put(key, json({ seq: BIG.toString(), lastSeen: 1234, envelope: uint8ArrayToString(envelope, 'base64') }))
    const store = new FetchStore(ds)
    expect(await store.get(PEER)).toEqual({ seq: BIG, lastSeen: 1234, envelope })

    await store.put(PEER, { seq: BIG + 1n, lastSeen: 5678, envelope })
    const raw = parse(await ds.get(key))
    expect(raw).toEqual({ seq: (BIG + 1n).toString(), lastSeen: 5678, envelope: uint8ArrayToString(envelope, 'base64') })
    // what the previous loadSeen did with it
    expect(uint8ArrayFromString(raw.envelope, 'base64')).toEqual(envelope)
  })

  it('nothing seen, or an unreadable record, is an empty memory', async () => {
    const ds = new MemoryDatastore()
    const store = new FetchStore(ds)
    expect(await store.get(PEER)).toEqual({})
    await ds.put(new Key(`/presence-mesh/fetch/${PEER}`), new TextEncoder().encode('{"seq": "not a number"}'))
    expect(await store.get(PEER)).toEqual({})
  })
})
