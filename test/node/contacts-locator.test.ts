/**
 * Locating outside public mode: A is a DHT client with no plain DHT record;
 * its contact B finds A's new address through the sealed locator record A
 * left for it, while a stranger (and the DHT) cannot resolve A's peer id.
 */
import { afterAll, expect, it } from 'vitest'
import { PeerUnreachableError } from '../../node/errors.js'
import { cleanupHomes, DHT_PUTS, PUBLIC, startNode, stopNodes, tmpHome, waitFor } from '../helpers.js'
import type { PresenceNode } from '../../node/presence-node.js'

afterAll(cleanupHomes)

const nodes: PresenceNode[] = []
afterAll(async () => { await stopNodes(nodes) })

it('a contact locates a non-public node through its locator record; a stranger cannot', async () => {
  const hub = await startNode({ roster: PUBLIC, ...DHT_PUTS })
  nodes.push(hub)
  const hubAddr = hub.addresses()[0]
  const aHome = await tmpHome('a')
  let a = await startNode({ home: aHome, bootstrap: [hubAddr], ...DHT_PUTS })
  const b = await startNode({ bootstrap: [hubAddr], ...DHT_PUTS })
  const s = await startNode({ bootstrap: [hubAddr], ...DHT_PUTS })
  nodes.push(b, s)
  expect(a.libp2p.services.dht.getMode()).toBe('client')

  // a contact request needs the code the user was given out of band
  await b.requestContact(a.contactCode())
  await waitFor(() => a.contactRequests().incoming.length === 1, 'A to get the request')
  await a.accept(b.peerId)
  await waitFor(() => b.contacts().length === 1, 'B to become A\'s contact')

  // A moves to a new port; B knows only the old address
  const oldAddr = a.addresses()[0]
  await a.stop()
  a = await startNode({ home: aHome, bootstrap: [hubAddr], ...DHT_PUTS })
  nodes.push(a)
  expect(a.addresses()[0]).not.toBe(oldAddr)
  await waitFor(async () => await b.libp2p.services.locator.refresh(a.peerId) > 0, 'B to read A\'s fresh locator record')
  const found = await b.locate(a.peerId)
  expect(found.peerId).toBe(a.peerId.toString())
  await waitFor(() => b.presence.get(a.peerId)?.status === 'online', 'B to see A online again')

  // the stranger: no route in the DHT, no plain presence record, nothing to decrypt
  await expect(s.locate(a.peerId, { useCache: false })).rejects.toThrow(/not found/)
  expect((await s.fetchPresence(a.peerId)).status).toBe('unknown')
  expect(await s.libp2p.services.locator.refresh(a.peerId)).toBe(0)
  await expect(s.connect(a.peerId.toString())).rejects.toThrow(PeerUnreachableError)
})
