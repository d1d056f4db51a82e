/**
 * The XMPP endpoint with people of several devices (docs/xmpp.md,
 * "Several devices"): a contact's texts, typing and receipts come from the
 * contact person's JID whichever device sent them, what the owner sent from
 * another own device reaches carbon-enabled clients as a sent carbon, a
 * contact's text another own device got first is delivered once, and a
 * client coming online gets unread texts of every device of a contact.
 */
import { defaultLogger } from '@libp2p/logger'
import { xml } from '@xmpp/xml'
import { describe, expect, it } from 'vitest'
import { ClientAcks } from '../../../node/xmpp/client-acks.js'
import { XmppHub } from '../../../node/xmpp/hub.js'
import { JidMapper } from '../../../node/xmpp/jid.js'
import { PrivateStorage } from '../../../node/xmpp/private-storage.js'
import { RoomNames } from '../../../node/xmpp/room-names.js'
import { StubNode } from './stub-node.js'
import type { PresenceNodeApi } from '../../../node/api.js'
import type { ChatMessage } from '../../../node/chat/index.js'
import type { Person } from '../../../node/roster/index.js'
import type { OwnerSession } from '../../../node/xmpp/connection.js'
import type { Element } from '@xmpp/xml'

const BOB = '12D3KooWAnrU16fLHRYk2hp9qEa35RS9iZL1RMwu6iPsfv8SDGtE'
const BOB_PHONE = '12D3KooWHP2Ve7tpkRQMJACbU4xmq9aDwL6gphLRHLJ3xB6nU5KA'
const MY_PHONE = '12D3KooWNW98jY6oC8EEaFFbYCc24HPRaNAJaEY7eiAvspiAgFak'

class TwoDeviceNode extends StubNode {
  readonly bob: Person = { id: BOB, devices: [BOB, BOB_PHONE], contact: { since: 1 } as any, watched: true }
  /** Per person: their conversation, in its order. */
  readonly stored = new Map<string, ChatMessage[]>()
  override person = ((peer: string) => peer === BOB || peer === BOB_PHONE ? this.bob : undefined) as any
  override contacts = (() => [{ peerId: BOB }]) as any
  override conversation = (async (peer: string) => this.stored.get(peer) ?? []) as any
  markRead = async (): Promise<number> => 0
}

class Client implements OwnerSession {
  readonly got: Element[] = []
  readonly secure = true
  constructor (readonly resource: string, readonly fullJid = `me@localhost/${resource}`) {}
  send (el: Element): void { this.got.push(el) }
  close (): void {}
  messages (): Element[] { return this.got.filter(el => el.name === 'message') }
}

const text = (id: string, peer: string, extra: Partial<ChatMessage> = {}): ChatMessage =>
  ({ id, peer, direction: 'in', text: `text ${id}`, sentAt: Date.now(), receivedAt: Date.now(), state: 'delivered', seq: 1, ...extra })

async function setUp (): Promise<{ node: TwoDeviceNode, hub: XmppHub, jids: JidMapper, carbons: Client, plain: Client }> {
  const node = new TwoDeviceNode()
  const jids = new JidMapper('localhost', 'me')
  const hub = new XmppHub(node as unknown as PresenceNodeApi, jids, defaultLogger().forComponent('test'), { acks: new ClientAcks('/nonexistent/xmpp-state.json', defaultLogger().forComponent('acks')), privateStorage: new PrivateStorage('/nonexistent/xmpp-private.json', defaultLogger().forComponent('private')), roomNames: new RoomNames('/nonexistent/xmpp-rooms.json', defaultLogger().forComponent('rooms')) })
  hub.start()
  const carbons = new Client('laptop')
  const plain = new Client('tablet')
  for (const c of [carbons, plain]) {
    hub.bind(c, c.resource)
    await hub.stanza(c, xml('presence'))
  }
  await hub.stanza(carbons, xml('iq', { type: 'set', id: 'c1' }, xml('enable', { xmlns: 'urn:xmpp:carbons:2' })))
  for (const c of [carbons, plain]) c.got.length = 0
  return { node, hub, jids, carbons, plain }
}

