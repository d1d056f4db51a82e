/**
 * Group conversations end to end, with five members on loopback (A the
 * creator, B to E), one scenario after the other: catch-up of a member that
 * was offline, blocking, removal, concurrent changes in a partition.
 */
import { multiaddr } from '@multiformats/multiaddr'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openDatastore } from '../../node/datastore.js'
import { GroupStore } from '../../node/groups/group-store.js'
import { loadOrCreateIdentity } from '../../node/home.js'
import { openEntryContent, openGroupEntry, openKeyEntry } from '../../protocol/group-entry.js'
import { derivePairKeys, pairSharedSecret } from '../../protocol/pair-keys.js'
import { peerIdFromString } from '@libp2p/peer-id'
import { cleanupHomes, PUBLIC, startNode, stopNodes, tmpHome, waitFor } from '../helpers.js'
import type { GroupMessage } from '../../node/groups/index.js'
import type { PresenceNode, PresenceNodeOptions } from '../../node/presence-node.js'
import type { ConnectionGater, PeerId } from '@libp2p/interface'

afterAll(cleanupHomes)

/** A node that can be cut off from chosen peers (a partition on loopback). */
interface Member { name: string, home: string, node: PresenceNode, denied: Set<string>, messages: GroupMessage[] }

function gater (denied: Set<string>): ConnectionGater {
  const deny = (peer: PeerId): boolean => denied.has(peer.toString())
  return { denyDialPeer: deny, denyInboundEncryptedConnection: deny, denyOutboundEncryptedConnection: deny }
}

// public: members who are not contacts of each other connect directly too (a node in contacts mode
// admits no stranger's connection, docs/protocol.md §8.7; the group then flows through common contacts)
const FAST: Partial<PresenceNodeOptions> = { roster: PUBLIC, contacts: { retryBaseMs: 200, retryCapMs: 1_000 }, groups: { antiEntropyMs: 2_000 } }

/** E's send limit keeps its default count over a window no run outlasts: 60 sends took more than 10 s on a loaded machine (load 23), and the 61st went through. */
const LONG_WINDOW_S = 3_600

async function start (m: Pick<Member, 'name' | 'home' | 'denied'>): Promise<Member> {
  const groups = m.name === 'E' ? { ...FAST.groups, sendWindowSeconds: LONG_WINDOW_S } : FAST.groups
  const node = await startNode({ ...FAST, groups, home: m.home, connectionGater: gater(m.denied) })
  const member: Member = { ...m, node, messages: [] }
  node.addEventListener('group:message', (e) => { member.messages.push(e.detail) })
  return member
}

async function befriend (a: PresenceNode, b: PresenceNode): Promise<void> {
  await a.requestContact(b.peerId)
  await waitFor(() => b.contactRequests().incoming.some(r => r.peerId === a.peerId.toString()), 'the contact request')
  await b.accept(a.peerId.toString())
  await waitFor(() => a.roster.isContact(b.peerId), 'the contact')
}

const id = (m: Member): string => m.node.peerId.toString()
const texts = async (m: Member, group: string): Promise<string[]> => (await m.node.groupHistory(group)).map(x => x.text)

async function cut (a: Member, b: Member): Promise<void> {
  a.denied.add(id(b))
  b.denied.add(id(a))
  await a.node.libp2p.hangUp(b.node.peerId).catch(() => {})
}

