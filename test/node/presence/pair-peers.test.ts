/**
 * Which peers presence keeps a pair topic with (node/presence/pair-peers.ts):
 * connected ones, and for a grace after their last connection closed; with
 * libp2p's events and connection manager stubbed.
 */
import { TypedEventEmitter } from '@libp2p/interface'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { PairPeers } from '../../../node/presence/pair-peers.js'
import type { PeerId } from '@libp2p/interface'

const peer = (id: string): PeerId => ({ toString: () => id }) as unknown as PeerId

afterEach(() => { vi.useRealTimers() })

describe('pair peers', () => {
  it('counts connections open before the start, tells each change once, keeps a peer for the grace and forgets everything at stop', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    const events = new TypedEventEmitter<any>()
    const changed: string[] = []
    const peers = new PairPeers({ events, connectionManager: { getConnections: () => [{ remotePeer: peer('early') }] as any } }, 1_000, p => { changed.push(p) })
    peers.start()
    expect(peers.has('early')).toBe(true)
    expect(peers.has('a')).toBe(false)

    events.safeDispatchEvent('peer:connect', { detail: peer('a') })
    expect(peers.has('a')).toBe(true)
    expect(changed).toEqual(['a'])
    // gone, back within the grace: no change either way
    events.safeDispatchEvent('peer:disconnect', { detail: peer('a') })
    expect(peers.has('a')).toBe(true)
    vi.advanceTimersByTime(999)
    events.safeDispatchEvent('peer:connect', { detail: peer('a') })
    vi.advanceTimersByTime(5_000)
    expect(peers.has('a')).toBe(true)
    expect(changed).toEqual(['a'])
    // gone for the grace: one change, once it passed
    events.safeDispatchEvent('peer:disconnect', { detail: peer('a') })
    vi.advanceTimersByTime(999)
    expect(changed).toEqual(['a'])
    vi.advanceTimersByTime(1)
    expect(peers.has('a')).toBe(false)
    expect(changed).toEqual(['a', 'a'])
    // a disconnect of a peer it never saw connect starts nothing
    events.safeDispatchEvent('peer:disconnect', { detail: peer('b') })
    expect(vi.getTimerCount()).toBe(0)

    events.safeDispatchEvent('peer:disconnect', { detail: peer('early') })
    expect(vi.getTimerCount()).toBe(1)
    peers.stop()
    expect(vi.getTimerCount()).toBe(0)
    expect(peers.has('early')).toBe(false)
    expect(events.listenerCount('peer:connect') + events.listenerCount('peer:disconnect')).toBe(0)
    vi.advanceTimersByTime(5_000)
    expect(changed).toEqual(['a', 'a'])
  })
})