describe('XMPP clients of a person with several devices, talking to one', () => {
  it('a contact\'s text, typing and receipts come from the contact person\'s JID, whichever device sent them', async () => {
    const { node, jids, carbons, plain } = await setUp()
    node.safeDispatchEvent('message', { detail: text('a1', BOB_PHONE) })
    node.safeDispatchEvent('typing', { detail: { peer: BOB_PHONE, typing: true } })
    for (const c of [carbons, plain]) {
      const [msg, typing] = c.messages()
      expect(msg.attrs.from).toBe(jids.bareOf(BOB))
      expect(msg.getChildText('body')).toBe('text a1')
      expect(typing.attrs.from).toBe(jids.bareOf(BOB))
    }
  })

  it('what the owner sent from another device reaches carbon-enabled clients as a sent carbon to the contact', async () => {
    const { node, jids, carbons, plain } = await setUp()
    node.safeDispatchEvent('message:carbon', { detail: text('b1', BOB, { direction: 'out', author: MY_PHONE, state: 'sent', seq: 0, receivedAt: undefined }) })
    expect(plain.messages()).toEqual([])
    const [carbon] = carbons.messages()
    expect(carbon.attrs).toMatchObject({ from: 'me@localhost', to: 'me@localhost/laptop' })
    const inner = carbon.getChild('sent', 'urn:xmpp:carbons:2')?.getChild('forwarded', 'urn:xmpp:forward:0')?.getChild('message')
    expect(inner?.attrs).toMatchObject({ xmlns: 'jabber:client', type: 'chat', id: 'b1', from: `me@localhost/${MY_PHONE}`, to: jids.bareOf(BOB) })
    expect(inner?.getChildText('body')).toBe('text b1')
  })

  it('a contact\'s text another own device got first is delivered at once, and its own copy later is not delivered again', async () => {
    const { node, jids, carbons, plain } = await setUp()
    node.safeDispatchEvent('message:carbon', { detail: text('c1', BOB, { seq: 0, receivedAt: undefined }) })
    node.safeDispatchEvent('message', { detail: text('c1', BOB_PHONE, { seq: 7 }) })
    for (const c of [carbons, plain]) {
      expect(c.messages().map(m => [m.attrs.id, m.attrs.from])).toEqual([['c1', jids.bareOf(BOB)]])
    }
  })

  it('a client coming online gets the unread texts of every device of a contact, in the conversation\'s order', async () => {
    const { node, hub } = await setUp()
    node.stored.set(BOB, [text('d1', BOB_PHONE, { sentAt: 1 }), text('d2', BOB, { sentAt: 2 }), text('d3', BOB_PHONE, { sentAt: 3, state: 'read' }), text('d4', BOB_PHONE, { sentAt: 4 })])
    const late = new Client('desktop')
    hub.bind(late, late.resource)
    await hub.stanza(late, xml('presence'))
    expect(late.messages().filter(m => m.getChild('body') != null).map(m => m.attrs.id)).toEqual(['d1', 'd2', 'd4'])
  })

  it('a text that came as a carbon and was acknowledged is not delivered again at the next login, one stored late with an earlier time is; one read elsewhere is not delivered at all', async () => {
    const { node, hub, carbons, jids } = await setUp()
    node.safeDispatchEvent('message:carbon', { detail: text('e1', BOB, { seq: 0, receivedAt: undefined, author: BOB_PHONE, sentAt: 10 }) })
    node.safeDispatchEvent('message:carbon', { detail: text('e0', BOB, { seq: 0, receivedAt: undefined, author: BOB_PHONE, sentAt: 5, state: 'read' }) })
    expect(carbons.messages().map(m => m.attrs.id)).toEqual(['e1'])
    await hub.stanza(carbons, xml('message', { to: jids.bareOf(BOB) }, xml('received', { xmlns: 'urn:xmpp:receipts', id: 'e1' })))
    // its own copy arrived meanwhile (no event: the carbon told it): the conversation holds it once
    // and one written before it but stored only now (a clock behind, an outbox that held it) is still news
    node.stored.set(BOB, [text('e0', BOB_PHONE, { sentAt: 5, state: 'read' }), text('late', BOB_PHONE, { sentAt: 7 }), text('e1', BOB_PHONE, { sentAt: 10 }), text('e2', BOB, { sentAt: 11 })])
    const next = new Client('laptop2')
    hub.bind(next, next.resource)
    await hub.stanza(next, xml('presence'))
    expect(next.messages().filter(m => m.getChild('body') != null).map(m => m.attrs.id)).toEqual(['late', 'e2'])
  })

  it('a text that came as a carbon while no client was online reaches the client that comes online', async () => {
    const { node, hub } = await setUp()
    node.stored.set(BOB, [text('f1', BOB, { seq: 0, author: BOB_PHONE, sentAt: 20 })])
    const late = new Client('phone-client')
    hub.bind(late, late.resource)
    await hub.stanza(late, xml('presence'))
    expect(late.messages().filter(m => m.getChild('body') != null).map(m => [m.attrs.id, m.attrs.from])).toEqual([['f1', new JidMapper('localhost', 'me').bareOf(BOB)]])
  })
})
