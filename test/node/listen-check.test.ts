/** Addresses the node cannot listen on, and a home that is no directory: one typed error each, nothing left behind. */
import fs from 'node:fs/promises'
import net from 'node:net'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { checkListenAddresses } from '../../node/listen-check.js'
import { PresenceNode } from '../../node/presence-node.js'
import { readRuntime } from '../../node/home.js'
import { cleanupHomes, tmpHome } from '../helpers.js'

afterAll(cleanupHomes)

describe('listen addresses', () => {
  it('names a port in use, an address this machine lacks, and an unsupported transport', async () => {
    const server = net.createServer()
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    const port = (server.address() as net.AddressInfo).port
    try {
      await expect(checkListenAddresses([`/ip4/127.0.0.1/tcp/${port}`])).rejects.toMatchObject({ name: 'ListenError', problem: 'in-use', address: `/ip4/127.0.0.1/tcp/${port}` })
      const home = await tmpHome()
      await expect(PresenceNode.start({ home, listen: [`/ip4/127.0.0.1/tcp/${port}`], mdns: false })).rejects.toMatchObject({ name: 'ListenError', problem: 'in-use' })
      // the failed start released the home
      expect(await readRuntime(home)).toBeUndefined()
    } finally {
      server.close()
    }
    // TEST-NET-3 (RFC 5737): never an address of this machine; nothing is sent
    await expect(checkListenAddresses(['/ip4/203.0.113.7/tcp/4791'])).rejects.toMatchObject({ problem: 'not-local' })
    await expect(checkListenAddresses(['/ip4/127.0.0.1/udp/4000/quic-v1'])).rejects.toMatchObject({ problem: 'unsupported' })
    await expect(checkListenAddresses(['/ip4/127.0.0.1/tcp/0', '/p2p-circuit'])).resolves.toBeUndefined()
  })

  it('a home that is a file is a HomeError', async () => {
    const dir = await tmpHome()
    const file = path.join(dir, 'a-file')
    await fs.writeFile(file, 'x')
    await expect(PresenceNode.start({ home: file, listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false })).rejects.toMatchObject({ name: 'HomeError', problem: 'not-a-directory' })
  })
})
