import { defaultLogger } from '@libp2p/logger'
import { multiaddrConnectionPair } from '@libp2p/utils'
import { yamux } from '@libp2p/yamux'
import { describe, expect, it } from 'vitest'
import { leanYamux } from '../../node/lean-transport.js'
import { waitFor } from '../helpers.js'
import type { Stream, StreamMuxerFactory } from '@libp2p/interface'

/** Two muxers over an in-memory connection; counts the bytes the receiving side writes back. */
async function pair (factory: () => StreamMuxerFactory): Promise<{ sender: Stream, receiver: Stream, backBytes: () => number }> {
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

/** Sends `count` messages of `size` bytes, waiting for drain when asked; resolves when the receiver has them all. */
async function transfer (sender: Stream, receiver: Stream, count: number, size: number): Promise<void> {
  let got = 0
  receiver.addEventListener('message', evt => { got += evt.data.byteLength })
  for (let i = 0; i < count; i++) {
    if (!sender.send(new Uint8Array(size))) await new Promise(resolve => { sender.addEventListener('drain', resolve, { once: true }) })
  }
  await waitFor(() => got >= count * size, 'every byte received', 20_000)
}

describe('leanYamux', () => {
  it('sends no window update back for each small message (plain yamux sends one per message)', async () => {
    const plain = await pair(yamux())
    const lean = await pair(leanYamux())
    await transfer(plain.sender, plain.receiver, 100, 300)
    await transfer(lean.sender, lean.receiver, 100, 300)
    // plain: a 12-byte window update per message
    expect(plain.backBytes()).toBeGreaterThanOrEqual(100 * 12)
    // lean: 30,000 bytes use less than half of the 256 KiB window: only the stream's ACK went back
    expect(lean.backBytes()).toBeLessThan(5 * 12)
  })

  it('still moves many windows of data (updates once half the window is used)', async () => {
    const lean = await pair(leanYamux())
    // 4 MiB: 16 windows of 256 KiB; without updates the sender would stall after the first
    await transfer(lean.sender, lean.receiver, 256, 16 * 1024)
    expect(lean.backBytes()).toBeGreaterThan(0)
  })
})
