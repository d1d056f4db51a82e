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
import { Rooms } from '../../../node/xmpp/rooms.js'
import { peerIds } from '../discovery/stubs.js'
import type { GroupInfo, GroupInvitation, GroupMessage } from '../../../node/groups/index.js'
import type { Element } from '@xmpp/xml'

const GROUP = 'ab'.repeat(16)
const ROOM = `${GROUP}@groups.localhost`
const MUC = 'http://jabber.org/protocol/muc'

function setup (opts: { group?: GroupInfo, invitations?: GroupInvitation[], history?: GroupMessage[], blocked?: string[] }): { rooms: Rooms, sent: Element[], accepted: string[] } {
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
    groupOnline: () => [],
    person: () => undefined,
    displayName: () => undefined,
    isBlocked: (peer: string) => opts.blocked?.includes(peer) ?? false
  }
  const ctx = { node, jids: new JidMapper('localhost', 'me'), sessions: {}, log: Object.assign(() => {}, { error: () => {}, trace: () => {} }) }
  return { rooms: new Rooms(ctx as any), sent, accepted }
}

function client (sent: Element[]): any {
  return { session: { fullJid: 'me@localhost/phone', send: (el: Element) => { sent.push(el) } }, priority: 0, available: true }
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

  it('an invitation from a person blocked since is not replayed to a client logging in', async () => {
    const [mallory] = (await peerIds(1)).map(p => p.toString())
    const inv: GroupInvitation = { group: GROUP, name: 'trip', inviter: mallory, members: [], receivedAt: 0 }
    const { rooms, sent } = setup({ invitations: [inv], blocked: [mallory] })
    rooms.replayInvitations(client(sent))
    expect(sent.map(el => el.toString())).toEqual([])
  })
})
