/** The admission rules alone (pure): quotas per path, one slot per requester, nobody pushed out. */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { admit, pathOf, viaOf } from '../../../node/contacts/admission.js'
import type { AdmissionLimits, RequestPath } from '../../../node/contacts/admission.js'
import type { PendingRequest } from '../../../node/contacts/consent.js'

const LIMITS: AdmissionLimits = { perCode: 3, direct: 2, total: 6 }

function pending (from: string, path: RequestPath): PendingRequest {
  return { requestId: from, peerId: from, sentAt: 0, at: 0, via: viaOf(path) }
}

describe('admission', () => {
  it('one slot per requester, a quota per path and per code, a total; full means busy', () => {
    const m = new Map<string, PendingRequest>()
    const put = (from: string, path: RequestPath): string => {
      const v = admit(m, from, path, LIMITS)
      if (v !== 'busy') m.set(from, pending(from, path))
      return v
    }
    expect([put('d1', { kind: 'direct' }), put('d2', { kind: 'direct' }), put('d3', { kind: 'direct' })]).toEqual(['store', 'store', 'busy'])
    expect(put('d1', { kind: 'direct' })).toBe('replace')
    expect([1, 2, 3, 4].map(i => put(`c${i}`, { kind: 'code', code: 'one' }))).toEqual(['store', 'store', 'store', 'busy'])
    // another code has its own quota, until the total is reached
    expect([1, 2].map(i => put(`e${i}`, { kind: 'code', code: 'two' }))).toEqual(['store', 'busy'])
    expect(m.size).toBe(LIMITS.total)
    expect(pathOf(m.get('c1')!)).toEqual({ kind: 'code', code: 'one' })
  })

  it('whatever arrives in whatever order: bounds hold, nobody pending is ever dropped, busy only when full', () => {
    const arrival = fc.record({
      from: fc.integer({ min: 0, max: 15 }).map(n => `p${n}`),
      path: fc.oneof(fc.constant<RequestPath>({ kind: 'direct' }), fc.constantFrom('one', 'two', 'three').map((code): RequestPath => ({ kind: 'code', code })))
    })
    fc.assert(fc.property(fc.array(arrival, { maxLength: 60 }), (arrivals) => {
      const m = new Map<string, PendingRequest>()
      for (const { from, path } of arrivals) {
        const before = new Set(m.keys())
        const mine = m.get(from)
        const samePath = mine != null && JSON.stringify(pathOf(mine)) === JSON.stringify(path)
        const same = [...m.values()].filter(r => r !== mine && JSON.stringify(pathOf(r)) === JSON.stringify(path)).length
        const quota = path.kind === 'code' ? LIMITS.perCode : LIMITS.direct
        const v = admit(m, from, path, LIMITS)
        if (samePath) expect(v).toBe('replace')
        else if (v === 'busy') expect((mine == null && m.size >= LIMITS.total) || same >= quota).toBe(true)
        else expect(v).toBe(mine != null ? 'replace' : 'store')
        if (v !== 'busy') m.set(from, pending(from, path))
        for (const k of before) expect(m.has(k)).toBe(true)
        expect(m.size).toBeLessThanOrEqual(LIMITS.total)
        for (const p of new Set([...m.values()].map(r => JSON.stringify(pathOf(r))))) {
          const q = JSON.parse(p).kind === 'code' ? LIMITS.perCode : LIMITS.direct
          expect([...m.values()].filter(r => JSON.stringify(pathOf(r)) === p).length).toBeLessThanOrEqual(q)
        }
      }
    }))
  })
})
