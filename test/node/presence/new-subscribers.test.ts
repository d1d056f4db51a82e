/**
 * Who is owed a fresh record after subscribing (node/presence/new-subscribers.ts):
 * a contact whose re-announcements reach nobody (gossipsub's stream to it
 * still opening, which under load takes seconds) is tried again, each wait
 * twice the last, until one reaches it or for about 16 s (the heartbeat,
 * 20 s by default, is the fallback); one reached is not tried again.
 */
import { afterEach, expect, it, vi } from 'vitest'
import { NewSubscribers, REANNOUNCE_ATTEMPTS } from '../../../node/presence/new-subscribers.js'

afterEach(() => { vi.useRealTimers() })

/** A NewSubscribers whose announcements reach `reaches()` of the contacts they name; returns when each ran (ms after start). */
function setup (debounceMs: number, reaches: (id: string, n: number) => boolean): { subs: NewSubscribers, at: number[] } {
  const at: number[] = []
  const start = Date.now()
  const subs: NewSubscribers = new NewSubscribers(debounceMs, (ids) => {
    at.push(Date.now() - start)
    const n = subs.announcing()
    subs.reached(n, ids.filter(id => reaches(id, at.length)))
  })
  return { subs, at }
}

it('a contact that no re-announcement reaches is tried again, each wait twice the last, for about 16 s in all', () => {
  vi.useFakeTimers()
  const { subs, at } = setup(250, () => false)
  subs.subscribed('pair-b', 'B', false)
  vi.advanceTimersByTime(60_000)
  expect(at).toEqual([250, 750, 1_750, 3_750, 7_750, 15_750])
  expect(at).toHaveLength(REANNOUNCE_ATTEMPTS)
  subs.stop()
})

it('stops once an announcement reached it, and a reached contact is not announced again', () => {
  vi.useFakeTimers()
  const { subs, at } = setup(250, (_id, n) => n >= 3)
  subs.subscribed('pair-b', 'B', false)
  vi.advanceTimersByTime(60_000)
  expect(at).toEqual([250, 750, 1_750])
  // a heartbeat that reached it after a new subscription was seen covers it
  subs.subscribed('pair-b', 'B', false)
  subs.reached(subs.announcing(), ['pair-b'])
  vi.advanceTimersByTime(60_000)
  expect(at).toHaveLength(3)
  subs.stop()
})
