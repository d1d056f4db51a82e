/**
 * The presence service with stubbed components (a real roster on an
 * in-memory datastore, a pubsub and a direct path that record what they are
 * given): what an announcement under way does when the roster changes, and
 * what is left after stop.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { TypedEventEmitter } from '@libp2p/interface'
import { defaultLogger } from '@libp2p/logger'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { MemoryDatastore } from 'datastore-core'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { presence } from '../../../node/presence/index.js'
import { roster, RosterStore } from '../../../node/roster/index.js'
import { openBundle, openPairMessage, parseInner } from '../../../protocol/category-bundle.js'
import { encodeCheckedItem, openCategory } from '../../../protocol/category-item.js'
import { DIRECT_VERSION, directInner, openDirectBundle, parseDirect } from '../../../protocol/direct-bundle.js'
import { SignedItem } from '../../../node/presence/signed-item.js'
import { REANNOUNCE_DEBOUNCE_MS } from '../../../node/presence/constants.js'
import { openPresenceNow } from '../../../protocol/presence-record.js'
import { presenceTopic } from '../../../protocol/topics.js'
import { waitFor } from '../../helpers.js'
import type { PairMessage } from '../../../protocol/category-bundle.js'
import type { PresenceNotify } from '../../../node/notify/index.js'
import type { PresenceService, PresenceServiceInit } from '../../../node/presence/index.js'
import type { Roster } from '../../../node/roster/index.js'
import type { PeerId, Startable } from '@libp2p/interface'

/** A datastore whose batches wait while `closed` (the disk under a slow write). */
class GatedDatastore extends MemoryDatastore {
  private gate?: Promise<void>
  private open?: () => void

  close (): void {
    this.gate = new Promise(resolve => { this.open = resolve })
  }

  release (): void {
    this.open?.()
    this.gate = undefined
  }

  /** Batches committed since the last count (a failed one does not count). */
  batches = 0
  /** Set: every batch fails with it. */
  failWith?: Error

  override batch (): ReturnType<MemoryDatastore['batch']> {
    const b = super.batch()
    const commit = b.commit.bind(b)
    b.commit = async () => {
      await this.gate
      if (this.failWith != null) throw this.failWith
      await commit()
      this.batches++
    }
    return b
  }
}

/** What gossipsub is asked to do, who it says subscribes, and whom it sends a publish to (every subscriber it has a stream to). */
class StubPubsub extends TypedEventEmitter<any> {
  readonly published: Array<{ topic: string, data: Uint8Array }> = []
  readonly subscribed = new Set<string>()
  readonly topicValidators = new Map<string, unknown>()
  subscribers: (topic: string) => PeerId[] = () => []
  /** Subscribers whose subscription came but no outbound stream to them yet: a publish goes to everyone else. */
  readonly noStreamTo = new Set<string>()
  publish = async (topic: string, data: Uint8Array): Promise<{ recipients: PeerId[] }> => {
    this.published.push({ topic, data })
    return { recipients: this.getSubscribers(topic).filter(p => !this.noStreamTo.has(p.toString())) }
  }

  subscribe = (topic: string): void => { this.subscribed.add(topic) }
  unsubscribe = (topic: string): void => { this.subscribed.delete(topic) }
  getSubscribers = (topic: string): PeerId[] => this.subscribers(topic)
}

/** A direct path with a live stream to every contact the roster lets see us (as node/notify decides). */
class StubNotify extends TypedEventEmitter<any> {
  readonly sent: Array<{ peer: string, bytes: Uint8Array }> = []
  listening: string[] = []
  /** Contacts with no live stream: their messages go by gossip. */
  readonly down = new Set<string>()
  constructor (private readonly roster: Roster) { super() }
  send = (peer: string, bytes: Uint8Array): boolean => {
    if (!this.roster.canSee(peer) || this.down.has(peer)) return false
    this.sent.push({ peer, bytes })
    return true
  }

