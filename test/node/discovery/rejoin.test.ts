/** Rejoin with a stubbed peer store and connection manager. */
import { fromString as uint8ArrayFromString } from 'uint8arrays/from-string'
import { toString as uint8ArrayToString } from 'uint8arrays/to-string'
import { expect, it } from 'vitest'
import { LAST_CONNECTED_KEY } from '../../../node/discovery/constants.js'
import { DefaultRejoin, mostRecentlyConnected } from '../../../node/discovery/rejoin.js'
import { waitFor } from '../../helpers.js'
import { connection, libp2pEvents, logger, peer, peerIds, StubConnectionManager, StubPeerStore } from './stubs.js'
import type { Peer, PeerId } from '@libp2p/interface'

const ADDR = ['/ip4/127.0.0.1/tcp/4001']
const at = (ms: number): Record<string, Uint8Array> => ({ [LAST_CONNECTED_KEY]: uint8ArrayFromString(String(ms)) })
const names = (ids: PeerId[], all: PeerId[]): number[] => ids.map(id => all.findIndex(p => p.equals(id))).sort((a, b) => a - b)

async function setup (maxPeers: number, dialAtStart = true): Promise<{ ids: PeerId[], cm: StubConnectionManager, ps: StubPeerStore, rejoin: DefaultRejoin, events: ReturnType<typeof libp2pEvents> }> {
  const ids = await peerIds(9)
  const [self] = ids
  const peers: Peer[] = [
    peer(self, { addresses: ADDR, metadata: at(9_000) }), // never dials itself
    peer(ids[1], { addresses: ADDR, metadata: at(1_000) }),
    peer(ids[2], { addresses: ADDR, metadata: at(5_000) }),
    peer(ids[3], { addresses: ADDR, metadata: at(3_000) }),
    peer(ids[4], { addresses: [], metadata: at(8_000) }), // no address to dial
    peer(ids[5], { addresses: ADDR }), // never connected
    peer(ids[6], { addresses: ADDR, metadata: at(7_000) }), // connected already
    peer(ids[7], { addresses: ADDR, metadata: at(6_000) }),
    peer(ids[8], { addresses: ADDR, metadata: { [LAST_CONNECTED_KEY]: uint8ArrayFromString('garbage') } })
  ]
  const cm = new StubConnectionManager()
  cm.connected.add(ids[6].toString())
  const ps = new StubPeerStore(peers)
  const events = libp2pEvents()
  const rejoin = new DefaultRejoin({ peerId: self, peerStore: ps, connectionManager: cm, events, logger }, { maxPeers, dialAtStart })
  rejoin.start()
  rejoin.afterStart()
  return { ids, cm, ps, rejoin, events }
}

it('dials the most recently connected peers, skipping itself, peers without addresses and open connections', async () => {
  const { ids, cm, rejoin } = await setup(3)
  // the three most recent dialable peers are 6 (connected already), 7 and 2
  await waitFor(() => cm.dials.length >= 2, 'the rejoin dials')
  expect(names(cm.dials, ids)).toEqual([2, 7])
  rejoin.stop()
})

it('dials no more than maxPeers, even when all fail', async () => {
  const { ids, cm, rejoin } = await setup(5)
  cm.dial = async () => { throw new Error('connection refused') }
  await waitFor(() => cm.dials.length >= 4, 'the rejoin dials')
  expect(names(cm.dials, ids)).toEqual([1, 2, 3, 7])
  rejoin.stop()
})

it('notes each new connection in the peer store, also with dialing at start off', async () => {
  const { ids, cm, ps, rejoin, events } = await setup(3, false)
  const before = Date.now()
  events.safeDispatchEvent('connection:open', { detail: connection(ids[5]) })
  await waitFor(() => ps.merges.length > 0, 'the connection to be noted')
  expect(ps.merges[0].peer.equals(ids[5])).toBe(true)
  const noted = Number(uint8ArrayToString(ps.merges[0].data.metadata[LAST_CONNECTED_KEY]))
  expect(noted).toBeGreaterThanOrEqual(before)
  expect(noted).toBeLessThanOrEqual(Date.now())
  expect(cm.dials).toEqual([])

  rejoin.stop()
  events.safeDispatchEvent('connection:open', { detail: connection(ids[6]) })
  expect(ps.merges).toHaveLength(1)
})

it('orders by last connection, an unreadable time last', async () => {
  const ids = await peerIds(3)
  const peers = [
    peer(ids[0], { metadata: { [LAST_CONNECTED_KEY]: uint8ArrayFromString('NaN') } }),
    peer(ids[1], { metadata: at(10) }),
    peer(ids[2], { metadata: at(20) })
  ]
  expect(mostRecentlyConnected(peers, 3)).toEqual([ids[2], ids[1], ids[0]])
  expect(mostRecentlyConnected(peers, 1)).toEqual([ids[2]])
})
