import { lpStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { afterEach, describe, expect, it } from 'vitest'
import { ChatFrame as ChatFramePb, ChatKind } from '../../protocol/pb/chat.js'
import { encodeChatFrame, newChatId } from '../../protocol/chat-frame.js'
import { MAX_CHAT_FRAME_BYTES, MAX_CHAT_FRAMES_PER_SECOND } from '../../protocol/limits.js'
import { cleanupHomes, startNode, waitFor } from '../helpers.js'
import type { ChatViolation } from '../../node/chat/index.js'
import type { PresenceNode } from '../../node/presence-node.js'

const nodes: PresenceNode[] = []

afterEach(async () => {
  await Promise.all(nodes.splice(0).map(async n => { await n.stop() }))
  await cleanupHomes()
})

async function pair (): Promise<[PresenceNode, PresenceNode]> {
  const a = await startNode()
  const b = await startNode()
  nodes.push(a, b)
  await a.watch(b.peerId)
  await b.watch(a.peerId)
  await a.libp2p.dial(multiaddr(b.addresses()[0]))
  return [a, b]
}

/** Opens a raw chat stream from a to b, writes the frames, and expects b to reset it for `reason`. */
async function expectReset (a: PresenceNode, b: PresenceNode, frames: Uint8Array[], reason: ChatViolation): Promise<void> {
  const before = b.chat.getViolations()[reason]
  const stream = await a.libp2p.dialProtocol(b.peerId, b.chat.protocol)
  const lp = lpStream(stream)
  const reads = lp.read().then(() => 'frame', () => 'reset')
  for (const f of frames) {
    if (stream.status !== 'open') break
    await lp.write(f).catch(() => {})
  }
  expect(await reads).toBe('reset')
  await waitFor(() => b.chat.getViolations()[reason] === before + 1, `violation ${reason} counted`)
  await waitFor(() => stream.status !== 'open', 'stream reset')
}

const text = (t = 'hi'): Uint8Array => encodeChatFrame({ kind: 'text', id: newChatId(), sentAt: Date.now(), text: t })
const raw = (f: Partial<ChatFramePb>): Uint8Array => ChatFramePb.encode({
  id: newChatId() as Uint8Array<ArrayBuffer>, kind: ChatKind.TEXT, sentAt: BigInt(Date.now()), body: new TextEncoder().encode('x'), ref: new Uint8Array(0), ...f
})

describe('chat limits', () => {
  it('resets malformed, oversized, invalid and flooding streams, and keeps working', async () => {
    const [a, b] = await pair()
    const got: string[] = []
    b.chat.addEventListener('message', (evt) => { got.push(evt.detail.text) })

    await expectReset(a, b, [Uint8Array.from([0x0a, 0xff, 0xff, 0xff])], 'malformed')
    await expectReset(a, b, [new Uint8Array(MAX_CHAT_FRAME_BYTES + 1).fill(0x41)], 'oversize')
    await expectReset(a, b, [raw({ id: new Uint8Array(8) as Uint8Array<ArrayBuffer> })], 'bad-id')
    await expectReset(a, b, [raw({ body: Uint8Array.from([0xc3, 0x28]) })], 'bad-body')
    await expectReset(a, b, [raw({ kind: ChatKind.KIND_UNSPECIFIED })], 'bad-kind')
    // field 2 (kind) repeated with the unknown value 7: the last one counts
    await expectReset(a, b, [Uint8Array.from([...text(), 0x10, 0x07])], 'malformed')
    await expectReset(a, b, [encodeChatFrame({ kind: 'delivered', id: newChatId(), sentAt: Date.now(), ref: newChatId() })], 'unexpected-receipt')
    // several windows' worth, so even a slow receiver sees the limit broken within one window
    const flood = Array.from({ length: MAX_CHAT_FRAMES_PER_SECOND * 4 }, () => encodeChatFrame({ kind: 'typing', id: newChatId(), sentAt: Date.now() }))
    await expectReset(a, b, flood, 'rate')
    expect(got).toEqual([])

    // the node carries on: the next regular message arrives (once the flood's window has passed)
    await a.send(b.peerId, 'still here')
    await waitFor(() => got.includes('still here'), 'message after the violations')
    expect(got).toEqual(['still here'])
  })

  it('caps inbound chat streams per peer', async () => {
    const [a, b] = await pair()
    const streams = []
    for (let i = 0; i < 4; i++) streams.push(await a.libp2p.dialProtocol(b.peerId, b.chat.protocol))
    // the fifth is refused: either opening it fails or b resets it at once
    const fifth = await a.libp2p.dialProtocol(b.peerId, b.chat.protocol).then(async (s) => {
      const lp = lpStream(s)
      await lp.write(text('one too many')).catch(() => {})
      return await lp.read().then(() => 'answered', () => 'reset')
    }, () => 'refused')
    expect(fifth).not.toBe('answered')
    for (const s of streams) s.abort(new Error('done'))
    // a valid frame on a fresh stream is still accepted and acknowledged
    const stream = await a.libp2p.dialProtocol(b.peerId, b.chat.protocol)
    const lp = lpStream(stream)
    await lp.write(text('fresh stream'))
    const ack = ChatFramePb.decode((await lp.read()).subarray())
    expect(ack.kind).toBe(ChatKind.DELIVERED)
    await stream.close()
  })
})
