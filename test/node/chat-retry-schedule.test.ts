/**
 * The outbox's retry schedule (node/chat/peer-sender.ts) against the bound of
 * docs/protocol.md §7.3: once the peer is reachable again, a queued text is
 * delivered within 30 s, after however long an outage, also when no event
 * (connect, presence) says the peer is back. Stubbed connection manager and
 * store, a stream pair whose far end acknowledges like a receiver, fake clock.
 */
import { lpStream, streamPair } from '@libp2p/utils'
import { afterEach, beforeEach, expect, it, vi } from 'vitest'
import { chatIdToHex, decodeChatFrame, encodeChatFrame, newChatId } from '../../protocol/chat-frame.js'
import { ACK_TIMEOUT_MS, IN_FLIGHT_WINDOW, OPEN_STREAM_CONNECTED_TIMEOUT_MS, OPEN_STREAM_TIMEOUT_MS, RETRY_BASE_MS, RETRY_MAX_MS, SEND_BURST, SEND_RATE_PER_SECOND, SENDER_IDLE_MS } from '../../node/chat/constants.js'
import { PeerSender } from '../../node/chat/peer-sender.js'
import { logger, peerIds } from './discovery/stubs.js'
import type { OutboxItem } from '../../node/chat/chat-store.js'
import type { AbortOptions, Connection, Stream } from '@libp2p/interface'

/** docs/protocol.md §7.3. */
const BOUND_MS = 30_000
const OPTS = {
  protocol: '/presence-mesh/chat/1.0.0',
  window: IN_FLIGHT_WINDOW,
  ratePerSecond: SEND_RATE_PER_SECOND,
  burst: SEND_BURST,
  retryBaseMs: RETRY_BASE_MS,
  retryMaxMs: RETRY_MAX_MS,
  ackTimeoutMs: ACK_TIMEOUT_MS,
  idleMs: SENDER_IDLE_MS,
  openStreamTimeoutMs: OPEN_STREAM_TIMEOUT_MS,
  openStreamConnectedTimeoutMs: OPEN_STREAM_CONNECTED_TIMEOUT_MS
}

beforeEach(() => {
  vi.useFakeTimers()
  // no jitter: every delay is the longest the schedule allows
  vi.spyOn(Math, 'random').mockReturnValue(0)
})
afterEach(() => {
  vi.restoreAllMocks()
  vi.useRealTimers()
})

/** The far end of a chat stream: acknowledges every text it reads. */
async function receive (stream: Stream, delivered: string[]): Promise<void> {
  const lp = lpStream(stream)
  try {
    while (true) {
      const res = decodeChatFrame((await lp.read()).subarray())
      if (!res.ok) throw new Error(res.reason)
      delivered.push(chatIdToHex(res.frame.id))
      await lp.write(encodeChatFrame({ kind: 'delivered', id: newChatId(), sentAt: Date.now(), ref: res.frame.id }))
    }
  } catch {}
}

/** A sender to a fresh peer whose streams `open` makes; `connected`: libp2p lists a connection to the peer (or these connections). */
async function makeSender (open: (delivered: string[], options: AbortOptions) => Promise<Stream>, connected: boolean | (() => Connection[])): Promise<{ sender: PeerSender, delivered: string[], item: OutboxItem }> {
  const [peer] = await peerIds(1)
  const delivered: string[] = []
  const sender = new PeerSender(peer, OPTS, {
    connectionManager: {
      getConnections: typeof connected === 'function' ? connected : () => connected ? [{ status: 'open' }] : [],
      openStream: async (_peer: unknown, _protocol: unknown, options: AbortOptions) => await open(delivered, options)
    } as any,
    store: { markSent: () => undefined, acked: async () => undefined } as any,
    log: logger.forComponent('test:chat'),
    onState: () => {}
  })
  const id = newChatId()
  const item: OutboxItem = { peer: peer.toString(), seq: 1, id: chatIdToHex(id), kind: 'text', bytes: encodeChatFrame({ kind: 'text', id, sentAt: Date.now(), text: 'hi' }) }
  return { sender, delivered, item }
}

/** A stream whose far end acknowledges like a receiver. */
async function receiving (delivered: string[]): Promise<Stream> {
  const [local, remote] = await streamPair()
  void receive(remote, delivered)
  return local
}

async function setup (outage: 'refused' | 'silent'): Promise<{ sender: PeerSender, attempts: number[], delivered: string[], reachable: () => void, item: OutboxItem }> {
  const attempts: number[] = []
  let up = false
  const { sender, delivered, item } = await makeSender(async (delivered) => {
    attempts.push(Date.now())
    if (!up) {
      // refused: the peer's host answers at once; silent: nothing answers until the dial gives up
      if (outage === 'refused') throw new Error('connection refused')
      await new Promise((_resolve, reject) => setTimeout(() => { reject(new Error('dial timed out')) }, OPEN_STREAM_TIMEOUT_MS))
    }
    return await receiving(delivered)
  }, false)
  return { sender, attempts, delivered, reachable: () => { up = true }, item }
}

