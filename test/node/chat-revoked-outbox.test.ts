/**
 * A contact's device revoked while texts to it were queued: a crash before
 * they left the outbox must not deliver them later. At start, chat hands
 * nothing to a revoked device and drops its queued texts (stubbed network,
 * an in-memory datastore shared by the two lives of the node).
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { TypedEventEmitter } from '@libp2p/interface'
import { defaultLogger } from '@libp2p/logger'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { MemoryDatastore } from 'datastore-core'
import { expect, it } from 'vitest'
import { chat } from '../../node/chat/index.js'
import { roster, RosterStore } from '../../node/roster/index.js'
import { waitFor } from '../helpers.js'
import type { Startable } from '@libp2p/interface'

it('texts queued for a device revoked meanwhile leave the outbox at start and are never dialled', async () => {
  const key = await generateKeyPair('Ed25519')
  const datastore = new MemoryDatastore()
  const base = { peerId: peerIdFromPrivateKey(key), privateKey: key, datastore, logger: defaultLogger() }
  const phone = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
  const revoked = new Set<string>()
  const dialled: string[] = []

  async function life (): Promise<{ c: ReturnType<ReturnType<typeof chat>>, stop: () => Promise<void> }> {
    const connectionManager = {
      getConnections: () => [],
      openConnection: async () => { throw new Error('offline') },
      openStream: async (peer: unknown) => { dialled.push(String(peer)); throw new Error('offline') }
    }
    const r = roster({ store: await RosterStore.open(datastore) })({ ...base, connectionManager } as any)
    const devices = { isOwnDevice: () => false, devices: () => [], isRevoked: (p: string) => revoked.has(p) }
    const registrar = { handle: async () => {}, unhandle: async () => {} }
    const c = chat({ nonContactPolicy: 'accept' })({ ...base, roster: r, registrar, connectionManager, devices, events: new TypedEventEmitter(), presence: new TypedEventEmitter() } as any)
    const [rs, cs] = [r, c] as unknown as Startable[]
    await rs.start()
    await cs.start()
    await cs.afterStart?.()
    return { c, stop: async () => { await cs.stop(); await rs.stop() } }
  }

  const first = await life()
  await first.c.send(phone, 'for the phone')
  await waitFor(() => dialled.includes(phone), 'a first try to the phone')
  expect(first.c.undelivered().map(m => m.text)).toEqual(['for the phone'])
  await first.stop()

  // the phone was revoked, and the node had stopped before its texts left the outbox
  revoked.add(phone)
  dialled.length = 0
  const second = await life()
  await waitFor(() => second.c.undelivered().length === 0, 'the revoked device\'s text to leave the outbox')
  expect(dialled).toEqual([])
  await second.stop()
})
