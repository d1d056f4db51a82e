/** The outbound stream keeper's decisions, on stubbed gossipsub, connections and registrar. */
import { TypedEventEmitter } from '@libp2p/interface'
import { describe, expect, it } from 'vitest'
import { keepOutboundStreams } from '../../node/pubsub-streams.js'
import { waitFor } from '../helpers.js'
import { logger, peerIds } from './discovery/stubs.js'
import type { Connection, PeerId, Stream, Topology } from '@libp2p/interface'

const MESHSUB = ['/meshsub/1.2.0', '/meshsub/1.1.0']
const GRACE = 2_000

interface StubStreamState { direction: 'inbound' | 'outbound', protocol: string, status: string, writeStatus: string, remoteWriteStatus: string, remoteReadStatus: string, closed?: boolean }

function stream (over: Partial<StubStreamState> = {}): Stream & StubStreamState {
  const events = new EventTarget()
  const s = {
    direction: 'outbound',
    protocol: MESHSUB[0],
    status: 'open',
    writeStatus: 'writable',
    remoteWriteStatus: 'writable',
    remoteReadStatus: 'readable',
    ...over,
    async close () { s.closed = true; s.writeStatus = 'closed'; s.status = 'closed' },
    abort () { s.status = 'aborted' },
    addEventListener: events.addEventListener.bind(events),
    removeEventListener: events.removeEventListener.bind(events),
    dispatchEvent: events.dispatchEvent.bind(events)
  }
  return s as unknown as Stream & StubStreamState
}

/** The peer's gossipsub closes its end of our stream (it took a newer one, or detached us): what the muxer does on its FIN. */
function peerCloses (s: Stream & StubStreamState): void {
  s.remoteWriteStatus = 'closed'
  s.dispatchEvent(new Event('remoteCloseWrite'))
}

function conn (peer: PeerId, streams: Stream[], openedAt = START): Connection {
  return { remotePeer: peer, status: 'open', timeline: { open: openedAt }, streams } as unknown as Connection
}

interface Setup {
  peer: PeerId
  conns: Connection[]
  notified: Array<[PeerId, Connection]>
  /** Whether gossipsub is attached to the peer (the default), and what the peer store knows of its protocols (undefined: not in it). */
  state: { attached: boolean, protocols?: string[] }
  tick: (ms: number) => void
  /** libp2p tells of a new connection. */
  open: (c: Connection) => void
  /** Gossipsub stopped (it ignores notifications then). */
  stopped: { value: boolean }
  keeper: ReturnType<typeof keepOutboundStreams>
}

const START = 1_000_000

/**
 * One peer; the test sets its connections and streams and turns the clock.
 * `mapped`: the connection manager also has libp2p's map of connections by
 * peer, and its list of every connection (a copy of them all) fails.
 */
async function setup ({ mapped = false } = {}): Promise<Setup> {
  const [peer] = await peerIds(1)
  const conns: Connection[] = []
  const notified: Array<[PeerId, Connection]> = []
  const state: Setup['state'] = { attached: true }
  // gossipsub registers one topology for all its protocols
  const topology: Topology = { onConnect: (p, c) => { notified.push([p, c]) } }
  const stopped = { value: false }
  const pubsub = Object.assign(new TypedEventEmitter<{ 'gossipsub:heartbeat': CustomEvent }>(), { protocols: MESHSUB, getPeers: () => state.attached ? [peer] : [], isStarted: () => !stopped.value })
  const events = new TypedEventEmitter<{ 'connection:open': CustomEvent<Connection> }>()
  let now = START
  const keeper = keepOutboundStreams(pubsub as any, {
    logger,
    events: events as any,
    connectionManager: mapped
      ? {
          getConnections: (p?: PeerId) => {
            if (p == null) throw new Error('every connection listed (copied)')
            return p.equals(peer) ? conns : []
          },
          getConnectionsMap: () => new Map([[peer, conns]])
        } as any
      : { getConnections: () => conns } as any,
    registrar: { getTopologies: (p: string) => MESHSUB.includes(p) ? [topology] : [] } as any,
    peerStore: {
      get: async () => {
        if (state.protocols == null) throw Object.assign(new Error('not found'), { name: 'NotFoundError' })
        return { protocols: state.protocols }
      }
    } as any
  }, { random: () => 0, now: () => now })
  const tick = (ms: number): void => {
    now += ms
    pubsub.dispatchEvent(new CustomEvent('gossipsub:heartbeat'))
  }
  const open = (c: Connection): void => { events.dispatchEvent(new CustomEvent('connection:open', { detail: c })) }
  return { peer, conns, notified, state, tick, open, stopped, keeper }
}

