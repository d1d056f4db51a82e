/**
 * Private storage (XEP-0049) and the bookmarks view (XEP-0048) through the
 * endpoint, with a real client: the node's groups are conference bookmarks a
 * client finds at login (profanity asks for exactly this), what clients
 * store is kept as stored and survives a restart, and bad requests get
 * clear errors. The node behind is a stub whose groups the test sets.
 */
import { xml } from '@xmpp/xml'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { cleanupHomes, tmpHome } from '../../helpers.js'
import { StubEndpoints } from './stub-node.js'
import type { TestClient } from './client.js'
import type { GroupInfo } from '../../../node/groups/index.js'
import type { Element } from '@xmpp/xml'

afterAll(cleanupHomes)

const PRIVATE = 'jabber:iq:private'
const BOOKMARKS = 'storage:bookmarks'
const group = (id: string, name: string, standing: GroupInfo['standing'] = 'member'): GroupInfo =>
  ({ id: id.repeat(32), name, topic: 't', standing, role: 'member', members: [], invited: [] })
const room = (id: string): string => `${id.repeat(32)}@groups.localhost`

const endpoints = new StubEndpoints()
afterEach(async () => { await endpoints.closeAll() })

/** An endpoint over a stub node with these groups, and a client logged in to it. */
async function endpoint (home: string, groups: GroupInfo[]): Promise<{ client: TestClient, groups: GroupInfo[] }> {
  const { client } = await endpoints.start(home, (node) => { node.groups = () => groups })
  return { client, groups }
}

const get = async (c: TestClient, el: Element): Promise<Element> => {
  const result = await c.xmpp.iqCaller.get(xml('query', { xmlns: PRIVATE }, el))
  return result.getChildElements()[0]
}
const set = async (c: TestClient, el: Element): Promise<void> => { await c.xmpp.iqCaller.set(xml('query', { xmlns: PRIVATE }, el)) }
const conferences = (storage: Element): Array<Record<string, string | undefined>> =>
  storage.getChildren('conference').map(c => ({ jid: c.attrs.jid, name: c.attrs.name, autojoin: c.attrs.autojoin, nick: c.getChildText('nick') ?? undefined }))
const errorOf = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p
  } catch (err: any) {
    return err.condition
  }
  return 'no error'
}

