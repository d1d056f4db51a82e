import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { loadOrCreateIdentity } from '../../node/home.js'
import { sealPresence } from '../../protocol/presence-record.js'
import { presenceTopic } from '../../protocol/topics.js'
import { cleanupHomes, startNode, stopNodes, tmpHome, waitFor } from '../helpers.js'
import type { PresenceNode } from '../../node/presence-node.js'
import type { RejectReason } from '../../protocol/presence-record.js'

afterAll(cleanupHomes)

const TTL = 4_000
// these nodes watch each other as strangers: records on the public topic need public mode
const PUBLIC = { defaultVisibility: 'public' as const }

describe('three nodes: A watches B and C', () => {
  let a: PresenceNode, b: PresenceNode, c: PresenceNode
  let bHome: string

  beforeAll(async () => {
    bHome = await tmpHome('b')
    b = await startNode({ home: bHome, presence: { ttlMs: TTL }, roster: PUBLIC })
    c = await startNode({ presence: { ttlMs: TTL }, roster: PUBLIC })
    a = await startNode({ bootstrap: [b.addresses()[0], c.addresses()[0]], presence: { ttlMs: TTL }, roster: PUBLIC })
    await a.watch(b.peerId, 'bob')
    await a.watch(c.peerId, 'carol')
    await waitFor(() => a.who().every(v => v.status === 'online'), 'A to see B and C online')
  })

  afterAll(async () => {
    await stopNodes([a, b, c])
  })

  it('shows a status change with its note and emits one change event', async () => {
    const changes: string[] = []
    a.presence.addEventListener('presence', (e) => { if (e.detail.changed) changes.push(`${e.detail.view.alias}:${e.detail.view.status}`) })
    await b.setPresence({ status: 'away', note: 'out for lunch', activity: 'eating' })
    await waitFor(() => a.presence.get(b.peerId)?.status === 'away', 'A to see B away')
    expect(a.presence.get(b.peerId)).toMatchObject({ alias: 'bob', note: 'out for lunch', activity: 'eating' })
    expect(changes).toContain('bob:away')
    expect(a.presence.get(c.peerId)?.status).toBe('online')
  })

  it('rejects and counts every kind of bad record on the topic and keeps running', async () => {
    const bKey = (await loadOrCreateIdentity(bHome)).privateKey
    const cKey = (await loadOrCreateIdentity(c.home)).privateKey
    const now = Date.now()
    const base = { presentity: b.peerId, status: 'online' as const, issuedAt: now, expiresAt: now + TTL }
    const forged = await sealPresence({ ...base, seq: BigInt(now) * 2n }, bKey)
    forged[forged.length - 1] ^= 0xff
    const attacks: Array<[RejectReason, Uint8Array]> = [
      ['bad-signature', forged],
      ['wrong-presentity', await sealPresence({ ...base, presentity: c.peerId, seq: BigInt(now) * 2n }, cKey)],
      ['oversize', new Uint8Array(5000).fill(7)],
      ['malformed', Uint8Array.from([0xde, 0xad, 0xbe, 0xef])],
      ['replay', await sealPresence({ ...base, seq: 1n }, bKey)]
    ]
    const before = a.presence.getRejections()
    const topic = presenceTopic(b.peerId)
    // C plays the attacker: it publishes straight onto B's topic
    for (const [, bytes] of attacks) await c.libp2p.services.pubsub.publish(topic, bytes)
    for (const [reason] of attacks) {
      await waitFor(() => a.presence.getRejections()[reason] > before[reason], `A to count a ${reason} record`)
    }
    expect(a.presence.get(b.peerId)?.status).toBe('away')
    // and A still follows B
    await b.setPresence({ status: 'busy' })
    await waitFor(() => a.presence.get(b.peerId)?.status === 'busy', 'A to see B busy after the attack')
  })

  it('sees offline at once when B stops cleanly', async () => {
    await b.stop()
    await waitFor(() => a.presence.get(b.peerId)?.status === 'offline', 'A to see B offline', TTL - 500)
    expect(a.presence.get(b.peerId)?.lastSeen).toBeGreaterThan(0)
  })

  it('accepts B again after a restart, with a higher sequence even if the clock went back', async () => {
    const lastSeq = a.presence.get(b.peerId)!.seq!
    const realNow = Date.now()
    // B's clock jumps back ten minutes: the persisted sequence still moves forward
    const spy = vi.spyOn(Date, 'now').mockImplementation(() => realNow - 600_000)
    let restartedSeq: bigint
    try {
      const probe = await startNode({ home: bHome, presence: { ttlMs: TTL }, roster: PUBLIC })
      restartedSeq = probe.presence.self.seq
      await probe.stop()
    } finally {
      spy.mockRestore()
    }
    expect(restartedSeq > lastSeq).toBe(true)

    b = await startNode({ home: bHome, bootstrap: [a.addresses()[0]], presence: { ttlMs: TTL }, roster: PUBLIC })
    // the busy state B chose by hand survives the restart
    await waitFor(() => a.presence.get(b.peerId)?.status === 'busy', 'A to see the restarted B busy again')
    expect(a.presence.get(b.peerId)!.seq! > restartedSeq).toBe(true)
  })

  it('refuses a replay of an old record even after the watcher restarts', async () => {
    const bKey = (await loadOrCreateIdentity(bHome)).privateKey
    const seen = a.presence.get(b.peerId)!.seq!
    // still within its lifetime (a minute: A's restart may take seconds on a busy machine), but older than what A accepted
    const oldRecord = async (): Promise<Uint8Array> => {
      const now = Date.now()
      return await sealPresence({ presentity: peerIdFromPrivateKey(bKey), status: 'dnd', seq: seen - 1n, issuedAt: now, expiresAt: now + 60_000 }, bKey)
    }
    const aHome = a.home
    await a.stop()
    a = await startNode({ home: aHome, bootstrap: [b.addresses()[0], c.addresses()[0]], presence: { ttlMs: TTL }, roster: PUBLIC })
    await waitFor(() => a.libp2p.services.pubsub.getSubscribers(presenceTopic(b.peerId)).length > 0, 'A to rejoin B\'s topic')
    // B ignores records on its own topic and forwards none: C must know of A's subscription to reach it
    await waitFor(() => c.libp2p.services.pubsub.getSubscribers(presenceTopic(b.peerId)).some(p => p.equals(a.peerId)), 'C to learn A\'s subscription')
    // C's stream to A may come up after A's subscription reached C: publish until it goes to A
    // (each time sealed anew, so gossipsub does not drop it as a message already seen)
    await waitFor(async () => (await c.libp2p.services.pubsub.publish(presenceTopic(b.peerId), await oldRecord())).recipients.some(p => p.equals(a.peerId)), 'C to reach A')
    await waitFor(() => a.presence.getRejections().replay > 0, 'A to refuse the replay')
    expect(a.presence.get(b.peerId)?.status).not.toBe('dnd')
  })
})
