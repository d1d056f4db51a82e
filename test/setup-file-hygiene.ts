/**
 * vitest runs many files in one worker process (isolate: false in
 * vitest.config.ts): fake timers a file leaves installed would be the next
 * file's clock, and its first vi.useFakeTimers() throws "twice". A file that
 * ends with them installed fails here. A fake Date can also outlive
 * vi.useRealTimers() (a spy on it, restored by restoreMocks after the
 * timers): vitest then believes the clock real, so the next file finds it
 * at its start, puts the real Date back and fails, naming the cause. The
 * same for a timer function left replaced (a wrapper over a fake one, which
 * vi.useRealTimers() deletes or leaves in place): without this, an innocent
 * file after it failed on a missing setImmediate, or hung until the test
 * timeout (120 s).
 */
import { afterAll, beforeAll, expect, vi } from 'vitest'
import { REAL_DATE, REAL_TIMERS, TIMER_NAMES } from './real-clock.js'

const fakeDate = (): boolean => (globalThis.Date as { isFake?: boolean }).isFake === true

beforeAll(() => {
  if (vi.isFakeTimers()) return
  const timers = TIMER_NAMES.filter(n => globalThis[n] !== REAL_TIMERS[n])
  for (const n of timers) Object.assign(globalThis, { [n]: REAL_TIMERS[n] })
  if (timers.length > 0) throw new Error(`a file run before this one in this worker left ${timers.join(', ')} replaced (a wrapper or spy over a fake timer, left after vi.useRealTimers()?): restore such a wrapper before the timers`)
  if (!fakeDate()) return
  globalThis.Date = REAL_DATE
  throw new Error('a file run before this one in this worker left a fake Date (a spy on the fake Date, restored after vi.useRealTimers()?): restore such a spy before the timers')
})

afterAll(() => {
  if (!vi.isFakeTimers()) return
  vi.useRealTimers()
  throw new Error(`${expect.getState().testPath ?? 'this file'} left fake timers installed: restore them after each test that installs them`)
})
