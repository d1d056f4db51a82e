/**
 * The instance guard's logic with stubbed components (no libp2p): an
 * observer holding two connections of one peer id runs the exchange
 * against two instances wired to it by stream pairs.
 */
import '../../../node/polyfill.js'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { TypedEventEmitter } from '@libp2p/interface'
import { defaultLogger } from '@libp2p/logger'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { streamPair } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { afterEach, describe, expect, it } from 'vitest'
import { INSTANCE_PROTOCOL } from '../../../node/instance/constants.js'
import { instanceGuard } from '../../../node/instance/index.js'
import { waitFor } from '../../helpers.js'
import type { DuplicateInstance, InstanceGuard, InstanceServiceComponents } from '../../../node/instance/index.js'
import type { Connection, Libp2pEvents, PeerId, PrivateKey, Startable, Stream, StreamHandler } from '@libp2p/interface'

type Guard = InstanceGuard & Startable
interface Node { peer: PeerId, guard: Guard, handler?: StreamHandler, events: TypedEventEmitter<Libp2pEvents>, conns: Connection[], seen: DuplicateInstance[] }

const nodes: Node[] = []
afterEach(async () => { await Promise.all(nodes.splice(0).map(async n => { await n.guard.stop() })) })

async function node (privateKey: PrivateKey, startedAt: number, init: { exchangeTimeoutMs?: number } = {}): Promise<Node> {
  const events = new TypedEventEmitter<Libp2pEvents>()
  const n = { peer: peerIdFromPrivateKey(privateKey), events, conns: [], seen: [] } as unknown as Node
  const components: InstanceServiceComponents = {
    peerId: peerIdFromPrivateKey(privateKey),
    privateKey,
    logger: defaultLogger(),
    registrar: { handle: async (protocol: string, handler: StreamHandler) => { if (protocol === INSTANCE_PROTOCOL) n.handler = handler }, unhandle: async () => {} } as any,
    connectionManager: { getConnections: () => n.conns },
    events
  }
  n.guard = instanceGuard({ startedAt, ...init })(components) as Guard
  n.guard.addEventListener('instance:duplicate', (evt) => { n.seen.push(evt.detail) })
  await n.guard.start()
  nodes.push(n)
  return n
}

let ids = 0
/** The observer's connection to `to` (whose handler answers its streams); `silent`: streams open but nothing answers. */
function connection (to: Node, toKey: PrivateKey, observer: Node, opts: { silent?: boolean } = {}): Connection {
  const id = String(++ids)
  const back = { remotePeer: observer.peer, remoteAddr: multiaddr('/ip4/127.0.0.1/tcp/1') } as unknown as Connection
  return {
    id,
    remotePeer: peerIdFromPrivateKey(toKey),
    remoteAddr: multiaddr(`/ip4/127.0.0.${ids}/tcp/4001/p2p/${peerIdFromPrivateKey(toKey).toString()}`),
    status: 'open',
    timeline: { open: Date.now() + ids },
    newStream: async (): Promise<Stream> => {
      const [outbound, inbound] = await streamPair()
      if (opts.silent !== true) void to.handler!(inbound, back)
      return outbound
    }
  } as unknown as Connection
}

function open (observer: Node, conn: Connection): void {
  observer.conns.push(conn)
  observer.events.safeDispatchEvent('connection:open', { detail: conn })
}

describe('instance guard', () => {
  it('two instances of one key: the later one yields, the earlier one is told, the observer counts one duplicate', async () => {
    const key = await generateKeyPair('Ed25519')
    const earlier = await node(key, 1_000)
    const later = await node(key, 2_000)
    const observer = await node(await generateKeyPair('Ed25519'), 500)
    open(observer, connection(earlier, key, observer))
    open(observer, connection(later, key, observer))
    await waitFor(() => earlier.seen.length === 1 && later.seen.length === 1, 'both told', 10_000)
    expect(later.seen[0]).toMatchObject({ yielded: true, otherStartedAt: 1_000, otherInstance: earlier.guard.instance })
    expect(later.guard.yieldedTo).toEqual(later.seen[0])
    expect(earlier.seen[0]).toMatchObject({ yielded: false, otherStartedAt: 2_000, otherInstance: later.guard.instance, otherAddress: expect.stringMatching(/^\/ip4\/127\.0\.0\.\d+\/tcp\/4001$/) })
    expect(earlier.guard.yieldedTo).toBeUndefined()
    expect(observer.guard.getStats()).toMatchObject({ duplicates: 1, same: 0, failed: 0 })
  })

  it('two connections to one node are no duplicate', async () => {
    const key = await generateKeyPair('Ed25519')
    const one = await node(key, 1_000)
    const observer = await node(await generateKeyPair('Ed25519'), 500)
    open(observer, connection(one, key, observer))
    open(observer, connection(one, key, observer))
    await waitFor(() => observer.guard.getStats().same === 1, 'the exchange to end', 10_000)
    expect(one.seen).toEqual([])
    expect(one.guard.getStats()).toMatchObject({ notices: 0, refused: 0 })
  })

  it('an instance that never answers: the exchange times out, nobody is told', async () => {
    const key = await generateKeyPair('Ed25519')
    const earlier = await node(key, 1_000)
    const silent = await node(key, 2_000)
    const observer = await node(await generateKeyPair('Ed25519'), 500, { exchangeTimeoutMs: 300 })
    open(observer, connection(earlier, key, observer))
    open(observer, connection(silent, key, observer, { silent: true }))
    await waitFor(() => observer.guard.getStats().failed === 1, 'the exchange to give up', 10_000)
    expect(earlier.seen).toEqual([])
    expect(silent.seen).toEqual([])
  })

  it('connections of one peer id that keep opening: three checks a minute, each of at most two pairs', async () => {
    const key = await generateKeyPair('Ed25519')
    const one = await node(key, 1_000)
    const observer = await node(await generateKeyPair('Ed25519'), 500)
    let streams = 0
    const counted = (c: Connection): Connection => ({ ...c, newStream: async (...args: any[]) => { streams++; return await (c.newStream as any)(...args) } }) as unknown as Connection
    open(observer, counted(connection(one, key, observer)))
    const settled = (): number => observer.guard.getStats().same + observer.guard.getStats().skipped
    for (let i = 0; i < 9; i++) {
      const before = settled()
      open(observer, counted(connection(one, key, observer)))
      await waitFor(() => settled() > before, `check ${i + 1} to end`, 10_000)
    }
    // checks 1-3 pair the newest with one, two, two older connections; checks 4-9 wait for the next window
    expect(observer.guard.getStats()).toMatchObject({ same: 5, skipped: 6, duplicates: 0 })
    expect(streams).toBe(10)
  })
})
