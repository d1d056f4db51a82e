/**
 * A client makes a group by joining a room that does not exist (XEP-0045
 * §10.1), with a real client against the endpoint over a stub node: the
 * room is a new group named as the room, answered with status 201; the room
 * keeps the client's name everywhere (occupants, disco, bookmarks) and after
 * a restart; its owner form shows and changes the group's name.
 */
import { randomBytes } from 'node:crypto'
import path from 'node:path'
import { defaultLogger } from '@libp2p/logger'
import { xml } from '@xmpp/xml'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { RoomNames } from '../../../node/xmpp/room-names.js'
import { cleanupHomes, tmpHome } from '../../helpers.js'
import { testClient } from './client.js'
import { StubEndpoints } from './stub-node.js'
import type { TestClient } from './client.js'
import type { GroupInfo } from '../../../node/groups/index.js'
import type { Element } from '@xmpp/xml'

afterAll(cleanupHomes)

const MUC = 'http://jabber.org/protocol/muc'
const MUC_USER = 'http://jabber.org/protocol/muc#user'
const MUC_OWNER = 'http://jabber.org/protocol/muc#owner'

/** The groups side of a node: what the endpoint asked of it. */
class Groups {
  readonly list: GroupInfo[] = []
  readonly created: string[] = []
  readonly sent: Array<{ group: string, text: string }> = []
  install (node: any): void {
    node.peerId = { toString: () => 'self' }
    node.groups = () => this.list
    node.createGroup = async (name: string) => {
      if (name.length > 64) throw new Error('a group name has at most 64 characters')
      this.created.push(name)
      const g: GroupInfo = { id: randomBytes(16).toString('hex'), name, topic: 't', standing: 'member', role: 'admin', members: [], invited: [] }
      this.list.push(g)
      return g
    }
    node.renameGroup = async (id: string, name: string) => { this.list.find(g => g.id === id)!.name = name }
    node.sendToGroup = async (group: string, text: string) => { this.sent.push({ group, text }) }
    node.groupOnline = () => []
    node.groupHistory = async () => []
    node.displayName = () => undefined
  }
}

const endpoints = new StubEndpoints()
afterEach(async () => { await endpoints.closeAll() })

const codes = (el: Element): string[] => el.getChild('x', MUC_USER)?.getChildren('status').map(s => String(s.attrs.code)).sort() ?? []
/** Joins `jid`; the own presence comes from the room's name (`from`), which is the JID joined unless it was the group id. */
const join = async (c: TestClient, jid: string, from = jid): Promise<Element> => {
  const mark = c.mark()
  await c.xmpp.send(xml('presence', { to: jid }, xml('x', { xmlns: MUC })))
  return await c.next(el => el.name === 'presence' && el.attrs.from === from && el.attrs.type !== 'unavailable', `own presence from ${from}`, mark)
}

