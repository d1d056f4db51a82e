/**
 * Stopping the contacts service while a delivery is in flight (stubbed
 * components, an in-memory datastore): the delivery ends at once instead of
 * at its timeout, stop() returns only after it ended (so nothing writes to a
 * datastore about to close), and the cut-short try does not count as one.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { TypedEventEmitter } from '@libp2p/interface'
import { defaultLogger } from '@libp2p/logger'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { MemoryDatastore } from 'datastore-core'
import { expect, it } from 'vitest'
import { ConsentStore } from '../../../node/contacts/consent-store.js'
import { contacts } from '../../../node/contacts/index.js'
import { roster, RosterStore } from '../../../node/roster/index.js'
import { waitFor } from '../../helpers.js'
import type { Startable } from '@libp2p/interface'

it('a delivery in flight ends with stop(), which waits for it; the outbox entry is kept as it was', async () => {
  const key = await generateKeyPair('Ed25519')
  const base = { peerId: peerIdFromPrivateKey(key), privateKey: key, datastore: new MemoryDatastore(), logger: defaultLogger() }
  const bob = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
  // the recipient's stream opens only when the attempt is given up
  const attempts: AbortSignal[] = []
  let ended = 0
  const connectionManager = {
    getConnections: () => [],
    closeConnections: async () => {},
    openConnection: async () => { throw new Error('not in this test') },
    openStream: async (_peer: unknown, _protocol: string, options: { signal: AbortSignal }) => {
      attempts.push(options.signal)
      await new Promise<void>(resolve => { options.signal.addEventListener('abort', () => { resolve() }, { once: true }) })
      ended++
      throw options.signal.reason
    }
  }
  const r = roster({ store: await RosterStore.open(base.datastore) })({ ...base, connectionManager } as any)
  const registrar = { handle: async () => {}, unhandle: async () => {} }
  // one try may take a minute: only stop() can end it within this test
  const c = contacts({ streamTimeoutMs: 60_000 })({ ...base, roster: r, registrar, connectionManager, events: new TypedEventEmitter() } as any)
  const [rs, cs] = [r, c] as unknown as Startable[]
  await rs.start()
  await cs.start()
  await cs.afterStart?.()

  await c.requestContact(bob, 'hi')
  await waitFor(() => attempts.length === 1, 'the delivery to begin', 30_000)
  await cs.stop()
  expect(attempts[0].aborted).toBe(true)
  expect(ended).toBe(1)
  const { outbox } = await new ConsentStore(base.datastore).load()
  expect(outbox.filter(e => e.to === bob.toString()).map(e => e.attempts)).toEqual([0])
  await rs.stop()
})
