/**
 * Gossipsub opens its outbound streams one at a time, and sends our
 * subscriptions on each when it is open: a peer publishes nothing to us
 * before. No peer's stream may wait for another peer's negotiation (a slow
 * one under load, or one that never answers). Real gossipsub (createPubsub)
 * on stubbed components.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { afterEach, expect, it } from 'vitest'
import { createPubsub } from '../../node/pubsub.js'
import { waitFor } from '../helpers.js'
import { logger, peerIds } from './discovery/stubs.js'
import type { PubSub } from '../../node/pubsub.js'
import type { Connection, PeerId, Startable, Stream, Topology } from '@libp2p/interface'

/** libp2p's own deadline for a negotiation without a signal, emulated by the stub connections. */
const LIBP2P_DEFAULT_MS = 10_000

const timers = new Set<ReturnType<typeof setTimeout>>()
const services: Startable[] = []

afterEach(async () => {
  for (const s of services.splice(0)) await s.stop()
  for (const t of timers) clearTimeout(t)
  timers.clear()
})

/** Waits `ms`, or rejects with the signal's reason (libp2p's default deadline without one). */
async function negotiate (ms: number, signal?: AbortSignal): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => { ms >= LIBP2P_DEFAULT_MS ? reject(new Error('libp2p default timeout')) : resolve() }, Math.min(ms, LIBP2P_DEFAULT_MS))
    timers.add(timer)
    signal?.addEventListener('abort', () => { clearTimeout(timer); reject(signal.reason) })
  })
}

/** A stream that records what gossipsub writes on it. */
function fakeStream (written: Uint8Array[]): Stream {
  const listeners: Array<(evt: Event) => void> = []
  const s = {
    protocol: '/meshsub/1.2.0',
    direction: 'outbound',
    status: 'open',
    writeStatus: 'writable',
    addEventListener: (type: string, fn: (evt: Event) => void) => { if (type === 'close') listeners.push(fn) },
    send: (data: Uint8Array) => { written.push(data); return true },
    close: async () => { s.status = 'closed'; for (const fn of listeners) fn(new Event('close')) },
    abort: () => { s.status = 'aborted'; for (const fn of listeners) fn(new Event('close')) }
  }
  return s as unknown as Stream
}

interface Peer {
  id: PeerId
  /** How long a negotiation with it takes (LIBP2P_DEFAULT_MS or more: it never answers). */
  answerMs: number
  tries: number
  written: Uint8Array[]
  abortedAt?: number
  /** The connection still has an open outbound gossip stream that gossipsub no longer holds. */
  stale?: boolean
}

function conn (peer: Peer, inFlight: { now: number, max: number }): Connection {
  return {
    remotePeer: peer.id,
    status: 'open',
    direction: 'outbound',
    remoteAddr: multiaddr('/ip4/127.0.0.1/tcp/1'),
    streams: peer.stale === true ? [fakeStream([])] : [],
    newStream: async (_protocols: string[], options: { signal?: AbortSignal } = {}) => {
      peer.tries++
      inFlight.now++
      inFlight.max = Math.max(inFlight.max, inFlight.now)
      try {
        await negotiate(peer.answerMs, options.signal)
      } catch (err) {
        peer.abortedAt = Date.now()
        throw err
      } finally {
        inFlight.now--
      }
      return fakeStream(peer.written)
    }
  } as unknown as Connection
}

/** Real gossipsub on stubbed components, started and subscribed to one topic; `connect` is libp2p's notification of a connection. */
async function gossipsub (streamOpenTimeoutMs: number): Promise<{ pubsub: PubSub, connect: (peer: Peer) => void, inFlight: { now: number, max: number } }> {
  const privateKey = await generateKeyPair('Ed25519')
  const topologies: Topology[] = []
  const pubsub = createPubsub({ streamOpenTimeoutMs })({
    peerId: peerIdFromPrivateKey(privateKey),
    privateKey,
    logger,
    peerStore: { merge: async () => ({}), get: async () => { throw Object.assign(new Error('not found'), { name: 'NotFoundError' }) } },
    registrar: {
      handle: async () => {},
      unhandle: async () => {},
      register: async (_protocol: string, t: Topology) => { topologies.push(t); return String(topologies.length) },
      unregister: () => {},
      getTopologies: () => topologies
    },
    connectionManager: { getConnections: () => [] }
  } as any)
  const service = pubsub as unknown as Startable
  await service.start()
  services.push(service)
  pubsub.subscribe('presence-topic')
  const inFlight = { now: 0, max: 0 }
  // libp2p notifies every topology whose protocol the peer speaks (gossipsub registers one per protocol)
  return { pubsub, inFlight, connect: (peer) => { for (const t of topologies) t.onConnect?.(peer.id, conn(peer, inFlight)) } }
}