  listen = (presentities: Iterable<string>): void => { this.listening = [...presentities] }
  /** What presence told it to forget (undefined: everyone). */
  readonly forgotten: Array<string[] | undefined> = []
  farewell = (): boolean => false
  forget = (peers?: Iterable<string>): void => { this.forgotten.push(peers == null ? undefined : [...peers]) }
  watchers = (): string[] => []
  subscriptions = (): string[] => []
  getStats = (): any => ({})
}

interface Setup {
  service: PresenceService & Startable
  roster: Roster & Startable
  pubsub: StubPubsub
  /** libp2p's events: peer:connect and peer:disconnect (connect, disconnect). */
  events: TypedEventEmitter<any>
  notify: StubNotify
  datastore: GatedDatastore
  self: PeerId
}

const running: Setup[] = []

afterEach(async () => {
  vi.useRealTimers()
  for (const s of running.splice(0)) {
    s.datastore.release()
    await s.service.stop()
  }
})

async function setup (datastore = new GatedDatastore(), visibility: 'public' | 'contacts' = 'contacts', init: PresenceServiceInit = {}): Promise<Setup> {
  const key = await generateKeyPair('Ed25519')
  const self = peerIdFromPrivateKey(key)
  const logger = defaultLogger()
  // the roster keeps its own records: only presence's writes are held up
  const rosterStore = new MemoryDatastore()
  const connectionManager = { closeConnections: async () => {}, openConnection: async () => {} }
  const r = roster({ store: await RosterStore.open(rosterStore, visibility) })({ peerId: self, privateKey: key, datastore: rosterStore, logger, connectionManager } as any) as Roster & Startable
  await r.start()
  const pubsub = new StubPubsub()
  const notify = new StubNotify(r)
  // no heartbeat within a test: one sent in real time (setInterval is never faked here) stood in for a
  // re-announcement the burst step waited for, 20 s later, and hid that none had gone out
  const events = new TypedEventEmitter<any>()
  const service = presence({ awayAfterMs: 60_000, heartbeatMs: 60 * 60_000, ...init })({ peerId: self, privateKey: key, datastore, logger, pubsub: pubsub as any, roster: r, presenceNotify: notify as unknown as PresenceNotify, events }) as PresenceService & Startable
  await service.start()
  await service.afterStart?.()
  const s = { service, roster: r, pubsub, notify, events, datastore, self }
  running.push(s)
  return s
}

/** libp2p says this node is connected to `peer` now (its first connection opened), or no longer (its last one closed). */
const connect = (s: Setup, peer: string): void => { s.events.safeDispatchEvent('peer:connect', { detail: peerIdFromString(peer) }) }
const disconnect = (s: Setup, peer: string): void => { s.events.safeDispatchEvent('peer:disconnect', { detail: peerIdFromString(peer) }) }

/** `peers` subscribe to their pair topics with this node (and stay subscribed whatever the roster says of them). */
function subscribe (s: Setup, peers: string[]): void {
  const byTopic = new Map(peers.map(p => [s.roster.keysFor(p).topic, p]))
  s.pubsub.subscribers = topic => byTopic.has(topic) ? [peerIdFromString(byTopic.get(topic) ?? '')] : []
}

const newPeer = async (): Promise<string> => peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()

function peerIdFromString (id: string): PeerId {
  return { toString: () => id, equals: (o: any) => o?.toString() === id } as unknown as PeerId
}

/** Everything `peer` was sent, by either path, after the first `skip.published` gossip messages and `skip.sent` stream messages, opened as it would open it. */
function sentTo (s: Setup, peer: string, skip = { published: 0, sent: 0 }): Array<PairMessage | undefined> {
  const keys = s.roster.keysFor(peer)
  return [
    ...s.pubsub.published.slice(skip.published).filter(m => m.topic === keys.topic).map(m => openPairMessage(keys.presence, keys.topic, m.data)),
    ...s.notify.sent.slice(skip.sent).filter(m => m.peer === peer).map(m => parseInner(m.bytes))
  ]
}

