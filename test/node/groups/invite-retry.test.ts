/**
 * Invite deliveries to a peer out of reach back off together: a second
 * delivery queued for the same peer must not bring the failing one back at
 * once (the timer used to fire again and again for the one still due).
 */
import { MemoryDatastore } from 'datastore-core'
import { TypedEventEmitter } from '@libp2p/interface'
import { logger } from '@libp2p/logger'
import { describe, expect, it } from 'vitest'
import { GroupStore } from '../../../node/groups/group-store.js'
import { InviteDeliveries } from '../../../node/groups/invites.js'
import { waitFor } from '../../helpers.js'
import type { InviteComponents } from '../../../node/groups/invites.js'

const PEER = '12D3KooWHP2Ve7tpkRQMJACbU4xmq9aDwL6gphLRHLJ3xB6nU5KA'
const [G1, G2] = ['0123456789abcdef0123456789abcdef', 'fedcba9876543210fedcba9876543210']

describe('group invite deliveries', () => {
  it('to an unreachable peer: every delivery waits out the backoff, none is retried in a loop', async () => {
    let dials = 0
    const components = {
      connectionManager: {
        getConnections: () => [],
        openStream: async () => { dials++; throw new Error('The dial request has no valid addresses') }
      },
      registrar: { handle: async () => {}, unhandle: async () => {} },
      events: new TypedEventEmitter(),
      roster: { isBlocked: () => false }
    } as unknown as InviteComponents
    const store = new GroupStore(new MemoryDatastore())
    const invites = new InviteDeliveries(components, store, {
      onInvitation: async () => true,
      onAnswer: async () => true,
      opsToInvite: () => [new Uint8Array([1])]
    }, logger('test:invites'))
    await invites.start()
    invites.afterStart()
    try {
      await store.store.write((tx) => {
        invites.add(tx, { to: PEER, group: G1, kind: 'invitation' })
        invites.add(tx, { to: PEER, group: G2, kind: 'invitation' })
      })
      const start = Date.now()
      // both wait for a retry at least a second away (RETRY_BASE_MS 2 s, jitter 0.5)
      await waitFor(async () => {
        const all = [...(await store.deliveries.all()).values()]
        return all.length === 2 && all.every(d => d.nextAt >= start + 900)
      }, 'both deliveries to back off', 10_000)
      // one failed dial puts the peer's whole queue off
      expect(dials).toBe(1)
    } finally {
      await invites.stop()
    }
  })
})
