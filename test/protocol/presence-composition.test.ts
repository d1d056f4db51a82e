import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { AVAILABILITY_ORDER, composePresence, conditionOf } from '../../protocol/presence-composition.js'
import type { DeviceInput, DeviceRecord } from '../../protocol/presence-composition.js'
import type { PresenceStatus } from '../../protocol/presence-record.js'

type Input = DeviceInput<string>

const rec = (availability: PresenceStatus, more: Partial<DeviceRecord<string>> = {}): DeviceRecord<string> =>
  ({ availability, source: 'automatic', receivedAt: 1000, value: `${availability}-value`, ...more })
const dev = (device: string, record?: DeviceRecord<string>, more: Partial<Input> = {}): Input => ({ device, record, ...more })

// ---- generators: device states of every kind, with few distinct times so ties happen ----
const time = fc.integer({ min: 1, max: 6 }).map(n => n * 1000)
const record: fc.Arbitrary<DeviceRecord<string>> = fc.record({
  availability: fc.constantFrom(...AVAILABILITY_ORDER),
  source: fc.constantFrom('manual' as const, 'automatic' as const, undefined),
  manualSince: fc.option(time, { nil: undefined }),
  idleSince: fc.option(time, { nil: undefined }),
  receivedAt: time,
  value: fc.string({ maxLength: 4 })
})
const state = fc.record({ record: fc.option(record, { nil: undefined }), expired: fc.boolean(), goodbye: fc.boolean() })
/** Distinct device ids, each with a state. */
const devices = fc.uniqueArray(fc.constantFrom('d1', 'd2', 'd3', 'd4', 'd5', 'd6'), { maxLength: 6 })
  .chain(ids => fc.tuple(...ids.map(id => state.map((s): Input => ({ device: id, ...s })))))
  .map(list => [...list] as Input[])
const isLive = (d: Input): boolean => conditionOf(d) === 'live'
const offlineDevice = (id: string): fc.Arbitrary<Input> => fc.oneof(
  fc.constant(dev(id)),
  fc.record({ record, expired: fc.constant(true) }).map(s => ({ device: id, ...s })),
  fc.record({ record, goodbye: fc.constant(true) }).map(s => ({ device: id, ...s })),
  record.map(r => ({ device: id, record: { ...r, availability: 'offline' as const } }))
)

describe('presence composition: properties', () => {
  it('does not depend on the order of the devices', () => {
    fc.assert(fc.property(devices.chain(list => fc.tuple(fc.constant(list), fc.shuffledSubarray(list, { minLength: list.length, maxLength: list.length }))), ([list, shuffled]) => {
      expect(composePresence(shuffled)).toEqual(composePresence(list))
    }), { numRuns: 500 })
  })

  it('adding a device that is not live never changes the status, nor anything while a device is live', () => {
    fc.assert(fc.property(devices, offlineDevice('extra'), (list, extra) => {
      const before = composePresence(list)
      const after = composePresence([...list, extra])
      expect(after.status).toBe(before.status)
      if (list.some(isLive)) {
        expect(after.winner).toBe(before.winner)
        expect(after.value).toBe(before.value)
        expect(after.reason).toBe(before.reason)
      }
      if (extra.record == null) expect({ ...after, devices: after.devices.filter(d => d.device !== 'extra') }).toEqual(before)
    }), { numRuns: 500 })
  })

  it('one device going offline, expiring or saying goodbye while another is live never yields offline', () => {
    fc.assert(fc.property(devices, fc.nat(), fc.constantFrom('expired', 'goodbye', 'offline'), (list, pick, how) => {
      const live = list.filter(isLive)
      fc.pre(live.length >= 2)
      const leaving = live[pick % live.length]
      const changed = list.map(d => d !== leaving
        ? d
        : how === 'offline' ? { ...d, record: { ...(d.record as DeviceRecord<string>), availability: 'offline' as const } } : { ...d, [how]: true })
      expect(composePresence(changed).status).not.toBe('offline')
    }), { numRuns: 1000 })
  })

  it('the result is always one of the inputs: a live device\'s state and value, or offline', () => {
    fc.assert(fc.property(devices, list => {
      const c = composePresence(list)
      const live = list.filter(isLive)
      if (live.length === 0) {
        expect(c.status).toBe('offline')
      } else {
        const w = live.find(d => d.device === c.winner)
        expect(w).toBeDefined()
        expect(c.status).toBe(w?.record?.availability)
        expect(c.value).toBe(w?.record?.value)
      }
      if (c.winner != null) expect(c.value).toBe(list.find(d => d.device === c.winner)?.record?.value)
      expect(c.devices.filter(d => d.winner).map(d => d.device)).toEqual(c.winner == null ? [] : [c.winner])
      expect(c.devices.map(d => d.device)).toEqual(list.map(d => d.device).sort())
    }), { numRuns: 500 })
  })

  it('a live manual state always wins over automatic ones; otherwise no live device is more available than the winner', () => {
    fc.assert(fc.property(devices, list => {
      const c = composePresence(list)
      const live = list.filter(isLive)
      const manual = live.filter(d => d.record?.source === 'manual')
      if (manual.length > 0) {
        expect(c.reason).toBe('manual')
        const latest = Math.max(...manual.map(d => d.record?.manualSince ?? 0))
        expect(list.find(d => d.device === c.winner)?.record?.manualSince ?? 0).toBe(latest)
      } else if (live.length > 0) {
        expect(c.reason).toBe('most-available')
        const top = Math.min(...live.map(d => AVAILABILITY_ORDER.indexOf(d.record?.availability ?? 'offline')))
        expect(AVAILABILITY_ORDER.indexOf(c.status)).toBe(top)
      }
    }), { numRuns: 500 })
  })
})

