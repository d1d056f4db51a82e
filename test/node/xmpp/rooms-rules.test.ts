/**
 * Rules of node/xmpp/rooms.ts, with a stubbed node (no mesh):
 * - a group this node left (or was removed from) and is invited to again is
 *   listed by groups() with standing 'left'/'removed': joining its room must
 *   still accept the invitation, as it does for a group never seen;
 * - XEP-0045 §7.2.15: `<history maxchars='0'/>` asks for no history, and
 *   `since` for none older than it;
 * - an invitation still pending from someone blocked since is not replayed
 *   to every client that logs in (the service keeps it: nothing drops a
 *   pending invitation when its inviter is blocked).
 */
import { xml } from '@xmpp/xml'
import { describe, expect, it } from 'vitest'
import { JidMapper } from '../../../node/xmpp/jid.js'
import { RoomNames } from '../../../node/xmpp/room-names.js'
import { Rooms } from '../../../node/xmpp/rooms.js'
import { peerIds } from '../discovery/stubs.js'
import type { GroupInfo, GroupInvitation, GroupMemberPresence, GroupMessage } from '../../../node/groups/index.js'
import type { Element } from '@xmpp/xml'

const GROUP = 'ab'.repeat(16)
const ROOM = `${GROUP}@groups.localhost`
const MUC = 'http://jabber.org/protocol/muc'

function setup (opts: { group?: GroupInfo, invitations?: GroupInvitation[], history?: GroupMessage[], blocked?: string[], online?: GroupMemberPresence[], aliases?: Record<string, string> }): { rooms: Rooms, sent: Element[], accepted: string[] } {
  const sent: Element[] = []
  const accepted: string[] = []
  let group = opts.group
  const node = {
    peerId: { toString: () => 'self' },
    groups: () => group == null ? [] : [group],
    groupInvitations: () => opts.invitations ?? [],
    acceptGroup: async (id: string) => {
      accepted.push(id)
      group = { id, name: 'trip', topic: 't', standing: 'member', role: 'member', members: [], invited: [] }
      return group
    },
    groupHistory: async (_id: string, limit: number) => (opts.history ?? []).slice(-limit),
    groupOnline: () => opts.online ?? [],
    sendToGroup: async () => {},
    person: (peer: string) => opts.aliases?.[peer] == null ? undefined : { alias: opts.aliases[peer] },
    displayName: () => undefined,
    isBlocked: (peer: string) => opts.blocked?.includes(peer) ?? false
  }
  const ctx = { node, jids: new JidMapper('localhost', 'me'), sessions: {}, log: Object.assign(() => {}, { error: () => {}, trace: () => {} }) }
  return { rooms: new Rooms(ctx as any, new RoomNames('/nonexistent/xmpp-rooms.json', ctx.log as any)), sent, accepted }
}

function client (sent: Element[], resource = 'phone'): any {
  return { session: { fullJid: `me@localhost/${resource}`, send: (el: Element) => { sent.push(el) } }, priority: 0, available: true }
}

const join = (extra?: Element): Element => xml('presence', { to: `${ROOM}/me` }, xml('x', { xmlns: MUC }, extra ?? null))