/** The status and note of what `peer` was sent (as sentTo). */
function shownTo (s: Setup, peer: string, skip = { published: 0, sent: 0 }): Array<{ status: string, note?: string }> {
  return sentTo(s, peer, skip).map(m => {
    if (m?.version !== 1) throw new Error(`expected a version 1 record, got ${JSON.stringify(m)}`)
    const res = openPresenceNow(m.envelope, { now: Date.now(), expectedPresentity: s.self })
    if (!res.ok) throw new Error(`the record does not open: ${res.reason}`)
    return { status: res.presence.status, note: res.presence.note }
  })
}

describe('an announcement under way when the roster changes', () => {
  it('reaches no contact blocked, removed or out of view meanwhile: they get their goodbye and nothing else', async () => {
    const s = await setup()
    const [blocked, removed, hidden, stays] = await Promise.all([newPeer(), newPeer(), newPeer(), newPeer()])
    subscribe(s, [blocked, removed, hidden, stays])
    for (const c of [blocked, removed, hidden, stays]) await s.roster.addContact(c)
    await s.roster.setView(hidden, 'full')
    const before = { published: s.pubsub.published.length, sent: s.notify.sent.length }

    // the seq passes the ceiling on disk (the clock jumped): the announcement waits for the write
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(Date.now() + 20 * 60_000)
    s.datastore.close()
    const changed = s.service.setPresence({ status: 'busy', note: 'secret plans' })
    // meanwhile: one contact blocked, one removed, one sees the status alone now
    let committed = 0
    s.roster.addEventListener('roster:change', () => { committed++ })
    const rosterChanges = [s.roster.block(blocked), s.roster.removeContact(removed), s.roster.setView(hidden, 'status')]
    await waitFor(() => committed === 3, 'the roster to commit the three changes')
    s.datastore.release()
    await Promise.all([changed, ...rosterChanges])

    for (const gone of [blocked, removed]) {
      expect(shownTo(s, gone, before)).toEqual([{ status: 'offline', note: undefined }])
    }
    // the status view never gets the note, neither directly nor by gossip
    const toHidden = shownTo(s, hidden, before)
    expect(toHidden.length).toBeGreaterThan(0)
    expect(toHidden.every(r => r.note == null)).toBe(true)
    expect(toHidden.at(-1)).toEqual({ status: 'busy', note: undefined })
    expect(shownTo(s, stays, before).at(-1)).toEqual({ status: 'busy', note: 'secret plans' })
    // nor can a re-subscription or a broken stream bring them the bytes sent before the change
    for (const c of [blocked, removed, hidden]) expect(s.notify.forgotten.some(f => f?.includes(c))).toBe(true)
  })
})