describe('XMPP: a client makes a group by joining a new room', () => {
  it('the new room is a group named as the room, under the client\'s room name everywhere, and again after a restart', async () => {
    const home = await tmpHome('xmpp-rooms')
    const groups = new Groups()
    const { server, client } = await endpoints.start(home, (node) => { groups.install(node) })
    const self = await join(client, 'team@groups.localhost/me')
    expect(groups.created).toEqual(['team'])
    expect(codes(self)).toEqual(['100', '110', '201'])
    expect(self.getChild('x', MUC_USER)?.getChild('item')?.attrs).toMatchObject({ affiliation: 'owner', role: 'moderator' })
    const id = groups.list[0].id

    // a second join of the same name is the same group
    const other = testClient(server.info(), { resource: 'second' })
    await other.xmpp.start()
    try {
      expect(codes(await join(other, 'team@groups.localhost/me2'))).toEqual(['100', '110'])
    } finally {
      await other.xmpp.stop()
    }
    expect(groups.created).toEqual(['team'])

    await client.xmpp.send(xml('message', { type: 'groupchat', to: 'team@groups.localhost', id: 'm1' }, xml('body', {}, 'first words')))
    await client.next(el => el.name === 'message' && el.attrs.id === 'm1' && el.attrs.from === 'team@groups.localhost/me', 'the reflection from the room name')
    expect(groups.sent).toEqual([{ group: id, text: 'first words' }])

    const items = await client.xmpp.iqCaller.get(xml('query', { xmlns: 'http://jabber.org/protocol/disco#items' }), 'groups.localhost')
    expect(items.getChildren('item').map(i => i.attrs.jid)).toEqual(['team@groups.localhost'])
    const bookmarks = await client.xmpp.iqCaller.get(xml('query', { xmlns: 'jabber:iq:private' }, xml('storage', { xmlns: 'storage:bookmarks' })))
    expect(bookmarks.getChild('storage')?.getChildren('conference').map(c => c.attrs.jid)).toEqual(['team@groups.localhost'])
    // joined by the group's id, the room says where it is (RFC 6120 §8.3.3.5)
    const mark = client.mark()
    await client.xmpp.send(xml('presence', { to: `${id}@groups.localhost/me` }, xml('x', { xmlns: MUC })))
    const gone = await client.next(el => el.name === 'presence' && el.attrs.type === 'error', 'the redirect', mark)
    expect(gone.getChild('error')?.getChildText('gone', 'urn:ietf:params:xml:ns:xmpp-stanzas')).toBe('xmpp:team@groups.localhost?join')

    await endpoints.closeAll()
    const { client: again } = await endpoints.start(home, (node) => { groups.install(node) })
    expect(codes(await join(again, 'team@groups.localhost/me'))).toEqual(['100', '110'])
    expect(groups.created).toEqual(['team'])
  })

  it('the owner form shows the group\'s name and renames it; destroying is refused; an unknown group id is not made', async () => {
    const groups = new Groups()
    const { client } = await endpoints.start(await tmpHome('xmpp-rooms'), (node) => { groups.install(node) })
    await join(client, 'plans@groups.localhost/me')
    const form = await client.xmpp.iqCaller.get(xml('query', { xmlns: MUC_OWNER }), 'plans@groups.localhost')
    const field = form.getChild('x', 'jabber:x:data')?.getChildren('field').find(f => f.attrs.var === 'muc#roomconfig_roomname')
    expect(field?.getChildText('value')).toBe('plans')
    await client.xmpp.iqCaller.set(xml('query', { xmlns: MUC_OWNER },
      xml('x', { xmlns: 'jabber:x:data', type: 'submit' },
        xml('field', { var: 'FORM_TYPE' }, xml('value', {}, 'http://jabber.org/protocol/muc#roomconfig')),
        xml('field', { var: 'muc#roomconfig_roomname' }, xml('value', {}, 'Plans for May')))), 'plans@groups.localhost')
    expect(groups.list[0].name).toBe('Plans for May')
    // an instant room (XEP-0045 §10.1.2: the empty submitted form) changes nothing
    await client.xmpp.iqCaller.set(xml('query', { xmlns: MUC_OWNER }, xml('x', { xmlns: 'jabber:x:data', type: 'submit' })), 'plans@groups.localhost')
    expect(groups.list[0].name).toBe('Plans for May')
    await expect(client.xmpp.iqCaller.set(xml('query', { xmlns: MUC_OWNER }, xml('destroy')), 'plans@groups.localhost')).rejects.toMatchObject({ condition: 'feature-not-implemented' })

    // a name the node refuses as a group's
    const long = `${'x'.repeat(70)}@groups.localhost/me`
    let mark = client.mark()
    await client.xmpp.send(xml('presence', { to: long }, xml('x', { xmlns: MUC })))
    const refused = await client.next(el => el.name === 'presence' && el.attrs.type === 'error', 'the refusal of a long name', mark)
    expect(refused.getChild('error')?.getChild('not-allowed')).toBeDefined()

    const unknown = `${'cd'.repeat(16)}@groups.localhost/me`
    mark = client.mark()
    await client.xmpp.send(xml('presence', { to: unknown }, xml('x', { xmlns: MUC })))
    const error = await client.next(el => el.name === 'presence' && el.attrs.type === 'error', 'the refusal', mark)
    expect(error.getChild('error')?.getChild('item-not-found')).toBeDefined()
    expect(groups.created).toEqual(['plans'])
  })

  it('two makes of one new room at once make one group, and only the first is told it made it', async () => {
    const names = new RoomNames(path.join(await tmpHome('xmpp-rooms'), 'xmpp-rooms.json'), defaultLogger().forComponent('test'))
    let open!: () => void
    const gate = new Promise<void>(resolve => { open = resolve })
    const made: string[] = []
    const create = async (): Promise<GroupInfo> => {
      await gate
      made.push('x')
      return { id: 'ab'.repeat(16), name: 'x', topic: 't', standing: 'member', role: 'admin', members: [], invited: [] }
    }
    const first = names.make('x', create)
    const second = names.make('x', create)
    open()
    expect([(await first).created, (await second).created]).toEqual([true, false])
    expect(made).toEqual(['x'])
    expect(names.groupOf('x')).toBe('ab'.repeat(16))
  })

  it('the group is named as the client wrote the room: its case, XEP-0106 escapes undone', async () => {
    const groups = new Groups()
    const { client } = await endpoints.start(await tmpHome('xmpp-rooms'), (node) => { groups.install(node) })
    await join(client, 'My\\20Room@groups.localhost/a', 'my\\20room@groups.localhost/a')
    expect(groups.created).toEqual(['My Room'])
  })

  it('the name of a room whose group the node left makes a new group; the old one keeps its id', async () => {
    const groups = new Groups()
    const { client } = await endpoints.start(await tmpHome('xmpp-rooms'), (node) => { groups.install(node) })
    await join(client, 'club@groups.localhost/me')
    const old = groups.list[0]
    old.standing = 'left'
    expect(codes(await join(client, 'club@groups.localhost/me'))).toEqual(['100', '110', '201'])
    expect(groups.created).toEqual(['club', 'club'])
    expect(groups.list[1].id).not.toBe(old.id)
    const items = await client.xmpp.iqCaller.get(xml('query', { xmlns: 'http://jabber.org/protocol/disco#items' }), 'groups.localhost')
    expect(items.getChildren('item').map(i => i.attrs.jid)).toEqual(['club@groups.localhost'])
  })
})
