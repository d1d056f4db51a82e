/**
 * AutoNAT's dial-back is a real dial: one address opens a new connection
 * (`force`), so the connection the request came on is never handed back and
 * closed; the random walk's dials (a peer's address list, or a peer id) still
 * reuse a connection.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { expect, it } from 'vitest'
import { forceDialBacks } from '../../../node/discovery/autonat.js'

it('forces a dial of one address, and only that', async () => {
  const calls: Array<{ target: string, force?: boolean, signal?: AbortSignal }> = []
  const manager = {
    openConnection: async (target: any, options: any = {}) => { calls.push({ target: String(target), force: options.force, signal: options.signal }); return {} as any },
    getConnections: () => []
  }
  const cm = forceDialBacks(manager as any)
  const peer = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
  const addr = multiaddr(`/ip4/16.0.0.1/tcp/4791/p2p/${peer.toString()}`)
  const signal = AbortSignal.timeout(1_000)
  await cm.openConnection(addr, { signal })
  await cm.openConnection([addr])
  await cm.openConnection(peer)
  expect(calls.map(c => c.force)).toEqual([true, undefined, undefined])
  expect(calls[0].signal).toBe(signal)
  // everything else is the manager's own
  expect(cm.getConnections()).toEqual([])
})