describe('an unblock', () => {
  /** A service on a fake clock, online with the note 'here', and one contact subscribed to its pair topic. */
  async function withContact (): Promise<{ s: Setup, contact: string }> {
    const s = await setup()
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    const contact = await newPeer()
    await s.roster.addContact(contact)
    subscribe(s, [contact])
    await s.service.setPresence({ status: 'online', note: 'here' })
    return { s, contact }
  }

  /** Unblocks `contact` while its streams are reopening (what the unblock announces reaches nobody); then they are open. What was sent before. */
  async function unblockWhileReopening (s: Setup, contact: string): Promise<{ published: number, sent: number }> {
    s.notify.down.add(contact)
    s.pubsub.noStreamTo.add(contact)
    await s.roster.unblock(contact)
    const skip = { published: s.pubsub.published.length, sent: s.notify.sent.length }
    s.notify.down.clear()
    s.pubsub.noStreamTo.clear()
    return skip
  }

  it('a contact unblocked while its streams reopen gets the record once they are open, not at the next heartbeat', async () => {
    const { s, contact } = await withContact()
    await s.roster.block(contact)
    // what the contact and the block set going (re-announcements, the goodbye's wait) is over
    await vi.advanceTimersByTimeAsync(5_000)
    // the block closed its streams; they are reopening when the unblock is announced, which reaches nobody
    const skip = await unblockWhileReopening(s, contact)
    await vi.advanceTimersByTimeAsync(300)
    vi.useRealTimers()
    await waitFor(() => sentTo(s, contact, skip).length > 0, 'the record to the unblocked contact', 10_000)
    expect(shownTo(s, contact, skip).at(-1)).toEqual({ status: 'online', note: 'here' })
  })

  it('a contact unblocked right after a re-announcement and the block\'s goodbye reached it is still owed the record', async () => {
    const { s, contact } = await withContact()
    // it subscribes (a new connection); the re-announcement after the debounce reaches it
    const topic = s.roster.keysFor(contact).topic
    s.pubsub.safeDispatchEvent('subscription-change', { detail: { peerId: peerIdFromString(contact), subscriptions: [{ topic, subscribe: true }] } })
    let skip = { published: s.pubsub.published.length, sent: s.notify.sent.length }
    await vi.advanceTimersByTimeAsync(REANNOUNCE_DEBOUNCE_MS)
    expect(shownTo(s, contact, skip)).toEqual([{ status: 'online', note: 'here' }])
    // blocked at once (its goodbye reaches it), and unblocked while its streams reopen: the unblock's record reaches nobody
    skip = { published: s.pubsub.published.length, sent: s.notify.sent.length }
    await s.roster.block(contact)
    expect(shownTo(s, contact, skip)).toEqual([{ status: 'offline', note: undefined }])
    skip = await unblockWhileReopening(s, contact)
    // neither the record that reached its earlier subscription nor the goodbye serves it: it is tried again
    await vi.advanceTimersByTimeAsync(16_000)
    expect(shownTo(s, contact, skip).at(-1)).toEqual({ status: 'online', note: 'here' })
  })

  it('a block\'s goodbye is not what a query of another contact is answered with', async () => {
    const s = await setup()
    const [blocked, other] = await Promise.all([newPeer(), newPeer()])
    for (const c of [blocked, other]) await s.roster.addContact(c)
    subscribe(s, [blocked, other])
    await s.service.setPresence({ status: 'busy', note: 'here' })
    await s.roster.block(blocked)
    const item = s.service.itemFor(other, 'state')
    expect(item).toBeDefined()
    const res = openCategory(item as Uint8Array, { now: Date.now(), expectedPresentity: s.self })
    expect(res.ok && res.item.category).toMatchObject({ kind: 'state', availability: 'busy' })
  })
})

describe('stop', () => {
  it('leaves no listener, validator, subscription or timer, also when a roster change was under way', async () => {
    const s = await setup()
    const [a, b] = await Promise.all([newPeer(), newPeer()])
    await s.roster.addContact(a)
    connect(s, a)
    expect(s.pubsub.subscribed.size).toBeGreaterThan(0)

    // a roster change that is still being followed when stop begins (its goodbye waits for the disk)
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(Date.now() + 20 * 60_000)
    s.datastore.close()
    let committed = false
    s.roster.addEventListener('roster:change', () => { committed = true })
    const blocking = s.roster.block(a)
    await waitFor(() => committed, 'the block to commit')
    const stopping = s.service.stop()
    s.datastore.release()
    await Promise.all([stopping, blocking])
    running.splice(running.indexOf(s), 1)

    expect(s.pubsub.topicValidators.size).toBe(0)
    expect(s.roster.listenerCount('roster:change')).toBe(1)
    expect(s.pubsub.listenerCount('subscription-change')).toBe(0)
    expect(s.events.listenerCount('peer:connect') + s.events.listenerCount('peer:disconnect')).toBe(0)
    expect(s.notify.listenerCount('notify:record') + s.notify.listenerCount('notify:lost')).toBe(0)

    // nothing is announced after stop: not by a heartbeat, the idle timer, activity or the roster
    const published = s.pubsub.published.length
    const sent = s.notify.sent.length
    const selfEvents: unknown[] = []
    s.service.addEventListener('self', e => { selfEvents.push(e.detail) })
    vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] })
    s.service.reportActivity()
    await s.service.setAwayAfter(1_000)
    expect(vi.getTimerCount()).toBe(0)
    await s.roster.addContact(b)
    vi.advanceTimersByTime(3_600_000)
    vi.useRealTimers()
    expect(s.pubsub.published.length).toBe(published)
    expect(s.notify.sent.length).toBe(sent)
    expect(selfEvents).toEqual([])
  })
})

