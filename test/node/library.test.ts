/**
 * The README's library example, as a test: presence-mesh's services inside an
 * application's own js-libp2p node (no PresenceNode, no home directory).
 */
import { noise } from '@chainsafe/libp2p-noise'
import { identify } from '@libp2p/identify'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { MemoryDatastore } from 'datastore-core'
import { createLibp2p } from 'libp2p'
import { expect, it } from 'vitest'
import { chat, createPubsub, presence, roster } from '../../node/index.js'
import { waitFor } from '../helpers.js'

async function appNode () {
  return await createLibp2p({
    datastore: new MemoryDatastore(),
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: {
      identify: identify(),
      pubsub: createPubsub({ sharedHostMesh: true }),
      roster: roster({ defaultVisibility: 'public' }),
      presence: presence({ ttlMs: 10_000 }),
      chat: chat()
    }
  })
}

it('runs the presence and chat services in another js-libp2p app', async () => {
  const a = await appNode()
  const b = await appNode()
  try {
    await a.dial(b.getMultiaddrs()[0])
    await a.services.roster.watch(b.peerId, 'b')
    await b.services.roster.watch(a.peerId, 'a')
    await b.services.presence.setPresence({ status: 'busy', note: 'in a meeting' })
    await waitFor(() => a.services.presence.get(b.peerId)?.status === 'busy', 'a to see b busy')
    await a.services.chat.send(b.peerId, 'hello from an app')
    await waitFor(async () => (await b.services.chat.history(a.peerId)).some(m => m.text === 'hello from an app'), 'b to receive the message')
    expect(a.services.presence.get(b.peerId)?.note).toBe('in a meeting')
  } finally {
    await Promise.all([a.stop(), b.stop()])
  }
})
