/**
 * A connected DHT server that kad-dht left out of its routing table (its one
 * ping failed) is added again, with backoff, while it stays connected.
 * Stubbed routing table and connection manager; checks after 20 ms.
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

function repair (t: ReturnType<typeof table>, connected: () => PeerId[]): { events: TypedEventEmitter<any>, identify: (peer: PeerId, protocols: string[]) => void } {
  const events = new TypedEventEmitter<any>()
  const service = new DhtRoutingRepair({
    logger: defaultLogger(),
    events,
    connectionManager: { getConnections: (peer?: PeerId) => connected().filter(p => peer == null || p.equals(peer)).map(() => ({}) as any) },
    dht: { routingTable: t.view } as any
  }, { protocol: PROTOCOL, firstCheckMs: 20, retryBaseMs: 20, retryCapMs: 40 })
  service.start()
  services.push(service)
  return {
    events,
    identify: (peerId, protocols) => { events.dispatchEvent(new CustomEvent<IdentifyResult>('peer:identify', { detail: { peerId, protocols, listenAddrs: [] } as any })) }
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
})
