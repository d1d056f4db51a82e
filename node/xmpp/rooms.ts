/**
 * The owner's mesh groups as XEP-0045 rooms of `groups.<domain>` (a room's
 * localpart is the group id): a client joins a group it is a member of (or
 * was invited to: joining accepts) and gets the members who are online as
 * occupants, the group's recent history and its name as the subject; what
 * it writes goes to the group, reflected to every resource of the owner in
 * the room; the group's messages, its members' presence and changes to the
 * group follow. A mesh invitation reaches clients as a XEP-0249 invitation;
 * a client invites a contact with a mediated invitation. A client joining a
 * room that does not exist makes a new group under the room's name
 * (XEP-0045 §10.1, an instant room; room-names.ts keeps the name), and the
 * room's owner form (muc#owner) renames it.
 */
import { unescapeLocal } from '@xmpp/jid'
import { xml } from '@xmpp/xml'
import { bareJid } from './jid.js'
import { SHOW_OF } from './presence-map.js'
import { joinHistory, ownerForm } from './room-config.js'
import { LATE_DELIVERY_MS } from './constants.js'
import { personOf } from './sessions.js'
import { copyElement, delay, errorReply, iqResult, NS, safeText } from './stanzas.js'
import type { RoomNames } from './room-names.js'
import type { SessionState, XmppContext } from './sessions.js'
import type { GroupChangeEvent, GroupInfo, GroupInvitation, GroupMessage } from '../groups/index.js'
import type { PresenceStatus } from '../../protocol/presence-record.js'
import type { Element } from '@xmpp/xml'

type Room = Extract<ReturnType<XmppContext['jids']['resolve']>, { kind: 'room' }>
type NewRoom = Extract<ReturnType<XmppContext['jids']['resolve']>, { kind: 'new-room' }>

/** What a client is told of a room that does not exist, other than joining it. */
export const NO_SUCH_ROOM = 'no such room: joining it makes a group'

/** A member's MUC affiliation: a group admin is an owner (groups have no higher rank), any other a member. */
const affiliationOf = (role: string | undefined): string => role === 'admin' ? 'owner' : 'member'

interface Occupant { nick: string, status: Exclude<PresenceStatus, 'offline'>, role: string }

export class Rooms {
  /** Per group: the owner's resources in the room, and the nick each joined with. */
  private readonly joined = new Map<string, Map<SessionState, string>>()
  /** Per group: the members shown as occupants (peer id → how). */
  private readonly occupants = new Map<string, Map<string, Occupant>>()

  constructor (private readonly ctx: XmppContext, private readonly names: RoomNames) {}

  /** Presence from a client to a room: joining (available) or leaving (unavailable). */
  async onClientPresence (state: SessionState, el: Element, to: Room | NewRoom): Promise<void> {
    const type = el.attrs.type
    if (to.kind === 'new-room' && type != null) return
    if (type === 'unavailable' && to.kind === 'room') return this.leave(state, to.group, 110)
    if (type != null) return
    if (to.nick == null) return this.refuse(state, el, 'jid-malformed', 'join a room as room@service/nick')
    if (to.kind === 'room') {
      const room = this.ctx.jids.roomOf(to.group)
      // a room made under a name is joined under it: everything in it comes from that JID
      if (bareJid(String(el.attrs.to)) !== room) return this.redirect(state, el, room)
      const named = this.names.nameOf(to.group)
      if (named == null || this.groupOf(to.group)?.standing === 'member' || this.invitations().some(i => i.group === to.group)) return await this.join(state, el, to.group, to.nick, [])
      // the group of this name is gone for this node: the name makes a new one
      return await this.makeAndJoin(state, el, named, to.nick)
    }
    return await this.makeAndJoin(state, el, to.name, to.nick)
  }

  /**
   * XEP-0045 §10.1: a room joined that does not exist is a new group of this
   * node, named as the client wrote the room's name (its case, XEP-0106
   * escapes undone); status 201 goes to the joiner that made it, once the
   * room's name is on disk.
   */
  private async makeAndJoin (state: SessionState, el: Element, key: string, nick: string): Promise<void> {
    let made: { group: GroupInfo, created: boolean }
    try {
      made = await this.names.make(key, async () => await this.ctx.node.createGroup(unescapeLocal(String(el.attrs.to).split('@')[0])))
    } catch (err: any) {
      return this.refuse(state, el, 'not-allowed', String(err?.message ?? err))
    }
    return await this.join(state, el, made.group.id, nick, made.created ? [201] : [])
  }

