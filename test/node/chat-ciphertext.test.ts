/**
 * What a machine in the middle sees of a chat: a TCP forwarder between two
 * nodes stands in for a relay (a circuit relay forwards the same bytes: the
 * relayed connection is upgraded with Noise end to end, like this one).
 */
import net from 'node:net'
import { multiaddr } from '@multiformats/multiaddr'
import { afterEach, describe, expect, it } from 'vitest'
import { cleanupHomes, startNode, waitFor } from '../helpers.js'
import type { PresenceNode } from '../../node/presence-node.js'

const nodes: PresenceNode[] = []
const servers: net.Server[] = []

afterEach(async () => {
  await Promise.all(nodes.splice(0).map(async n => { await n.stop() }))
  for (const s of servers.splice(0)) s.close()
  await cleanupHomes()
})

/** Forwards 127.0.0.1:<port> to `target`, keeping a copy of every byte either way. */
async function forwarder (target: number): Promise<{ port: number, seen: Buffer[], sockets: net.Socket[] }> {
  const seen: Buffer[] = []
  const sockets: net.Socket[] = []
  const server = net.createServer((inbound) => {
    const outbound = net.connect(target, '127.0.0.1')
    sockets.push(inbound, outbound)
    inbound.on('data', (d: Buffer) => { seen.push(d); outbound.write(d) })
    outbound.on('data', (d: Buffer) => { seen.push(d); inbound.write(d) })
    inbound.on('close', () => outbound.destroy())
    outbound.on('close', () => inbound.destroy())
    inbound.on('error', () => {})
    outbound.on('error', () => {})
  })
  servers.push(server)
  server.on('close', () => { for (const s of sockets) s.destroy() })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  return { port: (server.address() as net.AddressInfo).port, seen, sockets }
}

describe('chat on the wire', () => {
  it('shows a forwarding machine only ciphertext', async () => {
    const a = await startNode()
    const b = await startNode()
    nodes.push(a, b)
    await a.watch(b.peerId, 'bob')
    await b.watch(a.peerId, 'alice')
    const bPort = Number(/\/tcp\/(\d+)/.exec(b.addresses()[0])?.[1])
    const fwd = await forwarder(bPort)
    await a.libp2p.dial(multiaddr(`/ip4/127.0.0.1/tcp/${fwd.port}/p2p/${b.peerId.toString()}`))

    const secret = `secret-${crypto.randomUUID()}`
    const reply = `reply-${crypto.randomUUID()}`
    const got: string[] = []
    b.chat.addEventListener('message', (evt) => { got.push(evt.detail.text) })
    a.chat.addEventListener('message', (evt) => { got.push(evt.detail.text) })
    await a.send('bob', secret)
    await b.send('alice', reply)
    await waitFor(() => got.includes(secret) && got.includes(reply), 'both texts delivered through the forwarder')
    // the texts went through the forwarder, not some other connection
    expect(a.libp2p.getConnections(b.peerId).map(c => c.remoteAddr.toString())).toEqual([`/ip4/127.0.0.1/tcp/${fwd.port}/p2p/${b.peerId.toString()}`])

    const wire = Buffer.concat(fwd.seen)
    expect(wire.byteLength).toBeGreaterThan(1000)
    // only the encryption negotiation is in the clear...
    expect(wire.includes('/noise')).toBe(true)
    // ...not the texts, nor the protocols spoken inside, nor the aliases
    for (const plain of [secret, reply, '/presence-mesh/chat/1.0.0', '/yamux/1.0.0', 'alice', 'bob']) {
      expect(wire.includes(Buffer.from(plain, 'utf8')), plain).toBe(false)
    }
  })
})
