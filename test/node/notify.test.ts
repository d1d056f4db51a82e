/**
 * The direct presence path end to end: real nodes on loopback, the notify
 * stream beside gossip. Contacts are made through the roster (the consent
 * protocol has its own tests).
 */
import { afterEach, describe, expect, it } from 'vitest'
import { NOTIFY_PROTOCOL } from '../../node/notify/index.js'
import { cleanupHomes, PUBLIC, startNode, stopNodes, waitFor } from '../helpers.js'
import type { PresenceNotify } from '../../node/notify/index.js'
import type { PresenceNode } from '../../node/presence-node.js'
import type { PeerId } from '@libp2p/interface'

const nodes: PresenceNode[] = []

afterEach(async () => {
  await stopNodes(nodes.splice(0))
  await cleanupHomes()
})

async function node (opts: Parameters<typeof startNode>[0] = {}): Promise<PresenceNode> {
  const n = await startNode(opts)
  nodes.push(n)
  return n
}

async function befriend (a: PresenceNode, b: PresenceNode): Promise<void> {
  await a.roster.addContact(b.peerId)
  await b.roster.addContact(a.peerId)
  await a.connect(b.addresses()[0])
}

/** Every note `w` was shown for `presentity`, in order: one entry per accepted record that changed what a person sees (a heartbeat repeating it does not). */
function notesSeen (w: PresenceNode, presentity: PresenceNode): string[] {
  const seen: string[] = []
  w.presence.addEventListener('presence', (evt) => {
    if (evt.detail.cause === 'record' && evt.detail.changed && evt.detail.view.peerId === presentity.peerId.toString() && evt.detail.view.note != null) seen.push(evt.detail.view.note)
  })
  return seen
}

/** The seq of every record `w` accepted from `presentity` (heartbeats included): each taken once, never an older after a newer. */
function recordSeqs (w: PresenceNode, presentity: PresenceNode): Array<bigint | undefined> {
  const seqs: Array<bigint | undefined> = []
  w.presence.addEventListener('presence', (evt) => {
    if (evt.detail.cause === 'record' && evt.detail.view.peerId === presentity.peerId.toString()) seqs.push(evt.detail.view.seq)
  })
  return seqs
}

const strictlyRising = (seqs: Array<bigint | undefined>): boolean => seqs.every((s, i) => s != null && (i === 0 || s > (seqs[i - 1] as bigint)))

const notify = (n: PresenceNode): PresenceNotify => {
  const service = n.libp2p.services.presenceNotify
  if (service == null) throw new Error('the node was built without the direct path')
  return service
}

const direct = (p: PresenceNode, w: PresenceNode): boolean =>
  notify(p).watchers().includes(w.peerId.toString()) && notify(w).subscriptions().includes(p.peerId.toString())

const received = (w: PresenceNode): number => notify(w).getStats().received