describe('new subscribers', () => {
  /** `peer` tells gossipsub it subscribes to `topic` (as it does on every new stream): a subscriber from now on. */
  const joins = (s: Setup, peer: string, topic: string): void => {
    // one call of the previous lookup per join: calling it twice per level made a burst of twenty
    // joins cost 2^20 calls per lookup (seconds each, the test 20-40 s instead of one)
    const before = s.pubsub.subscribers
    const now = before(topic)
    const after = now.some(p => p.toString() === peer) ? now : [...now, peerIdFromString(peer)]
    s.pubsub.subscribers = t => t === topic ? after : before(t)
    s.pubsub.safeDispatchEvent('subscription-change', { detail: { peerId: peerIdFromString(peer), subscriptions: [{ topic, subscribe: true }] } })
  }
  // a change needs no timer: it is awaited with the clock standing still. Moving the fake clock on
  // while it ran (in 50 ms steps until done) let a loaded machine pass the debounce before the change
  // was published, and the re-announcement it was to make needless went out (3 records, not 2)

  it('a new watcher gets the current record within the debounce; one that was sent it, a burst, or a change meanwhile costs no extra record', async () => {
    const s = await setup(undefined, 'public')
    const topic = presenceTopic(s.self)
    const known = await newPeer()
    s.pubsub.subscribers = t => t === topic ? [peerIdFromString(known)] : []
    await s.service.setPresence({ status: 'online', note: 'current' })
    const onTopic = (): Array<{ topic: string, data: Uint8Array }> => s.pubsub.published.filter(m => m.topic === topic)
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })

    /**
     * Records on the public topic after `peers` subscribe, `meanwhile` runs, the debounce passes and one
     * more change is made. The clock stands still while a re-announcement (`reannounced`: 1 if one is due)
     * is signed and sent: moved on at once, it reached the re-announcement's retry before a loaded machine
     * had sent the first, and the retry went out too (3 records, not 2).
     */
    const recordsAfter = async (peers: string[], note: string, reannounced: 0 | 1, meanwhile?: () => Promise<void>): Promise<number> => {
      const before = onTopic().length
      for (const p of peers) joins(s, p, topic)
      await meanwhile?.()
      const ready = onTopic().length
      await vi.advanceTimersByTimeAsync(REANNOUNCE_DEBOUNCE_MS + 50)
      await waitFor(() => onTopic().length === ready + reannounced, 'the re-announcement')
      await vi.advanceTimersByTimeAsync(4 * REANNOUNCE_DEBOUNCE_MS)
      await s.service.setPresence({ status: 'online', note })
      return onTopic().length - before
    }

    // the known watcher opens another connection: it was sent the current record, nothing is re-announced
    expect(await recordsAfter([known], 'current', 0)).toBe(1)

    // a new watcher: the current record goes out within the debounce (250 ms)
    const fresh = await newPeer()
    const published = onTopic().length
    joins(s, fresh, topic)
    await vi.advanceTimersByTimeAsync(300)
    await waitFor(() => onTopic().length === published + 1, 'the re-announcement')
    const res = openPresenceNow(onTopic().at(-1)?.data ?? new Uint8Array(), { now: Date.now(), expectedPresentity: s.self })
    expect(res.ok && res.presence.note).toBe('current')
    // its retry (due 500 ms after the re-announcement) finds it reached and sends nothing
    await vi.advanceTimersByTimeAsync(4 * REANNOUNCE_DEBOUNCE_MS)
    expect(onTopic().length).toBe(published + 1)

    // twenty new watchers within the debounce: one record (and the change's)
    expect(await recordsAfter(await Promise.all(Array.from({ length: 20 }, newPeer)), 'after the burst', 1)).toBe(2)

    // a new watcher, then a change before the debounce ends: the change reached it, nothing more goes out
    expect(await recordsAfter([await newPeer()], 'changed', 0, async () => { await s.service.setPresence({ status: 'away', note: 'changed' }) })).toBe(2)
  })

  it('a contact subscribing to its pair topic gets a record; the public topic and the other contacts get nothing', async () => {
    const s = await setup(undefined, 'public')
    const [joined, other] = await Promise.all([newPeer(), newPeer()])
    for (const c of [joined, other]) await s.roster.addContact(c)
    await s.service.setPresence({ status: 'online', note: 'current' })
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    const before = { published: s.pubsub.published.length, sent: s.notify.sent.length }
    const toJoined = sentTo(s, joined).length
    joins(s, joined, s.roster.keysFor(joined).topic)
    await vi.advanceTimersByTimeAsync(300)
    await waitFor(() => sentTo(s, joined).length === toJoined + 1, 'the record to the contact that subscribed')
    await vi.advanceTimersByTimeAsync(1_000)
    expect(s.pubsub.published.length + s.notify.sent.length).toBe(before.published + before.sent + 1)
    expect(sentTo(s, other, before)).toEqual([])
  })

  it('a subscriber that an announcement after its subscription did not reach (gossipsub had no stream to it yet) still gets the record', async () => {
    const s = await setup(undefined, 'public')
    const contact = await newPeer()
    await s.roster.addContact(contact)
    s.notify.down.add(contact)
    await s.service.setPresence({ status: 'online', note: 'current' })
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    const pairTopic = s.roster.keysFor(contact).topic
    const publicTopic = presenceTopic(s.self)
    const watcher = await newPeer()
    // both subscriptions came on streams they opened; gossipsub's streams to them are not open yet
    for (const p of [contact, watcher]) s.pubsub.noStreamTo.add(p)
    joins(s, contact, pairTopic)
    joins(s, watcher, publicTopic)
    // a change at once: gossipsub lists them as subscribers but sends it to neither
    await s.service.setPresence({ status: 'away', note: 'changed' })
    // the re-announcement after the debounce finds no stream to them either; the next one (after 500 ms more) does
    const firstRound = s.pubsub.published.length + 2
    await vi.advanceTimersByTimeAsync(300)
    for (let i = 0; i < 100 && s.pubsub.published.length < firstRound; i++) await vi.advanceTimersByTimeAsync(1)
    expect(s.pubsub.published.length).toBe(firstRound)
    const skip = { published: s.pubsub.published.length, sent: s.notify.sent.length }
    s.pubsub.noStreamTo.clear()
    await vi.advanceTimersByTimeAsync(600)
    vi.useRealTimers()
    await waitFor(() => sentTo(s, contact, skip).length === 1, 'the record to the contact', 10_000)
    expect(shownTo(s, contact, skip)).toEqual([{ status: 'away', note: 'changed' }])
    await waitFor(() => s.pubsub.published.slice(skip.published).some(m => m.topic === publicTopic), 'the record on the public topic', 10_000)
  })
})

