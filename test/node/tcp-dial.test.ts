/**
 * A dial's abort signal stops the dial, never the connection it made: the
 * TCP transport handed it to Node's socket, which is destroyed whenever that
 * signal aborts, and libp2p's dial queue lets the signal run (6 s per
 * address) until after the peer store recorded the dial (node/tcp-dial.ts).
 */
import { getEventListeners } from 'node:events'
import net from 'node:net'
import { defaultLogger } from '@libp2p/logger'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { afterEach, expect, it } from 'vitest'
import { tcpTransport } from '../../node/tcp-dial.js'
import { waitFor } from '../helpers.js'
import type { Transport, Upgrader } from '@libp2p/interface'

const cleanups: Array<() => void> = []
afterEach(() => { for (const c of cleanups.splice(0)) c() })

/** A TCP server that echoes: the far end, whose sockets tell when our side went away. */
async function farEnd (): Promise<{ port: number, ended: () => boolean }> {
  let ended = false
  const server = net.createServer(socket => {
    socket.on('error', () => {})
    socket.on('data', (buf) => { socket.write(buf) })
    socket.on('close', () => { ended = true })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  cleanups.push(() => { server.close() })
  return { port: (server.address() as net.AddressInfo).port, ended: () => ended }
}

/** The transport's raw connection, unupgraded: what the signal reaches is the socket under it. */
const upgrader = { upgradeOutbound: async (maConn: unknown) => maConn } as unknown as Upgrader

interface RawConnection { status: string, send: (data: Uint8Array) => boolean, abort: (err: Error) => void, addEventListener: (type: 'message', fn: (evt: { data: { byteLength: number } }) => void) => void }

/** Dials the far end, then aborts the dial's signal (as the dial queue's address timeout does, or every caller giving up). */
async function dialThenAbort (make: (components: any) => Transport): Promise<{ conn: RawConnection, far: Awaited<ReturnType<typeof farEnd>> }> {
  const far = await farEnd()
  const transport = make({ logger: defaultLogger() })
  const dialing = new AbortController()
  const conn = await transport.dial(multiaddr(`/ip4/127.0.0.1/tcp/${far.port}`), { signal: dialing.signal, upgrader }) as unknown as RawConnection
  cleanups.push(() => { conn.abort(new Error('test over')) })
  expect(conn.status).toBe('open')
  dialing.abort()
  return { conn, far }
}

it('keeps a connection open when the signal of the dial that made it aborts afterwards', async () => {
  const { conn, far } = await dialThenAbort(tcpTransport())
  let echoed = 0
  conn.addEventListener('message', (evt) => { echoed += evt.data.byteLength })
  conn.send(new Uint8Array(5))
  await waitFor(() => echoed === 5 || conn.status !== 'open', 'the far end to echo', 10_000)
  expect(conn.status).toBe('open')
  expect(echoed).toBe(5)
  expect(far.ended()).toBe(false)
})

// why node/tcp-dial.ts exists; when a version of @libp2p/tcp fails this, the wrapper can go
it('(the library alone destroys the connection when the signal of the dial that made it aborts)', async () => {
  const { conn, far } = await dialThenAbort(tcp())
  await waitFor(() => conn.status !== 'open' && far.ended(), 'the connection to be destroyed at both ends', 10_000)
  expect(conn.status).toBe('aborted')
})

it('still stops a dial whose signal aborts while it connects or upgrades', async () => {
  const far = await farEnd()
  const transport = tcpTransport()({ logger: defaultLogger() } as any)
  const dialing = new AbortController()
  const stalled = { upgradeOutbound: async (maConn: any, opts: { signal: AbortSignal }) => await new Promise((resolve, reject) => { opts.signal.addEventListener('abort', () => { reject(opts.signal.reason) }) }) } as unknown as Upgrader
  const dial = transport.dial(multiaddr(`/ip4/127.0.0.1/tcp/${far.port}`), { signal: dialing.signal, upgrader: stalled })
  setTimeout(() => { dialing.abort() }, 50)
  await expect(dial).rejects.toThrow()
  await waitFor(() => far.ended(), 'the far end to see the socket go', 5_000)
})

it('leaves no listener on the dial\'s signal after a dial that worked, was refused or failed its upgrade', async () => {
  // review s8-halfopen: the dial queue may reuse a long-lived signal (a caller's, the shutdown controller's)
  const far = await farEnd()
  const closed = net.createServer()
  await new Promise<void>(resolve => closed.listen(0, '127.0.0.1', resolve))
  const refusedPort = (closed.address() as net.AddressInfo).port
  await new Promise<void>(resolve => closed.close(() => { resolve() }))
  const transport = tcpTransport()({ logger: defaultLogger() } as any)
  const outer = new AbortController()
  const failing = { upgradeOutbound: async () => { throw new Error('test: upgrade failed') } } as unknown as Upgrader
  const conn = await transport.dial(multiaddr(`/ip4/127.0.0.1/tcp/${far.port}`), { signal: outer.signal, upgrader }) as unknown as RawConnection
  cleanups.push(() => { conn.abort(new Error('test over')) })
  expect(getEventListeners(outer.signal, 'abort')).toHaveLength(0)
  await expect(transport.dial(multiaddr(`/ip4/127.0.0.1/tcp/${refusedPort}`), { signal: outer.signal, upgrader })).rejects.toThrow()
  expect(getEventListeners(outer.signal, 'abort')).toHaveLength(0)
  await expect(transport.dial(multiaddr(`/ip4/127.0.0.1/tcp/${far.port}`), { signal: outer.signal, upgrader: failing })).rejects.toThrow('test: upgrade failed')
  expect(getEventListeners(outer.signal, 'abort')).toHaveLength(0)
  outer.abort()
  expect(conn.status).toBe('open')
})