describe('keepOutboundStreams', () => {
  it('leaves a peer with a writable gossip stream alone', async () => {
    const { peer, conns, notified, tick } = await setup()
    conns.push(conn(peer, [stream(), stream({ direction: 'inbound' })]))
    for (let i = 0; i < 10; i++) tick(1_000)
    expect(notified).toEqual([])
  })

  it('re-notifies gossipsub of a peer without a writable stream after the grace, once per repair, on the newest connection, backing off', async () => {
    const { peer, conns, notified, tick, keeper } = await setup()
    // only an inbound gossip stream, and an outbound one of another protocol
    conns.push(conn(peer, [stream({ direction: 'inbound' }), stream({ protocol: '/ipfs/ping/1.0.0' })], START - 20), conn(peer, [], START - 10))
    tick(0)
    tick(GRACE - 1)
    expect(notified).toEqual([])
    tick(1)
    expect(notified).toEqual([[peer, conns[1]]])
    // the next repair waits the grace again (2 s), then twice that
    tick(GRACE - 1)
    expect(notified).toHaveLength(1)
    tick(1)
    expect(notified).toHaveLength(2)
    tick(2 * GRACE - 1)
    expect(notified).toHaveLength(2)
    tick(1)
    expect(notified).toHaveLength(3)
    expect(keeper.repairs).toBe(3)
  })

  it('closes (not resets) a gossip stream whose far end the peer closed, then repairs at once, without the grace', async () => {
    const { peer, conns, notified, tick, keeper } = await setup()
    const dropped = stream({ remoteWriteStatus: 'closed' })
    conns.push(conn(peer, [dropped]))
    tick(0)
    expect(dropped.closed).toBe(true)
    expect(dropped.status).toBe('closed')
    expect(keeper.closed).toBe(1)
    // the peer forgot our subscriptions if it detached us: only a new stream brings them
    await waitFor(() => notified.length === 1, 'the repair right after the close')
    expect(notified).toEqual([[peer, conns[0]]])
    expect(keeper.repairs).toBe(1)
  })

  it('repairs when the peer closes our stream, not at the next heartbeat', async () => {
    const { peer, conns, notified, tick, keeper } = await setup()
    const held = stream()
    conns.push(conn(peer, [held]))
    tick(0)
    expect(notified).toEqual([])
    peerCloses(held)
    await waitFor(() => notified.length === 1, 'the repair on the peer\'s close')
    expect(held.closed).toBe(true)
    expect(keeper.closed).toBe(1)
    expect(keeper.repairs).toBe(1)
  })

  it('repairs at once also a peer whose first stream was slow to open (missing on a heartbeat, never repaired)', async () => {
    const { peer, conns, notified, tick } = await setup()
    conns.push(conn(peer, []))
    // attached while its stream is being negotiated: seen without one, then the stream came
    tick(0)
    const held = stream()
    conns[0].streams.push(held)
    tick(1_000)
    expect(notified).toEqual([])
    peerCloses(held)
    await waitFor(() => notified.length === 1, 'the repair on the peer\'s close')
  })

  it('leaves a peer alone that closed one of two streams, and backs off from a peer that keeps closing the new one', async () => {
    const { peer, conns, notified, tick, keeper } = await setup()
    const older = stream()
    const newer = stream()
    conns.push(conn(peer, [older, newer]))
    tick(0)
    // its gossipsub took our newer stream and closed the older one: nothing to repair
    peerCloses(older)
    await waitFor(() => older.closed === true, 'the older stream closed')
    await new Promise(resolve => setTimeout(resolve, 10))
    expect(notified).toEqual([])
    // each repaired stream is closed by the peer at once: the first repair is immediate, the next wait 2 s, 4 s
    const breakAgain = async (): Promise<void> => {
      const next = stream()
      conns[0].streams.push(next)
      tick(1_000)
      peerCloses(next)
      await waitFor(() => next.closed === true, 'the new stream closed')
      await new Promise(resolve => setTimeout(resolve, 10))
    }
    peerCloses(newer)
    await waitFor(() => notified.length === 1, 'the first repair')
    await breakAgain()
    expect(notified).toHaveLength(1)
    tick(GRACE - 1)
    expect(notified).toHaveLength(1)
    tick(1)
    expect(notified).toHaveLength(2)
    await breakAgain()
    tick(2 * GRACE - 1)
    expect(notified).toHaveLength(2)
    tick(1)
    expect(notified).toHaveLength(3)
    expect(keeper.closed).toBe(4)
  })

  it('counts a stream that is closing for writing as missing', async () => {
    const { peer, conns, notified, tick } = await setup()
    conns.push(conn(peer, [stream({ writeStatus: 'closing' })]))
    tick(0)
    tick(GRACE)
    expect(notified).toHaveLength(1)
  })

  it('starts the grace again once a stream came back, and does nothing without an open connection', async () => {
    const { peer, conns, notified, tick } = await setup()
    conns.push(conn(peer, []))
    tick(0)
    tick(GRACE)
    expect(notified).toHaveLength(1)
    conns[0].streams.push(stream())
    tick(1_000)
    conns[0].streams.pop()
    tick(1_000)
    tick(GRACE - 1)
    expect(notified).toHaveLength(1)
    tick(1)
    expect(notified).toHaveLength(2)
    conns.pop()
    for (let i = 0; i < 60; i++) tick(1_000)
    expect(notified).toHaveLength(2)
  })

  it('backs off across repairs that worked for a while: a peer that keeps breaking our stream is not repaired on every heartbeat', async () => {
    const { peer, conns, notified, tick } = await setup()
    conns.push(conn(peer, []))
    const repairAfterBreak = (): number => {
      // the repair brings a stream back; it works for 5 s, then the peer breaks it again
      conns[0].streams.push(stream())
      tick(5_000)
      conns[0].streams.pop()
      tick(0)
      const before = notified.length
      let ms = 0
      while (notified.length === before && ms < 60_000) { tick(1_000); ms += 1_000 }
      return ms
    }
    tick(0)
    tick(GRACE)
    expect(notified).toHaveLength(1)
    // 2 s, 4 s, 8 s, 16 s, then the cap (30 s): not the grace every time
    expect([repairAfterBreak(), repairAfterBreak(), repairAfterBreak(), repairAfterBreak(), repairAfterBreak(), repairAfterBreak()])
      .toEqual([2_000, 4_000, 8_000, 16_000, 30_000, 30_000])
    // a stream that stays writable for the longest backoff is forgotten: the next break waits the grace only
    conns[0].streams.push(stream())
    for (let i = 0; i < 31; i++) tick(1_000)
    conns[0].streams.pop()
    tick(0)
    const before = notified.length
    tick(GRACE - 1)
    expect(notified).toHaveLength(before)
    tick(1)
    expect(notified).toHaveLength(before + 1)
  })

  it('attaches a connected peer that identify did not attach, after the grace from the opening, if the peer store lists gossipsub', async () => {
    const { peer, conns, notified, state, tick, keeper } = await setup()
    state.attached = false
    state.protocols = ['/ipfs/id/1.0.0', MESHSUB[1]]
    conns.push(conn(peer, []))
    tick(GRACE - 1)
    await Promise.resolve()
    expect(notified).toEqual([])
    tick(1)
    await waitFor(() => notified.length === 1, 'the peer to be attached')
    expect(notified).toEqual([[peer, conns[0]]])
    expect(keeper.attached).toBe(1)
    // attached now: nothing more for it as long as its stream is there
    state.attached = true
    conns[0].streams.push(stream())
    for (let i = 0; i < 40; i++) tick(1_000)
    await Promise.resolve()
    expect(notified).toHaveLength(1)
  })

  it('reads the connection manager\'s map of connections on each heartbeat, not a copy of them all (libp2p concatenates one array per peer)', async () => {
    const { peer, conns, notified, state, tick, keeper } = await setup({ mapped: true })
    state.attached = false
    state.protocols = [MESHSUB[0]]
    conns.push(conn(peer, []))
    tick(GRACE)
    await waitFor(() => notified.length === 1, 'the peer to be attached')
    expect(keeper.attached).toBe(1)
    // attached, its stream writable: looked at through its own connections
    state.attached = true
    conns[0].streams.push(stream())
    for (let i = 0; i < 5; i++) tick(1_000)
    expect(notified).toHaveLength(1)
  })

  it('does not attach a peer the peer store does not know, or knows without gossipsub', async () => {
    const { peer, conns, notified, state, tick } = await setup()
    state.attached = false
    conns.push(conn(peer, []))
    for (let i = 0; i < 10; i++) tick(1_000)
    state.protocols = ['/ipfs/id/1.0.0']
    for (let i = 0; i < 40; i++) tick(1_000)
    await new Promise(resolve => setTimeout(resolve, 10))
    expect(notified).toEqual([])
  })

  it('attaches a peer the peer store lists with gossipsub as soon as its connection opens, without waiting for identify or a heartbeat', async () => {
    const { peer, conns, notified, state, open, keeper } = await setup()
    state.attached = false
    state.protocols = [MESHSUB[0]]
    conns.push(conn(peer, []))
    open(conns[0])
    await waitFor(() => notified.length === 1, 'the peer to be attached at the opening')
    expect(notified).toEqual([[peer, conns[0]]])
    expect(keeper.attached).toBe(1)
  })

  it('attaches nothing at the opening that identify must find out, is attached already, or while gossipsub is stopped', async () => {
    const { peer, conns, notified, state, open, stopped } = await setup()
    state.attached = false
    conns.push(conn(peer, []))
    // not in the peer store, then known without gossipsub
    open(conns[0])
    state.protocols = ['/ipfs/id/1.0.0']
    open(conns[0])
    state.protocols = [MESHSUB[0]]
    stopped.value = true
    open(conns[0])
    stopped.value = false
    state.attached = true
    open(conns[0])
    await new Promise(resolve => setTimeout(resolve, 10))
    expect(notified).toEqual([])
  })
})