  /** RFC 6120 §8.3.3.5: the room lives at another JID, given as an XMPP URI to join. */
  private redirect (state: SessionState, el: Element, room: string): void {
    const reply = errorReply(el, 'cancel', 'gone', `this room is ${room}`)
    reply.getChild('error')?.getChild('gone')?.children.push(`xmpp:${room}?join`)
    state.session.send(reply)
  }

  /** A resource joins the room of `id` (`created`: the status codes of a room it just made). */
  private async join (state: SessionState, el: Element, id: string, nick: string, created: number[]): Promise<void> {
    const to = { group: id, nick }
    let group = this.groupOf(to.group)
    // (a group left or removed from may have invited again)
    if (group?.standing !== 'member' && this.invitations().some(i => i.group === to.group)) {
      // joining a room one was invited to is accepting the invitation
      try {
        group = await this.ctx.node.acceptGroup(to.group)
      } catch (err: any) {
        return this.refuse(state, el, 'not-allowed', String(err?.message ?? err))
      }
    }
    if (group == null) return this.refuse(state, el, 'item-not-found', 'no such group')
    if (group.standing !== 'member') return this.refuse(state, el, 'registration-required', 'not a member of this group any more')
    const inRoom = this.joined.get(group.id) ?? new Map<SessionState, string>()
    const was = inRoom.get(state)
    this.joined.set(group.id, inRoom)
    inRoom.set(state, to.nick)
    // the owner's nicks win (members' nicks are only names this node gives them): a member of that
    // name moves aside, before the owner's presence under it; the joiner gets the whole list below
    const rest = this.announce(group.id, was == null ? state : undefined)
    if (was != null && was !== to.nick) {
      // XEP-0045 §7.6: a nick change is the old nick leaving with 303 naming the new one, then the new one
      state.session.send(this.ownUnavailable(group.id, was, state.session.fullJid, group.role, { nick: to.nick, codes: [303, 110] }))
      state.session.send(this.selfPresence(group, to.nick, state.session.fullJid, [110]))
      this.tellOwnOthers(group.id, state, was, to.nick, group.role)
      return rest()
    }
    const first = was == null
    // XEP-0045 §7.2.3: occupants first (members, then the owner's other nicks), then the joiner's own presence, history, the subject
    for (const [peer, o] of this.occupants.get(group.id) ?? []) state.session.send(this.occupantPresence(group.id, peer, o, state.session.fullJid))
    if (first) {
      const shown = new Set([to.nick])
      for (const [s, nick] of inRoom) {
        if (shown.has(nick)) continue
        shown.add(nick)
        state.session.send(this.selfPresence(group, nick, state.session.fullJid, [], s.session.fullJid))
      }
    }
    state.session.send(this.selfPresence(group, to.nick, state.session.fullJid, [110, 100, ...created]))
    if (!first) return rest()
    this.tellOwnOthers(group.id, state, undefined, to.nick, group.role)
    rest()
    for (const m of await joinHistory(this.ctx.node, group.id, el.getChild('x', NS.muc)?.getChild('history'))) state.session.send(this.groupchat(m, state, true))
    state.session.send(this.subject(group, state.session.fullJid, `subject-${group.id}`))
  }

  /** A message from a client to a room: a text for the group, a new name, or an invitation. */
  async onClientMessage (state: SessionState, el: Element, to: Room): Promise<void> {
    const { node, jids } = this.ctx
    const nick = this.joined.get(to.group)?.get(state)
    const fail = (type: 'cancel' | 'modify' | 'auth', condition: Parameters<typeof errorReply>[2], text: string): void => {
      if (el.attrs.type !== 'error') state.session.send(errorReply(el, type, condition, text))
    }
    if (el.attrs.type === 'error') return
    const invite = el.getChild('x', NS.mucUser)?.getChild('invite')
    if (invite != null) {
      const who = jids.resolve(invite.attrs.to)
      if (who.kind !== 'peer') return fail('modify', 'jid-malformed', 'invite a contact by their JID')
      try {
        await node.inviteToGroup(to.group, who.peer)
      } catch (err: any) {
        fail('cancel', 'not-allowed', String(err?.message ?? err))
      }
      return
    }
    if (to.nick != null) return fail('cancel', 'feature-not-implemented', 'a private message to a member goes to their own JID')
    if (el.attrs.type !== 'groupchat') return fail('modify', 'bad-request', 'messages to a room are of type groupchat')
    if (nick == null) return fail('cancel', 'not-acceptable', 'join the room first')
    const subject = el.getChildText('subject')
    const body = el.getChildText('body')
    try {
      if (subject != null && (body == null || body === '')) {
        await node.renameGroup(to.group, subject)
        return
      }
      if (body == null || body === '') return
      await node.sendToGroup(to.group, body)
      // reflected to each resource of the owner in the room as it was sent, from its own nick (XEP-0045 §7.4):
      // the client's id and origin-id (XEP-0359) tell it its own message
      for (const [s, own] of this.joined.get(to.group) ?? []) {
        s.session.send(copyElement(el, { from: this.ctx.jids.occupantOf(to.group, own), to: s.session.fullJid }))
      }
    } catch (err: any) {
      fail('modify', 'not-acceptable', String(err?.message ?? err))
    }
  }

