/**
 * Two gossipsub nodes (built by createPubsub). When the sender's outbound
 * gossip stream to the receiver is lost on a connection that stays open,
 * gossipsub alone never opens another, and the receiver hears nothing the
 * sender publishes for as long as the connection lives. And gossipsub
 * attaches to a peer only once identify finished, so a connection on which
 * identify does not finish carries no gossip, even to a peer known to speak
 * it. With the keeper (node/pubsub-streams.ts) messages flow in both cases.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { identify } from '@libp2p/identify'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { createLibp2p } from 'libp2p'
import { afterEach, expect, it } from 'vitest'
import { createPubsub } from '../../node/pubsub.js'
import { waitFor } from '../helpers.js'
import type { PubSub } from '../../node/pubsub.js'
import type { Identify } from '@libp2p/identify'
import type { Connection, Libp2p, PeerId, Stream } from '@libp2p/interface'

const TOPIC = 'pubsub-streams-test'
const nodes: GossipNode[] = []

afterEach(async () => {
  await Promise.all(nodes.splice(0).map(async n => await n.stop()))
})

type GossipNode = Libp2p<{ pubsub: PubSub, identify: Identify }>

/** `identifyOnConnect: false`: identify runs only when the test asks (as if it failed on every other connection). */
async function gossipNode (identifyOnConnect = true, streamRepairGraceMs?: number): Promise<GossipNode> {
  const node = await createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { identify: identify({ runOnConnectionOpen: identifyOnConnect }), pubsub: createPubsub({ sharedHostMesh: true, streamRepairGraceMs }) }
  }) as GossipNode
  nodes.push(node)
  return node
}

/** The sender's open outbound gossip streams to `peer`. */
function gossipStreamsTo (from: GossipNode, peer: PeerId): Stream[] {
  return from.getConnections(peer).flatMap(c => c.streams)
    .filter(s => s.direction === 'outbound' && from.services.pubsub.protocols.includes(s.protocol ?? '') && s.status === 'open')
}

it('opens a new gossip stream when the old one is lost on a connection that stays open', async () => {
  const sender = await gossipNode()
  const receiver = await gossipNode()
  const received: string[] = []
  receiver.services.pubsub.addEventListener('message', (e) => {
    if (e.detail.topic === TOPIC) received.push(new TextDecoder().decode(e.detail.data))
  })
  sender.services.pubsub.subscribe(TOPIC)
  receiver.services.pubsub.subscribe(TOPIC)
  await receiver.dial(sender.getMultiaddrs()[0])
  await waitFor(() => sender.services.pubsub.getSubscribers(TOPIC).some(p => p.equals(receiver.peerId)) && gossipStreamsTo(sender, receiver.peerId).length > 0,
    'the sender to see the receiver subscribed', 30_000)
  let n = 0
  const publish = async (): Promise<string> => {
    const text = `m${n++}`
    await sender.services.pubsub.publish(TOPIC, new TextEncoder().encode(text))
    return text
  }
  const first = await publish()
  await waitFor(() => received.includes(first), 'the first message', 30_000)

  // lose the stream (a reset, a negotiation that failed, a full write buffer) while the connection stays up
  const [connection] = sender.getConnections(receiver.peerId)
  for (const s of gossipStreamsTo(sender, receiver.peerId)) s.abort(new Error('test: stream lost'))

  let after = ''
  await waitFor(async () => {
    if (received.includes(after)) return true
    after = await publish()
    return false
  }, 'a message published after the stream was lost', 20_000)
  expect(connection.status).toBe('open')
  expect(sender.getConnections(receiver.peerId)).toEqual([connection])
  expect(gossipStreamsTo(sender, receiver.peerId)).toHaveLength(1)
})

/** Publishes on TOPIC until `to` received one of these messages (bounded by waitFor). */
async function publishUntilReceived (from: GossipNode, received: string[], what: string, timeoutMs: number): Promise<void> {
  let last = ''
  let n = 0
  await waitFor(async () => {
    if (received.includes(last)) return true
    last = `${what} ${n++}`
    await from.services.pubsub.publish(TOPIC, new TextEncoder().encode(last))
    return false
  }, what, timeoutMs)
}

/**
 * Two nodes whose identify runs only when asked (as if it failed on every
 * connection but the first), both subscribed; the receiver dials, identifies
 * the connection (its peer store learns the sender speaks gossipsub) and a
 * message went through.
 */
async function identifiedPair (streamRepairGraceMs?: number): Promise<{ sender: GossipNode, receiver: GossipNode, received: string[], first: Connection }> {
  const sender = await gossipNode(false, streamRepairGraceMs)
  const receiver = await gossipNode(false, streamRepairGraceMs)
  const received: string[] = []
  receiver.services.pubsub.addEventListener('message', (e) => {
    if (e.detail.topic === TOPIC) received.push(new TextDecoder().decode(e.detail.data))
  })
  sender.services.pubsub.subscribe(TOPIC)
  receiver.services.pubsub.subscribe(TOPIC)
  const first = await receiver.dial(sender.getMultiaddrs()[0])
  await receiver.services.identify.identify(first)
  await publishUntilReceived(sender, received, 'over the identified connection', 30_000)
  return { sender, receiver, received, first }
}

