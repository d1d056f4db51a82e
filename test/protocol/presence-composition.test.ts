/**
 * Presence composition (docs/protocol.md §14.9): the rules hold for any set
 * of devices, in any order, and one device leaving while another is live
 * never shows the person offline.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { AVAILABILITY_RANK, composePresence, isLive } from '../../protocol/presence-composition.js'
import { STATUSES } from '../../protocol/presence-record.js'
import type { DevicePresence } from '../../protocol/presence-composition.js'

const NOW = 1_800_000_000_000
const deviceArb = fc.record({
  device: fc.constantFrom('d1', 'd2', 'd3', 'd4', 'd5', 'd6'),
  status: fc.constantFrom(...STATUSES),
  source: fc.constantFrom('manual' as const, 'automatic' as const, undefined),
  issuedAt: fc.integer({ min: NOW - 100_000, max: NOW }),
  expiresAt: fc.option(fc.integer({ min: NOW - 50_000, max: NOW + 60_000 }), { nil: undefined }),
  note: fc.option(fc.string({ maxLength: 5 }), { nil: undefined })
}, { requiredKeys: ['device', 'status', 'issuedAt'] })
// one entry per device, as a watcher holds them
const devicesArb = fc.uniqueArray(deviceArb, { selector: d => d.device, maxLength: 6 })

const strip = ({ devices: _d, ...rest }: ReturnType<typeof composePresence>): object => rest

describe('presence composition', () => {
  it('offline exactly when no device is live; else the state of a live device', () => {
    fc.assert(fc.property(devicesArb, (ds) => {
      const c = composePresence(ds, NOW)
      const live = ds.filter(d => isLive(d, NOW))
      expect(c.status === 'offline').toBe(live.length === 0)
      if (live.length > 0) expect(live.some(d => d.device === c.device && d.status === c.status)).toBe(true)
      expect(c.devices.map(d => d.live)).toEqual(ds.map(d => isLive(d, NOW)))
    }))
  })

  it('a state chosen by hand overrides automatic ones: the last chosen wins', () => {
    fc.assert(fc.property(devicesArb, (ds) => {
      const manual = ds.filter(d => isLive(d, NOW) && d.source === 'manual')
      fc.pre(manual.length > 0)
      const c = composePresence(ds, NOW)
      const latest = Math.max(...manual.map(d => d.issuedAt))
      expect(c.manual).toBe(true)
      expect(manual.some(d => d.device === c.device && d.issuedAt === latest)).toBe(true)
    }))
  })

  it('otherwise the most available live device wins', () => {
    fc.assert(fc.property(devicesArb, (ds) => {
      const live = ds.filter(d => isLive(d, NOW))
      fc.pre(live.length > 0 && live.every(d => d.source !== 'manual'))
      const c = composePresence(ds, NOW)
      expect(AVAILABILITY_RANK[c.status]).toBe(Math.max(...live.map(d => AVAILABILITY_RANK[d.status])))
      expect(c.manual).toBe(false)
    }))
  })

  it('is the same for the devices in any order', () => {
    const pair = devicesArb.chain(ds => fc.tuple(fc.constant(ds), fc.shuffledSubarray(ds, { minLength: ds.length, maxLength: ds.length })))
    fc.assert(fc.property(pair, ([ds, shuffled]) => {
      expect(strip(composePresence(shuffled, NOW))).toEqual(strip(composePresence(ds, NOW)))
    }))
  })

  it('a device leaving (offline or expired) while another is live never shows the person offline; a device that does not show changes nothing', () => {
    fc.assert(fc.property(devicesArb, fc.nat(), fc.boolean(), (ds, i, crash) => {
      fc.pre(ds.length > 1)
      const gone = i % ds.length
      const after: DevicePresence[] = ds.map((d, j) => j !== gone ? d : crash ? { ...d, expiresAt: NOW } : { ...d, status: 'offline' })
      const c = composePresence(after, NOW)
      if (after.some(d => isLive(d, NOW))) expect(c.status).not.toBe('offline')
      const before = composePresence(ds, NOW)
      if (before.device !== ds[gone].device) expect(strip(c)).toEqual(strip(before))
    }))
  })

  it('the winner\'s note and activity come with its state', () => {
    const c = composePresence([
      { device: 'laptop', status: 'away', issuedAt: NOW - 10, note: 'lunch', expiresAt: NOW + 1000 },
      { device: 'phone', status: 'online', issuedAt: NOW - 20, activity: 'travel', expiresAt: NOW + 1000 },
      { device: 'tablet', status: 'dnd', source: 'automatic', issuedAt: NOW, expiresAt: NOW - 1 }
    ], NOW)
    expect(strip(c)).toEqual({ status: 'online', device: 'phone', manual: false, activity: 'travel' })
    expect(composePresence([], NOW)).toEqual({ status: 'offline', manual: false, devices: [] })
  })
})
