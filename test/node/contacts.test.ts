import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadOrCreateIdentity } from '../../node/home.js'
import { presenceTopic } from '../../protocol/topics.js'
import { cleanupHomes, startNode, stopNodes, tmpHome, waitFor } from '../helpers.js'
import type { PresenceNode } from '../../node/presence-node.js'

afterAll(cleanupHomes)

const TTL = 4_000
const FAST = { retryBaseMs: 200, retryCapMs: 1_000 }

function events (node: PresenceNode): string[] {
  const seen: string[] = []
  for (const type of ['contact:request', 'contact:accepted', 'contact:declined', 'contact:cancelled'] as const) {
    node.contactsService.addEventListener(type, (e) => { seen.push(`${type}:${e.detail.peerId}`) })
  }
  return seen
}

describe('contacts: request, accept, deny, cancel', () => {
  let hub: PresenceNode, a: PresenceNode, b: PresenceNode, c: PresenceNode
  let aEvents: string[], bEvents: string[], cEvents: string[]

  beforeAll(async () => {
    // private nodes are nobody's bootstrap node: the mesh meets at a relay, as docs/operations.md sets one up
    hub = await startNode({ relay: true })
    const bootstrap = [hub.addresses()[0]]
    a = await startNode({ bootstrap, presence: { ttlMs: TTL }, contacts: FAST })
    b = await startNode({ bootstrap, presence: { ttlMs: TTL }, contacts: FAST })
    c = await startNode({ bootstrap, presence: { ttlMs: TTL }, contacts: FAST })
    aEvents = events(a); bEvents = events(b); cEvents = events(c)
  })

  afterAll(async () => {
    await stopNodes([a, b, c, hub])
  })

  it('a request with a greeting reaches B; accepting makes both contacts who see each other on their pair topic only', async () => {
    // B is not public: A asks with the contact code B gave it
    const sent = await a.requestContact(b.contactCode(), 'hi Bob, it is Ann', 'bob')
    expect(sent.requestId).toMatch(/^[0-9a-f]{32}$/)
    await waitFor(() => bEvents.includes(`contact:request:${a.peerId}`), 'B to get the request')
    expect(b.contactRequests().incoming[0]).toMatchObject({ peerId: a.peerId.toString(), greeting: 'hi Bob, it is Ann', requestId: sent.requestId })
    await waitFor(() => a.contactRequests().outgoing[0]?.delivered === true, 'A to see its request delivered')

    await b.accept(a.peerId.toString(), 'ann')
    await waitFor(() => aEvents.includes(`contact:accepted:${b.peerId}`), 'A to learn it was accepted')
    expect(a.contacts()[0]).toMatchObject({ peerId: b.peerId.toString(), alias: 'bob', view: 'full', blocked: false })
    expect(b.contacts()[0]).toMatchObject({ peerId: a.peerId.toString(), alias: 'ann' })
    expect(a.contactRequests().outgoing).toEqual([])

    await b.setPresence({ status: 'away', note: 'lunch' })
    await waitFor(() => a.presence.get(b.peerId)?.note === 'lunch', 'A to see B away with its note')
    await waitFor(() => b.presence.get(a.peerId)?.status === 'online', 'B to see A online')
    const topic = a.presence.channelOf(b.peerId)!
    expect(topic).toBe(b.presence.channelOf(a.peerId))
    expect(topic).toMatch(/^\/presence-mesh\/pair\/1\/[a-z2-7]{26}$/)
    // contacts mode: nobody is on a public presence topic
    const pubsubTopics = a.libp2p.services.pubsub.getTopics()
    expect(pubsubTopics).not.toContain(presenceTopic(a.peerId))
    expect(pubsubTopics).not.toContain(presenceTopic(b.peerId))
    await waitFor(() => a.watchers().watching.includes(b.peerId.toString()), 'A to list B as watching now')
    expect(b.watchers().asked[0]).toMatchObject({ peerId: a.peerId.toString(), direction: 'incoming', outcome: 'accepted' })
  })

  it('a status-only view hides note and activity from that contact', async () => {
    await b.setView(a.peerId, 'status')
    await b.setPresence({ status: 'busy', note: 'secret plans', activity: 'plotting' })
    await waitFor(() => a.presence.get(b.peerId)?.status === 'busy', 'A to see B busy')
    expect(a.presence.get(b.peerId)).toMatchObject({ status: 'busy', note: undefined, activity: undefined })
    await b.setView(a.peerId, 'full')
    await waitFor(() => a.presence.get(b.peerId)?.note === 'secret plans', 'A to see the note again')
  })

  it('deny tells the requester it was declined; cancel withdraws; watcher info keeps the history', async () => {
    await c.requestContact(a.contactCode(), 'let me in')
    await waitFor(() => aEvents.includes(`contact:request:${c.peerId}`), 'A to get C\'s request')
    await a.deny(c.peerId)
    await waitFor(() => cEvents.includes(`contact:declined:${a.peerId}`), 'C to hear it was declined')
    expect(c.contactRequests().outgoing).toEqual([])
    expect(c.contacts()).toEqual([])

    const again = await c.requestContact(a.contactCode(), 'please?')
    await waitFor(() => a.contactRequests().incoming.some(r => r.requestId === again.requestId), 'A to get the second request')
    await waitFor(() => c.contactRequests().outgoing[0]?.delivered === true, 'C to see it delivered')
    await c.cancel(again.requestId)
    await waitFor(() => aEvents.includes(`contact:cancelled:${c.peerId}`), 'A to see the request withdrawn')
    expect(a.contactRequests().incoming).toEqual([])
    const asked = a.watchers().asked.filter(h => h.peerId === c.peerId.toString()).map(h => h.outcome)
    expect(asked).toEqual(['cancelled', 'denied'])
    expect(a.contacts().map(x => x.peerId)).toEqual([b.peerId.toString()])
  })

  it('visibility: invisible shows a contact a clean stop, public lets a stranger read, each switch at once', async () => {
    const bSeesA: string[] = []
    b.presence.addEventListener('presence', (e) => { if (e.detail.view.peerId === a.peerId.toString() && e.detail.changed) bSeesA.push(`${e.detail.view.status}:${e.detail.cause}`) })
    await waitFor(() => b.presence.get(a.peerId)?.status === 'online', 'B to see A online')
    await a.setVisibility('invisible')
    expect(a.visibility()).toEqual({ mode: 'invisible', allow: [] })
    await waitFor(() => b.presence.get(a.peerId)?.status === 'offline', 'B to see A offline')
    expect(bSeesA).toEqual(['offline:record'])
    // A no longer even listens on the pair topic
    expect(a.libp2p.services.pubsub.getTopics()).not.toContain(a.presence.channelOf(b.peerId) ?? b.roster.keysFor(a.peerId.toString()).topic)
    await a.setVisibility('invisible', [b.peerId])
    await waitFor(() => b.presence.get(a.peerId)?.status === 'online', 'B (allow-listed) to see A online')

    // a stranger reads A only in public mode
    await c.watch(a.peerId, 'ann')
    await a.setVisibility('public')
    await waitFor(() => c.presence.get(a.peerId)?.status === 'online', 'the stranger to see A in public mode')
    await a.setVisibility('contacts')
    await waitFor(() => c.presence.get(a.peerId)?.status === 'offline', 'the stranger to see A go offline when A leaves public mode')
    expect(b.presence.get(a.peerId)?.status).toBe('online')
    expect(a.libp2p.services.pubsub.getTopics()).not.toContain(presenceTopic(a.peerId))
    await c.unwatch(a.peerId)
  })

  it('bad input gets clear errors and changes nothing', async () => {
    await expect(a.requestContact('not-a-peer')).rejects.toThrow(/not a peer id/)
    await expect(a.requestContact(a.peerId)).rejects.toThrow(/own peer id/)
    await expect(a.requestContact(b.peerId)).rejects.toThrow(/already a contact/)
    await expect(a.requestContact(c.peerId, 'x'.repeat(281))).rejects.toThrow(/greeting is longer/)
    await expect(a.accept(c.peerId)).rejects.toThrow(/no pending request/)
    await expect(a.setVisibility('everyone' as any)).rejects.toThrow(/visibility must be/)
    await expect(a.setView(c.peerId, 'full')).rejects.toThrow(/not a contact/)
    expect(a.contacts()).toHaveLength(1)
    expect(a.contactRequests()).toEqual({ incoming: [], outgoing: [] })
  })
})

