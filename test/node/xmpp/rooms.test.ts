/**
 * The owner's mesh groups as XEP-0045 rooms, driven through a real client
 * (@xmpp/client): B invites A's node to a group on the mesh, the client gets
 * a XEP-0249 invitation (and so does one that logs in later) and joins the room (accepting), sees the members
 * online as occupants, the history and the name as subject; texts go both
 * ways (the client's reflected to it); a rename is a new subject; a removal
 * on the mesh takes the client out of the room (status 321).
 */
import { xml } from '@xmpp/xml'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cleanupHomes, PUBLIC, startNode, waitFor } from '../../helpers.js'
import { testClient } from './client.js'
import type { TestClient } from './client.js'
import type { GroupMessage } from '../../../node/groups/index.js'
import type { PresenceNode, PresenceNodeOptions } from '../../../node/presence-node.js'
import type { Element } from '@xmpp/xml'

afterAll(cleanupHomes)

const FAST: Partial<PresenceNodeOptions> = { roster: PUBLIC, contacts: { retryBaseMs: 200, retryCapMs: 1_000 }, groups: { antiEntropyMs: 2_000 }, presence: { ttlMs: 4_000 } }
const MUC_USER = 'http://jabber.org/protocol/muc#user'

async function befriend (a: PresenceNode, b: PresenceNode): Promise<void> {
  await a.requestContact(b.peerId)
  await waitFor(() => b.contactRequests().incoming.some(r => r.peerId === a.peerId.toString()), 'the contact request')
  await b.accept(a.peerId.toString())
  await waitFor(() => a.roster.isContact(b.peerId), 'the contact')
}

