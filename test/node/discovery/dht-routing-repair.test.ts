/**
 * A connected DHT server that kad-dht left out of its routing table (its one
 * ping failed) is added again, with backoff, while it stays connected; and
 * kad-dht's ping before an add is skipped for a connected DHT server.
 * Stubbed routing table, peer store and connection manager; checks after 20 ms.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { TypedEventEmitter } from '@libp2p/interface'
import { defaultLogger } from '@libp2p/logger'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { afterEach, describe, expect, it } from 'vitest'
import { DhtRoutingRepair } from '../../../node/discovery/dht-routing-repair.js'
import { waitFor } from '../../helpers.js'
import type { IdentifyResult, PeerId } from '@libp2p/interface'

const PROTOCOL = '/presence-mesh/kad/1.0.0'
const services: DhtRoutingRepair[] = []
afterEach(() => { for (const s of services.splice(0)) s.stop() })

async function aPeer (): Promise<PeerId> {
  return peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
}

/** A routing table whose add() succeeds only from the `okFrom`-th call on. */
function table (okFrom: number): { view: { find: (p: PeerId) => Promise<PeerId | undefined>, add: (p: PeerId) => Promise<void> }, adds: () => number, has: (p: PeerId) => boolean } {
  const peers = new Set<string>()
  let adds = 0
  return {
    view: {
      find: async (p) => peers.has(p.toString()) ? p : undefined,
      add: async (p) => {
        adds++
        if (adds >= okFrom) peers.add(p.toString())
        else throw new Error('ping failed')
      }
    },
    adds: () => adds,
    has: (p) => peers.has(p.toString())
  }
}

function repair (t: ReturnType<typeof table>, connected: () => PeerId[], more: { protocols?: Map<string, string[]>, relayed?: PeerId[], kb?: object, table?: EventTarget } = {}): { events: TypedEventEmitter<any>, identify: (peer: PeerId, protocols: string[]) => void, service: DhtRoutingRepair } {
  const events = new TypedEventEmitter<any>()
  const routingTable = Object.assign(more.table ?? {}, t.view, { kb: more.kb })
  const service = new DhtRoutingRepair({
    logger: defaultLogger(),
    events,
    connectionManager: {
      getConnections: (peer?: PeerId) => connected().filter(p => peer == null || p.equals(peer))
        .map(p => ({ status: 'open', limits: more.relayed?.some(r => r.equals(p)) === true ? { seconds: 120 } : undefined }) as any)
    },
    peerStore: { get: async (peer: PeerId) => ({ protocols: more.protocols?.get(peer.toString()) ?? [] }) as any },
    dht: { routingTable } as any
  }, { protocol: PROTOCOL, firstCheckMs: 20, retryBaseMs: 20, retryCapMs: 40 })
  service.start()
  services.push(service)
  return {
    events,
    identify: (peerId, protocols) => { events.dispatchEvent(new CustomEvent<IdentifyResult>('peer:identify', { detail: { peerId, protocols, listenAddrs: [] } as any })) },
    service
  }
}

describe('DHT routing table repair', () => {
  it('a connected DHT server missing from the table is added, again after a failed add', async () => {
    const server = await aPeer()
    const t = table(2)
    const { identify } = repair(t, () => [server])
    identify(server, ['/ipfs/id/1.0.0', PROTOCOL])
    await waitFor(() => t.has(server), 'the server in the routing table', 30_000)
    expect(t.adds()).toBe(2)
  })

  it('a peer without the DHT protocol, one already in the table, or one that disconnected is left alone', async () => {
    const [client, known, gone] = await Promise.all([aPeer(), aPeer(), aPeer()])
    const t = table(1)
    await t.view.add(known) // kad-dht's own add worked
    let connected = [client, known, gone]
    const { identify, events } = repair(t, () => connected)
    identify(client, ['/ipfs/id/1.0.0'])
    identify(known, [PROTOCOL])
    identify(gone, [PROTOCOL])
    connected = [client, known]
    events.dispatchEvent(new CustomEvent('peer:disconnect', { detail: gone }))
    // a server that does need adding, identified last, shows the checks have run
    const late = await aPeer()
    connected.push(late)
    identify(late, [PROTOCOL])
    await waitFor(() => t.has(late), 'the late server in the table', 30_000)
    expect(t.adds()).toBe(2) // ours above, and the late server's
    expect(t.has(client)).toBe(false)
    expect(t.has(gone)).toBe(false)
  })

  it('retries stop once the server disconnects', async () => {
    const server = await aPeer()
    const t = table(Infinity)
    let connected = [server]
    const { identify } = repair(t, () => connected)
    identify(server, [PROTOCOL])
    await waitFor(() => t.adds() >= 2, 'two failed adds', 30_000)
    connected = []
    const after = t.adds()
    // each check after the disconnect finds no connection: at most the one already running adds
    const settle = Date.now() + 300
    await waitFor(() => Date.now() > settle, 'a few retry periods to pass', 30_000)
    expect(t.adds()).toBeLessThanOrEqual(after + 1)
  })

  it('kad-dht\'s ping before an add is skipped for a connected DHT server, made for anyone else', async () => {
    const [server, client, stranger, relayed] = await Promise.all([aPeer(), aPeer(), aPeer(), aPeer()])
    const protocols = new Map([server, stranger, relayed].map(p => [p.toString(), ['/ipfs/id/1.0.0', PROTOCOL]]))
    // kad-dht's own check: a ping, which fails here (as under load)
    const pinged: string[] = []
    const ping = async (contact: { peerId: PeerId }): Promise<boolean> => { pinged.push(contact.peerId.toString()); return false }
    const kb = { verify: ping }
    const kadTable = new EventTarget()
    const told: string[] = []
    kadTable.addEventListener('peer:ping', (evt) => { told.push(String((evt as CustomEvent<PeerId>).detail)) })
    const { service } = repair(table(1), () => [server, client, relayed], { protocols, relayed: [relayed], kb, table: kadTable })
    expect(await kb.verify({ peerId: server })).toBe(true)
    expect(await kb.verify({ peerId: client })).toBe(false)
    expect(await kb.verify({ peerId: stranger })).toBe(false)
    expect(await kb.verify({ peerId: relayed })).toBe(false)
    expect(pinged).toEqual([client, stranger, relayed].map(String))
    // the closest-peer tagger hears of the server as of a ping it answered
    expect(told).toEqual([server.toString()])
    service.stop()
    expect(kb.verify).toBe(ping)
  })
})
