/**
 * The consent service's records with stubbed components: a step, its outbox
 * entry and the roster change it makes are one write, so a crash (a
 * datastore that fails a write) never leaves an outbox entry for a request
 * the state forgot, nor the other way round.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { TypedEventEmitter } from '@libp2p/interface'
import { defaultLogger } from '@libp2p/logger'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { MemoryDatastore } from 'datastore-core'
import { describe, expect, it } from 'vitest'
import { emptyConsent } from '../../../node/contacts/consent.js'
import { ConsentStore } from '../../../node/contacts/consent-store.js'
import { contacts } from '../../../node/contacts/index.js'
import { migrate } from '../../../node/migrations.js'
import { roster, RosterStore } from '../../../node/roster/index.js'
import type { ContactsService } from '../../../node/contacts/index.js'
import type { Roster } from '../../../node/roster/index.js'
import type { PeerId, PrivateKey, Startable } from '@libp2p/interface'
import type { Batch, Key } from 'interface-datastore'

/**
 * A datastore whose writes (a put, or a whole batch, as LevelDB writes one)
 * fail from the n-th on: the process "crashed" there.
 */
class CrashingDatastore extends MemoryDatastore {
  writes = 0
  crashAt = Infinity
  private inBatch = false

  private write (): void {
    if (++this.writes >= this.crashAt) throw new Error(`crash at write ${this.writes}`)
  }

  override async put (key: Key, value: Uint8Array): Promise<Key> {
    if (!this.inBatch) this.write()
    return await super.put(key, value)
  }

  override batch (): Batch {
    const inner = super.batch()
    return {
      put: (k, v) => { inner.put(k, v) },
      delete: (k) => { inner.delete(k) },
      commit: async () => {
        this.write()
        this.inBatch = true
        try { await inner.commit() } finally { this.inBatch = false }
      }
    }
  }
}

interface Node { consent: ContactsService, roster: Roster, stop: () => Promise<void> }

async function startNode (ds: CrashingDatastore, key: PrivateKey): Promise<Node> {
  const peerId = peerIdFromPrivateKey(key)
  const base = { peerId, privateKey: key, datastore: ds, logger: defaultLogger() }
  const connectionManager = { getConnections: () => [], closeConnections: async () => {}, openConnection: async () => { throw new Error('offline') }, openStream: async () => { throw new Error('offline') } }
  const r = roster({ store: await RosterStore.open(ds) })({ ...base, connectionManager } as any)
  const registrar = { handle: async () => {}, unhandle: async () => {} }
  const c = contacts()({ ...base, roster: r, registrar, connectionManager, events: new TypedEventEmitter() } as any)
  const [rs, cs] = [r, c] as unknown as Startable[]
  await rs.start()
  await cs.start()
  return { consent: c, roster: r, stop: async () => { await cs.stop(); await rs.stop() } }
}

const newPeer = async (): Promise<PeerId> => peerIdFromPrivateKey(await generateKeyPair('Ed25519'))

describe('a request and its outbox entry are stored together or not at all', () => {
  it('whichever write fails', async () => {
    const key = await generateKeyPair('Ed25519')
    const bob = await newPeer()
    for (let crashAt = 1; crashAt <= 3; crashAt++) {
      const ds = new CrashingDatastore()
      const node = await startNode(ds, key)
      ds.writes = 0
      ds.crashAt = crashAt
      const asked = await node.consent.requestContact(bob, 'hi').then(() => true, () => false)
      await node.stop()
      // what a restart finds
      ds.crashAt = Infinity
      const { state, outbox } = await new ConsentStore(ds).load()
      const pending = state.outgoing.has(bob.toString())
      const queued = outbox.some(e => e.to === bob.toString() && e.kind === 'request')
      expect({ crashAt, pending, queued }).toEqual({ crashAt, pending: asked, queued: asked })
    }
  })

  it('an accept, the contact it makes and the answer it queues, likewise', async () => {
    const key = await generateKeyPair('Ed25519')
    const bob = (await newPeer()).toString()
    for (let crashAt = 1; crashAt <= 2; crashAt++) {
      const ds = new CrashingDatastore()
      // bob's request arrived earlier (stored the way the service stores it)
      const records = new ConsentStore(ds)
      const asked = { ...emptyConsent(), incoming: new Map([[bob, { requestId: '00'.repeat(16), peerId: bob, sentAt: Date.now(), at: Date.now() }]]) }
      await records.store.write((tx) => { records.stageState(tx, emptyConsent(), asked) })
      const node = await startNode(ds, key)
      ds.writes = 0
      ds.crashAt = crashAt
      const accepted = await node.consent.accept(bob).then(() => true, () => false)
      await node.stop()
      ds.crashAt = Infinity
      const { state, outbox } = await new ConsentStore(ds).load()
      const contact = (await RosterStore.open(ds)).get(bob)?.contact != null
      expect({ crashAt, contact, answered: outbox.some(e => e.kind === 'accept'), stillPending: state.incoming.has(bob) })
        .toEqual({ crashAt, contact: accepted, answered: accepted, stillPending: !accepted })
    }
  })
})

