/**
 * connectTo (node/connect.ts), with a stubbed libp2p: a connect that joined
 * a dial already under way (libp2p's dial queue holds one per peer) is not
 * answered by that dial's failure. That dial began under what the far end
 * knew then: a node that had not yet learnt of a contact's new device
 * refused it, and a connect made once it had was refused with it
 * (test/node/devices/devices.test.ts failed so about one run in ten).
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { describe, expect, it } from 'vitest'
import { connectTo } from '../../node/connect.js'
import type { PresenceLibp2p } from '../../node/libp2p.js'
import type { DialOptions, DialTarget, PeerId } from '@libp2p/interface'

type Outcome = 'joined-refused' | 'refused' | 'ok'

/** A libp2p whose dials end as `outcomes` says, one per dial, and whose peer answers pings. */
function stubLibp2p (peer: PeerId, outcomes: Outcome[]): { libp2p: PresenceLibp2p, dials: () => number } {
  let dials = 0
  const dial = async (_target: DialTarget, options: DialOptions = {}): Promise<{ remotePeer: PeerId }> => {
    const outcome = outcomes[dials++] ?? 'refused'
    if (outcome === 'joined-refused') options.onProgress?.(new CustomEvent('dial-queue:already-in-dial-queue') as any)
    if (outcome !== 'ok') throw Object.assign(new Error('Remote closed connection during opening'), { name: 'ConnectionClosedError' })
    return { remotePeer: peer }
  }
  const libp2p = { dial, services: { ping: { ping: async () => 1 } } } as unknown as PresenceLibp2p
  return { libp2p, dials: () => dials }
}

describe('connectTo', () => {
  it('dials once more when the dial it joined failed, and connects', async () => {
    const peer = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
    const { libp2p, dials } = stubLibp2p(peer, ['joined-refused', 'ok'])
    await connectTo(libp2p, `/ip4/127.0.0.1/tcp/4001/p2p/${peer.toString()}`, 5000)
    expect(dials()).toBe(2)
  })

  it('takes a refusal of its own dial as the answer: PeerUnreachableError after one dial', async () => {
    const peer = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
    const { libp2p, dials } = stubLibp2p(peer, ['refused', 'ok'])
    await expect(connectTo(libp2p, peer.toString(), 5000)).rejects.toMatchObject({ name: 'PeerUnreachableError' })
    expect(dials()).toBe(1)
  })

  it('dials once more at most: a peer that refuses that dial too is unreachable', async () => {
    const peer = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
    const { libp2p, dials } = stubLibp2p(peer, ['joined-refused', 'joined-refused', 'ok'])
    await expect(connectTo(libp2p, peer.toString(), 5000)).rejects.toMatchObject({ name: 'PeerUnreachableError' })
    expect(dials()).toBe(2)
  })
})
