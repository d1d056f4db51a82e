import fc from 'fast-check'
import { toString } from 'uint8arrays/to-string'
import { describe, expect, it } from 'vitest'
import { pubsubOptions } from '../../node/pubsub.js'
import { messageId, messageIdString } from '../../node/pubsub-message-id.js'
import { sha256 } from 'multiformats/hashes/sha2'
import { groupTopic } from '../../protocol/group-crypto.js'
import { entryHash } from '../../protocol/group-entry.js'

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

describe('gossipsub message ids', () => {
  it('are gossipsub\'s StrictNoSign ids on every topic, for data of any length and views at any offset', async () => {
    const topics = ['/presence-mesh/presence/1', groupTopic(new Uint8Array(16).fill(3))]
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 600 }), fc.nat(7), fc.constantFrom(...topics), async (bytes, head, topic) => {
      const backing = new Uint8Array(head + bytes.length).fill(0x5a)
      backing.set(bytes, head)
      const msg = { type: 'unsigned' as const, topic, data: backing.subarray(head) }
      // gossipsub's StrictNoSign msgIdFn (utils/msgIdFn.js, not exported) is multiformats' sha256.encode of the data
      expect(messageId(msg)).toEqual(await sha256.encode(msg.data))
    }), { numRuns: 300 })
  })

  it('on a group topic are the entry\'s hash, taken once for the feed and for gossipsub', () => {
    const data = Uint8Array.from({ length: 303 }, (_, i) => i)
    const id = messageId({ type: 'unsigned', topic: groupTopic(new Uint8Array(16).fill(3)), data })
    // the reader's (or the writer's) hash of the same bytes is the digest gossipsub took, not a second one
    expect(entryHash(data)).toBe(id)
    // another topic's data is not remembered
    const other = Uint8Array.from(data)
    expect(entryHash(other)).not.toBe(messageId({ type: 'unsigned', topic: '/presence-mesh/presence/1', data: other }))
  })

  it('are made natively in the options every pubsub is built with', () => {
    for (const opts of [{}, { sharedHostMesh: true }]) {
      expect(pubsubOptions(opts).msgIdFn).toBeTypeOf('function')
      expect(pubsubOptions(opts).msgIdFn).toBe(messageId)
    }
  })
})