describe('setPresence', () => {
  it('stores the state and the note in one transaction, or nothing: a failed write undoes the change, shows the old presence again and throws', async () => {
    const s = await setup()
    const bob = await newPeer()
    subscribe(s, [bob])
    await s.roster.addContact(bob)
    s.datastore.batches = 0
    await s.service.setPresence({ status: 'busy', note: 'writing' })
    expect(s.datastore.batches).toBe(1)
    const stored = async (): Promise<unknown> => {
      const again = await setup(s.datastore)
      const self = again.service.self
      return { status: self.status, note: self.note }
    }

    s.datastore.failWith = new Error('disk full')
    await expect(s.service.setPresence({ status: 'away', note: 'lunch' })).rejects.toThrow('disk full')
    s.datastore.failWith = undefined
    expect(s.service.self).toMatchObject({ status: 'busy', note: 'writing' })
    // the change went out before the write failed; the old presence follows it
    expect(shownTo(s, bob).slice(-2)).toEqual([{ status: 'away', note: 'lunch' }, { status: 'busy', note: 'writing' }])
    expect(await stored()).toEqual({ status: 'busy', note: 'writing' })

    await s.service.setPresence({ status: 'dnd' })
    expect(await stored()).toEqual({ status: 'dnd', note: undefined })

    // bad input: a typed error naming the field, and nothing changes
    await expect(s.service.setPresence({ status: 'online', note: 'x'.repeat(281) })).rejects.toMatchObject({ name: 'PresenceFieldError', field: 'note', problem: 'too-long', limit: 280 })
    await expect(s.service.setPresence({ status: 'asleep' as any })).rejects.toMatchObject({ name: 'PresenceFieldError', field: 'status', problem: 'unknown-value' })
    expect(s.service.self).toMatchObject({ status: 'dnd', note: undefined })
  })
})

