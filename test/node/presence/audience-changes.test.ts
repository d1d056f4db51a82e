/**
 * audienceChanges: the linear diff the presence service runs at every roster
 * or own presence change gives exactly what the pairwise definition gives
 * (who lost sight of the node; who is new or sees something else), in order.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { audienceChanges, sameAudience } from '../../../node/presence/audience.js'
import type { Audience } from '../../../node/presence/audience.js'
import type { CategoryKey } from '../../../protocol/categories.js'

const audience = fc.record({
  id: fc.constantFrom('public', 'a', 'b', 'c'),
  topic: fc.constantFrom('t1', 't2', 't3'),
  version: fc.constantFrom<1 | 2>(1, 2),
  categories: fc.subarray<CategoryKey>(['state', 'note', 'activity', 'app:x']).map(k => new Set(k))
}).map((a): Audience => a)

describe('audienceChanges', () => {
  it('gives what comparing every audience with every other gives, in the same order (fast-check)', () => {
    fc.assert(fc.property(fc.array(audience, { maxLength: 12 }), fc.array(audience, { maxLength: 12 }), (before, after) => {
      const { lost, changed } = audienceChanges(before, after)
      expect(lost).toEqual(before.filter(a => !after.some(b => a.id === b.id && a.topic === b.topic)))
      expect(changed).toEqual(after.filter(a => !before.some(b => sameAudience(a, b))))
    }), { numRuns: 500, seed: 12 })
  })

  it('names a contact whose categories changed, not one that stayed the same, and the one that went', () => {
    const a: Audience = { id: 'a', topic: 't1', version: 2, categories: new Set<CategoryKey>(['state']) }
    const b: Audience = { id: 'b', topic: 't2', version: 2, categories: new Set<CategoryKey>(['state']) }
    const c: Audience = { id: 'c', topic: 't3', version: 2, categories: new Set<CategoryKey>(['state']) }
    const b2: Audience = { ...b, categories: new Set<CategoryKey>(['state', 'note']) }
    expect(audienceChanges([a, b, c], [a, b2])).toEqual({ lost: [c], changed: [b2] })
  })
})
