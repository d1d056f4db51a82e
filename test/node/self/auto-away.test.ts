/** The manual state and automatic away, with an in-memory datastore and a fake clock. */
import { MemoryDatastore } from 'datastore-core'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { AutoAway } from '../../../node/auto-away.js'
import type { PresenceUpdate } from '../../../protocol/presence-record.js'

let announced: Array<PresenceUpdate & { auto: boolean }>
let ds: MemoryDatastore

const make = (): AutoAway => new AutoAway(ds, async (u, auto) => { announced.push({ ...u, auto }) })
const last = (): (PresenceUpdate & { auto: boolean }) | undefined => announced.at(-1)
/** Lets the queued announcements run. */
const settle = async (): Promise<void> => { for (let i = 0; i < 10; i++) await Promise.resolve() }

beforeEach(() => {
  vi.useFakeTimers({ now: 1_700_000_000_000 })
  announced = []
  ds = new MemoryDatastore()
})
afterEach(() => { vi.useRealTimers() })

describe('the state set by hand', () => {
  it('is stored: a new start announces it first', async () => {
    const a = make()
    expect(await a.load()).toEqual({ status: 'online' })
    await a.setManual({ status: 'away', note: 'lunch' })
    a.stop()
    expect(await make().load()).toEqual({ status: 'away', note: 'lunch' })
  })
})

describe('automatic away', () => {
  it('goes away after the idle time with the same note, and back on the next activity', async () => {
    const a = make()
    await a.load()
    await a.setAwayAfter(60_000)
    await a.setManual({ status: 'online', note: 'at my desk' })
    a.reportActivity()
    await vi.advanceTimersByTimeAsync(59_000)
    expect(last()).toEqual({ status: 'online', note: 'at my desk', auto: false })
    await vi.advanceTimersByTimeAsync(2_000)
    expect(last()).toEqual({ status: 'away', note: 'at my desk', auto: true })
    expect(a.state()).toMatchObject({ auto: true, shown: { status: 'away' }, manual: { status: 'online' } })
    a.reportActivity()
    await settle()
    expect(last()).toEqual({ status: 'online', note: 'at my desk', auto: false })
    // and the clock runs again from there
    await vi.advanceTimersByTimeAsync(61_000)
    expect(last()?.auto).toBe(true)
    a.stop()
  })

  it('activity keeps it online; a manual state other than online always wins', async () => {
    const a = make()
    await a.load()
    await a.setAwayAfter(10_000)
    a.reportActivity()
    for (let i = 0; i < 5; i++) {
      await vi.advanceTimersByTimeAsync(8_000)
      a.reportActivity()
    }
    expect(announced.some(u => u.auto)).toBe(false)
    await a.setManual({ status: 'dnd' })
    await vi.advanceTimersByTimeAsync(60_000)
    expect(last()).toEqual({ status: 'dnd', auto: false })
    a.stop()
  })

  it('never without a reported activity, nor when turned off; the setting is stored and checked', async () => {
    const a = make()
    await a.load()
    await a.setAwayAfter(5_000)
    await vi.advanceTimersByTimeAsync(60_000)
    expect(announced).toEqual([])
    a.reportActivity()
    await vi.advanceTimersByTimeAsync(6_000)
    expect(last()?.auto).toBe(true)
    // turning it off while away comes back at once
    await a.setAwayAfter(null)
    expect(last()).toEqual({ status: 'online', auto: false })
    await vi.advanceTimersByTimeAsync(60_000)
    expect(last()?.auto).toBe(false)
    a.stop()
    const b = make()
    await b.load()
    expect(b.state().awayAfterMs).toBeNull()
    await expect(b.setAwayAfter(10)).rejects.toMatchObject({ name: 'InvalidOptionError' })
    b.stop()
  })
})
