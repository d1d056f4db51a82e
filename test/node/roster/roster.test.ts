/** The roster service with stubbed components and an in-memory datastore. */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { defaultLogger } from '@libp2p/logger'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { MemoryDatastore } from 'datastore-core'
import { beforeEach, describe, expect, it } from 'vitest'
import { roster, RosterStore } from '../../../node/roster/index.js'
import { Store } from '../../../node/store/records.js'
import { audiencesOf } from '../../../node/presence/audience.js'
import type { Roster, RosterChangeEvent } from '../../../node/roster/index.js'
import type { PeerId, PrivateKey, Startable } from '@libp2p/interface'

interface Setup { r: Roster, ds: MemoryDatastore, closed: string[], dialled: string[], changes: RosterChangeEvent[], self: PeerId, key: PrivateKey }

async function setup (ds = new MemoryDatastore(), key?: PrivateKey): Promise<Setup> {
  key ??= await generateKeyPair('Ed25519')
  const self = peerIdFromPrivateKey(key)
  const closed: string[] = []
  const dialled: string[] = []
  const connectionManager = {
    closeConnections: async (p: PeerId) => { closed.push(p.toString()) },
    openConnection: async (p: PeerId) => { dialled.push(p.toString()) }
  }
  const r = roster({ store: await RosterStore.open(ds) })({ peerId: self, privateKey: key, datastore: ds, logger: defaultLogger(), connectionManager } as any)
  await (r as unknown as Startable).start()
  const changes: RosterChangeEvent[] = []
  r.addEventListener('roster:change', (e) => { changes.push(e.detail) })
  return { r, ds, closed, dialled, changes, self, key }
}

const newPeer = async (): Promise<string> => peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()

let s: Setup
let bob: string
let carol: string
beforeEach(async () => {
  s = await setup()
  bob = await newPeer()
  carol = await newPeer()
})

describe('people and names', () => {
  it('watching adds a person with a name; names resolve; a stranger is forgotten on unwatch', async () => {
    await s.r.watch(bob, 'bob')
    expect(s.r.get(bob)).toMatchObject({ id: bob, alias: 'bob', devices: [bob], watched: true })
    expect(s.r.resolve('bob')).toBe(bob)
    expect(s.r.resolve(bob)).toBe(bob)
    expect(s.r.watchList().map(p => p.id)).toEqual([bob])
    expect(await s.r.unwatch(bob)).toBe(true)
    expect(s.r.get(bob)).toBeUndefined()
    expect(() => s.r.resolve('bob')).toThrow(expect.objectContaining({ name: 'UnknownPersonError' }))
    expect(await s.r.unwatch(bob)).toBe(false)
  })

  it('a contact keeps its name and stays watched when unwatched', async () => {
    await s.r.addContact(bob, { alias: 'bob' })
    await s.r.watch(bob)
    expect(await s.r.unwatch(bob)).toBe(true)
    expect(s.r.get(bob)).toMatchObject({ alias: 'bob', watched: false, contact: { view: 'full' } })
    expect(s.r.watchList().map(p => p.id)).toEqual([bob])
    expect(s.r.resolve('bob')).toBe(bob)
  })

  it('names are one unique word that is not a peer id', async () => {
    await s.r.watch(bob, 'bob')
    await expect(s.r.watch(carol, 'bob')).rejects.toMatchObject({ name: 'AliasTakenError', alias: 'bob', peer: bob })
    for (const bad of ['', 'two words', 'tab\there', 'x'.repeat(33), 'a\u202ebc', 'al\uD800', carol]) {
      await expect(s.r.setAlias(carol, bad)).rejects.toMatchObject({ name: 'InvalidAliasError' })
    }
    expect(s.r.get(carol)).toBeUndefined()
    // a taken name at accept time: the contact comes without it
    await s.r.addContact(carol, { alias: 'bob' })
    expect(s.r.get(carol)?.alias).toBeUndefined()
    expect(s.r.isContact(carol)).toBe(true)
  })

  it('refuses this node itself and what is no peer id', async () => {
    await expect(s.r.watch(s.self)).rejects.toMatchObject({ name: 'SelfReferenceError' })
    await expect(s.r.block(s.self.toString())).rejects.toMatchObject({ name: 'SelfReferenceError' })
    await expect(s.r.watch('nope')).rejects.toMatchObject({ name: 'InvalidPeerIdError', input: 'nope' })
    await expect(s.r.setView(bob, 'full')).rejects.toMatchObject({ name: 'NotAContactError', peer: bob })
    await expect(s.r.setView(bob, 'all' as any)).rejects.toMatchObject({ name: 'InvalidSettingError', setting: 'view' })
    await expect(s.r.setVisibility('everyone' as any)).rejects.toMatchObject({ name: 'InvalidSettingError', setting: 'visibility' })
    expect(s.changes).toEqual([])
  })
})

