import { noise } from '@chainsafe/libp2p-noise'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { defaultLogger } from '@libp2p/logger'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { memory } from '@libp2p/memory'
import { multiaddrConnectionPair } from '@libp2p/utils'
import { yamux } from '@libp2p/yamux'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { afterEach, describe, expect, it } from 'vitest'
import { leanNoise, leanYamux } from '../../node/lean-transport.js'
import { waitFor } from '../helpers.js'
import type { NoiseComponents } from '@chainsafe/libp2p-noise'
import type { ConnectionEncrypter, Libp2p, Stream, StreamMuxerFactory, Upgrader } from '@libp2p/interface'

/** Whether two byte arrays hold the same bytes (toEqual compares element by element: over a second of CPU for 300 kB). */
function sameBytes (a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b)
}

/** Two muxers over an in-memory connection; counts the bytes the receiving side writes back. */
async function muxedPair (factory: () => StreamMuxerFactory): Promise<{ sender: Stream, receiver: Stream, backBytes: () => number }> {
  const [outConn, inConn] = multiaddrConnectionPair({ outbound: { log: defaultLogger().forComponent('out') }, inbound: { log: defaultLogger().forComponent('in') } })
  let back = 0
  const send = inConn.send.bind(inConn)
  inConn.send = (data) => { back += data.byteLength; return send(data) }
  const client = factory().createStreamMuxer(outConn)
  const server = factory().createStreamMuxer(inConn)
  const inbound = new Promise<Stream>(resolve => { server.addEventListener('stream', evt => { resolve(evt.detail) }, { once: true }) })
  const sender = await client.createStream()
  sender.send(new Uint8Array(1))
  const receiver = await inbound
  return { sender, receiver, backBytes: () => back }
}

/** Waits for 'drain'; a sender whose window never reopens fails here rather than at the test's timeout. */
async function drained (stream: Stream): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined
  try {
    await new Promise<void>((resolve, reject) => {
      stream.addEventListener('drain', () => { resolve() }, { once: true })
      timer = setTimeout(() => { reject(new Error('the stream never drained: the receiver sent no window update')) }, 20_000)
    })
  } finally {
    clearTimeout(timer)
  }
}

/** Sends `count` messages of `size` bytes (waiting for drain when told to); resolves when the receiver has them all. */
async function transfer (sender: Stream, receiver: Stream, count: number, size: number): Promise<void> {
  let got = 0
  receiver.addEventListener('message', evt => { got += evt.data.byteLength })
  for (let i = 0; i < count; i++) {
    if (!sender.send(new Uint8Array(size))) await drained(sender)
  }
  await waitFor(() => got >= count * size, 'every byte received', 20_000)
}

