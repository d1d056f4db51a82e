/** Relay reservation bookkeeping with a stubbed registrar, peer store and transport manager. */
import { expect, it } from 'vitest'
import { RELAY_HOP_PROTOCOL } from '../../../node/discovery/constants.js'
import { DefaultRelayReservations } from '../../../node/discovery/relay-reservations.js'
import { multiaddr } from '@multiformats/multiaddr'
import { waitFor } from '../../helpers.js'
import { connection, libp2pEvents, logger, peer, peerIds, StubPeerStore } from './stubs.js'
import type { Connection, PeerId, Topology } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

async function setup (maxReservations = 2): Promise<{
  ids: PeerId[]
  relays: DefaultRelayReservations
  connect: (id: PeerId, conn?: Connection) => void
  disconnect: (id: PeerId) => void
  listened: string[]
  failListen: Set<string>
  unregistered: string[]
  attempts: () => number
  /** The relay's slot goes (the transport dropped it) while the relay stays connected. */
  loseSlot: (id: PeerId) => void
}> {
  const ids = await peerIds(5)
  // each relay has a relayed address (never used as the base) and a direct one
  const ps = new StubPeerStore(ids.map((id, i) => peer(id, {
    addresses: [`/ip4/10.0.0.9/tcp/4001/p2p/${ids[(i + 1) % ids.length].toString()}/p2p-circuit`, `/ip4/127.0.0.${i + 1}/tcp/4001`]
  })))
  const topologies = new Map<string, Topology>()
  const unregistered: string[] = []
  const registrar = {
    register: async (protocol: string, topology: Topology) => { topologies.set('t1', topology); expect(protocol).toBe(RELAY_HOP_PROTOCOL); return 't1' },
    unregister: (id: string) => { unregistered.push(id); topologies.delete(id) }
  }
  const listened: string[] = []
  const lost = new Set<string>()
  const failListen = new Set<string>()
  let attempts = 0
  const transportManager = {
    listen: async (addrs: Multiaddr[]) => {
      attempts++
      const a = addrs.map(String)
      if (a.some(x => [...failListen].some(f => x.includes(f)))) throw new Error('reservation refused')
      listened.push(...a)
      for (const x of a) lost.delete(x)
    }
  }
  const events = libp2pEvents()
  // what the node announces: every relayed address listened on, less the slots that went
  const addressManager = { getAddresses: () => listened.filter(a => !lost.has(a)).map(a => multiaddr(a)) }
  const connections = new Map<string, Connection>()
  const connectionManager = { getConnections: (id?: PeerId) => [...connections.values()].filter(c => id == null || c.remotePeer.equals(id)) }
  const relays = new DefaultRelayReservations({ registrar, peerStore: ps, transportManager, addressManager, connectionManager, events, logger }, { maxReservations, retryBaseMs: 20, retryCapMs: 100 })
  await relays.start()
  return {
    ids,
    relays,
    connect: (id, conn = connection(id)) => { connections.set(id.toString(), conn); topologies.get('t1')?.onConnect?.(id, conn) },
    disconnect: (id) => { connections.delete(id.toString()); events.safeDispatchEvent('peer:disconnect', { detail: id }) },
    loseSlot: (id) => {
      for (const a of listened) if (a.includes(id.toString())) lost.add(a)
      events.safeDispatchEvent('self:peer:update', { detail: {} as any })
    },
    listened,
    failListen,
    unregistered,
    attempts: () => attempts
  }
}

it('reserves a slot on a connected relay through its direct address', async () => {
  const { ids, relays, connect, listened } = await setup()
  connect(ids[0])
  await waitFor(() => relays.reservations().length === 1, 'the reservation')
  expect(relays.reservations()).toEqual([ids[0].toString()])
  expect(listened).toEqual([`/ip4/127.0.0.1/tcp/4001/p2p/${ids[0].toString()}/p2p-circuit`])
  // a second connect of the same relay reserves nothing more
  connect(ids[0])
  await waitFor(() => relays.reservations().length === 1, 'the reservation to stay one')
  expect(listened).toHaveLength(1)
})

it('holds at most maxReservations slots, and a slot freed by a disconnect is taken again', async () => {
  const { ids, relays, connect, disconnect, listened } = await setup(2)
  connect(ids[0])
  connect(ids[1])
  connect(ids[2])
  await waitFor(() => relays.reservations().length === 2, 'two reservations')
  expect(relays.reservations().sort()).toEqual([ids[0], ids[1]].map(String).sort())
  expect(listened).toHaveLength(2)

  disconnect(ids[0])
  expect(relays.reservations()).toEqual([ids[1].toString()])
  connect(ids[2])
  await waitFor(() => relays.reservations().length === 2, 'the freed slot to be taken')
  expect(relays.reservations().sort()).toEqual([ids[1], ids[2]].map(String).sort())
})

it('no slot through a limited (relayed) connection', async () => {
  const { ids, relays, connect, listened } = await setup()
  connect(ids[0], connection(ids[0], { limited: true }))
  connect(ids[1])
  await waitFor(() => relays.reservations().length === 1, 'the reservation on the direct relay')
  expect(relays.reservations()).toEqual([ids[1].toString()])
  expect(listened.every(a => a.includes(ids[1].toString()))).toBe(true)
})

it('a refused reservation does not count and is tried again, with backoff, while the relay stays connected', async () => {
  const { ids, relays, connect, failListen, listened, attempts } = await setup(1)
  failListen.add(ids[0].toString())
  connect(ids[0])
  await waitFor(() => attempts() >= 2, 'a second attempt with no new connection')
  expect(relays.reservations()).toEqual([])
  failListen.clear()
  await waitFor(() => relays.reservations().length === 1, 'the reservation on a later try')
  expect(relays.reservations()).toEqual([ids[0].toString()])
  expect(listened).toHaveLength(1)
})

it('a slot that goes while the relay stays connected is reserved again; after a disconnect nothing is retried', async () => {
  const { ids, relays, connect, disconnect, loseSlot, listened, attempts } = await setup(1)
  connect(ids[0])
  await waitFor(() => relays.reservations().length === 1, 'the reservation')
  loseSlot(ids[0])
  expect(relays.reservations()).toEqual([])
  await waitFor(() => listened.length === 2 && relays.reservations().length === 1, 'the slot reserved again')
  expect(relays.reservations()).toEqual([ids[0].toString()])

  loseSlot(ids[0])
  disconnect(ids[0])
  const tries = attempts()
  const until = Date.now() + 300 // three times the longest backoff here
  await waitFor(() => Date.now() > until, 'the backoff to pass')
  expect(attempts()).toBe(tries)
  expect(relays.reservations()).toEqual([])
})

it('a failed reservation frees its slot for the next relay', async () => {
  const { ids, relays, connect, failListen } = await setup(1)
  failListen.add(ids[0].toString())
  connect(ids[0])
  await waitFor(async () => {
    connect(ids[1])
    return relays.reservations().length === 1
  }, 'relay 1 to get the slot relay 0 failed to take')
  expect(relays.reservations()).toEqual([ids[1].toString()])
})

it('stop forgets the slots and unregisters the topology', async () => {
  const { ids, relays, connect, unregistered } = await setup()
  connect(ids[0])
  await waitFor(() => relays.reservations().length === 1, 'the reservation')
  relays.stop()
  expect(relays.reservations()).toEqual([])
  expect(unregistered).toEqual(['t1'])
})