describe('who sees this node', () => {
  it('contacts see it unless invisible (then only the allowed ones); blocked never', async () => {
    await s.r.addContact(bob)
    await s.r.addContact(carol)
    expect([s.r.canSee(bob), s.r.canSee(carol)]).toEqual([true, true])
    await s.r.setVisibility('invisible', [carol])
    expect(s.r.visibility()).toEqual({ mode: 'invisible', allow: [carol] })
    expect([s.r.canSee(bob), s.r.canSee(carol)]).toEqual([false, true])
    await s.r.setVisibility('contacts')
    // the allow list is kept for the next time
    expect(s.r.visibility()).toEqual({ mode: 'contacts', allow: [carol] })
    await s.r.block(carol)
    expect([s.r.canSee(carol), s.r.isContact(carol), s.r.isBlocked(carol)]).toEqual([false, false, true])
    expect(s.r.contacts().map(p => p.id).sort()).toEqual([bob, carol].sort())
    expect(s.r.watchList().map(p => p.id)).toEqual([bob])
    const stranger = await newPeer()
    expect(s.r.canSee(stranger)).toBe(false)
  })

  it('containers and per-category rules: only for contacts, stored, one change each, none for no change', async () => {
    await expect(s.r.setContainer(bob, 'close')).rejects.toMatchObject({ name: 'NotAContactError' })
    await s.r.addContact(bob)
    const changes = s.changes.length
    await s.r.setContainer(bob, 'close')
    await s.r.setContainer(bob, 'close')
    await s.r.setCategoryRule(bob, 'calendar', 'deny')
    await s.r.setCategoryRule(bob, 'calendar', 'allow')
    await s.r.setCategoryRule(bob, 'app:org.example.x', 'deny')
    expect(s.changes.length - changes).toBe(4)
    expect(s.changes.at(-1)?.people[0].after?.contact).toMatchObject({ container: 'close', allow: ['calendar'], deny: ['app:org.example.x'] })
    expect((await RosterStore.open(s.ds)).get(bob)?.contact).toMatchObject({ container: 'close', allow: ['calendar'], deny: ['app:org.example.x'] })
    await s.r.setCategoryRule(bob, 'calendar', 'default')
    await s.r.setCategoryRule(bob, 'app:org.example.x', 'default')
    await s.r.setContainer(bob, 'contacts')
    // back to a plain contact: nothing left of the rules in the record
    expect(s.r.get(bob)?.contact).toEqual({ since: expect.any(Number), view: 'full' })
    await expect(s.r.setContainer(bob, 'friends' as any)).rejects.toMatchObject({ name: 'InvalidSettingError', setting: 'container' })
    await expect(s.r.setCategoryRule(bob, 'state', 'deny')).rejects.toMatchObject({ name: 'InvalidSettingError', setting: 'category' })
    await expect(s.r.setCategoryRule(bob, 'mood', 'deny')).rejects.toMatchObject({ name: 'InvalidSettingError', setting: 'category' })
    await expect(s.r.setCategoryRule(bob, 'note', 'maybe' as any)).rejects.toMatchObject({ name: 'InvalidSettingError', setting: 'rule' })
  })

  it('pair keys are the same from both sides', async () => {
    const other = await setup()
    const k1 = s.r.keysFor(other.self)
    const k2 = other.r.keysFor(s.self)
    expect(k1.topic).toBe(k2.topic)
    expect(Buffer.from(k1.presence).equals(Buffer.from(k2.presence))).toBe(true)
  })
})