describe('rooms (review)', () => {
  it('joining the room of a group left before and invited to again accepts the invitation', async () => {
    const left: GroupInfo = { id: GROUP, name: 'trip', topic: 't', standing: 'left', members: [], invited: [] }
    const inv: GroupInvitation = { group: GROUP, name: 'trip', inviter: 'bob', members: [], receivedAt: 0 }
    const { rooms, sent, accepted } = setup({ group: left, invitations: [inv] })
    await rooms.onClientPresence(client(sent), join(), { kind: 'room', group: GROUP, nick: 'me' })
    expect(sent.filter(el => el.attrs.type === 'error').map(el => el.toString())).toEqual([])
    expect(accepted).toEqual([GROUP])
  })

  const msg = (i: number, sentAt: number): GroupMessage => ({ id: `bob:${i}`, group: GROUP, author: 'bob', seq: i, lamport: i, text: `t${i}`, sentAt, direction: 'in' })
  const member: GroupInfo = { id: GROUP, name: 'trip', topic: 't', standing: 'member', role: 'member', members: [], invited: [] }

  it('history maxchars=0 means no history (XEP-0045 §7.2.15)', async () => {
    const { rooms, sent } = setup({ group: member, history: [msg(1, 1_000), msg(2, 2_000)] })
    await rooms.onClientPresence(client(sent), join(xml('history', { maxchars: '0' })), { kind: 'room', group: GROUP, nick: 'me' })
    expect(sent.filter(el => el.is('message') && el.getChild('body') != null)).toHaveLength(0)
  })

  it('history since= leaves out older messages (a client rejoining after a reconnect)', async () => {
    const { rooms, sent } = setup({ group: member, history: [msg(1, Date.parse('2026-01-01T00:00:00Z')), msg(2, Date.parse('2026-01-03T00:00:00Z'))] })
    await rooms.onClientPresence(client(sent), join(xml('history', { since: '2026-01-02T00:00:00Z' })), { kind: 'room', group: GROUP, nick: 'me' })
    expect(sent.filter(el => el.is('message') && el.getChild('body') != null).map(el => el.getChildText('body'))).toEqual(['t2'])
  })

  it('a nick change is the old nick leaving with 303 and the new one (XEP-0045 §7.6); a member of that name moves aside', async () => {
    const [bob] = (await peerIds(1)).map(p => p.toString())
    const { rooms, sent } = setup({ group: member, online: [{ peerId: bob, role: 'member', status: 'online' }], aliases: { [bob]: 'bob' } })
    const phone = client(sent)
    await rooms.onClientPresence(phone, join(), { kind: 'room', group: GROUP, nick: 'me' })
    expect(sent.filter(el => el.is('presence')).map(el => el.attrs.from)).toEqual([`${ROOM}/bob`, `${ROOM}/me`])
    sent.length = 0
    await rooms.onClientPresence(phone, xml('presence', { to: `${ROOM}/bob` }), { kind: 'room', group: GROUP, nick: 'bob' })
    const codes = (el: Element): string[] => el.getChild('x')?.getChildren('status').map(c => String(c.attrs.code)) ?? []
    // first the member named bob by this node moves aside (a presence under another name, its old one leaving), then the 303
    const [moved1, moved2, leaving, arriving] = sent
    expect([moved1, moved2].map(el => `${el.attrs.type ?? 'available'} ${String(el.attrs.from).slice(ROOM.length + 1)}`).sort())
      .toEqual([`available bob (…${bob.slice(-8)})`, 'unavailable bob'])
    expect({ type: leaving.attrs.type, from: leaving.attrs.from, nick: leaving.getChild('x')?.getChild('item')?.attrs.nick, codes: codes(leaving) })
      .toEqual({ type: 'unavailable', from: `${ROOM}/me`, nick: 'bob', codes: ['303', '110'] })
    expect({ type: arriving.attrs.type, from: arriving.attrs.from, codes: codes(arriving) }).toEqual({ type: undefined, from: `${ROOM}/bob`, codes: ['110'] })
    expect(sent).toHaveLength(4)
    // and back: the member takes its name again only after the owner's resource left it (a presence from
    // its own occupant JID is the client's own to it: profanity showed "your role changed: moderator")
    sent.length = 0
    await rooms.onClientPresence(phone, xml('presence', { to: `${ROOM}/me` }), { kind: 'room', group: GROUP, nick: 'me' })
    expect(sent.map(el => `${el.attrs.type ?? 'available'} ${String(el.attrs.from).slice(ROOM.length + 1)} ${codes(el).join(',')}`.trim())).toEqual([
      'unavailable bob 303,110', 'available me 110', 'available bob', `unavailable bob (…${bob.slice(-8)})`
    ])
    // the owner's texts come from the new nick
    sent.length = 0
    await rooms.onClientMessage(phone, xml('message', { type: 'groupchat', to: ROOM, id: 'm1' }, xml('body', {}, 'hi')), { kind: 'room', group: GROUP })
    expect(sent.filter(el => el.is('message')).map(el => el.attrs.from)).toContain(`${ROOM}/me`)
  })

  it('the owner\'s resources in one room are occupants to each other: join, nick change, leave', async () => {
    const { rooms } = setup({ group: member })
    const toLaptop: Element[] = []
    const toPhone: Element[] = []
    const laptop = client(toLaptop, 'laptop')
    const phone = client(toPhone, 'phone')
    const room = (nick: string): { kind: 'room', group: string, nick: string } => ({ kind: 'room', group: GROUP, nick })
    const seen = (els: Element[]): string[] => els.filter(el => el.is('presence')).map(el =>
      `${el.attrs.type ?? 'available'} ${String(el.attrs.from).slice(ROOM.length + 1)} ${String(el.getChild('x')?.getChild('item')?.attrs.jid ?? '')} ${el.getChild('x')?.getChildren('status').map(c => String(c.attrs.code)).join(',') ?? ''}`.trim())
    await rooms.onClientPresence(laptop, join(), room('me'))
    toLaptop.length = 0
    await rooms.onClientPresence(phone, xml('presence', { to: `${ROOM}/pocket` }, xml('x', { xmlns: MUC })), room('pocket'))
    expect(seen(toPhone)).toEqual(['available me me@localhost/laptop', 'available pocket me@localhost/phone 110,100'])
    expect(seen(toLaptop)).toEqual(['available pocket me@localhost/phone'])
    toLaptop.length = 0
    toPhone.length = 0
    await rooms.onClientPresence(laptop, xml('presence', { to: `${ROOM}/desk` }), room('desk'))
    expect(seen(toPhone)).toEqual(['unavailable me me@localhost/laptop 303', 'available desk me@localhost/laptop'])
    expect(seen(toLaptop)).toEqual(['unavailable me me@localhost/laptop 303,110', 'available desk me@localhost/laptop 110'])
    toLaptop.length = 0
    await rooms.onClientPresence(phone, xml('presence', { to: `${ROOM}/pocket`, type: 'unavailable' }), room('pocket'))
    expect(seen(toLaptop)).toEqual(['unavailable pocket me@localhost/phone'])
    // a resource leaving (no new nick) leaves with role none (XEP-0045 §7.14); only a nick change keeps its role
    expect(toLaptop.filter(el => el.is('presence')).at(-1)?.getChild('x')?.getChild('item')?.attrs.role).toBe('none')
  })

  it('an invitation from a person blocked since is not replayed to a client logging in', async () => {
    const [mallory] = (await peerIds(1)).map(p => p.toString())
    const inv: GroupInvitation = { group: GROUP, name: 'trip', inviter: mallory, members: [], receivedAt: 0 }
    const { rooms, sent } = setup({ invitations: [inv], blocked: [mallory] })
    rooms.replayInvitations(client(sent))
    expect(sent.map(el => el.toString())).toEqual([])
  })
})

