/**
 * Listen addresses checked before libp2p starts, so that a port in use or
 * an address this machine does not have is one typed error naming the
 * address (libp2p reports them as one paragraph about its own settings).
 */
import net from 'node:net'
import { multiaddr } from '@multiformats/multiaddr'
import { ListenError } from './errors.js'
import type { ListenProblem } from './errors.js'

const PROBLEMS: Record<string, ListenProblem> = { EADDRINUSE: 'in-use', EADDRNOTAVAIL: 'not-local', EACCES: 'denied', EPERM: 'denied' }

/** Throws a ListenError for the first address the node could not listen on. */
export async function checkListenAddresses (addresses: string[]): Promise<void> {
  for (const address of addresses) {
    const parts = multiaddr(address).getComponents()
    if (parts.some(c => c.name === 'p2p-circuit')) continue
    const [ip, tcp, ...rest] = parts
    if ((ip?.name !== 'ip4' && ip?.name !== 'ip6') || tcp?.name !== 'tcp' || rest.some(c => c.name !== 'p2p')) {
      throw new ListenError(address, 'unsupported', 'this node listens on TCP: /ip4/<address>/tcp/<port> or /ip6/<address>/tcp/<port>')
    }
    const port = Number(tcp.value)
    if (port === 0) continue
    await new Promise<void>((resolve, reject) => {
      const server = net.createServer()
      server.once('error', (err: any) => {
        const problem = PROBLEMS[err.code]
        reject(problem != null ? new ListenError(address, problem, err.code) : err)
      })
      server.listen({ host: ip.value, port, exclusive: true }, () => { server.close(() => { resolve() }) })
    })
  }
}
