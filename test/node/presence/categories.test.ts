/**
 * The parts of enhanced presence that need no network: who sees what
 * (containers), the idle tracker, this node's own categories and their
 * store, the watch store's floors.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { defaultLogger } from '@libp2p/logger'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { MemoryDatastore } from 'datastore-core'
import { Key } from 'interface-datastore'
import fc from 'fast-check'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { CategoryStore } from '../../../node/presence/category-store.js'
import { containersOf, seenBy, visibilityOf, visibleCategories } from '../../../node/presence/containers.js'
import { IdleTracker } from '../../../node/presence/idle.js'
import { noteTextBytes, OwnCategories } from '../../../node/presence/own-categories.js'
import { WatchStore } from '../../../node/presence/watch-store.js'
import { encodeBundle } from '../../../protocol/category-bundle.js'
import { encodeCategoryItem } from '../../../protocol/category-item.js'
import { MAX_BUNDLE_BYTES } from '../../../protocol/limits.js'
import type { Person, Roster } from '../../../node/roster/index.js'

const person = (contact?: Partial<NonNullable<Person['contact']>>): Person =>
  ({ id: 'p', devices: ['p'], watched: false, contact: contact == null ? undefined : { since: 1, view: 'full', ...contact } })

describe('containers', () => {
  const published = { note: ['public'], card: ['contacts'], calendar: ['close'], 'app:org.example.x': [] } as const
  const pub = (k: string): readonly any[] => (published as any)[k] ?? []
  const keys = ['state', 'note', 'card', 'calendar', 'app:org.example.x'] as const

  it('strangers are in public, contacts also in contacts, the closer circle in all three; status view in none', () => {
    expect(containersOf(undefined)).toEqual(['public'])
    expect(containersOf(person({}))).toEqual(['public', 'contacts'])
    expect(containersOf(person({ container: 'close' }))).toEqual(['public', 'contacts', 'close'])
    expect(containersOf(person({ container: 'close', view: 'status' }))).toEqual([])
  })

  it('state always; deny beats allow beats containers', () => {
    const see = (p: Person | undefined): string[] => [...visibleCategories(p, keys, pub)].sort()
    expect(see(undefined)).toEqual(['note', 'state'])
    expect(see(person({}))).toEqual(['card', 'note', 'state'])
    expect(see(person({ container: 'close' }))).toEqual(['calendar', 'card', 'note', 'state'])
    expect(see(person({ view: 'status' }))).toEqual(['state'])
    expect(see(person({ view: 'status', allow: ['app:org.example.x'] }))).toEqual(['app:org.example.x', 'state'])
    expect(see(person({ container: 'close', deny: ['calendar', 'state'], allow: ['calendar'] }))).toEqual(['card', 'note', 'state'])
    expect(visibilityOf(person({ container: 'close' }), 'calendar', ['close'])).toEqual({ visible: true, why: 'container', via: 'close' })
    expect(visibilityOf(person({}), 'calendar', ['close'])).toEqual({ visible: false, why: 'not-published' })
  })

  it('seenBy: nothing for who is no audience, else each category with why and value', () => {
    const roster = {
      isContact: (p: string) => p === 'bob',
      get: () => person({ container: 'close' }),
      canSee: () => true,
      isBlocked: (p: string) => p === 'mallory',
      visibility: () => ({ mode: 'public', allow: [] })
    } as unknown as Roster
    const value = (k: string): any => ({ kind: k })
    expect(seenBy(roster, 'mallory', ['state', 'note'], pub, value)).toEqual({
      peerId: 'mallory', sees: false, containers: [], categories: [{ key: 'state', visible: false, why: 'no-audience' }, { key: 'note', visible: false, why: 'no-audience' }]
    })
    expect(seenBy(roster, 'bob', ['state', 'calendar'], pub, value).categories).toEqual([
      { key: 'state', visible: true, why: 'state', value: { kind: 'state' } },
      { key: 'calendar', visible: true, why: 'container', via: 'close', value: { kind: 'calendar' } }
    ])
    expect(seenBy(roster, 'stranger', ['card'], pub, value)).toMatchObject({ sees: true, containers: ['public'], categories: [{ key: 'card', visible: false }] })
  })
})

describe('idle tracker', () => {
  let now = 1_000_000
  beforeEach(() => { vi.useFakeTimers(); now = 1_000_000 })
  afterEach(() => { vi.useRealTimers() })
  const tracker = (changes: Array<number | undefined>): IdleTracker => new IdleTracker(1_000, (s) => { changes.push(s) }, () => now)
  const advance = (ms: number): void => { now += ms; vi.advanceTimersByTime(ms) }

  it('is never idle before the first report; idle after the period; back on the next report', () => {
    const changes: Array<number | undefined> = []
    const t = tracker(changes)
    advance(5_000)
    expect(t.idleSince()).toBeUndefined()
    t.report()
    advance(999)
    expect(changes).toEqual([])
    advance(1)
    expect(changes).toEqual([1_005_000])
    expect(t.idleSince()).toBe(1_005_000)
    t.report()
    expect(changes).toEqual([1_005_000, undefined])
    t.stop()
  })

  it('an input time in the past counts from then; a future one counts as now; a source\'s last report replaces its earlier; the latest of all sources wins', () => {
    const changes: Array<number | undefined> = []
    const t = tracker(changes)
    t.report(now - 5_000)
    expect(changes).toEqual([now - 5_000])
    t.report(now + 60_000)
    expect(changes).toEqual([now - 5_000, undefined])
    t.report(now - 10_000, 'cli')
    expect(t.idleSince()).toBeUndefined()
    // the default source said "now"; the cli's older input changes nothing; the default source going idle does
    t.report(now - 20_000)
    expect(t.idleSince()).toBe(now - 10_000)
    t.stop()
    expect(() => new IdleTracker(0, () => {})).toThrow(/between 1 s and 24 h/)
    const off = tracker(changes)
    off.setAwayAfter(null)
    off.report(now - 3_600_000)
    expect(off.idleSince()).toBeUndefined()
  })
})

describe('own categories', () => {
  const setup = async (ds = new MemoryDatastore()): Promise<{ own: OwnCategories, ds: MemoryDatastore }> => {
    const key = await generateKeyPair('Ed25519')
    const own = new OwnCategories(new CategoryStore(ds, defaultLogger().forComponent('test')), peerIdFromPrivateKey(key), key, 3_600_000)
    await own.load()
    return { own, ds }
  }

  it('keeps values, containers and a manual state across a reload; online is never manual', async () => {
    const { own, ds } = await setup()
    await own.set({ kind: 'note', text: 'n' })
    await own.set({ kind: 'app', namespace: 'org.example.x', data: Uint8Array.from([1, 2]) })
    await own.publish('note', ['close'])
    const before = Date.now()
    await own.setManual('busy')
    // when it was chosen goes with the state (composition lets the latest manual choice win, protocol §15)
    const chosenAt = own.manualSince() as number
    expect(chosenAt).toBeGreaterThanOrEqual(before)
    expect(chosenAt).toBeLessThanOrEqual(Date.now())
    const again = (await setup(ds)).own
    expect(again.manualSince()).toBe(chosenAt)
    expect(again.get('note')).toEqual({ kind: 'note', text: 'n' })
    expect(again.get('app:org.example.x')).toEqual({ kind: 'app', namespace: 'org.example.x', data: Uint8Array.from([1, 2]) })
    expect(again.publishedTo('note')).toEqual(['close'])
    expect(again.publishedTo('card')).toEqual(['contacts'])
    expect(again.manualState()).toBe('busy')
    await again.setManual('online')
    expect(again.manualSince()).toBeUndefined()
    expect((await setup(ds)).own.manualState()).toBeUndefined()
  })

  it('a stored record that breaks the rules is left out, not fatal', async () => {
    const ds = new MemoryDatastore()
    await ds.put(new Key('/presence-mesh/presence/category/note'), new TextEncoder().encode(JSON.stringify({ kind: 'note', text: '' })))
    await ds.put(new Key('/presence-mesh/presence/publish/card'), new TextEncoder().encode(JSON.stringify({ containers: ['everyone'] })))
    const { own } = await setup(ds)
    expect(own.get('note')).toBeUndefined()
    expect(own.publishedTo('card')).toEqual(['contacts'])
  })

  it('signs only what changed or passed half its life; a default shows while nothing is set', async () => {
    const { own } = await setup()
    own.setDefault({ kind: 'capabilities', features: ['chat'] })
    await own.set({ kind: 'note', text: 'n' })
    const now = Date.now()
    expect(own.stale(now)).toEqual(['note', 'capabilities'])
    own.sign('note', 1n, now)
    own.sign('capabilities', 2n, now)
    expect(own.stale(now + 1_799_000)).toEqual([])
    expect(own.stale(now + 1_801_000)).toEqual(['note', 'capabilities'])
    await own.set({ kind: 'capabilities', features: ['chat', 'typing'] })
    expect(own.stale(now)).toEqual(['capabilities'])
    expect(await own.clear('capabilities')).toBe(true)
    expect(own.get('capabilities')).toEqual({ kind: 'capabilities', features: ['chat'] })
    expect(await own.clear('capabilities')).toBe(false)
  })

  it('keys(): the same list until a key comes or goes (presence recomputes its audiences only for a new list)', async () => {
    const { own } = await setup()
    own.setDefault({ kind: 'capabilities', features: ['chat'] })
    const first = own.keys()
    expect(first).toEqual(['capabilities'])
    await own.set({ kind: 'capabilities', features: ['chat', 'typing'] })
    expect(own.keys()).toBe(first)
    await own.set({ kind: 'note', text: 'n' })
    const withNote = own.keys()
    expect(withNote).not.toBe(first)
    expect(withNote).toEqual(['note', 'capabilities'])
    await own.set({ kind: 'note', text: 'm' })
    expect(own.keys()).toBe(withNote)
    // a staged change undone: the note is gone again
    own.stageChange({ clear: ['note'] }).revert()
    expect(own.keys()).toEqual(['note', 'capabilities'])
    own.stageChange({ clear: ['note'] })
    expect(own.keys()).toEqual(['capabilities'])
    // clearing a value that has a default keeps the key
    const left = own.keys()
    await own.clear('capabilities')
    expect(own.keys()).toBe(left)
  })

  it('refuses what breaks a rule, what does not fit, and a ninth application, changing nothing', async () => {
    const { own } = await setup()
    await expect(own.set({ kind: 'card', displayName: 'é'.repeat(64), email: '😀'.repeat(256), url: '😀'.repeat(256) })).rejects.toMatchObject({ name: 'InvalidCategoryError', category: 'card', field: 'item', problem: 'too-large', limit: 2048 })
    for (let i = 0; i < 8; i++) await own.set({ kind: 'app', namespace: `org.example.a${i}`, data: new Uint8Array(512) })
    await expect(own.set({ kind: 'app', namespace: 'org.example.a8', data: new Uint8Array(1) })).rejects.toMatchObject({ field: 'namespace', problem: 'too-many', limit: 8 })
    await own.set({ kind: 'note', text: '😀'.repeat(280) })
    // the largest card fits an item, but no longer the bundle every watcher could get
    await expect(own.set({ kind: 'card', displayName: '😀'.repeat(64), title: '😀'.repeat(64), organization: '😀'.repeat(64), phone: '😀'.repeat(64) })).rejects.toMatchObject({ field: 'item', problem: 'too-large', limit: MAX_BUNDLE_BYTES })
    expect(own.get('card')).toBeUndefined()
    await own.set({ kind: 'activity', activity: 'other', text: '😀'.repeat(64), until: Date.now() })
    await own.set({ kind: 'calendar', freeBusy: 'busy', until: Date.now(), nextFree: Date.now() })
    // whatever was accepted fits one bundle, with the largest state
    const now = Date.now()
    const items = own.keys().map((k, i) => own.sign(k, BigInt(now + i), now).envelope)
    const { Announcement } = await import('../../../node/presence/announcement.js')
    const key = await generateKeyPair('Ed25519')
    const state = new Announcement({ self: peerIdFromPrivateKey(key), key, seq: (1n << 64n) - 1n, now, ttlMs: 600_000, state: { kind: 'state', availability: 'away', source: 'automatic', idleSince: now }, items: new Map() }).state.envelope
    expect(encodeBundle([state, ...items]).byteLength).toBeLessThanOrEqual(MAX_BUNDLE_BYTES)
    await expect(own.set({ kind: 'state', availability: 'busy' })).rejects.toMatchObject({ problem: 'not-settable' })
    await expect(own.publish('state', ['public'])).rejects.toMatchObject({ problem: 'not-settable' })
  })
})

describe('watch store floors', () => {
  it('keep one seq per category across a reload; a bad floor is a decode error', async () => {
    const ds = new MemoryDatastore()
    const store = new WatchStore(ds)
    await store.save({ peerId: 'p', lastSeq: 5n, lastSeen: 7, floors: { note: 1_700_000_000_123_456_789n, 'app:org.example.x': 3n } })
    expect(await new WatchStore(ds).loadAll()).toEqual([{ peerId: 'p', lastSeq: 5n, lastSeen: 7, floors: { note: 1_700_000_000_123_456_789n, 'app:org.example.x': 3n } }])
    await ds.put(new Key('/presence-mesh/presence/watch/q'), new TextEncoder().encode(JSON.stringify({ floors: { note: 'x' } })))
    await expect(new WatchStore(ds).loadAll()).rejects.toThrow(/floor of note/)
  })
})

describe('a note\'s size without encoding it', () => {
  it('noteTextBytes is what the text adds to the encoded item of an empty note, for any text', async () => {
    const presentity = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
    const size = (text: string): number => encodeCategoryItem({ presentity, seq: (1n << 64n) - 1n, issuedAt: 1_700_000_000_000, expiresAt: 1_700_000_300_000, category: { kind: 'note', text } }).byteLength
    const empty = size('')
    const texts = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 300 }), fc.string({ minLength: 100, maxLength: 3000 }))
    fc.assert(fc.property(texts, text => { expect(empty + noteTextBytes(text)).toBe(size(text)) }), { numRuns: 300 })
  })
})
