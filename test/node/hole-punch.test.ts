/**
 * The hole punch service's rules, with stubbed components: who starts, on
 * which connections, and how failures back off (test/protocol/punch.test.ts:
 * which addresses a peer may make us dial). The punch itself runs in
 * test/nat/nat-traversal.test.ts.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { defaultLogger } from '@libp2p/logger'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { describe, expect, it } from 'vitest'
import { holePunch } from '../../node/discovery/hole-punch.js'
import { waitFor } from '../helpers.js'
import type { HolePunch, HolePunchComponents } from '../../node/discovery/hole-punch.js'
import type { Connection, PeerId, Startable, Topology } from '@libp2p/interface'

async function peers (): Promise<[PeerId, PeerId]> {
  const ids = await Promise.all([0, 1].map(async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519'))))
  return ids.sort((a, b) => a.toString() < b.toString() ? -1 : 1) as [PeerId, PeerId]
}

/** A punch service whose streams are refused: every attempt fails at once. Everyone is a contact unless `contacts` says otherwise. */
async function service (self: PeerId, retryMinMs = 60_000, connections: () => Connection[] = () => [], contacts?: Set<string>): Promise<{ connect: (peer: PeerId, conn: Connection) => void, stream: (conn: Connection) => Promise<boolean>, stats: HolePunch['stats'], stop: () => Promise<void> }> {
  let topology: Topology | undefined
  let handler: ((stream: any, conn: Connection) => Promise<void>) | undefined
  const roster = Object.assign(new EventTarget(), { isContact: (p: PeerId | string) => contacts?.has(p.toString()) ?? true })
  const components = {
    peerId: self,
    registrar: {
      handle: async (_p: string, h: typeof handler) => { handler = h },
      unhandle: async () => {},
      register: async (_p: string, t: Topology) => { topology = t; return 'id' },
      unregister: () => {}
    },
    connectionManager: { getConnections: connections },
    upgrader: {},
    identify: {},
    logger: defaultLogger(),
    roster
  } as unknown as HolePunchComponents
  const svc = holePunch({ retryMinMs, retryMaxMs: retryMinMs * 4 })(components) as HolePunch & Startable
  await svc.start()
  return {
    connect: (peer, conn) => { void topology?.onConnect?.(peer, conn) },
    /** An inbound punch stream on conn: true if it was refused at once. */
    stream: async (conn) => {
      let aborted = false
      await handler?.({ abort: () => { aborted = true } }, conn)
      return aborted
    },
    stats: () => svc.stats(),
    stop: async () => { await svc.stop() }
  }
}

function connection (peer: PeerId, limited: boolean, onStream: () => void): Connection {
  return {
    remotePeer: peer,
    limits: limited ? { bytes: 1000n, seconds: 60 } : undefined,
    remoteAddr: multiaddr(`/ip4/16.0.0.1/tcp/4791/p2p/${peer.toString()}/p2p-circuit/p2p/${peer.toString()}`),
    status: 'open',
    newStream: async () => { onStream(); throw new Error('refused') }
  } as unknown as Connection
}

describe('hole punch: who starts and when', () => {
  it('the peer whose id sorts first starts, only on relayed connections, and backs off after a failure', async () => {
    const [low, high] = await peers()
    let opened = 0
    const a = await service(low, 200)
    a.connect(high, connection(high, false, () => { opened++ }))
    a.connect(high, connection(high, true, () => { opened++ }))
    await waitFor(() => a.stats().failed === 1, 'the first attempt to fail')
    expect(opened).toBe(1)
    // within the backoff: no new attempt
    a.connect(high, connection(high, true, () => { opened++ }))
    expect(a.stats().attempts).toBe(1)
    // after it: one more
    await waitFor(async () => {
      a.connect(high, connection(high, true, () => { opened++ }))
      return a.stats().attempts === 2
    }, 'a second attempt after the backoff', 5_000)
    await waitFor(() => a.stats().failed === 2, 'the second attempt to fail')
    expect(opened).toBe(2)

    const b = await service(high)
    b.connect(low, connection(low, true, () => { opened++ }))
    expect(b.stats().attempts).toBe(0)
    expect(opened).toBe(2)
    await Promise.all([a.stop(), b.stop()])
  })

  it('the initiator tries again by itself after the backoff while the pair is still relayed', async () => {
    const [low, high] = await peers()
    let opened = 0
    const relayed = connection(high, true, () => { opened++ })
    const a = await service(low, 100, () => [relayed])
    a.connect(high, relayed)
    await waitFor(() => a.stats().failed >= 3, 'two retries after the first failure', 10_000)
    expect(opened).toBeGreaterThanOrEqual(3)
    await a.stop()
  })

  it('punches only with contacts: a stranger on a relayed connection learns nothing of our address', async () => {
    const [low, high] = await peers()
    let opened = 0
    const a = await service(low, 100, () => [], new Set())
    a.connect(high, connection(high, true, () => { opened++ }))
    expect(a.stats().attempts).toBe(0)
    // the stranger starts one itself: refused before anything is read or sent
    const b = await service(high, 100, () => [], new Set())
    expect(await b.stream(connection(low, true, () => {}))).toBe(true)
    expect(b.stats().attempts).toBe(0)
    expect(opened).toBe(0)
    await Promise.all([a.stop(), b.stop()])
  })
})
