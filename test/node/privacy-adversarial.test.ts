/**
 * A stranger (S) and a contact (B) of A try every interface they have on A,
 * once while A is really stopped (the control run) and once while A blocks
 * them. Each normalized outcome of the block run must equal the control's.
 * Along the way: strangers never read A's presence, keys B held before the
 * block open nothing A publishes after it, and unblock restores B. The mesh
 * meets at a relay R (docs/operations.md); S is also a node A dials itself
 * (one of its bootstrap nodes), so it is A's gossip neighbour.
 * (test/node/adversarial/ tries the same from outside, with raw protocol.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openPresence } from '../../protocol/presence-record.js'
import { openPresenceFromPair } from '../../protocol/sealed-box.js'
import { presenceTopic } from '../../protocol/topics.js'
import { cleanupHomes, DHT_PUTS, makeContacts, PUBLIC, startNode, stopNodes, tmpHome, waitFor } from '../helpers.js'
import type { PresenceNode } from '../../node/presence-node.js'
import type { PairKeys } from '../../protocol/pair-keys.js'

afterAll(cleanupHomes)

const TTL = 4_000
const FAST = { retryBaseMs: 200, retryCapMs: 1_000 }
const CHAT = { retryBaseMs: 200, retryMaxMs: 1_000 }
const DEADLINE_MS = 2_000

/**
 * A locate of a peer the DHT does not name ends when the lookup runs out of peers to ask ("not found")
 * or at the deadline, whichever comes first: under load the same lookup ends either way in either run
 * (seen in loaded full runs of session 15), so both read as not located.
 */
const notLocated = (o: string): string => /^PeerNotFoundError: peer \S+ was not found in the DHT$|^TimeoutError: /.test(o) ? 'not located' : o
/**
 * A text to a peer that is gone stays queued, or shows sent when it went out on a connection that
 * closed before the receipt (the control run allows both): either way it is not delivered.
 */
const undelivered = (state: string | undefined): string | undefined => state === 'queued' || state === 'sent' ? 'not delivered' : state

/** What the outside sees of a call: 'ok' or the error's class and message. */
async function outcome (p: Promise<unknown>): Promise<string> {
  try {
    await p
    return 'ok'
  } catch (err: any) {
    return `${err.name}: ${err.message}`
  }
}

interface Observed {
  bEvents: string[]
  bView: string
  bDialAddress: string
  bDialPeerId: string
  bRequest: string
  sDialAddress: string
  sDialPeerId: string
  sWatch: string
  sRequest: string
  sRequestDelivered: boolean | undefined
  bChatSend: string
  bChatState: string | undefined
  sChatSend: string
  sChatState: string | undefined
  bLocate: string
  sLocate: string
  bFetch: string
  sFetch: string
}

