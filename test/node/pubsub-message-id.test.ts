import fc from 'fast-check'
import { toString } from 'uint8arrays/to-string'
import { describe, expect, it } from 'vitest'
import { pubsubOptions } from '../../node/pubsub.js'
import { messageIdString } from '../../node/pubsub-message-id.js'

// gossipsub's default msgIdToStrFn (@libp2p/gossipsub utils/messageIdToString.js, not exported)
const gossipsubDefault = (id: Uint8Array): string => toString(id, 'base64')

describe('gossipsub message id strings', () => {
  it('are the strings of gossipsub\'s default, for ids of any length and views at any offset', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 80 }), fc.nat(7), fc.nat(7), (bytes, head, tail) => {
      const backing = new Uint8Array(head + bytes.length + tail).fill(0xa5)
      backing.set(bytes, head)
      const view = backing.subarray(head, head + bytes.length)
      expect(messageIdString(view)).toBe(gossipsubDefault(bytes))
    }), { numRuns: 500 })
    // SHA-256 ids (StrictNoSign's msgIdFn): one '=' of padding dropped
    expect(messageIdString(new Uint8Array(32).fill(255))).toBe('/'.repeat(42) + '8')
  })

  it('are made by node\'s encoder in the options every pubsub is built with', () => {
    for (const opts of [{}, { sharedHostMesh: true }]) expect(pubsubOptions(opts).msgIdToStrFn).toBe(messageIdString)
  })
})