describe('leanYamux', () => {
  it('sends no window update back for each small message (plain yamux sends one per message)', async () => {
    const plain = await muxedPair(yamux())
    const lean = await muxedPair(leanYamux())
    await transfer(plain.sender, plain.receiver, 100, 300)
    await transfer(lean.sender, lean.receiver, 100, 300)
    // plain: a 12-byte window update per message
    expect(plain.backBytes()).toBeGreaterThanOrEqual(100 * 12)
    // lean: 30,000 bytes use less than half of the 256 KiB window: only the stream's ACK went back
    expect(lean.backBytes()).toBeLessThan(5 * 12)
  })

  it('aborts a connection whose far end answers no keep-alive ping within the deadline, and keeps one that answers', async () => {
    const keepAlive = { intervalMs: 50, deadlineMs: 300 }
    const [outConn, inConn] = multiaddrConnectionPair({ outbound: { log: defaultLogger().forComponent('out') }, inbound: { log: defaultLogger().forComponent('in') } })
    let answered = 0
    let silent = false
    const send = inConn.send.bind(inConn)
    // the far end's answers (pongs of 12 bytes) are counted, then swallowed: a link that carries nothing back
    inConn.send = (data) => {
      if (silent) return true
      answered++
      return send(data)
    }
    leanYamux({}, keepAlive)().createStreamMuxer(outConn)
    yamux({ enableKeepAlive: false })().createStreamMuxer(inConn)
    await waitFor(() => answered >= 5, 'five pings answered', 10_000)
    expect(outConn.status).toBe('open')
    silent = true
    await waitFor(() => outConn.status !== 'open', 'the silent connection aborted', 10_000)
  })

  it('pings a connection only when it read nothing since the last check: a link that carries data back needs no ping', async () => {
    const keepAlive = { intervalMs: 100, deadlineMs: 2_000 }
    const [outConn, inConn] = multiaddrConnectionPair({ outbound: { log: defaultLogger().forComponent('out') }, inbound: { log: defaultLogger().forComponent('in') } })
    const client = leanYamux({}, keepAlive)().createStreamMuxer(outConn) as unknown as { ping: (...args: unknown[]) => Promise<number> }
    const server = yamux({ enableKeepAlive: false })().createStreamMuxer(inConn)
    // the pings after the first (the round trip at once), counted where the keep-alive calls them
    let pings = 0
    const ping = client.ping.bind(client)
    client.ping = async (...args) => { pings++; return await ping(...args) }
    // the far end sends something every 10 ms (a record, say), on a stream of its own
    const stream = await server.createStream()
    let sent = 0
    const sender = setInterval(() => { stream.send(new Uint8Array(8)); sent++ }, 10)
    try {
      await waitFor(() => sent >= 150, 'the far end sent 150 messages', 20_000)
      // every check saw data read since the one before (plain checks ping each time: about 15 here; a few may slip through a stalled event loop)
      expect(pings).toBeLessThanOrEqual(5)
    } finally {
      clearInterval(sender)
    }
    // silent again: pinged, and answered, so kept
    const quietFrom = pings
    await waitFor(() => pings >= quietFrom + 2, 'the silent link pinged again', 20_000)
    expect(outConn.status).toBe('open')
  })

  it('measures the round trip at once, as yamux\'s own keep-alive did (a stream\'s window grows only once it is known)', async () => {
    const [outConn, inConn] = multiaddrConnectionPair({ outbound: { log: defaultLogger().forComponent('out') }, inbound: { log: defaultLogger().forComponent('in') } })
    const client = leanYamux({}, { intervalMs: 60_000, deadlineMs: 120_000 })().createStreamMuxer(outConn) as unknown as { getRTT: () => number }
    yamux({ enableKeepAlive: false })().createStreamMuxer(inConn)
    await waitFor(() => client.getRTT() >= 0, 'a round trip measured', 10_000)
  })

  it('still moves many windows of data (an update once half the window is used)', async () => {
    const lean = await muxedPair(leanYamux())
    // 4 MiB: 16 windows of 256 KiB; without updates the sender would stall after the first
    await transfer(lean.sender, lean.receiver, 256, 16 * 1024)
    expect(lean.backBytes()).toBeGreaterThan(0)
  })
})

describe('leanNoise with leanYamux', () => {
  const nodes: Libp2p[] = []
  afterEach(async () => { await Promise.all(nodes.splice(0).map(async n => { await n.stop() })) })

  /** An echo over two in-memory nodes; the RangeErrors made while the bytes travel. */
  async function echo (lean: boolean, address: string, messages: Uint8Array[]): Promise<{ back: Uint8Array, rangeErrors: number }> {
    const make = async (listen: string[]): Promise<Libp2p> => {
      const node = await createLibp2p({ addresses: { listen }, transports: [memory()], connectionEncrypters: [lean ? leanNoise() : noise()], streamMuxers: [lean ? leanYamux() : yamux()] })
      nodes.push(node)
      return node
    }
    const server = await make([`/memory/${address}`])
    const client = await make([])
    await server.handle('/echo-test/1.0.0', (stream) => { stream.addEventListener('message', evt => { stream.send(evt.data) }) })
    const stream = await client.dialProtocol(multiaddr(`/memory/${address}/p2p/${server.peerId.toString()}`), '/echo-test/1.0.0')
    const total = messages.reduce((n, m) => n + m.byteLength, 0)
    const back = new Uint8Array(total)
    let got = 0
    stream.addEventListener('message', evt => { back.set(evt.data.subarray(), got); got += evt.data.byteLength })
    const Original = globalThis.RangeError
    let rangeErrors = 0
    globalThis.RangeError = new Proxy(Original, {
      construct: (target, args, newTarget) => { rangeErrors++; return Reflect.construct(target, args, newTarget) },
      apply: (target, self, args) => { rangeErrors++; return Reflect.apply(target, self, args) }
    })
    try {
      for (const m of messages) {
        if (!stream.send(m)) await drained(stream)
      }
      await waitFor(() => got >= total, 'the echo of every byte', 20_000)
    } finally {
      globalThis.RangeError = Original
    }
    return { back, rangeErrors }
  }

  it('carries small and large messages intact, without an error made per chunk read', async () => {
    // 200 small messages, then 300 kB: several Noise frames of 65,535 bytes, split by the transport's 64 KiB chunks
    const messages = [...Array.from({ length: 200 }, (_, i) => new Uint8Array(300).fill(i % 251)), Uint8Array.from({ length: 300_000 }, (_, i) => (i * 7) % 256)]
    const sent = new Uint8Array(messages.reduce((n, m) => n + m.byteLength, 0))
    let at = 0
    for (const m of messages) { sent.set(m, at); at += m.byteLength }
    const plain = await echo(false, 'lean-transport-plain', messages)
    const lean = await echo(true, 'lean-transport-lean', messages)
    expect(sameBytes(plain.back, sent), 'the plain echo').toBe(true)
    expect(sameBytes(lean.back, sent), 'the lean echo').toBe(true)
    // the library's decoder makes a RangeError at the end of every chunk it reads, on both nodes
    expect(plain.rangeErrors).toBeGreaterThanOrEqual(200)
    expect(lean.rangeErrors).toBeLessThan(plain.rangeErrors / 10)
  })
})