describe('direct notifications', () => {
  it('a directly connected contact and a watcher reachable only through the mesh both see every change once, in order', async () => {
    // a short TTL: W2 hears P first from a heartbeat (P never sees W2 subscribe)
    const p = await node({ roster: PUBLIC, presence: { ttlMs: 6_000 } })
    const w1 = await node()
    await befriend(p, w1)
    // W2 is no contact and not connected to P: it hears P's public records through X
    // X is public: a private node admits no stranger without its contact code
    const x = await node({ roster: PUBLIC, bootstrap: [p.addresses()[0]] })
    // W2 would follow P (public, watched) and connect to it: its gater keeps it to the mesh
    const notP = (peer: PeerId): boolean => peer.equals(p.peerId)
    const w2 = await node({ bootstrap: [x.addresses()[0]], connectionGater: { denyDialPeer: notP, denyInboundEncryptedConnection: notP } })
    await x.watch(p.peerId)
    await w2.watch(p.peerId)
    await waitFor(() => direct(p, w1), 'W1 to subscribe to P directly')
    await waitFor(() => w2.presenceOf(p.peerId)?.status === 'online' && w1.presenceOf(p.peerId)?.status === 'online', 'both watchers to see P online')
    expect(w2.libp2p.getConnections(p.peerId)).toHaveLength(0)

    const seen1 = notesSeen(w1, p)
    const seen2 = notesSeen(w2, p)
    const seqs1 = recordSeqs(w1, p)
    const seqs2 = recordSeqs(w2, p)
    const directBefore = received(w1)
    const notes = Array.from({ length: 20 }, (_, i) => `change ${i + 1}`)
    for (const note of notes) {
      await p.setPresence({ status: 'away', note })
      await waitFor(() => seen1.at(-1) === note && seen2.at(-1) === note, `both watchers to see "${note}"`)
    }
    expect(seen1).toEqual(notes)
    expect(seen2).toEqual(notes)
    // exactly once: no record accepted twice (a heartbeat repeating a note has a seq of its own)
    expect(strictlyRising(seqs1)).toBe(true)
    expect(strictlyRising(seqs2)).toBe(true)
    // W1's came on the notify stream
    expect(received(w1) - directBefore).toBeGreaterThanOrEqual(notes.length)
    expect(received(w2)).toBe(0)
  })

  it('a stream reset mid-run loses nothing: gossip and the re-subscription cover it, and nothing is taken twice', async () => {
    const p = await node()
    const w = await node()
    await befriend(p, w)
    await waitFor(() => direct(p, w), 'W to subscribe to P directly')
    const seen = notesSeen(w, p)
    const seqs = recordSeqs(w, p)
    const notes = Array.from({ length: 24 }, (_, i) => `change ${i + 1}`)
    let resets = 0
    for (const [i, note] of notes.entries()) {
      if (i % 4 === 3) {
        // cut the stream from either end in turn, and change in the same tick: from W's end, P has not
        // read the reset yet and writes the frame into a stream W already dropped (lost in flight)
        const [from, to] = resets % 2 === 0 ? [w, p] : [p, w]
        const streams = from.libp2p.getConnections(to.peerId).flatMap(c => c.streams).filter(s => s.protocol === NOTIFY_PROTOCOL)
        expect(streams.length).toBeGreaterThan(0)
        for (const s of streams) s.abort(new Error('test: stream reset'))
        resets++
      }
      await p.setPresence({ status: 'online', note })
      // well before a heartbeat (20 s) would bring it
      await waitFor(() => seen.at(-1) === note, `W to see "${note}"`, 5_000)
      await waitFor(() => direct(p, w), 'W to subscribe again')
    }
    expect(seen).toEqual(notes)
    // the resend by gossip and the re-sync on the new stream carry the same record: taken once
    expect(strictlyRising(seqs)).toBe(true)
    expect(seqs.length).toBeGreaterThanOrEqual(notes.length)
    expect(resets).toBe(6)
  })

  it('a contact that loses sight, or is blocked, gets nothing more on the direct path', async () => {
    const p = await node()
    const w = await node()
    const c = await node()
    await befriend(p, w)
    await befriend(p, c)
    await waitFor(() => direct(p, w) && direct(p, c), 'W and C to subscribe to P directly')

    // invisible to everyone but C: W gets its goodbye, then nothing
    const refusedBefore = notify(p).getStats().refused
    await p.roster.setVisibility('invisible', [c.peerId])
    await waitFor(() => w.presenceOf(p.peerId)?.status === 'offline', 'W to see P offline')
    expect(notify(p).watchers()).not.toContain(w.peerId.toString())
    const wBefore = received(w)
    const seenC = notesSeen(c, p)
    for (const note of ['hidden 1', 'hidden 2', 'hidden 3']) {
      await p.setPresence({ status: 'online', note })
      await waitFor(() => seenC.at(-1) === note, `C to see "${note}"`)
    }
    // W keeps asking while connected and is refused each time
    await waitFor(() => notify(p).getStats().refused > refusedBefore, 'P to refuse W\'s subscription')
    expect(received(w)).toBe(wBefore)
    expect(w.presenceOf(p.peerId)?.status).toBe('offline')

    // blocked: after the goodbye nothing reaches W at all
    await p.roster.setVisibility('contacts')
    await waitFor(() => w.presenceOf(p.peerId)?.note === 'hidden 3', 'W to see P again')
    await p.roster.block(w.peerId)
    const afterBlock = received(w)
    for (const note of ['blocked 1', 'blocked 2']) {
      await p.setPresence({ status: 'busy', note })
      await waitFor(() => seenC.at(-1) === note, `C to see "${note}"`)
    }
    expect(received(w)).toBe(afterBlock)
    expect(w.presenceOf(p.peerId)?.note ?? '').not.toMatch(/blocked/)
    expect(notify(p).watchers()).toEqual([c.peerId.toString()])

    // unblocked: W subscribes again once reconnected, and sees P's newest record
    await p.roster.unblock(w.peerId)
    await waitFor(() => w.presenceOf(p.peerId)?.note === 'blocked 2', 'W to see P after the unblock')
    await waitFor(() => direct(p, w), 'W to subscribe to P directly again')
  })

  it('carries what gossip would: each contact\'s own view (a status-only contact never gets the note), and nothing after a removal', async () => {
    const p = await node()
    const full = await node()
    const status = await node()
    const removed = await node()
    for (const w of [full, status, removed]) await befriend(p, w)
    await p.roster.setView(status.peerId, 'status')
    await waitFor(() => direct(p, full) && direct(p, status) && direct(p, removed), 'the three to subscribe to P directly')
    const seenFull = notesSeen(full, p)
    const statusBefore = received(status)
    for (const note of ['first', 'second']) {
      await p.setPresence({ status: 'busy', note })
      await waitFor(() => seenFull.at(-1) === note, `the full view to see "${note}"`)
    }
    await waitFor(() => received(status) >= statusBefore + 2, 'the status-only contact to get both changes directly')
    expect(status.presenceOf(p.peerId)).toMatchObject({ status: 'busy' })
    expect(status.presenceOf(p.peerId)?.note).toBeUndefined()

    // removed (the consent protocol's REMOVE): its goodbye, then nothing on either path
    await p.removeContact(removed.peerId)
    await waitFor(() => removed.presenceOf(p.peerId)?.status !== 'busy', 'the removed contact to see P go')
    const removedBefore = received(removed)
    await p.setPresence({ status: 'online', note: 'after the removal' })
    await waitFor(() => seenFull.at(-1) === 'after the removal', 'the full view to see the change')
    expect(notify(p).watchers()).not.toContain(removed.peerId.toString())
    expect(received(removed)).toBe(removedBefore)
    expect(removed.presenceOf(p.peerId)?.note ?? '').not.toMatch(/after the removal/)
  })
})
