/** Pair secrets outlive a restart (node/roster/pair-secrets.ts): a restarted roster reads them instead of deriving them again. */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { defaultLogger } from '@libp2p/logger'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import { MemoryDatastore } from 'datastore-core'
import { Key } from 'interface-datastore'
import { beforeEach, describe, expect, it } from 'vitest'
import { derivePairKeys } from '../../../protocol/pair-keys.js'
import { roster } from '../../../node/roster/index.js'
import type { Roster } from '../../../node/roster/index.js'
import type { PrivateKey, Startable } from '@libp2p/interface'


async function start (ds: MemoryDatastore, key: PrivateKey): Promise<Roster> {
  const r = roster()({ peerId: peerIdFromPrivateKey(key), privateKey: key, datastore: ds, logger: defaultLogger(), connectionManager: {} } as any)
  await (r as unknown as Startable).start()
  return r
}
const stop = async (r: Roster): Promise<void> => { await (r as unknown as Startable).stop() }
const newPeer = async (): Promise<string> => peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
async function storedKeys (ds: MemoryDatastore): Promise<string[]> {
  const out: string[] = []
  for await (const k of ds.queryKeys({ prefix: '/presence-mesh/roster/pair-secret/' })) out.push(k.toString())
  return out.sort()
}

let ds: MemoryDatastore
let key: PrivateKey
let bob: string
let carol: string
beforeEach(async () => {
  ds = new MemoryDatastore()
  key = await generateKeyPair('Ed25519')
  bob = await newPeer()
  carol = await newPeer()
})

describe('pair secrets across a restart', () => {
  it('a restarted roster reads its contacts\' pair secrets: the same keys, no X25519 again', async () => {
    const r1 = await start(ds, key)
    await r1.addContact(bob)
    await r1.addContact(carol)
    const before = [r1.keysFor(bob), r1.keysFor(carol)]
    await stop(r1)

    const r2 = await start(ds, key)
    expect([r2.keysFor(bob), r2.keysFor(carol)]).toEqual(before)
    await stop(r2)
    // what the restart uses is the stored secret, not a new X25519: a secret put there gives its keys
    const self = peerIdFromPrivateKey(key)
    const planted = new Uint8Array(32).fill(7)
    await ds.put(new Key(`/presence-mesh/roster/pair-secret/${self.toString()}/${bob}`), planted)
    const r3 = await start(ds, key)
    expect(r3.keysFor(bob)).toEqual(derivePairKeys(planted, self.toMultihash().bytes, peerIdFromString(bob).toMultihash().bytes))
    expect(r3.keysFor(bob).topic).not.toBe(before[0].topic)
    await stop(r3)
  })

  it('a peer the roster no longer names loses its secret at the next start; a stranger\'s is never stored', async () => {
    const r1 = await start(ds, key)
    await r1.addContact(bob)
    await r1.addContact(carol)
    r1.keysFor(bob)
    r1.keysFor(carol)
    const stranger = await newPeer()
    r1.keysFor(stranger)
    await stop(r1)
    const self = peerIdFromPrivateKey(key).toString()
    expect(await storedKeys(ds)).toEqual([bob, carol].map(p => `/presence-mesh/roster/pair-secret/${self}/${p}`).sort())

    const r2 = await start(ds, key)
    await r2.removeContact(bob)
    await stop(r2)
    await stop(await start(ds, key))
    expect(await storedKeys(ds)).toEqual([`/presence-mesh/roster/pair-secret/${self}/${carol}`])
  })

  it('another identity in the same datastore derives its own, and a damaged record is derived again', async () => {
    const r1 = await start(ds, key)
    await r1.addContact(bob)
    const mine = r1.keysFor(bob)
    await stop(r1)
    const self = peerIdFromPrivateKey(key).toString()
    await ds.put(new Key(`/presence-mesh/roster/pair-secret/${self}/${bob}`), new Uint8Array(5))

    const r2 = await start(ds, key)
    expect(r2.keysFor(bob)).toEqual(mine)
    await stop(r2)
    // written again whole: the next start reads it
    expect((await ds.get(new Key(`/presence-mesh/roster/pair-secret/${self}/${bob}`))).length).toBe(32)

    const other = await start(ds, await generateKeyPair('Ed25519'))
    await other.addContact(bob)
    expect(other.keysFor(bob).topic).not.toBe(mine.topic)
    await stop(other)
  })
})
