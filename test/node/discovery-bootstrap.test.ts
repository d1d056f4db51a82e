/**
 * @libp2p/bootstrap dials each bootstrap peer once; ours retries with a
 * bounded backoff, so a node started before its bootstrap peer still joins.
 */
import net from 'node:net'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { afterEach, expect, it } from 'vitest'
import { loadOrCreateIdentity } from '../../node/home.js'
import { cleanupHomes, startNode, tmpHome, waitFor } from '../helpers.js'
import type { PresenceNode } from '../../node/presence-node.js'

const running: PresenceNode[] = []
afterEach(async () => {
  await Promise.all(running.splice(0).map(async n => n.stop()))
  await cleanupHomes()
})

async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo
      srv.close(() => { resolve(port) })
    }).on('error', reject)
  })
}

it('a bootstrap peer that is down at start is retried until it comes up', async () => {
  const homeB = await tmpHome('boot-b')
  const idB = peerIdFromPrivateKey((await loadOrCreateIdentity(homeB)).privateKey)
  const port = await freePort()
  const a = await startNode({ bootstrap: [`/ip4/127.0.0.1/tcp/${port}/p2p/${idB.toString()}`] })
  running.push(a)
  // the first dial fails: nobody listens there yet
  await waitFor(async () => (await a.libp2p.peerStore.get(idB).catch(() => undefined))?.metadata.has('last-dial-failure') === true, 'the first bootstrap dial to fail')
  // a bootstrap node is a relay (docs/operations.md): it admits whoever joins through it
  const b = await startNode({ home: homeB, listen: [`/ip4/127.0.0.1/tcp/${port}`], relay: true })
  running.push(b)
  await waitFor(() => a.libp2p.getConnections(idB).length > 0, 'A to reach its bootstrap peer on a retry')
  expect(a.libp2p.getConnections(idB)[0].direction).toBe('outbound')
})

it('a bootstrap address without a peer id is a clear error', async () => {
  await expect(startNode({ bootstrap: ['/ip4/127.0.0.1/tcp/1'] })).rejects.toThrow(/must end in \/p2p\/<peer id>/)
})