describe('the direct path to a reader of bundles', () => {
  it('writes the items unsigned before signing anything; every path that needs a signed copy gets one', async () => {
    const s = await setup()
    const bobKey = await generateKeyPair('Ed25519')
    const bob = peerIdFromPrivateKey(bobKey)
    subscribe(s, [bob.toString()])
    await s.roster.addContact(bob.toString())
    // bob's own message on his stream shows that he reads bundles: from now on he gets them
    const own = encodeCheckedItem({ presentity: bob, seq: BigInt(Date.now()), issuedAt: Date.now(), expiresAt: Date.now() + 60_000, category: { kind: 'state', availability: 'online', source: 'automatic' } })
    s.notify.safeDispatchEvent('notify:record', { detail: { from: bob.toString(), bytes: directInner([own]) } })
    await waitFor(() => s.service.get(bob)?.status === 'online', 'bob\'s own message to be taken')

    const signing = vi.spyOn(SignedItem.prototype, 'envelope', 'get')
    const sent = s.notify.sent.length
    const published = s.pubsub.published.length
    await s.service.setPresence({ status: 'away', note: 'lunch' })
    const direct = s.notify.sent.slice(sent).filter(m => m.peer === bob.toString()).at(-1)
    const message = direct == null ? undefined : parseDirect(direct.bytes)
    expect(message?.version).toBe(DIRECT_VERSION)
    if (message?.version !== DIRECT_VERSION) return
    const opened = openDirectBundle(message.bundle, s.self, { now: Date.now(), floors: new Map(), held: new Map() })
    expect(opened.ok && opened.accepted.map(i => i.category)).toEqual([{ kind: 'state', availability: 'away', source: 'manual', manualSince: expect.any(Number) }, { kind: 'note', text: 'lunch' }])
    // nothing went by gossip to bob, and nothing was signed for him
    expect(s.pubsub.published.slice(published).filter(m => m.topic === s.roster.keysFor(bob.toString()).topic)).toEqual([])
    expect(signing).not.toHaveBeenCalled()

    // his stream breaks: the same announcement goes by gossip, signed
    s.notify.safeDispatchEvent('notify:lost', { detail: { peer: bob.toString(), bytes: direct?.bytes } })
    const keys = s.roster.keysFor(bob.toString())
    const resent = s.pubsub.published.slice(published).filter(m => m.topic === keys.topic)
    expect(resent).toHaveLength(1)
    const copy = openPairMessage(keys.presence, keys.topic, resent[0].data)
    expect(copy?.version).toBe(2)
    if (copy?.version !== 2) return
    const verified = openBundle(copy.bundle, { now: Date.now(), presentity: s.self, floors: new Map(), held: new Map(), authenticated: false })
    expect(verified.ok && verified.accepted.map(i => [i.category, i.seq])).toEqual(opened.ok && opened.accepted.map(i => [i.category, i.seq]))
    // and a query's answer is a signed item
    const answer = s.service.itemFor(bob, 'note')
    expect(answer != null && openCategory(answer, { now: Date.now(), expectedPresentity: s.self })).toMatchObject({ ok: true, item: { category: { kind: 'note', text: 'lunch' } } })
    signing.mockRestore()
  })
})