  /** Disco of the groups service and of one room (XEP-0045 §6); a room's owner form (§10.2). */
  async onIq (iq: Element, type: 'get' | 'set', payload: Element, to: { kind: 'rooms' } | Room): Promise<Element> {
    const ns = payload.getNS()
    if (ns === NS.mucOwner && to.kind === 'room' && to.nick == null) return await ownerForm(this.ctx.node, iq, type, payload, this.groupOf(to.group))
    if (type !== 'get' || (ns !== NS.discoInfo && ns !== NS.discoItems) || payload.attrs.node != null) return errorReply(iq, 'cancel', 'service-unavailable')
    const { jids, node } = this.ctx
    if (to.kind === 'rooms') {
      if (ns === NS.discoItems) {
        return iqResult(iq, iq.attrs.to, xml('query', { xmlns: NS.discoItems },
          ...node.groups().filter(g => g.standing === 'member').map(g => xml('item', { jid: jids.roomOf(g.id), name: safeText(g.name) }))))
      }
      return iqResult(iq, iq.attrs.to, xml('query', { xmlns: NS.discoInfo },
        xml('identity', { category: 'conference', type: 'text', name: 'groups of the mesh' }),
        ...[NS.discoInfo, NS.discoItems, NS.muc].sort().map(f => xml('feature', { var: f }))))
    }
    const group = this.groupOf(to.group)
    if (group == null || group.standing !== 'member' || to.nick != null) return errorReply(iq, 'cancel', 'item-not-found')
    if (ns === NS.discoItems) return iqResult(iq, iq.attrs.to, xml('query', { xmlns: NS.discoItems }))
    return iqResult(iq, iq.attrs.to, xml('query', { xmlns: NS.discoInfo },
      xml('identity', { category: 'conference', type: 'text', name: safeText(group.name) }),
      ...[NS.discoInfo, NS.muc, 'muc_membersonly', 'muc_nonanonymous', 'muc_persistent', 'muc_unsecured'].sort().map(f => xml('feature', { var: f }))))
  }

  /** A resource went away: it is in no room any more (its other resources there see it leave). */
  forget (state: SessionState): void {
    for (const [group, inRoom] of [...this.joined]) {
      const nick = inRoom.get(state)
      if (nick == null) continue
      inRoom.delete(state)
      this.leftBy(group, state, nick)
    }
  }

  // ---- from the node ----

  onGroupMessage (m: GroupMessage): void {
    for (const [s] of this.joined.get(m.group) ?? []) s.session.send(this.groupchat(m, s, (m.receivedAt ?? Date.now()) - m.sentAt > LATE_DELIVERY_MS))
  }

  /** Members, roles or the name changed; or this node is no member any more. */
  onGroupChange (evt: GroupChangeEvent): void {
    const inRoom = this.joined.get(evt.group)
    if (inRoom == null) return
    const group = this.groupOf(evt.group)
    if (group == null || group.standing !== 'member') {
      // XEP-0045 §9.9: removed from a members-only room (status 321)
      for (const [s, nick] of inRoom) s.session.send(this.selfUnavailable(evt.group, nick, s.session.fullJid, 321))
      this.drop(evt.group)
      return
    }
    this.announce(evt.group)()
    if (evt.changes.some(c => c.kind === 'renamed')) for (const [s] of inRoom) s.session.send(this.subject(group, s.session.fullJid))
  }

  /** A contact's presence changed: occupants of the rooms joined move with it. */
  onPresenceChange (): void {
    for (const group of this.joined.keys()) this.announce(group)()
  }

  /** XEP-0249: a direct invitation from the contact who invited, to each resource taking messages. */
  onInvitation (inv: GroupInvitation): void {
    if (this.ctx.node.isBlocked(inv.inviter)) return
    const { sessions } = this.ctx
    sessions.sendTo(sessions.messageable(), (to) => this.invitation(inv, to))
  }

  /** The invitations not answered yet, to a client that just came online. */
  replayInvitations (state: SessionState): void {
    if (state.priority < 0) return
    for (const inv of this.invitations()) state.session.send(this.invitation(inv, state.session.fullJid))
  }

