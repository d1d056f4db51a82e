/**
 * A connected TCP socket as a libp2p MultiaddrConnection, for sockets libp2p
 * did not open itself (a hole punch's simultaneous open, where one side must
 * run the upgrade as the responder although it dialed). Modelled on
 * @libp2p/tcp's socket-to-conn, which that package does not export.
 */
import net from 'node:net'
import { AbstractMultiaddrConnection } from '@libp2p/utils'
import type { AbortOptions, Logger, MessageStreamDirection } from '@libp2p/interface'
import type { SendResult } from '@libp2p/utils'
import type { Multiaddr } from '@multiformats/multiaddr'

/** An idle punched connection is closed like an idle TCP one (@libp2p/tcp's default). */
const INACTIVITY_TIMEOUT_MS = 2 * 60_000

class SocketConnection extends AbstractMultiaddrConnection {
  constructor (private readonly socket: net.Socket, init: { remoteAddr: Multiaddr, direction: MessageStreamDirection, log: Logger }) {
    super({ ...init, inactivityTimeout: INACTIVITY_TIMEOUT_MS })
    socket.on('data', buf => { this.onData(buf) })
    socket.on('error', err => { this.abort(err) })
    socket.setTimeout(INACTIVITY_TIMEOUT_MS)
    socket.once('timeout', () => { this.abort(new Error('TCP connection idle too long')) })
    socket.once('end', () => { this.onTransportClosed() })
    socket.once('close', hadError => {
      if (hadError) this.abort(new Error('TCP transmission error'))
      else this.onTransportClosed()
    })
    socket.on('drain', () => { this.safeDispatchEvent('drain') })
  }

  sendData (data: Parameters<AbstractMultiaddrConnection['sendData']>[0]): SendResult {
    let sentBytes = 0
    let canSendMore = true
    for (const buf of data) {
      sentBytes += buf.byteLength
      canSendMore = this.socket.write(buf)
      if (!canSendMore) break
    }
    return { sentBytes, canSendMore }
  }

  async sendClose (options?: AbortOptions): Promise<void> {
    if (this.socket.destroyed) return
    this.socket.destroySoon()
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => { reject(options?.signal?.reason) }
      options?.signal?.addEventListener('abort', onAbort, { once: true })
      this.socket.once('close', () => {
        options?.signal?.removeEventListener('abort', onAbort)
        resolve()
      })
    })
  }

  sendReset (): void {
    if (this.socket.writableEnded) this.socket.destroy()
    else this.socket.resetAndDestroy()
  }

  sendPause (): void { this.socket.pause() }
  sendResume (): void { this.socket.resume() }
}

export function socketConnection (socket: net.Socket, init: { remoteAddr: Multiaddr, direction: MessageStreamDirection, log: Logger }): AbstractMultiaddrConnection {
  return new SocketConnection(socket, init)
}

/** Connects from a chosen local port; rejects on error or abort (the socket is then destroyed). */
export async function connectFrom (localPort: number, host: string, port: number, signal: AbortSignal): Promise<net.Socket> {
  signal.throwIfAborted()
  return await new Promise((resolve, reject) => {
    const socket = net.connect({ host, port, localPort, noDelay: true, keepAlive: true })
    const done = (err?: Error): void => {
      signal.removeEventListener('abort', onAbort)
      socket.removeListener('error', done)
      socket.removeListener('connect', onConnect)
      if (err != null) {
        socket.destroy()
        reject(err)
      } else {
        resolve(socket)
      }
    }
    const onConnect = (): void => { done() }
    const onAbort = (): void => { done(signal.reason ?? new Error('aborted')) }
    socket.once('connect', onConnect)
    socket.once('error', done)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}