describe('presence composition: rules', () => {
  it('a manual state overrides a more available automatic one', () => {
    const c = composePresence([dev('a', rec('online')), dev('b', rec('dnd', { source: 'manual', manualSince: 5 }))])
    expect(c).toMatchObject({ status: 'dnd', winner: 'b', reason: 'manual', value: 'dnd-value' })
  })

  it('of several manual states the latest choice wins, whatever its availability', () => {
    const c = composePresence([
      dev('a', rec('busy', { source: 'manual', manualSince: 9 })),
      dev('b', rec('away', { source: 'manual', manualSince: 10 })),
      dev('c', rec('dnd', { source: 'manual' }))
    ])
    expect(c).toMatchObject({ status: 'away', winner: 'b', reason: 'manual' })
  })

  it('a manual state of a device that left does not count', () => {
    const c = composePresence([dev('a', rec('away', { idleSince: 3 })), dev('b', rec('dnd', { source: 'manual', manualSince: 5 }), { goodbye: true })])
    expect(c).toMatchObject({ status: 'away', winner: 'a', reason: 'most-available' })
  })

  it('otherwise the most available: online > away > busy > dnd', () => {
    const all = [dev('a', rec('dnd', { source: undefined })), dev('b', rec('busy', { source: undefined })), dev('c', rec('away')), dev('d', rec('online'))]
    for (let n = all.length; n > 0; n--) {
      const c = composePresence(all.slice(0, n))
      expect(c.status).toBe(['dnd', 'busy', 'away', 'online'][n - 1])
    }
  })

  it('a state of unknown source counts as automatic', () => {
    const c = composePresence([dev('a', rec('dnd', { source: undefined })), dev('b', rec('away'))])
    expect(c).toMatchObject({ status: 'away', winner: 'b' })
  })

  it('ties: the device used last (later idle_since), then the smaller device id', () => {
    expect(composePresence([dev('b', rec('away', { idleSince: 7 })), dev('a', rec('away', { idleSince: 6 }))]).winner).toBe('b')
    expect(composePresence([dev('b', rec('online')), dev('a', rec('online'))]).winner).toBe('a')
    expect(composePresence([dev('b', rec('dnd', { source: 'manual', manualSince: 4 })), dev('a', rec('busy', { source: 'manual', manualSince: 4 }))]).winner).toBe('a')
  })

  it('offline only when no device is live; then shown from the device heard last', () => {
    const c = composePresence([
      dev('a', rec('online', { receivedAt: 50 }), { expired: true }),
      dev('b', rec('offline', { receivedAt: 70 })),
      dev('c', rec('away', { receivedAt: 60 }), { goodbye: true }),
      dev('d')
    ])
    expect(c).toMatchObject({ status: 'offline', winner: 'b', reason: 'offline', lastSeen: 70 })
    expect(c.devices.map(d => [d.device, d.condition, d.availability])).toEqual([
      ['a', 'expired', 'offline'], ['b', 'offline', 'offline'], ['c', 'gone', 'offline'], ['d', 'unheard', 'offline']
    ])
    expect(composePresence([dev('d')])).toEqual({ status: 'offline', reason: 'none', winner: undefined, value: undefined, lastSeen: undefined, devices: [{ device: 'd', condition: 'unheard', availability: 'offline', winner: false }] })
    expect(composePresence([])).toMatchObject({ status: 'offline', reason: 'none', devices: [] })
  })

  it('refuses a device listed twice', () => {
    expect(() => composePresence([dev('a'), dev('a')])).toThrow(/twice/)
  })
})