  /** Invitations not answered yet, but none from someone blocked since. */
  private invitations (): GroupInvitation[] {
    return this.ctx.node.groupInvitations().filter(i => !this.ctx.node.isBlocked(i.inviter))
  }

  private invitation (inv: GroupInvitation, to: string): Element {
    const { jids } = this.ctx
    const room = jids.roomOf(inv.group)
    return xml('message', { from: jids.bareOf(personOf(this.ctx.node, inv.inviter)), to, id: `invite-${inv.group}` },
      xml('body', {}, safeText(`invites you to the group "${inv.name}": join ${room} to accept`)),
      xml('x', { xmlns: NS.conference, jid: room, reason: safeText(inv.name) }))
  }

  // ---- helpers ----

  private refuse (state: SessionState, el: Element, condition: Parameters<typeof errorReply>[2], text: string): void {
    state.session.send(errorReply(el, 'cancel', condition, text))
  }

  private groupOf (id: string): GroupInfo | undefined {
    return this.ctx.node.groups().find(g => g.id === id)
  }

  private drop (group: string): void {
    this.joined.delete(group)
    this.occupants.delete(group)
  }

  private leave (state: SessionState, group: string, code: number): void {
    const inRoom = this.joined.get(group)
    const nick = inRoom?.get(state)
    if (inRoom == null || nick == null) return
    inRoom.delete(state)
    state.session.send(this.selfUnavailable(group, nick, state.session.fullJid, code))
    this.leftBy(group, state, nick)
  }

  /** After a resource left the room: the others see its nick go (unless one of them holds it), a member moved aside for it gets its name back. */
  private leftBy (group: string, state: SessionState, nick: string): void {
    if ((this.joined.get(group)?.size ?? 0) === 0) return this.drop(group)
    this.tellOwnOthers(group, state, nick, undefined, this.groupOf(group)?.role)
    this.announce(group)()
  }

  /**
   * What one resource's join, nick change or leave did to the owner's nicks
   * in the room, to its other resources: a nick no other resource holds any
   * more leaves (303 naming the new one on a change), one new to the room
   * comes; a resource is never told its own nick left or came.
   */
  private tellOwnOthers (group: string, state: SessionState, was: string | undefined, now: string | undefined, role: GroupInfo['role']): void {
    const others = [...this.joined.get(group) ?? []].filter(([s]) => s !== state)
    const held = new Set(others.map(([, n]) => n))
    const gone = was != null && was !== now && !held.has(was) ? was : undefined
    const came = now != null && now !== was && !held.has(now) ? now : undefined
    for (const [s, nick] of others) {
      const to = s.session.fullJid
      if (gone != null && nick !== gone) s.session.send(this.ownUnavailable(group, gone, state.session.fullJid, role, came != null ? { nick: came, codes: [303], to } : { codes: [], to }))
      if (came != null && nick !== came) s.session.send(this.selfPresence({ id: group, role }, came, to, [], state.session.fullJid))
    }
  }

  /** An own nick leaving (`nick`: the one it changes to, keeping its role; else it leaves, role none; `to`: whom it is sent to, the resource itself by default). */
  private ownUnavailable (group: string, nick: string, of: string, role: string | undefined, opts: { nick?: string, codes: number[], to?: string }): Element {
    return xml('presence', { type: 'unavailable', from: this.ctx.jids.occupantOf(group, nick), to: opts.to ?? of },
      xml('x', { xmlns: NS.mucUser }, xml('item', { ...this.item(role, of, opts.nick != null).attrs, nick: opts.nick }),
        ...opts.codes.map(code => xml('status', { code: String(code) }))))
  }

  /** The members to show as occupants now (online, by this node's own view of them; nicks apart from the owner's): stored and returned. */
  private refresh (group: string): Map<string, Occupant> {
    const { node } = this.ctx
    const now = new Map<string, Occupant>()
    // the nicks the owner's resources joined with are taken
    const taken = new Set(this.joined.get(group)?.values())
    // the owner is in the room as its resources, under their nicks: never as a member
    const self = new Set([node.peerId.toString(), ...(node.devices?.().devices ?? []).map(d => d.peerId)])
    for (const m of node.groupOnline(group)) {
      if (m.status === 'offline' || m.status === 'unknown' || self.has(m.peerId)) continue
      let nick = this.nameOf(m.peerId)
      if (taken.has(nick)) nick = `${nick} (…${m.peerId.slice(-8)})`
      taken.add(nick)
      now.set(m.peerId, { nick, status: m.status, role: m.role })
    }
    this.occupants.set(group, now)
    return now
  }