describe('following the roster', () => {
  it('roster changes made while a follow runs cost one follow after it, not one each, and each change is followed', async () => {
    const s = await setup()
    const [first, ...rest] = await Promise.all(Array.from({ length: 20 }, newPeer))
    subscribe(s, [first, ...rest])
    for (const p of [first, ...rest]) s.notify.down.add(p)
    // the first contact's follow announces to it by gossip, and is held there
    let release = (): void => {}
    const gate = new Promise<void>(resolve => { release = resolve })
    const publish = s.pubsub.publish
    let announcing = 0
    s.pubsub.publish = async (topic, data) => { announcing++; await gate; return await publish(topic, data) }
    const adding = [s.roster.addContact(first)]
    await waitFor(() => announcing > 0, 'the first follow to announce')
    // meanwhile nineteen more contacts; audiencesOf reads the roster's contacts once per follow
    let committed = 0
    s.roster.addEventListener('roster:change', () => { committed++ })
    const follows = vi.spyOn(s.roster, 'contacts')
    adding.push(...rest.map(async p => { await s.roster.addContact(p) }))
    await waitFor(() => committed === rest.length, 'the roster to commit the nineteen changes')
    release()
    await Promise.all(adding)
    expect(follows).toHaveBeenCalledTimes(1)
    // and that one follow followed them all: each new contact got the record on its pair topic
    for (const p of [first, ...rest]) expect(shownTo(s, p).at(-1)).toEqual({ status: 'online', note: undefined })
  })
})

describe('pair topics follow the connections', () => {
  it('a contact device\'s pair topic is subscribed only while connected to it, and a grace after; public topics always; a stranger changes nothing', async () => {
    const graceMs = 100
    const s = await setup(undefined, 'public', { pairTopicGraceMs: graceMs })
    const [solo, laptop, phone, watched, stranger] = await Promise.all(Array.from({ length: 5 }, newPeer))
    for (const c of [solo, laptop]) await s.roster.addContact(c)
    await s.roster.setDevices(laptop, [laptop, phone])
    await s.roster.watch(watched)
    // who asked gossipsub for what, in order
    const calls: string[] = []
    const { subscribe: sub, unsubscribe: unsub } = s.pubsub
    s.pubsub.subscribe = topic => { calls.push(`+${topic}`); sub(topic) }
    s.pubsub.unsubscribe = topic => { calls.push(`-${topic}`); unsub(topic) }
    const pair = (peer: string): string => s.roster.keysFor(peer).topic
    const publicTopics = [presenceTopic(s.self), presenceTopic(watched)]
    const subscribed = (): string[] => [...s.pubsub.subscribed].sort()
    const validated = (): string[] => [...s.pubsub.topicValidators.keys()].sort()
    const only = (...topics: string[]): string[] => [...publicTopics, ...topics].sort()

    // nobody connected: no pair topic, whatever the contacts (before, every one of them for good)
    expect(subscribed()).toEqual(only())
    // a stranger connects: nothing changes
    connect(s, stranger)
    expect(calls).toEqual([])
    // a contact connects: its pair topic at once, with presence's validator; of a person's devices, the one connected
    connect(s, solo)
    expect(subscribed()).toEqual(only(pair(solo)))
    connect(s, phone)
    expect(subscribed()).toEqual(only(pair(solo), pair(phone)))
    expect(validated()).toEqual(subscribed())
    // the contact's own subscription (on the stream it opens to us) still brings it the current record within the debounce
    const skip = { published: s.pubsub.published.length, sent: s.notify.sent.length }
    subscribe(s, [solo])
    s.pubsub.safeDispatchEvent('subscription-change', { detail: { peerId: peerIdFromString(solo), subscriptions: [{ topic: pair(solo), subscribe: true }] } })
    await waitFor(() => sentTo(s, solo, skip).length === 1, 'the record to the contact that connected', 10_000)

    // its connection closes and another opens within the grace: no unsubscribe, no subscribe again
    calls.length = 0
    disconnect(s, solo)
    connect(s, solo)
    expect(calls).toEqual([])
    // closed for good: the grace passes and the topic goes, validator too; the others stay
    disconnect(s, solo)
    expect(subscribed()).toContain(pair(solo))
    await waitFor(() => !s.pubsub.subscribed.has(pair(solo)), 'the pair topic to go after the grace')
    expect(subscribed()).toEqual(only(pair(phone)))
    expect(validated()).toEqual(subscribed())
    expect(calls).toEqual([`-${pair(solo)}`])

    // the roster still decides: a connected contact blocked is left, unblocked is back
    await s.roster.block(laptop)
    expect(subscribed()).toEqual(only())
    await s.roster.unblock(laptop)
    expect(subscribed()).toEqual(only(pair(phone)))
  })
})