for (const outage of ['refused', 'silent'] as const) {
  it(`a text queued through a ten-minute outage (dials ${outage === 'refused' ? 'refused at once' : 'timing out'}) is delivered within 30 s of the peer being reachable, with no event`, async () => {
    const { sender, attempts, delivered, reachable, item } = await setup(outage)
    sender.enqueue(item)
    sender.start()
    await vi.advanceTimersByTimeAsync(10 * 60_000)
    expect(attempts.length).toBeGreaterThan(10)
    // worst case: the peer comes back just after an attempt started
    const before = attempts.length
    while (attempts.length === before) await vi.advanceTimersByTimeAsync(10)
    const backAt = Date.now()
    reachable()
    while (delivered.length === 0 && Date.now() - backAt < 2 * BOUND_MS) await vi.advanceTimersByTimeAsync(100)
    expect(delivered).toEqual([item.id])
    expect(Date.now() - backAt).toBeLessThanOrEqual(BOUND_MS - 5_000)
    await sender.stop()
  })
}

it('while a connection to the peer is open, attempts whose streams fail (reset by a busy receiver) start at most 5 s apart, not at the 20 s cap', async () => {
  const attempts: number[] = []
  let failing = true
  // a connection stays open all along
  const { sender, delivered, item } = await makeSender(async (delivered) => {
    attempts.push(Date.now())
    if (failing) throw new Error('The stream has been reset')
    return await receiving(delivered)
  }, true)
  sender.enqueue(item)
  sender.start()
  // a minute of failing streams: the backoff would have reached its cap long ago
  await vi.advanceTimersByTimeAsync(60_000)
  const gaps = attempts.slice(1).map((t, i) => t - attempts[i])
  expect(Math.max(...gaps)).toBeLessThanOrEqual(5_000)
  failing = false
  const okAt = Date.now()
  while (delivered.length === 0 && Date.now() - okAt < 2 * BOUND_MS) await vi.advanceTimersByTimeAsync(100)
  expect(delivered).toHaveLength(1)
  expect(Date.now() - okAt).toBeLessThanOrEqual(5_000)
  await sender.stop()
})

/** A stream opening that never completes: it ends when its signal aborts, as libp2p's does. */
async function stalled (options: AbortOptions): Promise<never> {
  return await new Promise((_resolve, reject) => {
    options.signal?.addEventListener('abort', () => { reject(options.signal?.reason) }, { once: true })
  })
}

it('on a connection held, a stream opening that stalls is given up after 5 s (not the dial\'s 10 s) and the next attempt follows at once', async () => {
  // AbortSignal.timeout runs on a timer of Node's own, which the fake clock does not drive
  vi.spyOn(AbortSignal, 'timeout').mockImplementation((ms) => {
    const controller = new AbortController()
    setTimeout(() => { controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')) }, ms)
    return controller.signal
  })
  const attempts: number[] = []
  const { sender, delivered, item } = await makeSender(async (delivered, options) => {
    attempts.push(Date.now())
    if (attempts.length === 1) return await stalled(options)
    return await receiving(delivered)
  }, true)
  const startedAt = Date.now()
  sender.enqueue(item)
  sender.start()
  while (delivered.length === 0 && Date.now() - startedAt < BOUND_MS) await vi.advanceTimersByTimeAsync(100)
  expect(delivered).toEqual([item.id])
  expect(attempts[1] - attempts[0]).toBeLessThanOrEqual(OPEN_STREAM_CONNECTED_TIMEOUT_MS + 1_000)
  expect(attempts[1] - attempts[0]).toBeLessThan(OPEN_STREAM_TIMEOUT_MS)
  await sender.stop()
})

it('an attempt still dialling the peer gives way at once to a connection the peer opens to us', async () => {
  const attempts: number[] = []
  const conns: Connection[] = []
  const { sender, delivered, item } = await makeSender(async (delivered, options) => {
    attempts.push(Date.now())
    // no connection: a dial that hangs (the peer's side closes it during its opening, after seconds)
    if (conns.length === 0) return await stalled(options)
    return await receiving(delivered)
  }, () => conns)
  sender.enqueue(item)
  sender.start()
  await vi.advanceTimersByTimeAsync(1_000)
  expect(attempts).toHaveLength(1)
  const inbound = { status: 'open', direction: 'inbound' } as unknown as Connection
  conns.push(inbound)
  const connectedAt = Date.now()
  sender.retryNow(inbound)
  while (delivered.length === 0 && Date.now() - connectedAt < BOUND_MS) await vi.advanceTimersByTimeAsync(10)
  expect(delivered).toEqual([item.id])
  expect(Date.now() - connectedAt).toBeLessThanOrEqual(500)
  expect(sender.status().failures).toBe(0)
  await sender.stop()
})
