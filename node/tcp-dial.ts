/**
 * The TCP transport with a dial's abort signal that ends with the dial.
 *
 * @libp2p/tcp 11.0.28 hands the dial's options, signal included, to Node's
 * `net.connect` (tcp.js `_connect`: `multiaddrToNetConfig(ma, { ...options })`),
 * and Node destroys a socket whose `signal` aborts at any time in its life,
 * not only while it connects. libp2p's dial queue gives each address a
 * signal that aborts after 6 s (or when every caller waiting for the dial
 * gave up) and lets go of it only after the dial returned and the peer store
 * recorded the success (dial-queue.js: `addressSignal.clear()` after
 * `peerStore.merge`). Under load that write waits behind others, so a
 * connection that was up, listed and carrying streams was destroyed seconds
 * later ("AbortError: The operation was aborted"): in the chaos run, 5 s
 * after a restart's connection opened, taking the gossip streams on it with
 * it. Here the signal the transport sees follows the dial's only until the
 * transport's dial returns (the connection upgraded): an abort stops a dial,
 * never a connection.
 */
import { tcp } from '@libp2p/tcp'
import type { TCPComponents, TCPOptions } from '@libp2p/tcp'
import type { Transport } from '@libp2p/interface'

export function tcpTransport (init?: TCPOptions): (components: TCPComponents) => Transport {
  const make = tcp(init)
  return (components) => {
    const transport = make(components)
    const dial = transport.dial.bind(transport)
    transport.dial = async (ma, options) => {
      const dialing = new AbortController()
      const follow = (): void => { dialing.abort(options.signal.reason) }
      if (options.signal.aborted) follow()
      else options.signal.addEventListener('abort', follow, { once: true })
      try {
        return await dial(ma, { ...options, signal: dialing.signal })
      } finally {
        options.signal.removeEventListener('abort', follow)
      }
    }
    return transport
  }
}
