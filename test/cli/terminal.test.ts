/** The paste guard alone: a fake terminal, a fake clock. */
import { EventEmitter } from 'node:events'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { guardedInput } from '../../cli/terminal.js'

let stdin: EventEmitter & { isTTY: boolean, setRawMode: (m: boolean) => void, pause: () => void, resume: () => void }
let got: string
let refused: number[]
let line: number

beforeEach(() => {
  vi.useFakeTimers()
  stdin = Object.assign(new EventEmitter(), { isTTY: true, setRawMode: () => {}, pause: () => {}, resume: () => {} })
  got = ''
  refused = []
  line = 0
  const input = guardedInput(stdin as any, 4_200, () => line, (n) => { refused.push(n) })
  input.on('data', (d: Buffer) => { got += d.toString() })
})
afterEach(() => { vi.useRealTimers() })

const type = (s: string): void => { stdin.emit('data', Buffer.from(s)) }

describe('the paste guard', () => {
  it('passes keys at once, and a paste that fits after the chunks stop', async () => {
    type('h')
    type('i')
    await vi.advanceTimersByTimeAsync(0)
    expect(got).toBe('hi')
    type('a'.repeat(1_000))
    type('b'.repeat(1_000))
    await vi.advanceTimersByTimeAsync(0)
    expect(got).toBe('hi')
    await vi.advanceTimersByTimeAsync(200)
    expect(got).toBe('hi' + 'a'.repeat(1_000) + 'b'.repeat(1_000))
    expect(refused).toEqual([])
  })

  it('drops a paste too long for a line whole, its late chunks with it, until a key is typed', async () => {
    line = 9
    for (let i = 0; i < 25; i++) type('x'.repeat(4_000))
    await vi.advanceTimersByTimeAsync(200)
    expect(refused).toEqual([100_000])
    type('y'.repeat(4_000))
    await vi.advanceTimersByTimeAsync(200)
    expect(refused).toEqual([100_000])
    type('\r')
    type('z'.repeat(300))
    await vi.advanceTimersByTimeAsync(200)
    expect(got).toBe('\r' + 'z'.repeat(300))
  })

  it('waits for the rest of a paste behind a chunk that filled the terminal\'s buffer, however late it comes', async () => {
    // a terminal hands over at most 4,095 bytes a read: 5,000 pasted come as 4,095 and 905, the second late on a busy machine
    type('x'.repeat(4_095))
    await vi.advanceTimersByTimeAsync(400)
    type('x'.repeat(905))
    await vi.advanceTimersByTimeAsync(200)
    expect(got).toBe('')
    expect(refused).toEqual([5_000])
    // a paste of exactly one full read fits, and goes in once nothing follows it
    type('\r')
    got = ''
    type('y'.repeat(4_095))
    await vi.advanceTimersByTimeAsync(400)
    expect(got).toBe('')
    await vi.advanceTimersByTimeAsync(1_000)
    expect(got).toBe('y'.repeat(4_095))
    expect(refused).toEqual([5_000])
  })
})
