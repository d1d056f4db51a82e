import { describe, expect, it } from 'vitest'
import { FUZZ_TARGETS, fuzzTarget } from '../../bench/fuzz.js'
import { presenceEnvelopeTarget } from '../../bench/fuzz-presence.js'
import type { FuzzTarget } from '../../bench/fuzz.js'

describe('fuzzing of network decoders (small count; npm run fuzz runs 100,000)', () => {
  for (const target of FUZZ_TARGETS) {
    it(`${target.name}: no crash and nothing invalid accepted in 500 mutated inputs (fixed seed)`, async () => {
      const r = await fuzzTarget(target, 500, 7)
      expect(r.crashes).toEqual([])
      expect(r.invalidAccepted).toEqual([])
      // the run exercised both sides of the decoder
      expect(r.accepted).toBeGreaterThan(0)
      if (target.acceptsAll !== true) expect(r.rejected).toBeGreaterThan(0)
    })
  }

  it('the oracle catches a decoder that accepts everything, and the driver catches a throwing one', async () => {
    const lax: FuzzTarget = {
      name: 'lax',
      setup: async (random) => {
        const c = await presenceEnvelopeTarget.setup(random)
        return { ...c, decode: async (input, rnd) => ({ ...(await c.decode(input, rnd)), accepted: true, value: { presentity: 'x' }, context: { now: 0 } }) }
      }
    }
    const r = await fuzzTarget(lax, 300, 3)
    expect(r.invalidAccepted.length).toBeGreaterThan(0)

    const throwing: FuzzTarget = {
      name: 'throwing',
      setup: async (random) => {
        const c = await presenceEnvelopeTarget.setup(random)
        return { ...c, decode: async (input) => { if (input.length < 50) throw new Error('boom'); return { accepted: false } } }
      }
    }
    expect((await fuzzTarget(throwing, 300, 3)).crashes.length).toBeGreaterThan(0)
  })
})