describe('changes', () => {
  it('each change is one event with before and after, after it is stored', async () => {
    await s.r.watch(bob, 'bob')
    await s.r.setVisibility('public')
    expect(s.changes).toHaveLength(2)
    expect(s.changes[0].people).toEqual([{ id: bob, before: undefined, after: expect.objectContaining({ alias: 'bob', watched: true }) }])
    expect(s.changes[1].visibility).toEqual({ before: { mode: 'contacts', allow: [] }, after: { mode: 'public', allow: [] } })
    // a second roster on the same datastore reads what the first stored
    const again = await RosterStore.open(s.ds)
    expect(again.get(bob)).toMatchObject({ alias: 'bob', watched: true })
    expect(again.visibility().mode).toBe('public')
  })

  it('block waits for every reaction before it closes the connections, then is stored for the gater', async () => {
    const order: string[] = []
    s.r.addEventListener('roster:change', (e) => {
      e.detail.waitUntil(new Promise<void>(resolve => setTimeout(() => { order.push(`goodbye:${s.closed.length}`); resolve() }, 20)))
    })
    expect(await s.r.block(bob)).toBe(true)
    order.push(`closed:${s.closed.join()}`)
    expect(order).toEqual(['goodbye:0', `closed:${bob}`])
    expect(await s.r.block(bob)).toBe(false)
    expect((await RosterStore.open(s.ds)).isBlocked(bob)).toBe(true)
    expect(await s.r.unblock(bob)).toBe(true)
    // nothing else was known of bob: he is forgotten
    expect(s.r.get(bob)).toBeUndefined()
  })

  it('unblocking a contact dials it', async () => {
    await s.r.addContact(bob)
    await s.r.block(bob)
    await s.r.unblock(bob)
    expect(s.dialled).toEqual([bob])
    expect(s.r.isContact(bob)).toBe(true)
  })

  it('a contact added inside another owner\'s transaction is announced only when that commits', async () => {
    const store = new Store(s.ds)
    await expect(store.write(async (tx) => {
      await s.r.addContact(bob, { tx })
      expect(s.r.isContact(bob)).toBe(false)
      throw new Error('the other owner gives up')
    })).rejects.toThrow('gives up')
    expect(s.r.isContact(bob)).toBe(false)
    expect(s.changes).toEqual([])
    await store.write(async (tx) => { await s.r.addContact(bob, { tx, alias: 'bob' }) })
    expect(s.r.get(bob)).toMatchObject({ alias: 'bob', contact: { view: 'full' } })
    expect(s.changes).toHaveLength(1)
  })
})

describe('removing and muting', () => {
  it('removing a contact keeps the name (history still reads as theirs) and stops watching', async () => {
    await s.r.addContact(bob, { alias: 'bob' })
    expect(await s.r.removeContact(bob)).toBe(true)
    expect(s.r.get(bob)).toMatchObject({ alias: 'bob', watched: false })
    expect(s.r.get(bob)?.contact).toBeUndefined()
    expect(s.r.isContact(bob)).toBe(false)
    expect(s.r.watchList()).toEqual([])
    expect(s.changes.at(-1)?.people[0]).toMatchObject({ id: bob, before: { contact: { view: 'full' } }, after: { alias: 'bob' } })
    expect(await s.r.removeContact(bob)).toBe(false)
    expect(await s.r.removeContact(carol)).toBe(false)
  })

  it('a mute is kept with the person, across a reload, and announced as a change', async () => {
    await s.r.addContact(bob)
    await s.r.setMuted(bob, true)
    expect(s.r.get(bob)?.muted).toBe(true)
    const again = await setup(s.ds, s.key)
    expect(again.r.get(bob)?.muted).toBe(true)
    await again.r.setMuted(bob, false)
    expect(again.r.get(bob)?.muted).toBeUndefined()
    expect(again.changes).toHaveLength(1)
    // muting someone unknown remembers them for it
    await again.r.setMuted(carol, true)
    expect(again.r.get(carol)).toMatchObject({ muted: true, watched: false })
  })
})

describe('changes made at the same time', () => {
  it('a block and a view change together: both land', async () => {
    await s.r.addContact(bob)
    await Promise.all([s.r.block(bob), s.r.setView(bob, 'status')])
    expect(s.r.isBlocked(bob)).toBe(true)
    expect(s.r.get(bob)?.contact?.view).toBe('status')
    expect((await RosterStore.open(s.ds)).isBlocked(bob)).toBe(true)
  })

  it('a contact added by consent while the user blocks: the contact stays, blocked', async () => {
    const store = new Store(s.ds)
    await Promise.all([
      store.write(async (tx) => { await s.r.addContact(bob, { tx }) }),
      s.r.block(bob)
    ])
    expect(s.r.get(bob)).toMatchObject({ contact: { view: 'full' } })
    expect(s.r.isBlocked(bob)).toBe(true)
  })

  it('one name asked for two people at once goes to one of them', async () => {
    const results = await Promise.allSettled([s.r.watch(bob, 'x'), s.r.watch(carol, 'x')])
    expect(results.map(r => r.status).sort()).toEqual(['fulfilled', 'rejected'])
    expect(s.r.people().filter(p => p.alias === 'x')).toHaveLength(1)
  })
})