async function peers (...answerMs: number[]): Promise<Peer[]> {
  return (await peerIds(answerMs.length)).map((id, i) => ({ id, answerMs: answerMs[i], tries: 0, written: [] }))
}

it('a peer that never answers does not hold back the next peer\'s stream, and its own open is given up at the bound', async () => {
  const openMs = 1_500
  const { connect } = await gossipsub(openMs)
  const [silent, contact] = await peers(LIBP2P_DEFAULT_MS, 50)
  const started = Date.now()
  connect(silent)
  connect(contact)
  // our subscription reached the contact while the silent peer was still being negotiated
  await waitFor(() => contact.written.length > 0, 'our subscriptions on the contact\'s stream', 20_000)
  expect(silent.abortedAt).toBeUndefined()
  await waitFor(() => silent.abortedAt != null, 'the silent peer\'s negotiation given up', 20_000)
  expect(silent.abortedAt! - started).toBeGreaterThanOrEqual(openMs - 50)
  expect(silent.abortedAt! - started).toBeLessThan(LIBP2P_DEFAULT_MS)
  expect(silent.written).toEqual([])
})

it('gossipsub\'s queue does not wait either for a negotiation nothing opened ahead', async () => {
  const openMs = 1_500
  const { connect } = await gossipsub(openMs)
  const [silent, contact] = await peers(LIBP2P_DEFAULT_MS, 50)
  // nothing is opened ahead to a peer with an open outbound gossip stream; gossipsub, which no longer holds it, asks for one
  silent.stale = true
  connect(silent)
  connect(contact)
  await waitFor(() => contact.written.length > 0, 'our subscriptions on the contact\'s stream', 20_000)
  expect(silent.tries).toBe(1)
  expect(silent.abortedAt).toBeUndefined()
})

it('a node with many new connections negotiates their gossip streams at once, not one after another', async () => {
  const { connect, inFlight } = await gossipsub(5_000)
  // slow negotiations, as under load: one after another, the last peer would wait for all the others
  const all = await peers(...Array.from({ length: 8 }, () => 400))
  for (const p of all) connect(p)
  await waitFor(() => all.every(p => p.written.length > 0), 'our subscriptions on every peer\'s stream', 30_000)
  expect(inFlight.max).toBe(all.length)
  // one stream per peer, although libp2p notified gossipsub once per protocol and gossipsub asked early
  expect(all.map(p => p.tries)).toEqual(all.map(() => 1))
  // told of the connections again (identify run again, a second connection): gossipsub holds the streams, none is opened
  // (the peer's gossipsub would take a new one as our one inbound stream and close the one we write on)
  for (const p of all) connect(p)
  expect(all.map(p => p.tries)).toEqual(all.map(() => 1))
})

it('a peer\'s gossip stream that arrives while gossipsub is starting is handed to it once started, not left unread', async () => {
  const privateKey = await generateKeyPair('Ed25519')
  const [peer] = await peerIds(1)
  const handlers: Array<(stream: Stream, conn: Connection) => Promise<void>> = []
  let registered = (): void => {}
  const registering = new Promise<void>(resolve => { registered = resolve })
  const pubsub = createPubsub()({
    peerId: peerIdFromPrivateKey(privateKey),
    privateKey,
    logger,
    peerStore: { merge: async () => ({}), get: async () => { throw Object.assign(new Error('not found'), { name: 'NotFoundError' }) } },
    registrar: {
      handle: async (_protocol: string, handler: (stream: Stream, conn: Connection) => Promise<void>) => { handlers.push(handler) },
      unhandle: async () => {},
      // gossipsub's start waits here, its stream handlers registered already: a peer's stream can come now
      register: async () => { await registering; return '1' },
      unregister: () => {},
      getTopologies: () => []
    },
    connectionManager: { getConnections: () => [] }
  } as any)
  const service = pubsub as unknown as Startable
  const starting = service.start()
  services.push(service)
  await waitFor(() => handlers.length > 0, 'gossipsub\'s stream handlers registered')
  // the peer's stream: readable (it never sends), and its connection has nothing else to offer
  const inbound = Object.assign(fakeStream([]), { direction: 'inbound', removeEventListener: () => {}, async * [Symbol.asyncIterator] () { await new Promise(() => {}) } }) as unknown as Stream
  const connection = { remotePeer: peer, status: 'open', direction: 'inbound', remoteAddr: multiaddr('/ip4/127.0.0.1/tcp/1'), streams: [inbound], newStream: async () => await new Promise(() => {}) } as unknown as Connection
  await handlers[0](inbound, connection)
  registered()
  await starting
  // gossipsub takes the peer (and reads its stream) once started
  await waitFor(() => pubsub.getPeers().some(p => p.equals(peer)), 'the peer attached through its held stream', 10_000)
  expect(inbound.status).toBe('open')
})
