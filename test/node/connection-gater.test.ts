import { afterEach, describe, expect, it } from 'vitest'
import { cleanupHomes, LOOPBACK, PUBLIC, tmpHome, waitFor } from '../helpers.js'
import { killAllNodes, spawnNode } from '../process-helpers.js'
import type { PresenceView } from '../../node/presence/index.js'

afterEach(async () => {
  await killAllNodes()
  await cleanupHomes()
})

// the chaos run partitions the mesh this way: deny cuts and refuses links, allowAll lifts it
describe('connection gater (fixture deny/allowAll)', () => {
  it('a denied contact drops offline, and comes back after allowAll and a dial', async () => {
    // a lifetime a starved process can still keep up with (CI shares 2 cores with other work)
    const presence = { ttlMs: 5_000 }
    const bob = await spawnNode({ home: await tmpHome('bob'), listen: LOOPBACK, presence, roster: PUBLIC })
    const alice = await spawnNode({ home: await tmpHome('alice'), listen: LOOPBACK, bootstrap: bob.addresses, presence, roster: PUBLIC })
    await alice.call('watch', bob.peerId, 'bob')
    const bobSeen = async (): Promise<string | undefined> => (await alice.call<PresenceView[]>('who')).find(v => v.peerId === bob.peerId)?.status
    await waitFor(async () => await bobSeen() === 'online', 'alice to see bob online')

    await alice.call('deny', [bob.peerId])
    expect(await alice.call<string[]>('connections')).not.toContain(bob.peerId)
    await expect(alice.call('dial', bob.addresses[0])).rejects.toThrow()
    await waitFor(async () => await bobSeen() === 'offline', 'bob to expire at alice')

    await alice.call('allowAll')
    await alice.call('dial', bob.addresses[0])
    await waitFor(async () => await bobSeen() === 'online', 'bob online again after the heal')
  })
})