describe('leanNoise', () => {
  const components = async (): Promise<NoiseComponents> => {
    const privateKey = await generateKeyPair('Ed25519')
    return { privateKey, peerId: peerIdFromPrivateKey(privateKey), logger: defaultLogger(), upgrader: { getStreamMuxers: () => new Map() } as unknown as Upgrader }
  }

  /** Secures an in-memory connection; the buffers each message sent on it reaches the transport as. */
  async function buffersPerMessage (make: (c: NoiseComponents) => ConnectionEncrypter, sizes: number[]): Promise<{ buffers: number[], received: Uint8Array }> {
    const [outConn, inConn] = multiaddrConnectionPair({ outbound: { log: defaultLogger().forComponent('out') }, inbound: { log: defaultLogger().forComponent('in') } })
    const [a, b] = [await components(), await components()]
    const [client, server] = await Promise.all([make(a).secureOutbound(outConn, { remotePeer: b.peerId }), make(b).secureInbound(inConn)])
    const buffers: number[] = []
    const send = outConn.send.bind(outConn)
    outConn.send = (data) => { buffers.push(data instanceof Uint8Array ? 1 : [...data].length); return send(data) }
    const total = sizes.reduce((n, s) => n + s, 0)
    const received = new Uint8Array(total)
    let got = 0
    server.connection.addEventListener('message', evt => { received.set(evt.data.subarray(), got); got += evt.data.byteLength })
    let at = 0
    for (const size of sizes) {
      client.connection.send(Uint8Array.from({ length: size }, (_, i) => (at + i) % 251))
      at += size
    }
    await waitFor(() => got >= total, 'every byte decrypted', 20_000)
    return { buffers, received }
  }

  it('hands the transport one buffer per message of one Noise frame (the library: its length and the ciphertext apart, two socket writes)', async () => {
    const sizes = [300, 1, 65_519, 100_000]
    const expected = Uint8Array.from({ length: sizes.reduce((n, s) => n + s, 0) }, (_, i) => i % 251)
    const plain = await buffersPerMessage(noise(), sizes)
    const lean = await buffersPerMessage(leanNoise(), sizes)
    expect(sameBytes(plain.received, expected), 'what plain noise decrypted').toBe(true)
    expect(sameBytes(lean.received, expected), 'what lean noise decrypted').toBe(true)
    expect(plain.buffers.slice(0, 2)).toEqual([2, 2])
    expect(plain.buffers[2]).toBeGreaterThan(1)
    // up to the largest frame (65,519 bytes of plaintext), one buffer
    expect(lean.buffers.slice(0, 3)).toEqual([1, 1, 1])
    // a message longer than a frame goes as the library made it
    expect(lean.buffers[3]).toBe(plain.buffers[3])
  })
})
