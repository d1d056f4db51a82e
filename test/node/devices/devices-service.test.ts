/**
 * The devices service with stubbed components and an in-memory datastore: a
 * home from before devices gets its list at the first start, without a word
 * from its user; link codes admit their intake identity once, for a while.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { defaultLogger } from '@libp2p/logger'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { MemoryDatastore } from 'datastore-core'
import { Key } from 'interface-datastore'
import { afterEach, describe, expect, it } from 'vitest'
import { devices } from '../../../node/devices/index.js'
import { linkIntakeIdentity, parseLinkCode } from '../../../protocol/link.js'
import { waitFor } from '../../helpers.js'
import type { DevicesService } from '../../../node/devices/index.js'
import type { PrivateKey, Startable } from '@libp2p/interface'

const started: Array<DevicesService & Startable> = []
afterEach(async () => { await Promise.all(started.splice(0).map(async s => { await s.stop() })) })

async function start (ds: MemoryDatastore, key: PrivateKey, init = {}, addrs: string[] = []): Promise<DevicesService & Startable> {
  const components = {
    peerId: peerIdFromPrivateKey(key),
    privateKey: key,
    datastore: ds,
    logger: defaultLogger(),
    registrar: { handle: async () => {}, unhandle: async () => {} },
    addressManager: { getAddresses: () => addrs.map(a => multiaddr(a)) },
    connectionManager: { getConnections: () => [], openConnection: async () => { throw new Error('offline') } },
    peerStore: { merge: async () => {} },
    events: new EventTarget(),
    roster: { get: () => undefined, contacts: () => [], setDevices: async () => undefined, addEventListener: () => {}, removeEventListener: () => {} }
  }
  const s = devices(init)(components as any) as DevicesService & Startable
  await s.start()
  started.push(s)
  return s
}

describe('the devices service', () => {
  it('gives a home without a list (a new one, or one from before devices) a list of itself, once', async () => {
    const ds = new MemoryDatastore()
    // what an older version left: a contact, and no device list
    await ds.put(new Key('/presence-mesh/roster/person/x'), new TextEncoder().encode('{}'))
    const key = await generateKeyPair('Ed25519')
    const first = await start(ds, key, { deviceName: 'laptop' })
    const self = peerIdFromPrivateKey(key).toString()
    expect(first.person).toBe(self)
    expect(first.holdsPersonKey).toBe(true)
    expect(first.devices()).toMatchObject([{ peerId: self, name: 'laptop', self: true, personKey: true, online: true }])
    const linkedAt = first.devices()[0].linkedAt
    await first.stop()
    started.pop()
    // the next start reads it back, signs nothing new
    const again = await start(ds, key, { deviceName: 'other name' })
    expect(again.devices()).toMatchObject([{ name: 'laptop', linkedAt }])
    expect(again.isOwnDevice(self)).toBe(true)
    expect(again.isRevoked(self)).toBe(false)
  })

  it('admits a link code\'s intake identity while the code lives, at most four codes at once', async () => {
    const key = await generateKeyPair('Ed25519')
    const self = peerIdFromPrivateKey(key).toString()
    const s = await start(new MemoryDatastore(), key, { linkCodeTtlMs: 1500 }, [`/ip4/127.0.0.1/tcp/4001/p2p/${self}`, '/ip4/192.168.1.2/tcp/4001'])
    const intakes: string[] = []
    for (let i = 0; i < 5; i++) {
      const code = parseLinkCode((await s.createLinkCode()).code)
      expect(code.peer.toString()).toBe(self)
      // LAN before loopback, without /p2p/
      expect(code.addrs).toEqual(['/ip4/192.168.1.2/tcp/4001', '/ip4/127.0.0.1/tcp/4001'])
      intakes.push((await linkIntakeIdentity(code.peer, code.secret)).peerId.toString())
    }
    // the fifth code dropped the first
    expect(intakes.map(i => s.admits(i))).toEqual([false, true, true, true, true])
    expect(s.admits(peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString())).toBe(false)
    await waitFor(() => intakes.every(i => !s.admits(i)), 'the codes to expire', 10_000)
  })
})