describe('group conversations with five members', () => {
  let A: Member, B: Member, C: Member, D: Member, E: Member
  let all: Member[]
  let group: string

  beforeAll(async () => {
    all = await Promise.all(['A', 'B', 'C', 'D', 'E'].map(async name => await start({ name, home: await tmpHome(`group-${name}`), denied: new Set() })))
    ;[A, B, C, D, E] = all
    for (const m of [B, C, D, E]) await m.node.libp2p.dial(multiaddr(A.node.addresses()[0]))
    for (const m of [B, C, D, E]) await befriend(A.node, m.node)
    await B.node.libp2p.dial(multiaddr(E.node.addresses()[0]))
    await befriend(B.node, E.node)
    const info = await A.node.createGroup('five', [id(B), id(C), id(D), id(E)])
    group = info.id
    expect(info).toMatchObject({ name: 'five', standing: 'member', role: 'admin' })
    expect(info.invited.map(i => i.peerId).sort()).toEqual([B, C, D, E].map(id).sort())
    for (const m of [B, C, D, E]) {
      await waitFor(() => m.node.groupInvitations().some(i => i.group === group), `${m.name}'s invitation`)
      expect(m.node.groupInvitations()[0]).toMatchObject({ name: 'five', inviter: id(A), members: [id(A)] })
      await m.node.acceptGroup('five')
    }
    await waitFor(() => all.every(m => m.node.group(group).members.length === 5), 'everyone to see five members')
  })

  afterAll(async () => {
    await stopNodes(all.map(m => m.node))
  })

  it('refuses bad input with typed errors', async () => {
    await expect(A.node.sendToGroup(group, '')).rejects.toMatchObject({ name: 'InvalidMessageError', problem: 'empty' })
    await expect(A.node.sendToGroup(group, 'x'.repeat(4001))).rejects.toMatchObject({ name: 'InvalidMessageError', problem: 'too-long', limit: 4000 })
    // the limit is in bytes of UTF-8, not in UTF-16 units: 1,334 euro signs are 4,002 bytes
    await expect(A.node.sendToGroup(group, '\u20ac'.repeat(1334))).rejects.toMatchObject({ name: 'InvalidMessageError', problem: 'too-long', bytes: 4002, limit: 4000 })
    await expect(A.node.sendToGroup(group, '\u20ac'.repeat(1000) + '\u{1F600}'.repeat(251))).rejects.toMatchObject({ name: 'InvalidMessageError', problem: 'too-long', bytes: 4004 })
    await expect(A.node.sendToGroup(group, 'hi \uD800')).rejects.toMatchObject({ name: 'InvalidMessageError', problem: 'not-unicode' })
    await expect(A.node.sendToGroup('no-such-group', 'hi')).rejects.toMatchObject({ name: 'UnknownGroupError' })
    await expect(C.node.removeFromGroup(group, id(B))).rejects.toMatchObject({ name: 'NotGroupAdminError' })
    await expect(C.node.renameGroup(group, 'mine')).rejects.toMatchObject({ name: 'NotGroupAdminError' })
    // C and D are not contacts of each other
    await expect(C.node.inviteToGroup(group, id(D))).rejects.toMatchObject({ name: 'NotAContactError' })
    await expect(A.node.inviteToGroup(group, id(B))).rejects.toMatchObject({ name: 'GroupMembershipError', problem: 'already-in' })
    await expect(A.node.renameGroup(group, ' ')).rejects.toMatchObject({ name: 'InvalidGroupNameError' })
    await expect(A.node.createGroup('other', [id(A)])).rejects.toMatchObject({ name: 'SelfReferenceError' })
    // 60 texts (the default) per window to one group, then a typed error saying when to try again
    for (let i = 0; i < 60; i++) await E.node.sendToGroup(group, `burst ${i}`)
    await expect(E.node.sendToGroup(group, 'one too many')).rejects.toMatchObject({ name: 'GroupRateLimitError', limit: 60, windowSeconds: LONG_WINDOW_S })
    await waitFor(async () => (await texts(A, group)).includes('burst 59'), 'A to get the burst')
  })

  it('who is online: each member as the viewer\'s own presence channels show it', async () => {
    // A is everyone's contact; C and D are not contacts, so D's presence is unknown to C
    await waitFor(() => A.node.groupOnline(group).every(p => p.status === 'online'), 'A to see every member online')
    const seenByC = new Map(C.node.groupOnline(group).map(p => [p.peerId, p.status]))
    expect(seenByC.get(id(A))).toBe('online')
    expect(seenByC.get(id(D))).toBe('unknown')
    expect(seenByC.get(id(C))).toBe('online')
  })

  it('a member offline during ten messages catches up exactly once and in order, and finds them unread', async () => {
    await D.node.markGroupRead(group)
    await D.node.stop()
    const sent: string[] = []
    const senders = [A, B, C, A, B, C, A, B, C, A]
    for (const [i, m] of senders.entries()) {
      const msg = await m.node.sendToGroup(group, `while D was away ${i}`)
      sent.push(msg.id)
    }
    await waitFor(async () => (await Promise.all([A, B, C, E].map(async m => (await texts(m, group)).length))).every(n => n >= 10), 'the others to hold all ten')
    D = await start(D)
    all[3] = D
    await D.node.libp2p.dial(multiaddr(A.node.addresses()[0]))
    await waitFor(() => D.messages.length >= 10, 'D to catch up', 30_000)
    // another round of catch-up brings nothing twice
    await D.node.groupsService.catchUp(group)
    expect(D.messages.map(m => m.id).sort()).toEqual([...sent].sort())
    for (const author of [A, B, C]) {
      const seqs = D.messages.filter(m => m.author === id(author)).map(m => m.seq)
      expect(seqs).toEqual([...seqs].sort((x, y) => x - y))
    }
    // the history is in the same order on every member
    const order = (await A.node.groupHistory(group)).map(m => m.id)
    expect(order).toEqual(expect.arrayContaining(sent))
    for (const m of [B, C, D, E]) expect((await m.node.groupHistory(group)).map(x => x.id)).toEqual(order)
    // what it missed is unread (however it came: the start-up backlog shows it), until the group is read
    expect(await D.node.groupUnread()).toEqual({ [group]: 10 })
    expect((await D.node.groupUnreadMessages(group)).map(m => m.id)).toEqual(order.filter(i => sent.includes(i)))
    expect((await D.node.groupUnreadMessages(group, 3)).map(m => m.id)).toEqual(order.filter(i => sent.includes(i)).slice(-3))
    expect(await D.node.markGroupRead(group)).toBe(10)
    expect(await D.node.groupUnread()).toEqual({})
  })

  it('hides a blocked person\'s messages from the one who blocked them, not from others', async () => {
    await B.node.block(id(C))
    await B.node.markGroupRead(group)
    const before = B.messages.length
    await C.node.sendToGroup(group, 'can B read this?')
    await A.node.sendToGroup(group, 'after C, from A')
    await waitFor(() => B.messages.some(m => m.text === 'after C, from A'), 'B to get A\'s message')
    await waitFor(async () => (await texts(E, group)).includes('can B read this?'), 'E to get C\'s message')
    expect(B.messages.slice(before).map(m => m.text)).toEqual(['after C, from A'])
    expect(await texts(B, group)).not.toContain('can B read this?')
    expect(B.node.groupOnline(group).map(p => p.peerId)).not.toContain(id(C))
    // a text is shown before its commit ends: wait for the commit
    await waitFor(async () => (await B.node.groupUnread())[group] === 1, 'B to store A\'s text')
    expect(await B.node.groupUnread()).toEqual({ [group]: 1 })
    expect((await B.node.groupUnreadMessages(group)).map(m => m.text)).toEqual(['after C, from A'])
    await B.node.unblock(id(C))
    expect(await texts(B, group)).toContain('can B read this?')
    expect(await B.node.groupUnread()).toEqual({ [group]: 2 })
  })

  it('after a removal the removed member opens nothing it still receives', async () => {
    const { topic } = A.node.group(group)
    // E's node as a modified client would run it: it never leaves the topic and keeps every message
    const pubsub = E.node.libp2p.services.pubsub
    const unsubscribe = pubsub.unsubscribe.bind(pubsub)
    pubsub.unsubscribe = (t: string) => { if (t !== topic) unsubscribe(t) }
    const heard: Array<{ data: Uint8Array, removed: boolean }> = []
    let removed = false
    pubsub.addEventListener('message', (e) => { if (e.detail.topic === topic) heard.push({ data: e.detail.data, removed }) })
    await A.node.sendToGroup(group, 'before the removal')
    await waitFor(async () => (await texts(E, group)).includes('before the removal'), 'E to read the last message before its removal')

    await A.node.removeFromGroup(group, id(E))
    await waitFor(() => [A, B, C, D].every(m => m.node.group(group).members.length === 4), 'the others to apply the removal')
    await waitFor(() => E.node.group(group).standing === 'removed', 'E to learn it was removed')
    removed = true
    expect(A.node.libp2p.services.pubsub.getSubscribers(topic).some(p => p.equals(E.node.peerId))).toBe(true)
    for (const m of [A, B, C, D]) await m.node.sendToGroup(group, `after the removal, from ${m.name}`)
    await waitFor(() => heard.filter(h => h.removed).length >= 4, 'E to receive what the others send')
    expect(await texts(E, group)).not.toContain('after the removal, from A')

    // everything E's node ever stored: its identity and every sender key it was given
    await E.node.stop()
    const { privateKey } = await loadOrCreateIdentity(E.home)
    const ds = await openDatastore(E.home)
    const { keys } = await new GroupStore(ds).loadGroup(group)
    await ds.close()
    const eMh = E.node.peerId.toMultihash().bytes
    const opens = (data: Uint8Array): boolean => {
      const res = openGroupEntry(data, Buffer.from(group, 'hex'))
      if (!res.ok) return false
      const e = res.entry
      if (e.kind === 'key') {
        const author = peerIdFromString(e.author)
        const pair = derivePairKeys(pairSharedSecret(privateKey.raw.subarray(0, 32), author.publicKey!.raw), eMh, author.toMultihash().bytes)
        return openKeyEntry(e, eMh, pair.group) != null
      }
      return [...keys.values()].some(k => openEntryContent(e, k) != null)
    }
    // the check itself works: what E heard while a member opens
    expect(heard.filter(h => !h.removed).some(h => opens(h.data))).toBe(true)
    const after = heard.filter(h => h.removed)
    expect(after.length).toBeGreaterThanOrEqual(4)
    expect(after.filter(h => opens(h.data))).toEqual([])
    E = await start(E)
    all[4] = E
  })

  it('concurrent invites and removals on both sides of a partition converge once it heals', async () => {
    await A.node.promoteInGroup(group, id(B))
    await waitFor(() => all.slice(0, 4).every(m => m.node.group(group).members.find(x => x.peerId === id(B))?.role === 'admin'), 'everyone to see B admin')
    for (const m of [B, C, D]) await m.node.libp2p.dial(multiaddr(A.node.addresses()[0])).catch(() => {})
    await D.node.libp2p.dial(multiaddr(B.node.addresses()[0])).catch(() => {})
    // {A, C} | {B, D}
    for (const [x, y] of [[A, B], [A, D], [C, B], [C, D]] as const) await cut(x, y)
    await Promise.all([
      (async () => { await A.node.removeFromGroup(group, id(D)); await A.node.renameGroup(group, 'alpha') })(),
      (async () => { await B.node.removeFromGroup(group, id(C)); await B.node.inviteToGroup(group, id(E)); await B.node.renameGroup(group, 'beta') })()
    ])
    expect(A.node.group(group).members.map(m => m.peerId).sort()).toEqual([A, B, C].map(id).sort())
    expect(B.node.group(group).members.map(m => m.peerId).sort()).toEqual([A, B, D].map(id).sort())
    for (const m of all) m.denied.clear()
    await B.node.libp2p.dial(multiaddr(A.node.addresses()[0]))
    const view = (m: Member): unknown => {
      const g = m.node.group(group)
      return { name: g.name, members: g.members.map(x => `${x.peerId}:${x.role}`).sort(), invited: g.invited.map(x => x.peerId).sort() }
    }
    await waitFor(() => JSON.stringify(view(A)) === JSON.stringify(view(B)), 'A and B to agree', 30_000)
    // both removals count; E is invited by B; one of the renames wins, the same everywhere
    expect(view(A)).toMatchObject({ members: [A, B].map(id).map(p => `${p}:admin`).sort(), invited: [id(E)] })
    expect(['alpha', 'beta']).toContain(A.node.group(group).name)
    await C.node.libp2p.dial(multiaddr(B.node.addresses()[0])).catch(() => {})
    await D.node.libp2p.dial(multiaddr(A.node.addresses()[0])).catch(() => {})
    await waitFor(() => C.node.group(group).standing === 'removed' && D.node.group(group).standing === 'removed', 'C and D to learn their removal', 30_000)
    await waitFor(() => E.node.groupInvitations().some(i => i.group === group), 'E to get B\'s invitation')

    // A leaves: gone for B, and A writes nothing more
    await A.node.leaveGroup(group)
    expect(A.node.group(group).standing).toBe('left')
    await waitFor(() => B.node.group(group).members.map(m => m.peerId).join() === id(B), 'B to see A leave')
    await expect(A.node.sendToGroup(group, 'still here?')).rejects.toMatchObject({ name: 'NotAGroupMemberError', standing: 'left' })

    // B writes while E is invited; E joins afterwards and reads it: the key named the invitee
    // (a writer that learns of a join after writing must not have left the newcomer out)
    await B.node.sendToGroup(group, 'written while E was invited')
    await E.node.acceptGroup(group)
    await waitFor(async () => (await texts(E, group)).includes('written while E was invited'), 'E to read what B wrote while E was invited')
  })
})