/**
 * Review (s8-rev1) of the nick change and own-resource occupants: what each
 * of the owner's clients is shown must stay a true picture of the room.
 */
describe('rooms: own resources see each other (review s8-rev1)', () => {
  const member: GroupInfo = { id: GROUP, name: 'trip', topic: 't', standing: 'member', role: 'member', members: [], invited: [] }
  const room = (nick: string): { kind: 'room', group: string, nick: string } => ({ kind: 'room', group: GROUP, nick })
  const enter = (nick: string): Element => xml('presence', { to: `${ROOM}/${nick}` }, xml('x', { xmlns: MUC }))
  const seen = (els: Element[]): string[] => els.filter(el => el.is('presence')).map(el =>
    `${el.attrs.type ?? 'available'} ${String(el.attrs.from).slice(ROOM.length + 1)}`)
  /** The occupants a client shows, replaying what it was sent (a 303 renames, unavailable removes). */
  const roster = (els: Element[]): string[] => {
    const shown = new Set<string>()
    for (const el of els.filter(el => el.is('presence'))) {
      const nick = String(el.attrs.from).slice(ROOM.length + 1)
      if (el.attrs.type === 'unavailable') shown.delete(nick)
      else shown.add(nick)
    }
    return [...shown].sort()
  }

  /** A room with the owner's laptop in it as `laptopNick`, then the phone as `phoneNick`. */
  const laptopAndPhone = async (laptopNick: string, phoneNick: string): Promise<{ rooms: Rooms, toLaptop: Element[], phone: any }> => {
    const { rooms } = setup({ group: member })
    const toLaptop: Element[] = []
    const phone = client([], 'phone')
    await rooms.onClientPresence(client(toLaptop, 'laptop'), enter(laptopNick), room(laptopNick))
    await rooms.onClientPresence(phone, enter(phoneNick), room(phoneNick))
    return { rooms, toLaptop, phone }
  }

  it('a resource changing to the nick another resource holds: the other is told its old nick left', async () => {
    const { rooms, toLaptop, phone } = await laptopAndPhone('me', 'pocket')
    expect(roster(toLaptop)).toEqual(['me', 'pocket'])
    // the phone takes the laptop's nick: now one occupant, "me"; "pocket" is gone
    await rooms.onClientPresence(phone, xml('presence', { to: `${ROOM}/me` }), room('me'))
    expect(roster(toLaptop)).toEqual(['me'])
  })

  it('a resource leaving a nick it shared with another resource: the other is not told its own nick left', async () => {
    const { rooms, toLaptop, phone } = await laptopAndPhone('me', 'me')
    toLaptop.length = 0
    await rooms.onClientPresence(phone, xml('presence', { to: `${ROOM}/pocket` }), room('pocket'))
    // the laptop is still "me": an unavailable from its own occupant JID tells it it left (or removes itself from the list)
    expect(seen(toLaptop)).toEqual(['available pocket'])
  })

  it('a resource that disconnects (or goes unavailable without a to) leaves the other resources\' occupant list', async () => {
    const { rooms, toLaptop, phone } = await laptopAndPhone('me', 'pocket')
    expect(roster(toLaptop)).toEqual(['me', 'pocket'])
    // hub.ts calls forget() on unbind and on a broadcast unavailable presence
    rooms.forget(phone)
    expect(roster(toLaptop)).toEqual(['me'])
  })

  it('a member moved aside for the owner\'s new nick leaves that nick before the owner takes it', async () => {
    const [bob] = (await peerIds(1)).map(p => p.toString())
    const { rooms, sent } = setup({ group: member, online: [{ peerId: bob, role: 'member', status: 'online' }], aliases: { [bob]: 'bob' } })
    const phone = client(sent)
    await rooms.onClientPresence(phone, enter('me'), room('me'))
    sent.length = 0
    await rooms.onClientPresence(phone, xml('presence', { to: `${ROOM}/bob` }), room('bob'))
    // the client's own presence from room/bob (110) must not be followed by an unavailable from room/bob
    const own = sent.findIndex(el => el.attrs.type == null && el.attrs.from === `${ROOM}/bob`)
    const memberLeft = sent.findIndex(el => el.attrs.type === 'unavailable' && el.attrs.from === `${ROOM}/bob`)
    expect(memberLeft).toBeGreaterThanOrEqual(0)
    expect(memberLeft).toBeLessThan(own)
  })

  it('another resource joining under a member\'s name: the resources already in the room see the member move aside', async () => {
    const [bob] = (await peerIds(1)).map(p => p.toString())
    const toLaptop: Element[] = []
    const { rooms } = setup({ group: member, online: [{ peerId: bob, role: 'member', status: 'online' }], aliases: { [bob]: 'bob' } })
    const laptop = client(toLaptop, 'laptop')
    await rooms.onClientPresence(laptop, enter('me'), room('me'))
    expect(roster(toLaptop)).toEqual(['bob', 'me'])
    await rooms.onClientPresence(client([], 'phone'), enter('bob'), room('bob'))
    // the laptop must show both the phone (as bob) and the member under its new name
    expect(roster(toLaptop)).toEqual(['bob', `bob (…${bob.slice(-8)})`, 'me'])
  })
})
