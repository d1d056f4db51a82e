/**
 * WithdrawalRetry: when a withdrawal no DHT peer took is put again (after the
 * backoff, at once when the first DHT server is known, never once the record
 * it withdraws has expired or after maxTries), with fake timers and a stub
 * routing table.
 */
import { getEventListeners } from 'node:events'
import { afterEach, beforeEach, expect, it, vi } from 'vitest'
import { WithdrawalRetry } from '../../../node/util/withdrawal-retry.js'

const table = Object.assign(new EventTarget(), { size: 1 })
let runs: number[]
let expired: number
let retry: WithdrawalRetry

beforeEach(() => {
  vi.useFakeTimers()
  table.size = 1
  runs = []
  expired = 0
  retry = new WithdrawalRetry({ baseMs: 2_000, capMs: 30_000, maxTries: 10, table: () => table, retry: () => { runs.push(Date.now()) }, expired: () => { expired++ } })
})
afterEach(() => {
  retry.stop()
  vi.useRealTimers()
})

it('retries after base, 2 base, ... up to the cap, and not once the withdrawn record expired', async () => {
  const start = Date.now()
  const until = start + 60_000
  retry.notTaken(until)
  // each retry's put reaches no peer either
  for (let t = 0; t < 120; t++) {
    const before = runs.length
    await vi.advanceTimersByTimeAsync(1_000)
    if (runs.length > before) retry.notTaken(until)
  }
  // 2 s, 4 s, 8 s, 16 s apart; the next (30 s) would come at 60 s, when the record expires
  expect(runs.map(t => t - start)).toEqual([2_000, 6_000, 14_000, 30_000])
  expect(retry.waiting).toBe(false)
  expect(expired).toBe(1)
})

it('exact delays: 2 s, 4 s, 8 s, 16 s, 30 s, 30 s; taken() ends them and the next failure starts at the base again', async () => {
  const until = Date.now() + 3_600_000
  const gaps: number[] = []
  let last = Date.now()
  retry.notTaken(until)
  while (runs.length < 6) {
    await vi.advanceTimersByTimeAsync(1_000)
    if (runs.length > gaps.length) {
      gaps.push(runs.at(-1)! - last)
      last = runs.at(-1)!
      retry.notTaken(until)
    }
  }
  expect(gaps).toEqual([2_000, 4_000, 8_000, 16_000, 30_000, 30_000])
  retry.taken()
  await vi.advanceTimersByTimeAsync(60_000)
  expect(runs).toHaveLength(6)
  expect(retry.notTaken(until)).toBe(2_000)
})

it('with no DHT server known waits for the first one, then runs at once; nothing when the record expired first', async () => {
  table.size = 0
  retry.notTaken(Date.now() + 60_000)
  await vi.advanceTimersByTimeAsync(30_000)
  expect(runs).toHaveLength(0)
  table.size = 1
  table.dispatchEvent(new Event('peer:add'))
  expect(runs).toHaveLength(1)
  table.size = 0
  retry.notTaken(Date.now() + 10_000)
  await vi.advanceTimersByTimeAsync(10_000)
  expect(runs).toHaveLength(1)
  expect(expired).toBe(1)
  retry.stop()
  expect(getEventListeners(table, 'peer:add')).toHaveLength(0)
})

it('waits out a record that lives longer than one timer can (2^31 - 1 ms) without firing again and again', async () => {
  table.size = 0
  const looks = vi.spyOn(table, 'addEventListener')
  retry.notTaken(Date.now() + 30 * 86_400_000)
  await vi.advanceTimersByTimeAsync(1_000)
  // setTimeout fires at once beyond that limit: each early fire would look at the routing table again
  expect(looks.mock.calls.length).toBe(1)
  expect(runs).toHaveLength(0)
  expect(retry.waiting).toBe(true)
})

it('gives up after maxTries retries no peer took, however long the record may be served; a taken one starts the count again', async () => {
  const start = Date.now()
  const until = start + 3_600_000
  const delays: Array<number | undefined> = [retry.notTaken(until)]
  for (let t = 0; t < 3_600; t++) {
    const before = runs.length
    await vi.advanceTimersByTimeAsync(1_000)
    if (runs.length > before) delays.push(retry.notTaken(until))
  }
  // 2+4+8+16 s, then 30 s each: the tenth retry at 210 s, and no eleventh within the record's hour
  expect(runs).toHaveLength(10)
  expect(runs.at(-1)! - start).toBe(210_000)
  expect(delays.at(-1)).toBeUndefined()
  expect(retry.waiting).toBe(false)
  expect(expired).toBe(0)
  expect(retry.notTaken(until + 3_600_000)).toBe(2_000)
})

it('refuses a maxTries that is not a positive integer', () => {
  for (const maxTries of [0, -1, 1.5, Number.NaN]) {
    expect(() => new WithdrawalRetry({ baseMs: 1, capMs: 1, maxTries, table: () => table, retry: () => {} })).toThrow(/maxTries/)
  }
})
