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

  it('ends when any source ends, with its reason', () => {
    const a = new AbortController()
    const b = new AbortController()
    const s = anySignal([a.signal, b.signal])
    expect(s.aborted).toBe(false)
    b.abort(new Error('b ended'))
    expect(s.aborted).toBe(true)
    expect((s.reason as Error).message).toBe('b ended')
  })
})
