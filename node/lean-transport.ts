/**
 * Noise and yamux as the factory wires them, without two costs the libraries
 * add to every message (measured: docs/benchmarks.md, presence.direct on
 * `s5-direct`; reports for the libraries: docs/upstream/lean-transport.md).
 *
 * - yamux (@libp2p/yamux 8.0.3) answers every data frame it reads with a
 *   window update: one more frame, encrypted and written to the socket, back
 *   to the sender for every message, which the sender reads and decrypts
 *   too. A presence change to 50 watchers was 50 frames out and 50 back.
 *   Here a stream's window is topped up once half of it is used (go-yamux's
 *   and rust-yamux's rule): a small message costs its own frame and nothing
 *   back, and a bulk sender always has at least half a window to send into.
 *   Updates that carry flags (SYN, ACK) go as before.
 * - yamux pings every connection (its keep-alive) but waits for the answer
 *   forever ("TODO: should abort here?"), and libp2p's connection monitor
 *   does not abort either (node/libp2p.ts CONNECTION_MONITOR: its ping needs
 *   a stream negotiation, which a busy peer fails). So a connection whose far
 *   end is gone without a word (a NAT that forgot it, a machine that
 *   vanished, a muxer the peer no longer reads) stayed listed for minutes,
 *   and gossip was published into it. Here the muxer's own ping (one frame,
 *   answered below any stream or handler, so a busy peer still answers) has
 *   a deadline; unanswered, the connection is aborted: both sides' lists
 *   then agree again and what used it redials (KEEPALIVE).
 * - Noise (@chainsafe/libp2p-noise 17) learns that its read buffer holds no
 *   further frame from a RangeError, made with a stack trace and thrown, at
 *   the end of every chunk it reads. Here nothing is thrown.
 * - Noise hands each message to the transport as two buffers, its 2-byte
 *   length and the ciphertext, and the TCP transport writes each buffer on
 *   its own: two system calls, and two TCP segments on a connection without
 *   Nagle's delay, so the reader may wake for the 2 bytes alone. Here a
 *   message of one Noise frame goes as one buffer (one copy of the frame).
 *
 * Both reach into the libraries' objects; where a version lacks what this
 * relies on, it keeps the library's own behaviour (test/node/lean-transport.test.ts).
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@libp2p/yamux'
import type { NoiseComponents } from '@chainsafe/libp2p-noise'
import type { NoiseExtensions } from '@chainsafe/libp2p-noise'
import type { ConnectionEncrypter, MessageStream, StreamMuxerFactory } from '@libp2p/interface'
import type { YamuxMuxerInit } from '@libp2p/yamux'
import type { Uint8ArrayList } from 'uint8arraylist'

// ---- yamux ----

/**
 * A connection's muxer is checked every `intervalMs` and pinged unless it
 * read something since the last check (a record, the peer's own ping: the
 * link carries data back, which is all a ping would prove); a ping not
 * answered within `deadlineMs` aborts the connection. So a link that went
 * silent is pinged within two intervals and cut within 2 x 15 + 45 s (75 s;
 * 60 s while every check pinged, at the price of four ping frames a
 * connection and a minute each way, most of the idle node's socket traffic:
 * docs/benchmarks.md, session 15). The deadline is far above any event-loop
 * stall the chaos run measured (up to 5 s on a loaded 2-core machine), so
 * only a link that carries nothing back is cut.
 */
export const KEEPALIVE = { intervalMs: 15_000, deadlineMs: 45_000 }

export class DeadConnectionError extends Error {
  override readonly name = 'DeadConnectionError'
  constructor (deadlineMs: number) {
    super(`the peer answered no keep-alive ping within ${deadlineMs} ms`)
  }
}

/** The parts of a YamuxMuxer the deadline relies on. */
interface PingingMuxer {
  status: string
  ping: (options?: { signal?: AbortSignal }) => Promise<number>
}

function abortWhenSilent (muxer: PingingMuxer, conn: MessageStream, opts: typeof KEEPALIVE): void {
  let pinging = false
  // something read since the last check: the link is alive, no ping needed
  let heard = false
  const onMessage = (): void => { heard = true }
  conn.addEventListener('message', onMessage)
  const check = (): void => {
    if (pinging || muxer.status !== 'open') return
    if (heard) {
      heard = false
      return
    }
    pinging = true
    muxer.ping({ signal: AbortSignal.timeout(opts.deadlineMs) }).then(() => {}, (err: Error) => {
      // a muxer closed meanwhile fails its ping too: only a ping left unanswered counts
      if (err?.name !== 'TimeoutError' || muxer.status !== 'open' || conn.status !== 'open') return
      const dead = new DeadConnectionError(opts.deadlineMs)
      conn.log.error('aborting the connection - %e', dead)
      conn.abort(dead)
    }).finally(() => { pinging = false })
  }
  // at once too, as the library's keep-alive did: a stream's receive window grows only once the RTT is known
  check()
  const timer = setInterval(check, opts.intervalMs)
  timer.unref?.()
  conn.addEventListener('close', () => {
    clearInterval(timer)
    conn.removeEventListener('message', onMessage)
  }, { once: true })
}