describe('a person with several devices (docs/protocol.md §14)', () => {
  it('takes the devices of a list, never another person or theirs, and survives a restart', async () => {
    const phone = await newPeer()
    await s.r.addContact(bob, { alias: 'bob' })
    await s.r.addContact(carol)
    const after = await s.r.setDevices(bob, [bob, phone, carol])
    // carol is a person of her own: bob's list cannot take her
    expect(after?.devices).toEqual([bob, phone])
    expect(s.r.get(phone)?.id).toBe(bob)
    // the person's name, by any of its devices
    expect([s.r.alias(bob), s.r.alias(phone), s.r.alias(carol)]).toEqual(['bob', 'bob', undefined])
    expect(s.r.isContact(phone)).toBe(true)
    expect(s.r.canSee(phone)).toBe(true)
    expect(await s.r.setDevices(await newPeer(), [phone])).toBeUndefined()
    const again = await setup(s.ds, s.key)
    expect(again.r.get(phone)).toMatchObject({ id: bob, alias: 'bob', devices: [bob, phone] })
    // a device dropped from the list is nobody's any more
    await s.r.setDevices(bob, [bob])
    expect(s.r.get(phone)).toBeUndefined()
    expect(s.r.isContact(phone)).toBe(false)
  })

  it('a change named by a device goes to its person\'s record', async () => {
    const phone = await newPeer()
    await s.r.addContact(bob)
    await s.r.setDevices(bob, [phone])
    await s.r.block(phone)
    expect(s.r.get(bob)?.blockedSince).toBeTypeOf('number')
    // blocking a person closes the connections of each of their devices
    expect(s.closed.sort()).toEqual([bob, phone].sort())
    expect(s.r.isBlocked(phone)).toBe(true)
    expect(s.r.people().map(p => p.id)).toEqual([bob])
    // and on disk: one person, blocked
    const again = await setup(s.ds, s.key)
    expect(again.r.people().map(p => [p.id, p.blockedSince != null])).toEqual([[bob, true]])
  })
})

describe('the devices of a contact person as audiences (docs/protocol.md §14.7)', () => {
  const publication = { keys: [], publishedTo: () => ['contacts' as const], versionOf: () => 1 as const }

  it('every current device is an audience with its own pair topic, seeing what its person may see', async () => {
    const phone = await newPeer()
    await s.r.addContact(bob)
    await s.r.setDevices(bob, [phone, s.self.toString()])
    const audiences = audiencesOf(s.r, s.self, publication)
    expect(audiences.map(a => a.id)).toEqual([bob, phone])
    expect(audiences.map(a => a.topic)).toEqual([s.r.keysFor(bob).topic, s.r.keysFor(phone).topic])
    expect(new Set(audiences.map(a => a.topic)).size).toBe(2)
    // a device dropped from the list (revoked) is no audience, and may not see us
    await s.r.setDevices(bob, [])
    expect(audiencesOf(s.r, s.self, publication).map(a => a.id)).toEqual([bob])
    expect(s.r.canSee(phone)).toBe(false)
  })

  it('invisible mode: the allow list names people, so it admits each of their devices; a block takes them all', async () => {
    const phone = await newPeer()
    await s.r.addContact(bob)
    await s.r.addContact(carol)
    await s.r.setDevices(bob, [phone])
    await s.r.setVisibility('invisible', [bob])
    expect(s.r.canSee(phone)).toBe(true)
    expect(audiencesOf(s.r, s.self, publication).map(a => a.id)).toEqual([bob, phone])
    await s.r.setVisibility('invisible', [carol])
    expect(s.r.canSee(phone)).toBe(false)
    expect(audiencesOf(s.r, s.self, publication).map(a => a.id)).toEqual([carol])
    await s.r.setVisibility('contacts')
    await s.r.block(bob)
    expect(audiencesOf(s.r, s.self, publication).map(a => a.id)).toEqual([carol])
    expect(s.closed.sort()).toEqual([bob, phone].sort())
  })

  it('an allow list that names one device of a person admits that device alone, on every path alike', async () => {
    const phone = await newPeer()
    await s.r.addContact(bob)
    await s.r.setDevices(bob, [phone])
    await s.r.setVisibility('invisible', [phone])
    expect(s.r.canSee(phone)).toBe(true)
    expect(s.r.canSee(bob)).toBe(false)
    expect(audiencesOf(s.r, s.self, publication).map(a => a.id)).toEqual([phone])
  })
})