describe('polite blocking: a blocked peer sees exactly a stopped node', () => {
  let r: PresenceNode, a: PresenceNode, b: PresenceNode, c: PresenceNode, s: PresenceNode
  let aHome: string
  let aAddress: string
  let bEvents: string[] = []
  let bKeys: PairKeys
  const sOnPairTopic: Uint8Array[] = []

  const startA = async (listen?: string): Promise<PresenceNode> => await startNode({
    home: aHome,
    ...(listen != null ? { listen: [listen] } : {}),
    bootstrap: [r, s].map(n => n.addresses()[0]),
    presence: { ttlMs: TTL },
    contacts: FAST,
    chat: CHAT,
    // gossip only, so the stranger has pair-topic traffic to try (the direct path has its own tests: notify.test.ts)
    notify: false,
    // what A would put in the DHT is checked below (a non-public node puts nothing readable)
    ...DHT_PUTS
  })

  beforeAll(async () => {
    // only A's DHT presence record is read below: the others put none
    r = await startNode({ relay: true })
    const bootstrap = [r.addresses()[0]]
    aHome = await tmpHome('a')
    b = await startNode({ bootstrap, presence: { ttlMs: TTL }, contacts: FAST, chat: CHAT })
    // C is public (a DHT server besides the relay)
    c = await startNode({ bootstrap, presence: { ttlMs: TTL }, contacts: { ...FAST, ...PUBLIC }, chat: CHAT })
    s = await startNode({ bootstrap, presence: { ttlMs: TTL }, contacts: FAST, chat: CHAT })
    a = await startA()
    aAddress = a.addresses().find(x => !x.includes('p2p-circuit'))!
    await makeContacts(b, a)
    await makeContacts(c, a)
    b.presence.addEventListener('presence', (e) => {
      if (e.detail.view.peerId === a.peerId.toString() && e.detail.changed) bEvents.push(`${e.detail.view.status}:${e.detail.cause}`)
    })
    await waitFor(() => b.presence.get(a.peerId)?.status === 'online', 'B to see A online')
    await waitFor(() => c.presence.get(a.peerId)?.status === 'online', 'C to see A online')
    bKeys = b.roster.keysFor(a.peerId.toString())
    // the stranger watches A by peer id, and listens on the A-B pair topic by name
    await s.watch(a.peerId, 'ann?')
    s.libp2p.services.pubsub.subscribe(bKeys.topic)
    s.libp2p.services.pubsub.addEventListener('message', (e) => {
      if (e.detail.topic === bKeys.topic) sOnPairTopic.push(e.detail.data)
    })
  // five starts, two contacts made and two views online: over the 60 s default at load 20 (session 14)
  }, 180_000)

  afterAll(async () => {
    await stopNodes([a, b, c, s, r])
  })

  const fetched = async (n: PresenceNode, opts: { signal: AbortSignal }): Promise<string> => {
    const r = await n.fetchPresence(a.peerId, opts)
    return `${r.status} from ${r.source}`
  }

  /** Everything B and S can try on A, normalized. */
  async function observe (): Promise<Observed> {
    await waitFor(() => b.presence.get(a.peerId)?.status === 'offline', 'B to see A offline')
    const retries: number[] = []
    const onRetry = (e: CustomEvent<{ peerId: string, attempts: number }>): void => { if (e.detail.peerId === a.peerId.toString()) retries.push(e.detail.attempts) }
    s.contactsService.addEventListener('contact:retry', onRetry)
    const sRequest = await outcome(s.requestContact(a.peerId, 'hello?'))
    let bChatId: string | undefined
    let sChatId: string | undefined
    const bChatSend = await outcome(b.send(a.peerId, 'are you there?').then(id => { bChatId = id }))
    const sChatSend = await outcome(s.send(a.peerId, 'psst').then(id => { sChatId = id }))
    // the window in which anything could have reached A: S retried its request twice
    await waitFor(() => retries.length >= 2, 'S to try its request twice')
    const chatState = async (n: PresenceNode, id?: string): Promise<string | undefined> => (await n.history(a.peerId)).find(m => m.id === id)?.state
    s.contactsService.removeEventListener('contact:retry', onRetry)
    lastBChatId = bChatId
    const sRequestDelivered = s.contactRequests().outgoing.find(r => r.peerId === a.peerId.toString())?.delivered
    await s.cancel(a.peerId)
    const sWatched = s.presence.get(a.peerId)
    // locate and fetch of an offline peer run until their deadline: both runs get the same one
    const deadline = (): { signal: AbortSignal } => ({ signal: AbortSignal.timeout(DEADLINE_MS) })
    const [bLocate, sLocate, bFetch, sFetch] = await Promise.all([
      outcome(b.locate(a.peerId, deadline())),
      outcome(s.locate(a.peerId, deadline())),
      fetched(b, deadline()),
      fetched(s, deadline())
    ])
    const observed: Observed = {
      bEvents: [...bEvents],
      bView: b.presence.get(a.peerId)!.status,
      bDialAddress: await outcome(b.connect(aAddress)),
      bDialPeerId: await outcome(b.connect(a.peerId.toString())),
      bRequest: await outcome(b.requestContact(a.peerId)),
      sDialAddress: await outcome(s.connect(aAddress)),
      sDialPeerId: await outcome(s.connect(a.peerId.toString())),
      sWatch: `${sWatched?.status} seq=${sWatched?.seq}`,
      sRequest,
      sRequestDelivered,
      bChatSend,
      bChatState: undelivered(await chatState(b, bChatId)),
      sChatSend,
      sChatState: undelivered(await chatState(s, sChatId)),
      bLocate: notLocated(bLocate),
      sLocate: notLocated(sLocate),
      bFetch,
      sFetch
    }
    return observed
  }

  let control: Observed
  /** The id of the text B sent in the latest observe() run (the same id on both ends). */
  let lastBChatId: string | undefined

  it('control run: A really stops', async () => {
    bEvents = []
    await a.stop()
    control = await observe()
    expect(control).toMatchObject({
      bEvents: ['offline:record'],
      bView: 'offline',
      bDialAddress: `PeerUnreachableError: ${aAddress} is unreachable`,
      bDialPeerId: `PeerUnreachableError: ${a.peerId} is unreachable`,
      sWatch: 'offline seq=undefined',
      sRequestDelivered: false,
      bChatSend: 'ok',
      bChatState: 'not delivered',
      sChatSend: 'ok',
      bLocate: 'not located'
    })
  })

  it('block run: every outcome for B and S equals the control run', async () => {
    a = await startA(aAddress.split('/p2p/')[0])
    await waitFor(() => b.presence.get(a.peerId)?.status === 'online', 'B to see the restarted A online')
    await waitFor(() => sOnPairTopic.length > 0, 'the stranger to receive traffic on the A-B pair topic')
    // the text B sent while A was stopped reaches the restarted A before the block, not at the moment of it
    const controlText = lastBChatId
    await waitFor(async () => (await b.history(a.peerId)).find(m => m.id === controlText)?.state === 'delivered',
      'B\'s text from the control run to reach the restarted A')
    bEvents = []
    const published: Array<{ topic: string, data: Uint8Array }> = []
    await a.block(b.peerId)
    await a.block(s.peerId)
    // from here on, record every message A publishes, on any topic
    const pubsub = a.libp2p.services.pubsub
    const publish = pubsub.publish.bind(pubsub)
    pubsub.publish = async (topic: string, data?: Uint8Array) => {
      published.push({ topic, data: data ?? new Uint8Array() })
      return await publish(topic, data)
    }
    try {
      const blocked = await observe()
      expect(blocked).toEqual(control)
      expect(a.blocked().map(x => x.peerId).sort()).toEqual([b.peerId.toString(), s.peerId.toString()].sort())

      // C, still a contact, keeps getting A's presence while B's keys open none of it
      await a.setPresence({ status: 'away', note: 'after the block' })
      await waitFor(() => c.presence.get(a.peerId)?.note === 'after the block', 'C to see A\'s new note')
      expect(published.length).toBeGreaterThan(0)
      for (const m of published) {
        expect(m.topic).not.toBe(bKeys.topic)
        expect(openPresenceFromPair(bKeys.presence, m.topic, m.data)).toBeUndefined()
        expect(openPresenceFromPair(bKeys.locator, m.topic, m.data)).toBeUndefined()
      }
      expect(b.presence.get(a.peerId)?.status).toBe('offline')
    } finally {
      pubsub.publish = publish
    }
  })

  it('strangers never read presence in contacts mode', async () => {
    // S got the A-B pair traffic by naming the topic, yet opens none of it
    expect(sOnPairTopic.length).toBeGreaterThan(0)
    const sKeys = s.roster.keysFor(a.peerId.toString())
    for (const data of sOnPairTopic) {
      expect(openPresenceFromPair(sKeys.presence, bKeys.topic, data)).toBeUndefined()
      expect((await openPresence(data, { now: Date.now() })).ok).toBe(false)
    }
    // and A never publishes on (nor joins) its public topic
    expect(a.libp2p.services.pubsub.getTopics()).not.toContain(presenceTopic(a.peerId))
    expect(s.presence.get(a.peerId)?.seq).toBeUndefined()
  })

  it('unblock restores the contact\'s presence and chat', async () => {
    await a.unblock(b.peerId)
    try {
      await waitFor(() => b.presence.get(a.peerId)?.status === 'away', 'B to see A again after the unblock', 15_000)
    } catch (err) {
      console.log('conns A->B', a.libp2p.getConnections(b.peerId).map(c => c.status), 'topics A', a.libp2p.services.pubsub.getTopics().includes(bKeys.topic),
        'subs A sees', a.libp2p.services.pubsub.getSubscribers(bKeys.topic).map(String), 'B view', b.presence.get(a.peerId), 'B rejections', b.presence.getRejections())
      throw err
    }
    expect(b.presence.get(a.peerId)?.note).toBe('after the block')
    expect(a.contacts().find(x => x.peerId === b.peerId.toString())?.blocked).toBe(false)
    // what B sent while blocked is dropped for good: after the unblock B's node gets its receipt
    // (it stops retrying), A never shows it; and A can write back
    const blockRunText = lastBChatId
    await waitFor(async () => (await b.history(a.peerId)).find(m => m.id === blockRunText)?.state === 'delivered',
      'B\'s message from the block run to be acknowledged after the unblock')
    expect((await a.history(b.peerId)).some(m => m.id === blockRunText)).toBe(false)
    const reply = await a.send(b.peerId, 'back again')
    await waitFor(async () => (await a.history(b.peerId)).find(m => m.id === reply)?.state === 'delivered', 'A\'s reply to be delivered')
  })
})
