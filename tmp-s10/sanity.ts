import '../node/polyfill.js'
import { noise } from '@chainsafe/libp2p-noise'
import { identify } from '@libp2p/identify'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { createLibp2p } from 'libp2p'
import { createPubsub } from '../node/pubsub.js'
import { GossipTracker } from '../bench/chaos/gossip-track.js'
import { presenceTopic } from '../protocol/topics.js'

const mk = async () => await createLibp2p({ addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] }, transports: [tcp()], connectionEncrypters: [noise()], streamMuxers: [yamux()], services: { identify: identify(), pubsub: createPubsub({ sharedHostMesh: true }) } }) as any
const a = await mk(); const b = await mk()
const ta = new GossipTracker(a, presenceTopic(a.peerId))
b.services.pubsub.subscribe(presenceTopic(a.peerId))
await b.dial(a.getMultiaddrs()[0])
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms))
for (let i = 0; i < 50 && !a.services.pubsub.getSubscribers(presenceTopic(a.peerId)).some((p: any) => p.equals(b.peerId)); i++) await sleep(100)
console.log('subscribed', a.services.pubsub.getSubscribers(presenceTopic(a.peerId)).length)
// detach b at a while connected: an unreadable frame from b
const s = b.getConnections(a.peerId)[0].streams.find((x: any) => x.direction === 'outbound' && x.protocol?.includes('meshsub'))
s.send(Uint8Array.from([0x80, 0xe0, 0x12]))
await sleep(4000)
console.log(ta.describe(b.peerId.toString()), ta.drainGaps())
await a.stop(); await b.stop()