describe('mesh groups as XMPP rooms (XEP-0045)', () => {
  let a: PresenceNode, b: PresenceNode, c: PresenceNode
  let client: TestClient
  let group: string
  let room: string
  const bGot: GroupMessage[] = []
  const codes = (el: Element): string[] => el.getChild('x', MUC_USER)?.getChildren('status').map(s => String(s.attrs.code)) ?? []

  beforeAll(async () => {
    a = await startNode({ ...FAST, xmpp: { listen: '127.0.0.1:0' } })
    b = await startNode({ ...FAST, bootstrap: [a.addresses()[0]] })
    c = await startNode({ ...FAST, bootstrap: [a.addresses()[0]] })
    await befriend(b, a)
    await befriend(b, c)
    await a.setAlias(b.peerId, 'bob')
    b.addEventListener('group:message', (e) => { bGot.push(e.detail) })
    client = testClient(a.xmppInfo()!)
    await client.xmpp.start()
    await client.xmpp.send(xml('presence'))
  })

  afterAll(async () => {
    await client?.xmpp.stop().catch(() => {})
    await Promise.all([a, b, c].map(async n => n?.stop()))
  })

  it('the groups service is listed; an invitation from the mesh reaches the client, and joining the room accepts it', async () => {
    const items = await client.xmpp.iqCaller.get(xml('query', { xmlns: 'http://jabber.org/protocol/disco#items' }), 'localhost')
    expect(items.getChildren('item').map(i => i.attrs.jid)).toEqual(['groups.localhost'])

    const mark = client.mark()
    const info = await b.createGroup('trip', [a.peerId.toString(), c.peerId.toString()])
    group = info.id
    room = `${group}@groups.localhost`
    await waitFor(() => c.groupInvitations().some(i => i.group === group), 'carol\'s invitation')
    await c.acceptGroup(group)
    const invite = await client.next(el => el.is('message') && el.getChild('x', 'jabber:x:conference') != null, 'the direct invitation', mark)
    expect(invite.getChild('x', 'jabber:x:conference')?.attrs.jid).toBe(room)
    // a client that comes online later gets the invitation still unanswered
    const late = testClient(a.xmppInfo()!, { resource: 'late' })
    try {
      await late.xmpp.start()
      await late.xmpp.send(xml('presence'))
      await late.next(el => el.is('message') && el.getChild('x', 'jabber:x:conference')?.attrs.jid === room, 'the invitation at a later login')
    } finally {
      await late.xmpp.stop().catch(() => {})
    }
    await b.sendToGroup(group, 'before you came')
    await waitFor(async () => (await c.groupHistory(group)).length === 1, 'carol to hold the first message')

    const joining = client.mark()
    await client.xmpp.send(xml('presence', { to: `${room}/me` }, xml('x', { xmlns: 'http://jabber.org/protocol/muc' })))
    const self = await client.next(el => el.is('presence') && el.attrs.from === `${room}/me`, 'the self presence', joining)
    expect(codes(self)).toContain('110')
    expect(a.group(group).standing).toBe('member')
    const subject = await client.next(el => el.is('message') && el.getChild('subject') != null, 'the subject', joining)
    expect(subject.getChildText('subject')).toBe('trip')
    await waitFor(async () => (await a.groupHistory(group)).length === 1, 'a to catch up', 30_000)
  })

  it('members online are occupants; texts go both ways, the client\'s reflected to it', async () => {
    await waitFor(() => a.groupOnline(group).filter(m => m.status === 'online').length >= 1, 'a to see a member online', 30_000)
    const mark = client.mark()
    await b.sendToGroup(group, 'hello room')
    const got = await client.next(el => el.is('message') && el.attrs.type === 'groupchat' && el.getChildText('body') === 'hello room', 'bob\'s text', mark)
    // named as the owner names the member
    expect(got.attrs.from).toBe(`${room}/bob`)
    const bob = client.stanzas.find(el => el.is('presence') && el.attrs.from === `${room}/bob`)
    expect(bob?.getChild('x', MUC_USER)?.getChild('item')?.attrs).toMatchObject({ affiliation: 'owner', role: 'moderator' })
    // the owner is in the room as the client's nick only, never as a member occupant
    const occupants = new Set(client.stanzas.filter(el => el.is('presence') && el.attrs.from?.startsWith(`${room}/`) === true).map(el => el.attrs.from))
    expect(occupants.has(`${room}/…${a.peerId.toString().slice(-8)}`)).toBe(false)

    const mine = client.mark()
    await client.xmpp.send(xml('message', { type: 'groupchat', to: room, id: 'x-1' }, xml('body', {}, 'from the client'), xml('origin-id', { xmlns: 'urn:xmpp:sid:0', id: 'o-1' })))
    const reflected = await client.next(el => el.is('message') && el.getChildText('body') === 'from the client', 'the reflection', mine)
    expect(reflected.attrs).toMatchObject({ from: `${room}/me`, id: 'x-1', type: 'groupchat' })
    // as sent: clients know their own message by its id or origin-id (XEP-0359)
    expect(reflected.getChild('origin-id', 'urn:xmpp:sid:0')?.attrs.id).toBe('o-1')
    await waitFor(() => bGot.some(m => m.text === 'from the client'), 'bob to get the client\'s text')
    expect(client.stanzas.filter(el => el.getChildText('body') === 'from the client')).toHaveLength(1)
  })

  it('a rename is a new subject; a removal on the mesh takes the client out of the room', async () => {
    const mark = client.mark()
    await b.renameGroup(group, 'the trip')
    const subject = await client.next(el => el.is('message') && el.getChildText('subject') === 'the trip', 'the new subject', mark)
    expect(subject.attrs.from).toBe(room)

    const out = client.mark()
    await b.removeFromGroup(group, a.peerId.toString())
    const gone = await client.next(el => el.is('presence') && el.attrs.type === 'unavailable' && el.attrs.from === `${room}/me`, 'the removal', out)
    expect(codes(gone)).toEqual(['110', '321'])
    const again = client.mark()
    await client.xmpp.send(xml('message', { type: 'groupchat', to: room, id: 'x-2' }, xml('body', {}, 'still here?')))
    const refused = await client.next(el => el.attrs.type === 'error' && el.attrs.id === 'x-2', 'the refusal', again)
    expect(refused.getChild('error')?.getChild('not-acceptable')).toBeDefined()
  })
})