it('attaches gossip on a connection where identify did not run, to a peer the peer store knows speaks gossipsub', async () => {
  const { sender, receiver, received } = await identifiedPair()
  // a new connection (a restart, a healed partition) on which identify does not finish
  await receiver.hangUp(sender.peerId)
  await waitFor(() => receiver.services.pubsub.getPeers().length === 0 && sender.services.pubsub.getPeers().length === 0, 'both to detach', 30_000)
  await receiver.dial(sender.getMultiaddrs()[0])
  await publishUntilReceived(sender, received, 'over the connection identify did not run on', 20_000)
  expect(receiver.services.pubsub.getPeers().map(String)).toEqual([sender.peerId.toString()])
})

it('keeps a peer subscribed when its gossip streams fail with one of two connections, and gossip goes on over the other', async () => {
  // identify off after the first: nothing but the failure and its handling attaches or detaches a peer here
  const { sender, receiver, received, first } = await identifiedPair()
  // a second connection (both dialled at once, a redial while the first lived); the gossip streams stay on the first
  const second = await receiver.dial(sender.getMultiaddrs()[0], { force: true })
  await waitFor(() => sender.getConnections(receiver.peerId).length === 2, 'the sender to list both connections', 30_000)
  expect(second.streams.some(s => receiver.services.pubsub.protocols.includes(s.protocol ?? ''))).toBe(false)

  // from the failure until both ends dropped the first connection and a while after: does the sender ever forget the receiver?
  const subscribed = (): boolean => sender.services.pubsub.getSubscribers(TOPIC).some(p => p.equals(receiver.peerId))
  let forgotten = 0
  const watch = setInterval(() => { if (!subscribed()) forgotten++ }, 2)
  try {
    first.abort(new Error('test: the first connection fails'))
    await waitFor(() => sender.getConnections(receiver.peerId).length === 1 && receiver.getConnections(sender.peerId).length === 1, 'both ends to drop the failed connection', 30_000)
    await publishUntilReceived(sender, received, 'over the second connection', 20_000)
  } finally {
    clearInterval(watch)
  }
  // gossipsub alone detaches the peer for its read error until the peer's new stream brings its subscription again
  expect(forgotten).toBe(0)
  expect(second.status).toBe('open')
  expect(receiver.services.pubsub.getPeers().map(String)).toEqual([sender.peerId.toString()])
  expect(sender.services.pubsub.getPeers().map(String)).toEqual([receiver.peerId.toString()])

  // review s8-halfopen: a peer kept attached is still detached when its last connection closes (no peer kept forever)
  await receiver.hangUp(sender.peerId)
  await waitFor(() => receiver.services.pubsub.getPeers().length === 0 && sender.services.pubsub.getPeers().length === 0, 'both to detach once the second connection closed', 30_000)
  expect(sender.services.pubsub.getSubscribers(TOPIC)).toEqual([])
})

it('hears a peer again after a frame on its gossip stream could not be read, while the connection stays open', async () => {
  // review s8-halfopen: a read that breaks on the stream's bytes (a length over maxInboundDataLength, a bad prefix)
  // leaves the raw stream open; gossipsub detached the peer (closing the stream, so the peer's keeper reopens one)
  const { sender, receiver, received } = await identifiedPair()
  const [outbound] = gossipStreamsTo(sender, receiver.peerId)
  expect(outbound).toBeDefined()
  // a length prefix of 300 KiB (over the 256 KiB limit of node/pubsub.ts) on the sender's own gossip stream
  outbound.send(Uint8Array.from([0x80, 0xe0, 0x12]))
  await publishUntilReceived(sender, received, 'after the unreadable frame', 20_000)
  expect(sender.getConnections(receiver.peerId)).toHaveLength(1)
})

it('gives a peer that detached us while connected our subscription again at once, not after the keeper\'s grace', async () => {
  // the one-sided subscription of the chaos run: the receiver's gossipsub detaches the sender (here for an unreadable
  // frame; a late disconnect notification does the same), closing both streams and forgetting the sender's subscription,
  // while the connection stays open. The sender's keeper must not wait its grace (a minute here) to open a new stream
  const { sender, receiver, received } = await identifiedPair(60_000)
  const senderSubscribed = (): boolean => receiver.services.pubsub.getSubscribers(TOPIC).some(p => p.equals(sender.peerId))
  expect(senderSubscribed()).toBe(true)
  const [outbound] = gossipStreamsTo(sender, receiver.peerId)
  outbound.send(Uint8Array.from([0x80, 0xe0, 0x12]))
  // the receiver detached the sender: its end of the sender's stream closed, so the sender closed its own
  await waitFor(() => outbound.status !== 'open', 'the sender\'s stream to be dropped', 20_000)
  await waitFor(senderSubscribed, 'the sender\'s subscription at the receiver again', 20_000)
  await publishUntilReceived(sender, received, 'after the detach', 20_000)
  expect(sender.getConnections(receiver.peerId)).toHaveLength(1)
})
