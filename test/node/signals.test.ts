import { getEventListeners } from 'node:events'
import v8 from 'node:v8'
import vm from 'node:vm'
import { describe, expect, it } from 'vitest'
import { anySignal } from '../../node/signals.js'
import { waitFor } from '../helpers.js'

// a full GC on demand (setting the flag again is harmless: files share the worker)
v8.setFlagsFromString('--expose-gc')
const gc = vm.runInNewContext('gc') as () => void

describe('anySignal', () => {
  it('ends on an inline timeout even after a GC (Node 20 collects AbortSignal.any\'s unreferenced sources)', async () => {
    const longLived = new AbortController()
    const signals = Array.from({ length: 20 }, () => anySignal([longLived.signal, AbortSignal.timeout(100)]))
    for (let i = 0; i < 3; i++) {
      gc()
      await new Promise(resolve => setImmediate(resolve))
    }
    await waitFor(() => signals.every(s => s.aborted), 'every combined signal to end with its timeout', 10_000)
    expect(signals.every(s => (s.reason as Error).name === 'TimeoutError')).toBe(true)
    expect(longLived.signal.aborted).toBe(false)
  })

  it('wakes a waiter that nothing but its listener refers to, after a GC', async () => {
    const longLived = new AbortController()
    let woke = 0
    const wait = async (): Promise<void> => {
      await new Promise(resolve => { anySignal([longLived.signal, AbortSignal.timeout(2_000)]).addEventListener('abort', resolve, { once: true }) })
      woke++
    }
    for (let i = 0; i < 10; i++) void wait()
    for (let i = 0; i < 3; i++) {
      gc()
      await new Promise(resolve => setImmediate(resolve))
    }
    await waitFor(() => woke === 10, 'every waiter to wake with its timeout', 10_000)
    expect(longLived.signal.aborted).toBe(false)
  })

  it('lets go of a combined signal that only another combined signal listened to, once that one ended', async () => {
    const longLived = new AbortController()
    let collected = 0
    const registry = new FinalizationRegistry(() => { collected++ })
    for (let i = 0; i < 50; i++) {
      const inner = anySignal([longLived.signal, new AbortController().signal])
      registry.register(inner, i)
      const outer = anySignal([inner, AbortSignal.timeout(10)])
      await new Promise(resolve => { outer.addEventListener('abort', resolve, { once: true }) })
    }
    for (let i = 0; i < 5 && collected < 50; i++) {
      gc()
      await new Promise(resolve => setTimeout(resolve, 20))
    }
    expect(collected).toBeGreaterThan(40)
  })

  it('ends when any source ends, with its reason', () => {
    const a = new AbortController()
    const b = new AbortController()
    const s = anySignal([a.signal, b.signal])
    expect(s.aborted).toBe(false)
    b.abort(new Error('b ended'))
    expect(s.aborted).toBe(true)
    expect((s.reason as Error).message).toBe('b ended')
  })

  it('holds one listener on a source, however many signals combine it', () => {
    const longLived = new AbortController()
    const combined = Array.from({ length: 50 }, () => anySignal([longLived.signal, new AbortController().signal]))
    expect(getEventListeners(longLived.signal, 'abort')).toHaveLength(1)
    longLived.abort(new Error('stopped'))
    expect(combined.every(s => s.aborted && (s.reason as Error).message === 'stopped')).toBe(true)
  })

  it('leaves nothing on a long-lived source for the combined signals nobody waits on any more', async () => {
    const longLived = new AbortController()
    const heapAfterGc = async (): Promise<number> => {
      for (let i = 0; i < 4; i++) {
        gc()
        await new Promise(resolve => setTimeout(resolve, 20))
      }
      return process.memoryUsage().heapUsed
    }
    const round = async (): Promise<number> => {
      for (let i = 0; i < 20_000; i++) anySignal([longLived.signal, new AbortController().signal])
      return await heapAfterGc()
    }
    // the first round sets the sizes of what is reused (code, tables); four more add nothing that stays. Node 20's
    // AbortSignal.any keeps a WeakRef per combined signal in a set on the source for good: about 4 MiB over 80,000
    // (the bound leaves room for what other test files sharing this worker still allocate)
    const first = await round()
    let last = first
    for (let i = 0; i < 4; i++) last = await round()
    expect(last - first).toBeLessThan(2 * 2 ** 20)
    expect(longLived.signal.aborted).toBe(false)
  })
})
