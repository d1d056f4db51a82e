import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { PersonView } from '../../../node/presence/person-view.js'
import type { PersonChangeDetail } from '../../../node/presence/person-view.js'
import type { PresenceView } from '../../../node/presence/index.js'
import type { StateSource } from '../../../protocol/categories.js'
import type { PresenceStatus } from '../../../protocol/presence-record.js'

const TTL = 60_000

/** A device's view as the watcher builds it from an accepted record at the current (fake) time. */
function record (device: string, status: PresenceStatus, more: { note?: string, source?: StateSource, manualSince?: number, idleSince?: number, seq?: bigint } = {}): PresenceView {
  const now = Date.now()
  return {
    peerId: device,
    status,
    note: more.note,
    categories: {
      state: { kind: 'state', availability: status, source: more.source ?? 'automatic', manualSince: more.manualSince, idleSince: more.idleSince },
      ...(more.note == null ? {} : { note: { kind: 'note', text: more.note } })
    },
    seq: more.seq ?? BigInt(now),
    lastSeen: now,
    expiresAt: status === 'offline' ? undefined : now + TTL
  }
}

function watch (person: PersonView): PersonChangeDetail[] {
  const seen: PersonChangeDetail[] = []
  person.addEventListener('change', evt => { seen.push(evt.detail) })
  return seen
}