  /**
   * Occupants that came, went or changed since last shown, to every resource
   * in the room (but `except`). A member moving off a nick an own resource
   * now holds is sent at once; the rest by the returned function, which the
   * caller runs after the own presences: a client takes any presence from its
   * own occupant JID as its own, so a member may take a nick back only after
   * the owner's resource has left it, and must leave it before one takes it.
   */
  private announce (group: string, except?: SessionState): () => void {
    const before = this.occupants.get(group) ?? new Map<string, Occupant>()
    const now = this.refresh(group)
    const own = new Set(this.joined.get(group)?.values())
    const send = (aside: boolean): void => {
      for (const [s] of this.joined.get(group) ?? []) {
        if (s === except) continue
        for (const [peer, o] of now) {
          const was = before.get(peer)
          if ((was != null && was.nick !== o.nick && own.has(was.nick)) !== aside) continue
          if (was == null || was.status !== o.status || was.role !== o.role || was.nick !== o.nick) s.session.send(this.occupantPresence(group, peer, o, s.session.fullJid))
        }
        for (const [peer, o] of before) {
          if (now.get(peer)?.nick === o.nick || own.has(o.nick) !== aside) continue
          s.session.send(xml('presence', { type: 'unavailable', from: this.ctx.jids.occupantOf(group, o.nick), to: s.session.fullJid },
            xml('x', { xmlns: NS.mucUser }, this.item(o.role, this.ctx.jids.bareOf(personOf(this.ctx.node, peer)), false))))
        }
      }
    }
    send(true)
    return () => { send(false) }
  }

  private nameOf (peer: string): string {
    const { node } = this.ctx
    const name = node.person(peer)?.alias ?? node.displayName(peer)?.name
    return name != null && name !== '' ? name : `…${peer.slice(-8)}`
  }

  /** A member's MUC item: a group admin is a moderator, any other member a participant; `present` false: leaving. */
  private item (role: string | undefined, jid: string, present = true): Element {
    return xml('item', { affiliation: affiliationOf(role), role: !present ? 'none' : role === 'admin' ? 'moderator' : 'participant', jid })
  }

  private occupantPresence (group: string, peer: string, o: Occupant, to: string): Element {
    const show = SHOW_OF[o.status]
    return xml('presence', { from: this.ctx.jids.occupantOf(group, o.nick), to },
      show != null ? xml('show', {}, show) : null,
      xml('x', { xmlns: NS.mucUser }, this.item(o.role, this.ctx.jids.bareOf(personOf(this.ctx.node, peer)))))
  }

  /** The presence of one of the owner's resources in the room (`of`: its full JID, the recipient's own by default). */
  private selfPresence (group: Pick<GroupInfo, 'id' | 'role'>, nick: string, to: string, codes: number[], of = to): Element {
    return xml('presence', { from: this.ctx.jids.occupantOf(group.id, nick), to },
      xml('x', { xmlns: NS.mucUser }, this.item(group.role, of), ...codes.map(code => xml('status', { code: String(code) }))))
  }

  /** The group's name as the room's subject (XEP-0045 §8.1). */
  private subject (group: GroupInfo, to: string, id?: string): Element {
    return xml('message', { type: 'groupchat', from: this.ctx.jids.roomOf(group.id), to, id }, xml('subject', {}, safeText(group.name)))
  }

  private selfUnavailable (group: string, nick: string, to: string, code: number): Element {
    return xml('presence', { type: 'unavailable', from: this.ctx.jids.occupantOf(group, nick), to },
      xml('x', { xmlns: NS.mucUser }, xml('item', { affiliation: code === 321 ? 'none' : affiliationOf(this.groupOf(group)?.role), role: 'none' }),
        xml('status', { code: '110' }), code !== 110 ? xml('status', { code: String(code) }) : null))
  }

  /** A group message as one resource in the room sees it: its own from its own nick. */
  private groupchat (m: GroupMessage, s: SessionState, delayed: boolean): Element {
    const nick = m.direction === 'out'
      ? this.joined.get(m.group)?.get(s) ?? this.nameOf(m.author)
      : this.occupants.get(m.group)?.get(m.author)?.nick ?? this.nameOf(m.author)
    return xml('message', { type: 'groupchat', id: m.id, from: this.ctx.jids.occupantOf(m.group, nick), to: s.session.fullJid },
      xml('body', {}, safeText(m.text)),
      delayed ? delay(m.sentAt, this.ctx.jids.roomOf(m.group)) : null)
  }
}