describe('homes written by version 0.1 keep their people', () => {
  it('moves contacts, requests, marks, history, outbox, blocks and names in one batch, once', async () => {
    const ds = new CrashingDatastore()
    const [bob, carol, dan, eve] = (await Promise.all([newPeer(), newPeer(), newPeer(), newPeer()])).map(String)
    const json = (v: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(v))
    const { Key: K } = await import('interface-datastore')
    const now = Date.now()
    await ds.put(new K('/presence-mesh/contacts/state'), json({
      contacts: { [bob]: { peerId: bob, alias: 'bob', view: 'status', since: 5 } },
      incoming: { [carol]: { requestId: 'aa'.repeat(16), peerId: carol, greeting: 'hi', sentAt: now, at: now } },
      outgoing: { [dan]: { requestId: 'bb'.repeat(16), peerId: dan, sentAt: now, at: now, delivered: false, alias: 'dan' } },
      history: [{ requestId: 'aa'.repeat(16), peerId: carol, direction: 'incoming', outcome: 'pending', at: now }],
      visibility: 'invisible',
      allow: [bob],
      seen: { ['request:' + 'aa'.repeat(16)]: now }
    }))
    await ds.put(new K('/presence-mesh/contacts/outbox'), json([{ to: dan, kind: 'request', requestId: 'bb'.repeat(16), envelope: 'AAAA', createdAt: now, attempts: 2, nextAt: now }]))
    await ds.put(new K('/presence-mesh/contacts/blocked'), json({ [eve]: 7 }))
    await ds.put(new K(`/presence-mesh/presence/watch/${dan}`), json({ alias: 'danny', lastSeq: '12' }))
    // a crash in the middle of the move leaves the old data as it was
    ds.crashAt = ds.writes + 1
    await expect(migrate(ds)).rejects.toThrow(/crash/)
    expect(await ds.has(new K('/presence-mesh/contacts/state'))).toBe(true)
    ds.crashAt = Infinity
    await migrate(ds)

    const people = await RosterStore.open(ds)
    expect(people.get(bob)).toMatchObject({ alias: 'bob', contact: { since: 5, view: 'status' }, watched: false })
    expect(people.get(dan)).toMatchObject({ alias: 'danny', watched: true })
    expect(people.get(eve)).toMatchObject({ blockedSince: 7 })
    expect(people.visibility()).toEqual({ mode: 'invisible', allow: [bob] })
    const { state, outbox } = await new ConsentStore(ds).load()
    expect(state.incoming.get(carol)).toMatchObject({ greeting: 'hi' })
    expect(state.outgoing.get(dan)).toMatchObject({ alias: 'dan', delivered: false })
    expect([...state.seen.keys()]).toEqual(['request:' + 'aa'.repeat(16)])
    expect([...state.history.values()]).toMatchObject([{ peerId: carol, outcome: 'pending' }])
    expect(outbox).toMatchObject([{ to: dan, attempts: 2, envelope: 'AAAA' }])
    expect(await ds.has(new K('/presence-mesh/contacts/state'))).toBe(false)
    // run again: nothing changes
    const writes = ds.writes
    await migrate(ds)
    expect(ds.writes).toBe(writes)
  })
})
