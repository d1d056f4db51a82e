/**
 * The contact sync service with stubbed components: an exchange with an own
 * device that fails on a connection that stays open (no new connection:open
 * will come) is tried again with backoff until it works.
 */
import '../../../node/polyfill.js'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { defaultLogger } from '@libp2p/logger'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { MemoryDatastore } from 'datastore-core'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { contactSync } from '../../../node/devices/contact-sync.js'
import { SYNC_RETRY_BASE_MS, SYNC_RETRY_CAP_MS } from '../../../node/devices/constants.js'
import type { ContactSyncComponents } from '../../../node/devices/contact-sync.js'
import type { Startable } from '@libp2p/interface'

afterEach(() => { vi.useRealTimers() })

describe('contact sync to an own device', () => {
  it('tries a failed exchange again with backoff while the connection stays open', async () => {
    const me = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
    const phone = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
    const opened: number[] = []
    const conn = {
      status: 'open',
      newStream: async () => { opened.push(Date.now()); throw new Error('stream reset') }
    }
    const roster = Object.assign(new EventTarget(), { people: () => [], get: () => undefined })
    const components = {
      peerId: me,
      datastore: new MemoryDatastore(),
      logger: defaultLogger(),
      registrar: { handle: async () => {}, unhandle: async () => {} },
      connectionManager: { getConnections: () => [conn], openConnection: async () => conn },
      events: new EventTarget(),
      roster,
      devices: { isOwnDevice: (p: string) => p === phone || p === me.toString(), devices: () => [{ peerId: me.toString() }, { peerId: phone }] }
    } as unknown as ContactSyncComponents
    vi.useFakeTimers()
    const service = contactSync()(components) as unknown as Startable
    await service.start()
    await service.afterStart?.()
    await vi.advanceTimersByTimeAsync(0)
    expect(opened).toHaveLength(1)
    // each retry within its backoff (jitter takes off up to half), none before the first base delay / 2
    await vi.advanceTimersByTimeAsync(SYNC_RETRY_BASE_MS / 2 - 1)
    expect(opened).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(SYNC_RETRY_BASE_MS / 2 + 1)
    expect(opened).toHaveLength(2)
    await vi.advanceTimersByTimeAsync(SYNC_RETRY_CAP_MS * 3)
    expect(opened.length).toBeGreaterThanOrEqual(5)
    await service.stop()
    const after = opened.length
    await vi.advanceTimersByTimeAsync(SYNC_RETRY_CAP_MS * 2)
    expect(opened).toHaveLength(after)
  })
})
