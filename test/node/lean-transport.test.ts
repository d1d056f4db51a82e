import { noise } from '@chainsafe/libp2p-noise'
import { defaultLogger } from '@libp2p/logger'
import { memory } from '@libp2p/memory'
import { multiaddrConnectionPair } from '@libp2p/utils'
import { yamux } from '@libp2p/yamux'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { afterEach, describe, expect, it } from 'vitest'
import { leanNoise, leanYamux } from '../../node/lean-transport.js'
import { waitFor } from '../helpers.js'
import type { Libp2p, Stream, StreamMuxerFactory } from '@libp2p/interface'

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
    expect(plain.back).toEqual(sent)
    expect(lean.back).toEqual(sent)
    // the library's decoder makes a RangeError at the end of every chunk it reads, on both nodes
    expect(plain.rangeErrors).toBeGreaterThanOrEqual(200)
    expect(lean.rangeErrors).toBeLessThan(plain.rangeErrors / 10)
  })
})