describe('person view', () => {
  beforeEach(() => { vi.useFakeTimers({ now: 1_750_000_000_000 }) })
  afterEach(() => { vi.useRealTimers() })

  it('one device leaving while another is online never shows the person offline, in either order', () => {
    for (const order of [['goodbye', 'record'], ['record', 'goodbye']]) {
      const p = new PersonView('alice', ['laptop', 'phone'])
      p.update('laptop', record('laptop', 'online', { note: 'laptop note' }))
      p.update('phone', record('phone', 'online', { note: 'phone note' }))
      const seen = watch(p)
      vi.advanceTimersByTime(TTL / 3)
      for (const step of order) {
        if (step === 'goodbye') p.update('laptop', record('laptop', 'offline'))
        else p.update('phone', record('phone', 'online', { note: 'phone note' }))
        expect(p.view().status).toBe('online')
      }
      // the laptop won the tie (smaller id); the phone's note shows now: a change, never an offline one
      expect(seen.map(e => e.view.status)).toEqual(['online'])
      expect(seen[0]).toMatchObject({ cause: 'record', device: 'laptop', view: { peerId: 'alice', note: 'phone note' } })
      p.stop()
    }
  })

  it('goodbye() of one device while another is live: no offline; of the last one: offline', () => {
    const p = new PersonView('alice', ['laptop', 'phone'])
    p.update('laptop', record('laptop', 'online'))
    p.update('phone', record('phone', 'away', { idleSince: Date.now() - 1000 }))
    const seen = watch(p)
    expect(p.goodbye('laptop')).toMatchObject({ changed: true, view: { status: 'away' } })
    expect(p.goodbye('phone')).toMatchObject({ changed: true, view: { status: 'offline' } })
    expect(seen.map(e => [e.cause, e.device, e.view.status])).toEqual([['goodbye', 'laptop', 'away'], ['goodbye', 'phone', 'offline']])
    expect(p.detail().map(d => d.condition)).toEqual(['gone', 'gone'])
  })

  it('emits only when the composed view changes: a heartbeat or a losing device says nothing', () => {
    const p = new PersonView('alice', ['laptop', 'phone'])
    const seen = watch(p)
    p.update('laptop', record('laptop', 'online', { note: 'n' }))
    expect(seen).toHaveLength(1)
    vi.advanceTimersByTime(20_000)
    expect(p.update('laptop', record('laptop', 'online', { note: 'n' }))).toMatchObject({ changed: false, changedCategories: [] })
    // the phone is less available: it changes nothing the person shows
    p.update('phone', record('phone', 'away', { note: 'other' }))
    p.update('phone', record('phone', 'offline'))
    expect(seen).toHaveLength(1)
    expect(p.detail().map(d => [d.device, d.condition, d.winner])).toEqual([['laptop', 'live', true], ['phone', 'offline', false]])
  })

  it('a manual state on one device overrides the other; the latest manual choice wins', () => {
    const p = new PersonView('alice', ['laptop', 'phone'])
    p.update('laptop', record('laptop', 'online'))
    p.update('phone', record('phone', 'dnd', { source: 'manual', manualSince: Date.now(), note: 'driving' }))
    expect(p.view()).toMatchObject({ status: 'dnd', note: 'driving' })
    vi.advanceTimersByTime(1000)
    p.update('laptop', record('laptop', 'busy', { source: 'manual', manualSince: Date.now() }))
    expect(p.view()).toMatchObject({ status: 'busy', note: undefined })
  })

  it('expires each device on its own timer; the person turns offline only when the last one expires', () => {
    const expired: Array<[string, string]> = []
    const p = new PersonView('alice', ['laptop', 'phone'], { onExpired: (device, _late, outcome) => { expired.push([device, outcome.view.status]) } })
    const seen = watch(p)
    p.update('laptop', record('laptop', 'online'))
    vi.advanceTimersByTime(30_000)
    p.update('phone', record('phone', 'away'))
    vi.advanceTimersByTime(TTL - 30_000 + 10)
    expect(expired).toEqual([['laptop', 'away']])
    expect(p.view().status).toBe('away')
    vi.advanceTimersByTime(30_000)
    expect(expired).toEqual([['laptop', 'away'], ['phone', 'offline']])
    expect(seen.map(e => [e.cause, e.view.status])).toEqual([['record', 'online'], ['expired', 'away'], ['expired', 'offline']])
    expect(p.view()).toMatchObject({ status: 'offline', lastSeen: 1_750_000_000_000 + 30_000 })
    expect(seen.at(-1)?.lateMs).toBeGreaterThanOrEqual(0)
  })

  it('a record that arrives before the expiry is read first keeps the device live', () => {
    const p = new PersonView('alice', ['laptop'])
    const seen = watch(p)
    p.update('laptop', record('laptop', 'online'))
    vi.advanceTimersByTime(TTL)
    // due now, checked once more after one turn of the event loop (expiry.ts): a record read meanwhile wins
    p.update('laptop', record('laptop', 'online'))
    vi.advanceTimersByTime(10)
    expect(p.view().status).toBe('online')
    expect(seen.map(e => e.view.status)).toEqual(['online'])
  })

  it('heartbeats keep a device live past its first expiry; it expires one TTL after the last, not before', () => {
    const expired: number[] = []
    const p = new PersonView('alice', ['laptop'], { onExpired: (_device, late) => { expired.push(late) } })
    p.update('laptop', record('laptop', 'online'))
    for (let i = 0; i < 5; i++) {
      vi.advanceTimersByTime(TTL / 3)
      p.update('laptop', record('laptop', 'online'))
    }
    const last = Date.now()
    vi.advanceTimersByTime(TTL - 1)
    expect(p.view().status).toBe('online')
    vi.advanceTimersByTime(10)
    expect(p.view().status).toBe('offline')
    expect(expired).toHaveLength(1)
    expect(expired[0]).toBeLessThan(10)
    expect(Date.now() - last).toBeLessThan(TTL + 10)
    // a record that ends before the pending timer is due gets its own, earlier timer
    p.update('laptop', { ...record('laptop', 'online'), expiresAt: Date.now() + TTL })
    p.update('laptop', { ...record('laptop', 'online'), expiresAt: Date.now() + 1000 })
    vi.advanceTimersByTime(1010)
    expect(p.view().status).toBe('offline')
    p.stop()
  })

  it('setDevices: a revoked device is forgotten with its timer; a new device starts unheard', () => {
    const p = new PersonView('alice', ['laptop', 'phone'])
    p.update('laptop', record('laptop', 'online'))
    p.update('phone', record('phone', 'dnd', { source: 'manual', manualSince: Date.now() }))
    const seen = watch(p)
    expect(p.setDevices(['laptop', 'tablet'])).toMatchObject({ changed: true, view: { status: 'online' } })
    expect(seen.map(e => [e.cause, e.device, e.view.status])).toEqual([['devices', undefined, 'online']])
    expect(p.detail().map(d => [d.device, d.condition])).toEqual([['laptop', 'live'], ['tablet', 'unheard']])
    expect(() => p.update('phone', record('phone', 'online'))).toThrow(/not a device of alice/)
    // only the laptop's timer is left
    expect(vi.getTimerCount()).toBe(1)
  })

  it('the same devices again, or priming again from the same stored view, composes nothing: the view stays the same object', () => {
    const p = new PersonView('alice', ['laptop', 'phone'])
    const stored: PresenceView = { peerId: 'laptop', status: 'offline', seq: 7n, lastSeen: 42 }
    p.prime('laptop', stored)
    const primed = p.view()
    p.prime('laptop', stored)
    expect(p.view()).toBe(primed)
    expect(p.setDevices(['phone', 'laptop'])).toEqual({ view: primed, changed: false, changedCategories: [] })
    expect(p.view()).toBe(primed)
    // another stored view, or another set of devices, is composed as before
    p.prime('laptop', { ...stored, lastSeen: 50 })
    expect(p.view()).toMatchObject({ lastSeen: 50 })
    p.setDevices(['laptop'])
    expect(p.view()).toEqual({ peerId: 'alice', status: 'offline', seq: 7n, lastSeen: 50 })
  })

  it('with one device it is that device\'s view under the person\'s id, primed from what was stored', () => {
    const p = new PersonView('bob', ['bob'])
    p.prime('bob', { peerId: 'bob', status: 'offline', seq: 7n, lastSeen: 42 })
    expect(p.view()).toEqual({ peerId: 'bob', status: 'offline', seq: 7n, lastSeen: 42 })
    const v = record('bob', 'away', { note: 'lunch' })
    p.update('bob', v)
    expect(p.view()).toEqual(v)
  })
})