describe('contacts: the recipient is offline, both sides restart', () => {
  it('a request to an offline peer is kept across a restart, delivered when it comes back, and the contact survives restarts', async () => {
    const aHome = await tmpHome('a')
    const dHome = await tmpHome('d')
    const dId = peerIdFromPrivateKey((await loadOrCreateIdentity(dHome)).privateKey)
    let a = await startNode({ home: aHome, presence: { ttlMs: TTL }, contacts: FAST })
    let d: PresenceNode | undefined
    try {
      await a.requestContact(dId, 'are you there?', 'dan')
      expect(a.contactRequests().outgoing[0]).toMatchObject({ peerId: dId.toString(), delivered: false })
      await a.stop()
      // A knows no address of D: its try looks D up, and the lookup waits for the DHT until the try's
      // timeout (kad-dht holds queries until its first self-query, which an empty table never ends)
      a = await startNode({ home: aHome, presence: { ttlMs: TTL }, contacts: { ...FAST, streamTimeoutMs: 120_000 } })
      expect(a.contactRequests().outgoing[0]).toMatchObject({ peerId: dId.toString(), delivered: false, greeting: 'are you there?' })

      // D comes online and connects while that try is in flight: A ends it and delivers at once over
      // D's connection (it used to wait out the try, then the backoff)
      d = await startNode({ home: dHome, bootstrap: [a.addresses()[0]], presence: { ttlMs: TTL }, contacts: FAST })
      await waitFor(() => d!.contactRequests().incoming.length === 1, 'D to get the stored request')
      expect(d.contactRequests().incoming[0].greeting).toBe('are you there?')
      await d.stop()
      d = await startNode({ home: dHome, bootstrap: [a.addresses()[0]], presence: { ttlMs: TTL }, contacts: FAST })
      expect(d.contactRequests().incoming).toHaveLength(1)
      await d.accept(a.peerId)
      await waitFor(() => a.contacts().length === 1, 'A to get the accept')
      await waitFor(() => a.presence.get(dId)?.status === 'online', 'A to see D online')

      await Promise.all([a.stop(), d.stop()])
      a = await startNode({ home: aHome, presence: { ttlMs: TTL }, contacts: FAST })
      d = await startNode({ home: dHome, bootstrap: [a.addresses()[0]], presence: { ttlMs: TTL }, contacts: FAST })
      expect(a.contacts()[0]).toMatchObject({ peerId: dId.toString(), alias: 'dan' })
      expect(d.contacts()[0]).toMatchObject({ peerId: a.peerId.toString() })
      await waitFor(() => a.presence.get(dId)?.status === 'online', 'A to see D online after both restarted')
    } finally {
      await Promise.all([a, d].map(async n => n?.libp2p.status === 'started' ? n.stop() : undefined))
    }
  })
})
