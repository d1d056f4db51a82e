/**
 * A chat over a circuit relay (v2): the relay forwards only ciphertext. The
 * test taps every byte the relay writes to the receiver's STOP stream.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { circuitRelayServer, circuitRelayTransport, RELAY_V2_STOP_CODEC } from '@libp2p/circuit-relay-v2'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { identify } from '@libp2p/identify'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { afterEach, describe, expect, it } from 'vitest'
import { chat } from '../../node/chat/index.js'
import { openDatastore } from '../../node/datastore.js'
import { presence } from '../../node/presence/index.js'
import { roster } from '../../node/roster/index.js'
import { createPubsub } from '../../node/pubsub.js'
import { cleanupHomes, tmpHome, waitFor } from '../helpers.js'
import type { ChatService } from '../../node/chat/index.js'
import type { Libp2p } from '@libp2p/interface'

const stops: Array<() => Promise<void>> = []

afterEach(async () => {
  await Promise.all(stops.splice(0).map(async s => { await s() }))
  await cleanupHomes()
})

/** A chat node with the relay transport (the node factory gains it with the discovery work). */
async function relayedChatNode (listen: string[]): Promise<Libp2p<{ chat: ChatService }>> {
  const datastore = await openDatastore(await tmpHome('relayed'))
  const node = await createLibp2p({
    privateKey: await generateKeyPair('Ed25519'),
    datastore,
    addresses: { listen },
    transports: [tcp(), circuitRelayTransport()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: {
      identify: identify(),
      pubsub: createPubsub({ sharedHostMesh: true }),
      roster: roster({ defaultVisibility: 'public' }),
      presence: presence(),
      chat: chat({ nonContactPolicy: 'accept' })
    }
  })
  stops.push(async () => { await node.stop(); await datastore.close() })
  return node
}

describe('chat through a circuit relay', () => {
  it('reaches the receiver while the relay forwards only ciphertext', async () => {
    const relay = await createLibp2p({
      privateKey: await generateKeyPair('Ed25519'),
      addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      services: { identify: identify(), relay: circuitRelayServer() }
    })
    stops.push(async () => { await relay.stop() })
    // tap every byte the relay sends down STOP streams: after the STOP handshake,
    // that is exactly what it forwards from the sender to the receiver
    const forwarded: Uint8Array[] = []
    let stopStreams = 0
    relay.addEventListener('connection:open', ({ detail: conn }) => {
      const newStream = conn.newStream.bind(conn)
      conn.newStream = async (protocols, options) => {
        const stream = await newStream(protocols, options)
        if (stream.protocol === RELAY_V2_STOP_CODEC) {
          stopStreams++
          const send = stream.send.bind(stream)
          stream.send = (data) => { forwarded.push(data.subarray().slice()); return send(data) }
        }
        return stream
      }
    })
    const relayAddr = relay.getMultiaddrs()[0].toString()

    // b is reachable only through the relay: it listens on no address of its own
    const b = await relayedChatNode([`${relayAddr}/p2p-circuit`])
    await waitFor(() => b.getMultiaddrs().some(ma => ma.toString().includes('/p2p-circuit')), 'b holds a relay reservation')
    const a = await relayedChatNode([])
    const circuit = b.getMultiaddrs().find(ma => ma.toString().includes('/p2p-circuit'))!
    await a.dial(multiaddr(circuit.toString()))

    const secret = `secret-${crypto.randomUUID()}`
    const got: string[] = []
    b.services.chat.addEventListener('message', (evt) => { got.push(evt.detail.text) })
    await a.services.chat.send(b.peerId, secret)
    await waitFor(() => got.includes(secret), 'the text arrives through the relay')
    expect(a.getConnections(b.peerId).every(c => c.remoteAddr.toString().includes('/p2p-circuit'))).toBe(true)
    // the chat ran on the relayed connection a held: no second circuit through the relay
    expect(stopStreams).toBe(1)

    const seen = Buffer.concat(forwarded)
    expect(seen.byteLength).toBeGreaterThan(500)
    // what the relay can read: the inner connection's Noise negotiation...
    expect(seen.includes('/noise')).toBe(true)
    // ...but neither the text nor the protocols spoken inside the encrypted connection
    for (const plain of [secret, '/presence-mesh/chat/1.0.0', '/yamux/1.0.0', '/ipfs/id/1.0.0']) {
      expect(seen.includes(Buffer.from(plain, 'utf8')), plain).toBe(false)
    }
  })
})
