/**
 * Chat round-trip time and throughput (1 KiB texts) between two nodes over
 * TCP loopback, next to a raw lpStream echo measured in the same run between
 * the same two nodes. Chat RTT is send() to its delivery receipt: it includes
 * the sender's and the receiver's datastore writes. Throughput issues all
 * send() calls at once (each still resolves only once its text is on disk),
 * as the echo baseline writes without waiting for replies; the serial figure
 * awaits each send() before the next and so measures send() latency.
 */
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { lpStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { PresenceNode } from '../node/presence-node.js'
import { percentile, result } from './result.js'
import type { BenchResult } from './result.js'
import type { ChatServiceInit } from '../node/chat/index.js'

const ECHO_PROTOCOL = '/presence-mesh/bench-echo/1.0.0'
const PAYLOAD_BYTES = 1024
const RTT_WARMUP = 50
const RTT_RUNS = 1000
const THROUGHPUT_MESSAGES = 5000
const PACED_MESSAGES = 1000
/** Lifts the per-peer rate limit and sender pacing, to measure the protocol rather than the policy. */
const UNPACED: ChatServiceInit = { maxFramesPerSecond: 1e9, sendRatePerSecond: 1e9, sendBurst: 1e9 }

const text = 'x'.repeat(PAYLOAD_BYTES)
const payload = new Uint8Array(PAYLOAD_BYTES).fill(0x78)

async function startPair (chat?: ChatServiceInit): Promise<{ a: PresenceNode, b: PresenceNode, stop: () => Promise<void> }> {
  const homes = await Promise.all(['a', 'b'].map(async n => await fs.mkdtemp(path.join(os.tmpdir(), `pm-bench-chat-${n}-`))))
  const [a, b] = await Promise.all(homes.map(async home => await PresenceNode.start({ home, listen: ['/ip4/127.0.0.1/tcp/0'], sharedHost: true, chat })))
  await a.watch(b.peerId, 'b')
  await b.watch(a.peerId, 'a')
  await a.libp2p.dial(multiaddr(b.addresses()[0]))
  return {
    a,
    b,
    stop: async () => {
      await Promise.all([a.stop(), b.stop()])
      await Promise.all(homes.map(async h => { await fs.rm(h, { recursive: true, force: true }) }))
    }
  }
}

/** Waits for delivery receipts by message id, whether they come before or after the wait starts. */
function receipts (node: PresenceNode): { delivered: (id: string) => Promise<void>, count: () => number } {
  const done = new Set<string>()
  const waiters = new Map<string, () => void>()
  node.chat.addEventListener('state', (evt) => {
    if (evt.detail.state !== 'delivered') return
    done.add(evt.detail.id)
    waiters.get(evt.detail.id)?.()
  })
  return {
    delivered: async (id) => {
      if (done.has(id)) return
      await new Promise<void>(resolve => waiters.set(id, resolve))
      waiters.delete(id)
    },
    count: () => done.size
  }
}

async function measureEcho (a: PresenceNode, b: PresenceNode): Promise<{ rtts: number[], throughput: number }> {
  await b.libp2p.handle(ECHO_PROTOCOL, async (stream) => {
    const lp = lpStream(stream, { maxDataLength: 2 * PAYLOAD_BYTES })
    try {
      while (true) await lp.write(await lp.read())
    } catch {
      stream.abort(new Error('echo done'))
    }
  })
  const stream = await a.libp2p.dialProtocol(b.peerId, ECHO_PROTOCOL)
  const lp = lpStream(stream, { maxDataLength: 2 * PAYLOAD_BYTES })
  const rtts: number[] = []
  for (let i = 0; i < RTT_WARMUP + RTT_RUNS; i++) {
    const t0 = performance.now()
    await lp.write(payload)
    await lp.read()
    if (i >= RTT_WARMUP) rtts.push(performance.now() - t0)
  }
  const t0 = performance.now()
  const reader = (async () => { for (let i = 0; i < THROUGHPUT_MESSAGES; i++) await lp.read() })()
  for (let i = 0; i < THROUGHPUT_MESSAGES; i++) await lp.write(payload)
  await reader
  const throughput = THROUGHPUT_MESSAGES / ((performance.now() - t0) / 1000)
  stream.abort(new Error('echo done'))
  await b.libp2p.unhandle(ECHO_PROTOCOL)
  return { rtts: rtts.sort((x, y) => x - y), throughput }
}

async function measureChatRtt (a: PresenceNode, b: PresenceNode): Promise<number[]> {
  const r = receipts(a)
  const rtts: number[] = []
  for (let i = 0; i < RTT_WARMUP + RTT_RUNS; i++) {
    const t0 = performance.now()
    await r.delivered(await a.send(b.peerId, text))
    if (i >= RTT_WARMUP) rtts.push(performance.now() - t0)
  }
  return rtts.sort((x, y) => x - y)
}

async function measureChatThroughput (a: PresenceNode, b: PresenceNode, n: number, serial = false): Promise<{ throughput: number, elu: number }> {
  const r = receipts(a)
  const elu0 = performance.eventLoopUtilization()
  const t0 = performance.now()
  let last = ''
  if (serial) {
    for (let i = 0; i < n; i++) last = await a.send(b.peerId, text)
  } else {
    const ids = await Promise.all(Array.from({ length: n }, async () => await a.send(b.peerId, text)))
    last = ids[n - 1]
  }
  await r.delivered(last)
  const seconds = (performance.now() - t0) / 1000
  if (r.count() < n) throw new Error(`only ${r.count()} of ${n} delivered`)
  return { throughput: n / seconds, elu: performance.eventLoopUtilization(elu0).utilization }
}

export async function benchChat (): Promise<BenchResult[]> {
  const fast = await startPair(UNPACED)
  let echo, chatRtts, chat, serial
  try {
    echo = await measureEcho(fast.a, fast.b)
    chatRtts = await measureChatRtt(fast.a, fast.b)
    chat = await measureChatThroughput(fast.a, fast.b, THROUGHPUT_MESSAGES)
    serial = await measureChatThroughput(fast.a, fast.b, THROUGHPUT_MESSAGES, true)
  } finally {
    await fast.stop()
  }
  const paced = await startPair()
  let defaults
  try {
    defaults = await measureChatThroughput(paced.a, paced.b, PACED_MESSAGES)
  } finally {
    await paced.stop()
  }

  const common = { nodes: 2 }
  const where = 'two nodes in one process, TCP loopback, Noise + yamux'
  return [
    result({ name: 'chat.rtt.p50', value: percentile(chatRtts, 50), unit: 'ms', baseline: 'lpStream echo rtt p50', baselineValue: percentile(echo.rtts, 50), runs: RTT_RUNS, ...common, notes: `1 KiB text, send() to delivery receipt incl. datastore writes on both sides; ${where}` }),
    result({ name: 'chat.rtt.p99', value: percentile(chatRtts, 99), unit: 'ms', baseline: 'lpStream echo rtt p99', baselineValue: percentile(echo.rtts, 99), runs: RTT_RUNS, ...common, notes: `as chat.rtt.p50; ${RTT_WARMUP} warm-up round trips dropped` }),
    result({ name: 'chat.throughput', value: chat.throughput, unit: 'msgs/s', baseline: 'lpStream echo throughput', baselineValue: echo.throughput, runs: THROUGHPUT_MESSAGES, ...common, notes: `${THROUGHPUT_MESSAGES} x 1 KiB texts, all send() calls issued at once, until the last delivery receipt; rate limit and pacing lifted; event loop utilisation ${chat.elu.toFixed(2)}; ${where}` }),
    result({ name: 'chat.throughput.serial', value: serial.throughput, unit: 'msgs/s', baseline: 'lpStream echo throughput', baselineValue: echo.throughput, runs: THROUGHPUT_MESSAGES, ...common, notes: `as chat.throughput, but each send() awaited before the next (bound by send() latency: one datastore batch plus the event loop it shares); event loop utilisation ${serial.elu.toFixed(2)}` }),
    result({ name: 'chat.throughput.paced', value: defaults.throughput, unit: 'msgs/s', baseline: 'lpStream echo throughput', baselineValue: echo.throughput, runs: PACED_MESSAGES, ...common, notes: `default limits: sender pacing 250 msgs/s after a burst of 100 per peer (receiver limit 500 frames/s); ${PACED_MESSAGES} x 1 KiB` })
  ]
}