/** The parts of a YamuxStream this relies on. */
interface WindowedStream {
  state: number
  recvWindow: number
  recvWindowCapacity: number
  sendWindowUpdate: () => void
}

/** YamuxStream's StreamState.Established: its updates carry no flags. */
const ESTABLISHED = 3

function halfWindowUpdates (stream: WindowedStream): void {
  const update = stream.sendWindowUpdate.bind(stream)
  stream.sendWindowUpdate = () => {
    // less than half the window used: the sender still has more than half to send into
    if (stream.state === ESTABLISHED && stream.recvWindowCapacity * 2 > stream.recvWindow) return
    update()
  }
}

export function leanYamux (init: YamuxMuxerInit = {}, keepAlive: typeof KEEPALIVE = KEEPALIVE): () => StreamMuxerFactory {
  // the deadline's pings replace the library's (which never give up)
  const make = yamux({ enableKeepAlive: false, ...init })
  return () => {
    const factory = make()
    const create = factory.createStreamMuxer.bind(factory)
    factory.createStreamMuxer = (conn) => {
      const muxer = create(conn)
      const pinging = muxer as unknown as Partial<PingingMuxer>
      if (typeof pinging.ping === 'function') abortWhenSilent(pinging as PingingMuxer, conn, keepAlive)
      const maker = muxer as unknown as { _newStream?: (...args: unknown[]) => WindowedStream }
      const newStream = maker._newStream?.bind(muxer)
      if (newStream == null) return muxer
      maker._newStream = (...args) => {
        const stream = newStream(...args)
        if (typeof stream.recvWindow === 'number' && typeof stream.recvWindowCapacity === 'number' && typeof stream.sendWindowUpdate === 'function') halfWindowUpdates(stream)
        return stream
      }
      return muxer
    }
    return factory
  }
}

// ---- noise ----

interface LengthDecoder {
  lengthDecoder?: unknown
  maxDataLength?: unknown
}

/** The parts of Noise's encrypted connection this relies on. */
interface EncryptingConnection {
  decoder?: LengthDecoder
  encrypt?: (chunk: Uint8Array | Uint8ArrayList) => Uint8ArrayList | Uint8Array
}

/**
 * Noise's frame length (uint16, big-endian) as the library reads it, except
 * that with fewer than 2 bytes buffered it answers the decoder's largest
 * length instead of throwing: LengthPrefixedDecoder then waits for that many
 * bytes, that is for more input, exactly as after its RangeError.
 */
function quietLength (maxDataLength: number): (data: Uint8Array | Uint8ArrayList) => number {
  return (data) => {
    if (data.length < 2) return maxDataLength
    return data instanceof Uint8Array ? (data[0] << 8) | data[1] : data.getUint16(0)
  }
}

/** A Noise frame's largest size on the wire: its 2-byte length and up to 65,535 bytes. */
const ONE_FRAME_BYTES = 2 + 65_535

/** One Noise frame (its length and ciphertext) as one buffer: one write to the transport; longer messages as the library made them. */
function oneBufferFrames (conn: EncryptingConnection): void {
  const encrypt = conn.encrypt
  if (typeof encrypt !== 'function') return
  conn.encrypt = (chunk) => {
    const frames = encrypt.call(conn, chunk)
    return frames instanceof Uint8Array || frames.byteLength > ONE_FRAME_BYTES ? frames : frames.subarray()
  }
}

function leanConnection<T extends { connection: unknown }> (secured: T): T {
  const conn = secured.connection as EncryptingConnection
  const decoder = conn.decoder
  if (typeof decoder?.lengthDecoder === 'function' && typeof decoder.maxDataLength === 'number' && decoder.maxDataLength >= 0) {
    decoder.lengthDecoder = quietLength(decoder.maxDataLength)
  }
  oneBufferFrames(conn)
  return secured
}

export function leanNoise (init?: Parameters<typeof noise>[0]): (components: NoiseComponents) => ConnectionEncrypter<NoiseExtensions> {
  const make = noise(init)
  return (components) => {
    const encrypter = make(components)
    const inbound = encrypter.secureInbound.bind(encrypter)
    const outbound = encrypter.secureOutbound.bind(encrypter)
    encrypter.secureInbound = async (...args) => leanConnection(await inbound(...args))
    encrypter.secureOutbound = async (...args) => leanConnection(await outbound(...args))
    return encrypter
  }
}