describe('XMPP private storage and bookmarks', () => {
  it('the groups this node is a member of are conference bookmarks with autojoin; groups it left are not', async () => {
    const { client } = await endpoint(await tmpHome('xmpp-bm'), [group('a', 'team'), group('b', 'trip'), group('c', 'old', 'left')])
    const storage = await get(client, xml('storage', { xmlns: BOOKMARKS }))
    expect(storage.getNS()).toBe(BOOKMARKS)
    expect(conferences(storage)).toEqual([
      { jid: room('a'), name: 'team', autojoin: 'true', nick: undefined },
      { jid: room('b'), name: 'trip', autojoin: 'true', nick: undefined }
    ])
  })

  it('what a client stores is kept: its own bookmarks as written, a group\'s autojoin and nick; a left-out group stays, not joined; it all survives a restart', async () => {
    const home = await tmpHome('xmpp-bm')
    const { client, groups } = await endpoint(home, [group('a', 'team'), group('b', 'trip')])
    await set(client, xml('storage', { xmlns: BOOKMARKS },
      xml('conference', { jid: room('a'), name: 'renamed by the client', autojoin: 'false' }, xml('nick', {}, 'al')),
      xml('conference', { jid: 'lounge@conference.example.org', name: 'elsewhere', autojoin: 'true' }),
      xml('url', { name: 'docs', url: 'https://example.org/' })))
    groups.push(group('d', 'new one'))
    const expected = [
      // the group's own name, the client's autojoin and nick
      { jid: room('a'), name: 'team', autojoin: 'false', nick: 'al' },
      { jid: 'lounge@conference.example.org', name: 'elsewhere', autojoin: 'true', nick: undefined },
      // left out by the client: still a group of this node, no longer joined at login
      { jid: room('b'), name: 'trip', autojoin: 'false', nick: undefined },
      // a group joined after the client wrote: joined at login
      { jid: room('d'), name: 'new one', autojoin: 'true', nick: undefined }
    ]
    const storage = await get(client, xml('storage', { xmlns: BOOKMARKS }))
    expect(conferences(storage)).toEqual(expected)
    expect(storage.getChild('url')?.attrs).toMatchObject({ name: 'docs', url: 'https://example.org/' })

    await endpoints.closeAll()
    const again = await endpoint(home, groups)
    expect(conferences(await get(again.client, xml('storage', { xmlns: BOOKMARKS })))).toEqual(expected)
  })

  it('any other namespace is stored and read back as is; unknown ones read empty', async () => {
    const home = await tmpHome('xmpp-bm')
    const { client } = await endpoint(home, [])
    expect((await get(client, xml('prefs', { xmlns: 'example:prefs' }))).toString()).toBe('<prefs xmlns="example:prefs"/>')
    await set(client, xml('prefs', { xmlns: 'example:prefs' }, xml('colour', { v: 'blue' }, 'text & <kept>')))
    await endpoints.closeAll()
    const again = await endpoint(home, [])
    expect((await get(again.client, xml('prefs', { xmlns: 'example:prefs' }))).toString())
      .toBe('<prefs xmlns="example:prefs"><colour v="blue">text &amp; &lt;kept&gt;</colour></prefs>')
  })

  it('refuses what XEP-0049 keeps out and what is too large, and stores nothing of it', async () => {
    const { client } = await endpoint(await tmpHome('xmpp-bm'), [])
    // §2.3: an empty query, or an element in a reserved namespace, is not acceptable
    expect(await errorOf(client.xmpp.iqCaller.get(xml('query', { xmlns: PRIVATE })))).toBe('not-acceptable')
    expect(await errorOf(set(client, xml('query', { xmlns: PRIVATE })))).toBe('not-acceptable')
    expect(await errorOf(client.xmpp.iqCaller.set(xml('query', { xmlns: PRIVATE }, xml('a', { xmlns: 'x:a' }), xml('b', { xmlns: 'x:b' }))))).toBe('not-acceptable')
    expect(await errorOf(client.xmpp.iqCaller.get(xml('query', { xmlns: PRIVATE }, xml('a', { xmlns: 'x:a' }), xml('b', { xmlns: 'x:a' }))))).toBe('bad-request')
    expect(await errorOf(set(client, xml('big', { xmlns: 'x:big' }, 'x'.repeat(70_000))))).toBe('not-acceptable')
    expect(await errorOf(set(client, xml('many', { xmlns: 'x:big' }, ...Array.from({ length: 2_001 }, () => xml('a')))))).toBe('not-acceptable')
    expect((await get(client, xml('big', { xmlns: 'x:big' }))).toString()).toBe('<big xmlns="x:big"/>')
    expect((await get(client, xml('many', { xmlns: 'x:big' }))).toString()).toBe('<many xmlns="x:big"/>')
    for (let i = 0; i < 32; i++) await set(client, xml(`e${i}`, { xmlns: 'x:many' }))
    expect(await errorOf(set(client, xml('one-more', { xmlns: 'x:many' })))).toBe('resource-constraint')
    // an element already there can still be replaced
    await set(client, xml('e0', { xmlns: 'x:many' }, 'again'))
    expect((await get(client, xml('e0', { xmlns: 'x:many' }))).getText()).toBe('again')
  })

  it('a set may carry several elements of one namespace; a prefixed element is found by its local name', async () => {
    const { client } = await endpoint(await tmpHome('xmpp-bm'), [])
    await client.xmpp.iqCaller.set(xml('query', { xmlns: PRIVATE }, xml('a', { xmlns: 'x:two' }, 'first'), xml('b', { xmlns: 'x:two' }, 'second')))
    expect((await get(client, xml('a', { xmlns: 'x:two' }))).getText()).toBe('first')
    expect((await get(client, xml('b', { xmlns: 'x:two' }))).getText()).toBe('second')
    await set(client, xml('p:prefs', { 'xmlns:p': 'urn:x' }, xml('p:colour', {}, 'blue')))
    const prefs = await get(client, xml('prefs', { xmlns: 'urn:x' }))
    expect(prefs.getNS()).toBe('urn:x')
    expect(prefs.getChildElements()[0].getNS()).toBe('urn:x')
    expect(prefs.getChildElements()[0].getText()).toBe('blue')
  })

  it('what a client stored for a group the node left comes back when it rejoins, though a client wrote the list meanwhile', async () => {
    const groups = [group('a', 'team'), group('b', 'trip')]
    const { client } = await endpoint(await tmpHome('xmpp-bm'), groups)
    await set(client, xml('storage', { xmlns: BOOKMARKS },
      xml('conference', { jid: room('a'), autojoin: 'false' }, xml('nick', {}, 'mine')),
      xml('conference', { jid: room('b'), autojoin: 'true' })))
    groups[0] = group('a', 'team', 'left')
    // the client sees only trip, and writes that back
    const seen = await get(client, xml('storage', { xmlns: BOOKMARKS }))
    expect(conferences(seen).map(c => c.jid)).toEqual([room('b')])
    await set(client, seen)
    groups[0] = group('a', 'team')
    expect(conferences(await get(client, xml('storage', { xmlns: BOOKMARKS })))).toEqual([
      { jid: room('b'), name: 'trip', autojoin: 'true', nick: undefined },
      { jid: room('a'), name: 'team', autojoin: 'false', nick: 'mine' }
    ])
  })

  it('a group name XML cannot carry is made fit for it', async () => {
    const { client } = await endpoint(await tmpHome('xmpp-bm'), [group('a', 'odd\uFFFEname')])
    expect(conferences(await get(client, xml('storage', { xmlns: BOOKMARKS })))[0].name).toBe('odd\uFFFDname')
    const items = await client.xmpp.iqCaller.get(xml('query', { xmlns: 'http://jabber.org/protocol/disco#items' }), 'groups.localhost')
    expect(items.getChildren('item').map(i => i.attrs.name)).toEqual(['odd\uFFFDname'])
  })
})
