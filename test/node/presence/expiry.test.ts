/**
 * Expiry judged against the watcher's own lag: a watcher too busy to read
 * what arrived does not show a live presentity offline (docs/protocol.md §5).
 */
import { afterEach, describe, expect, it } from 'vitest'
import { EXPIRY_LAG_TOLERANCE_MS, expiryRecheckMs } from '../../../node/presence/expiry.js'
import { cleanupHomes, LOOPBACK, PUBLIC, startNode, tmpHome, waitFor } from '../../helpers.js'
import { killAllNodes, spawnNode } from '../../process-helpers.js'
import type { PresenceEventDetail } from '../../../node/presence/index.js'

afterEach(async () => {
  await killAllNodes()
  await cleanupHomes()
})

describe('expiryRecheckMs', () => {
  const TTL = 6_000
  const expiresAt = 100_000

  it('a timer on time looks once more after one turn of the event loop, then expires', () => {
    expect(expiryRecheckMs(expiresAt, expiresAt, expiresAt + 3, TTL)).toBe(1)
    expect(expiryRecheckMs(expiresAt, expiresAt + 1, expiresAt + 2, TTL)).toBe(0)
  })

  it('a late timer waits as long again as it was late, within a third of the lifetime in all', () => {
    expect(expiryRecheckMs(expiresAt, expiresAt, expiresAt + 700, TTL)).toBe(700)
    // late again on the second look: the rest of the grace (2,000 ms in all)
    expect(expiryRecheckMs(expiresAt, expiresAt + 700, expiresAt + 1_800, TTL)).toBe(200)
    expect(expiryRecheckMs(expiresAt, expiresAt + 1_800, expiresAt + 2_000 + EXPIRY_LAG_TOLERANCE_MS + 1, TTL)).toBe(0)
    // blind for longer than the grace: offline now
    expect(expiryRecheckMs(expiresAt, expiresAt, expiresAt + 2_500, TTL)).toBe(0)
  })
})

it('a watcher whose event loop was blocked past the expiry still shows a live presentity online; a crash still shows', async () => {
  const TTL = 3_000
  const presence = { ttlMs: TTL }
  // the presentity runs in its own process, so it keeps sending while the watcher is blocked
  const bob = await spawnNode({ home: await tmpHome('bob'), listen: LOOPBACK, sharedHost: true, presence, roster: PUBLIC })
  const alice = await startNode({ bootstrap: bob.addresses, presence, roster: PUBLIC })
  try {
    const events: PresenceEventDetail[] = []
    alice.presence.addEventListener('presence', (e) => { events.push(e.detail) })
    await alice.watch(bob.peerId, 'bob')
    await waitFor(() => alice.presence.get(bob.peerId)?.status === 'online', 'alice to see bob online')

    // right after a record, block alice for longer than the record lives: the expiry timer is due while
    // she cannot read, and bob's next records wait in her socket
    await new Promise<void>(resolve => {
      const onRecord = (e: CustomEvent<PresenceEventDetail>): void => {
        if (e.detail.cause !== 'record') return
        alice.presence.removeEventListener('presence', onRecord)
        const until = Date.now() + TTL + 500
        while (Date.now() < until) { /* a starved process */ }
        resolve()
      }
      alice.presence.addEventListener('presence', onRecord)
    })
    const after = events.length
    await waitFor(() => events.slice(after).some(e => e.cause === 'record'), 'the records that waited to be read', 20_000)
    expect(events.slice(after).filter(e => e.view.status === 'offline')).toEqual([])
    expect(alice.presence.get(bob.peerId)?.status).toBe('online')

    const killedAt = Date.now()
    await bob.kill()
    await waitFor(() => alice.presence.get(bob.peerId)?.status === 'offline', 'bob to expire after the crash', 20_000)
    const expired = events.find(e => e.cause === 'expired')
    expect(expired?.lateMs).toBeLessThanOrEqual(TTL / 3 + 1_000)
    expect(Date.now() - killedAt).toBeLessThan(2 * TTL + 2_000)
  } finally {
    await alice.stop()
  }
})
