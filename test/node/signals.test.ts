import { getEventListeners } from 'node:events'
import v8 from 'node:v8'
import vm from 'node:vm'
import { describe, expect, it } from 'vitest'
import { anySignal, dependantsOf } from '../../node/signals.js'
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
    // the bytes (and Node's AbortSignal.any beside them) are measured by `npm run bench -- --only memory.anySignal`
    const longLived = new AbortController()
    for (let i = 0; i < 2_000; i++) anySignal([longLived.signal, new AbortController().signal])
    expect(dependantsOf(longLived.signal)).toBe(2_000)
    await waitFor(async () => {
      gc()
      await new Promise(resolve => setTimeout(resolve, 20))
      return dependantsOf(longLived.signal) === 0
    }, 'the collected signals to leave the source', 30_000)
    // one still waited on stays, and still ends with the source
    const waited = anySignal([longLived.signal, new AbortController().signal])
    const ended = new Promise(resolve => { waited.addEventListener('abort', resolve, { once: true }) })
    for (let i = 0; i < 3; i++) gc()
    expect(dependantsOf(longLived.signal)).toBe(1)
    longLived.abort(new Error('stopped'))
    await ended
    expect(dependantsOf(longLived.signal)).toBe(0)
  })
})
