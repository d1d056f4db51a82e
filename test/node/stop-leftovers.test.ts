/**
 * What js-libp2p leaves armed at stop: the address manager's and identify
 * push's one-second debounces (node/stop-leftovers.ts, node/reach/identify.ts).
 * Armed after a node stopped, either kept its process up for that second.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { TypedEventEmitter } from '@libp2p/interface'
import { defaultLogger } from '@libp2p/logger'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { debounce } from '@libp2p/utils'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { privateIdentifyPush } from '../../node/reach/identify.js'
import { stopLeftovers } from '../../node/stop-leftovers.js'
import type { ReachPolicy } from '../../node/reach/policy.js'
import type { IdentifyPushComponents } from '@libp2p/identify'
import type { Startable } from '@libp2p/interface'

/** identify push as privateIdentifyPush makes it, on components enough for a push (no connections). */
async function identifyPushOf (): Promise<{ push: Startable, events: TypedEventEmitter<Record<string, CustomEvent>>, getAddresses: ReturnType<typeof vi.fn> }> {
  const privateKey = await generateKeyPair('Ed25519')
  const events = new TypedEventEmitter<Record<string, CustomEvent>>()
  const getAddresses = vi.fn(() => [])
  const components = {
    peerId: peerIdFromPrivateKey(privateKey),
    privateKey,
    events,
    logger: defaultLogger(),
    nodeInfo: { name: 'test', version: '0', userAgent: 'test' },
    connectionManager: { getConnections: () => [] },
    registrar: { handle: async () => {}, unhandle: async () => {}, getProtocols: () => [] },
    peerStore: { merge: async () => {}, get: async () => ({ metadata: new Map() }) },
    addressManager: { getAddresses }
  }
  const policy = { showsAddressesTo: () => true } as unknown as ReachPolicy
  const push = privateIdentifyPush(policy)(components as unknown as IdentifyPushComponents) as unknown as Startable
  return { push, events, getAddresses }
}

beforeEach(() => { vi.useFakeTimers() })
afterEach(() => { vi.useRealTimers() })

describe('what js-libp2p leaves armed at stop', () => {
  it('the address manager\'s peer-store update, armed by the transports closing, is cancelled once every component stopped', async () => {
    const update = vi.fn()
    // as libp2p's AddressManager holds it: debounce(this._updatePeerStoreAddresses, 1000), called on transport:close
    const addressManager = { _updatePeerStoreAddresses: debounce(update, 1000) }
    const service = stopLeftovers()({ addressManager }) as Startable
    addressManager._updatePeerStoreAddresses()
    expect(vi.getTimerCount()).toBe(1)
    await service.afterStop?.()
    expect(vi.getTimerCount()).toBe(0)
    await vi.advanceTimersByTimeAsync(2_000)
    expect(update).not.toHaveBeenCalled()
  })

  it('identify push arms no push once stopped, and its stop ends one armed before', async () => {
    const { push, events } = await identifyPushOf()
    await push.start()
    events.safeDispatchEvent('self:peer:update', { detail: {} })
    expect(vi.getTimerCount()).toBe(1)
    await push.stop()
    expect(vi.getTimerCount()).toBe(0)
    // the transports close after the services stopped: their address change arms nothing
    events.safeDispatchEvent('self:peer:update', { detail: {} })
    expect(vi.getTimerCount()).toBe(0)
  })

  it('a node started again after a stop updates its peer-store entry and pushes identify as before', async () => {
    const update = vi.fn()
    const addressManager = { _updatePeerStoreAddresses: debounce(update, 1000) }
    const leftovers = stopLeftovers()({ addressManager }) as Startable
    const { push, events, getAddresses } = await identifyPushOf()
    await push.start()
    await push.stop()
    await leftovers.afterStop?.()
    // the second start: the transports listen again, the address change is pushed
    await push.start()
    await leftovers.start()
    addressManager._updatePeerStoreAddresses()
    events.safeDispatchEvent('self:peer:update', { detail: {} })
    expect(vi.getTimerCount()).toBe(2)
    await vi.advanceTimersByTimeAsync(1_000)
    expect(update).toHaveBeenCalledTimes(1)
    // identify push's sendPushMessage ran (it reads the addresses only when started)
    expect(getAddresses).toHaveBeenCalledTimes(1)
  })
})
