/**
 * Finding 6: when A blocks B, B's view of A must end exactly as a clean stop
 * ends it: with A's OFFLINE record, every time (never by the record's expiry,
 * which looks like a crash). Twenty blocks in a row, each undone by an unblock,
 * after which B must see A online again without A's heartbeat (A has none
 * within the test): the unblock's own announcements must reach B. The record
 * lifetime is long, so an expiry cannot pass for a goodbye.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cleanupHomes, startNode, waitFor } from '../../helpers.js'
import type { PresenceNode } from '../../../node/presence-node.js'

const TRIES = 20
const TTL = 60_000
/** Longer than the test: what shows A online again after an unblock is never a heartbeat. */
const A_HEARTBEAT = 10 * 60_000

describe('a block ends the blocked peer\'s view as a clean stop does', () => {
  let relay: PresenceNode, a: PresenceNode, b: PresenceNode

  beforeAll(async () => {
    relay = await startNode({ relay: true })
    const bootstrap = [relay.addresses()[0]]
    a = await startNode({ bootstrap, presence: { ttlMs: A_HEARTBEAT, heartbeatMs: A_HEARTBEAT } })
    b = await startNode({ bootstrap, presence: { ttlMs: TTL } })
    await b.requestContact(a.contactCode())
    await waitFor(() => a.contactRequests().incoming.length === 1, 'the request at A', 60_000)
    await a.accept(b.peerId)
    await waitFor(() => b.presence.get(a.peerId)?.status === 'online', 'B to see A online', 60_000)
  })

  afterAll(async () => {
    await Promise.all([relay, a, b].map(async n => await n?.stop()))
    await cleanupHomes()
  })

  it(`${TRIES} blocks: each time B gets A's goodbye record`, async () => {
    const ends: string[] = []
    const ms: number[] = []
    const onPresence = (e: CustomEvent<{ view: { peerId: string, status: string }, changed: boolean, cause: string }>): void => {
      if (e.detail.view.peerId === a.peerId.toString() && e.detail.changed && e.detail.view.status === 'offline') ends.push(e.detail.cause)
    }
    b.presence.addEventListener('presence', onPresence as any)
    const trail: string[] = []
    b.presence.addEventListener('presence', (e) => { if (e.detail.view.peerId === a.peerId.toString()) trail.push(`${Date.now() % 100000} presence ${e.detail.view.status} seq=${e.detail.view.seq}`) })
    b.presence.addEventListener('rejected', (e) => { trail.push(`${Date.now() % 100000} rejected ${e.detail.reason}`) })
    b.libp2p.addEventListener('peer:disconnect', (e) => { if (e.detail.equals(a.peerId)) trail.push(`${Date.now() % 100000} disconnect`) })
    b.libp2p.addEventListener('peer:connect', (e) => { if (e.detail.equals(a.peerId)) trail.push(`${Date.now() % 100000} connect`) })
    a.presence.addEventListener('announce', () => {})
    try {
      for (let i = 0; i < TRIES; i++) {
        try {
          // before session 15's fix, a re-announcement that reached B before the block (or the block's
          // goodbye) counted as serving B's new subscription: B saw A online only at A's next heartbeat
          await waitFor(() => b.presence.get(a.peerId)?.status === 'online', `B to see A online (try ${i})`, 30_000)
        } catch (err) {
          console.log(trail.slice(-25).join('\n'))
          throw err
        }
        const started = Date.now()
        trail.push(`${Date.now() % 100000} block ${i} A.seq=${a.self().seq}`)
        await a.block(b.peerId)
        trail.push(`${Date.now() % 100000} blocked A.seq=${a.self().seq}`)
        try {
          await waitFor(() => b.presence.get(a.peerId)?.status === 'offline', `B to see A offline (try ${i})`, 10_000)
        } catch (err) {
          console.log(trail.slice(-25).join('\n'))
          throw err
        }
        ms.push(Date.now() - started)
        await a.unblock(b.peerId)
        trail.push(`${Date.now() % 100000} unblocked`)
      }
    } finally {
      b.presence.removeEventListener('presence', onPresence as any)
    }
    const sorted = [...ms].sort((x, y) => x - y)
    console.log(`goodbye on block: ${ends.filter(c => c === 'record').length}/${TRIES} by record; block() to offline at B median ${sorted[TRIES >> 1]} ms, max ${sorted[TRIES - 1]} ms`)
    expect(ends).toEqual(Array(TRIES).fill('record'))
  }, 240_000)
})
