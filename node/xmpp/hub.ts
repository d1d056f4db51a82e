/**
 * Between the owner's bound resources and the node: stanzas from the
 * clients go to the module that handles them (presence, messages, iq), and
 * the node's events (presence, messages, typing, contact requests, roster
 * changes) go out to the clients. Only the node API is used.
 */
import { Blocking } from './blocking.js'
import { IqHandler } from './iq.js'
import { PrivateIq } from './private-iq.js'
import { Messages } from './messages.js'
import { OwnerPresence } from './owner-presence.js'
import { contactPresence } from './presence-map.js'
import { RosterItems } from './roster.js'
import { NO_SUCH_ROOM, Rooms } from './rooms.js'
import { Archive } from './archive.js'
import { Sessions } from './sessions.js'
import { errorReply } from './stanzas.js'
import { Subscriptions } from './subscriptions.js'
import type { ClientAcks } from './client-acks.js'
import type { PrivateStorage } from './private-storage.js'
import type { RoomNames } from './room-names.js'
import type { OwnerSession, SessionHost } from './connection.js'
import type { JidMapper } from './jid.js'
import type { SessionState, XmppContext } from './sessions.js'
import type { PresenceNodeApi, PresenceNodeEvents } from '../api.js'
import type { Logger } from '@libp2p/interface'
import type { Element } from '@xmpp/xml'

type Listeners = { [K in keyof PresenceNodeEvents]?: (evt: PresenceNodeEvents[K]) => void }

/** What the endpoint keeps in the node's home. */
export interface EndpointFiles {
  acks: ClientAcks
  privateStorage: PrivateStorage
  roomNames: RoomNames
}

const SUBSCRIPTION_TYPES = new Set(['subscribe', 'subscribed', 'unsubscribe', 'unsubscribed', 'probe'])

export class XmppHub implements SessionHost {
  private readonly ctx: XmppContext
  private readonly roster: RosterItems
  private readonly subscriptions: Subscriptions
  private readonly blocking: Blocking
  private readonly messages: Messages
  private readonly owner: OwnerPresence
  private readonly iq: IqHandler
  private readonly rooms: Rooms
  private readonly listeners: Listeners
  private stopped = false

  constructor (node: PresenceNodeApi, jids: JidMapper, log: Logger, { acks, privateStorage, roomNames }: EndpointFiles) {
    const ctx: XmppContext = { node, jids, log, sessions: new Sessions() }
    this.ctx = ctx
    this.roster = new RosterItems(ctx)
    this.subscriptions = new Subscriptions(ctx, this.roster)
    this.blocking = new Blocking(ctx)
    this.messages = new Messages(ctx, acks)
    this.rooms = new Rooms(ctx, roomNames)
    this.owner = new OwnerPresence(ctx, this.subscriptions, this.messages, this.rooms)
    this.iq = new IqHandler(ctx, this.roster, this.blocking, this.rooms, new Archive(ctx, acks), new PrivateIq(ctx, privateStorage))
    this.listeners = {
      presence: (evt) => {
        const { view, changed } = evt.detail
        if (!changed || node.isBlocked(view.peerId)) return
        ctx.sessions.sendTo(ctx.sessions.available(), (to) => contactPresence(jids, view, to))
        this.rooms.onPresenceChange()
      },
      'group:message': (evt) => { this.rooms.onGroupMessage(evt.detail) },
      'group:change': (evt) => { this.rooms.onGroupChange(evt.detail) },
      'group:invitation': (evt) => { this.rooms.onInvitation(evt.detail) },
      message: (evt) => { this.messages.onNodeMessage(evt.detail) },
      'message:carbon': (evt) => { this.messages.onNodeCarbon(evt.detail) },
      'message:state': (evt) => { this.messages.onState(evt.detail) },
      typing: (evt) => { this.messages.onTyping(evt.detail.peer, evt.detail.typing) },
      'contact:request': (evt) => { this.subscriptions.onContactEvent('request', evt.detail.peerId, evt.detail.greeting) },
      'contact:accepted': (evt) => { this.subscriptions.onContactEvent('subscribed', evt.detail.peerId) },
      'contact:declined': (evt) => { this.subscriptions.onContactEvent('unsubscribed', evt.detail.peerId) },
      'contact:cancelled': (evt) => { this.subscriptions.onContactEvent('unsubscribe', evt.detail.peerId) },
      'roster:change': (evt) => {
        this.roster.onRosterChange(evt.detail)
        this.blocking.onRosterChange(evt.detail)
      }
    }
  }

  get sessions (): Sessions {
    return this.ctx.sessions
  }

  start (): void {
    for (const [name, fn] of Object.entries(this.listeners)) this.ctx.node.addEventListener(name as keyof PresenceNodeEvents, this.guarded(name, fn))
  }

  /** Stops following the node; clients that leave from now on change nothing (the node is stopping). */
  stop (): void {
    this.stopped = true
    for (const [name, fn] of Object.entries(this.listeners)) this.ctx.node.removeEventListener(name as keyof PresenceNodeEvents, this.guarded(name, fn))
    this.messages.stop()
  }

  private readonly guards = new Map<string, (evt: any) => void>()

  /** A listener that cannot throw into the node's event dispatch (the same function each time, for removal). */
  private guarded (name: string, fn: (evt: any) => void): (evt: any) => void {
    let guard = this.guards.get(name)
    if (guard == null) {
      guard = (evt) => {
        try {
          fn(evt)
        } catch (err: any) {
          this.ctx.log.error('%s for XMPP clients failed - %e', name, err)
        }
      }
      this.guards.set(name, guard)
    }
    return guard
  }

  bind (session: OwnerSession, requested: string | undefined): string {
    return this.ctx.sessions.bind(session, requested)
  }

  unbind (session: OwnerSession): void {
    const state = this.ctx.sessions.unbind(session)
    if (state != null) this.rooms.forget(state)
    if (state != null && !this.stopped) void this.owner.onUnavailable(state).catch((err) => { this.ctx.log.error('going unavailable failed - %e', err) })
  }

  async stanza (session: OwnerSession, el: Element): Promise<void> {
    const state = this.ctx.sessions.get(session)
    if (state == null) return
    const to = this.ctx.jids.resolve(el.attrs.to)
    // between the owner's own resources, stanzas pass as they are
    if (to.kind === 'owner' && to.resource != null) return this.forward(state, el, to.resource)
    switch (el.name) {
      case 'iq':
        return await this.iq.onIq(state, el, to)
      case 'presence':
        return await this.onPresence(state, el)
      case 'message':
        if (to.kind === 'peer') return await this.messages.onClientMessage(state, el, to.peer)
        if (to.kind === 'room') return await this.rooms.onClientMessage(state, el, to)
        if (to.kind === 'new-room') {
          if (el.attrs.type !== 'error') state.session.send(errorReply(el, 'cancel', 'item-not-found', NO_SUCH_ROOM))
          return
        }
        // some clients (profanity 0.13) send receipts without a `to`: what they acknowledge is still known
        if (to.kind === 'owner' && this.messages.onAcknowledgement(el)) return
        if (el.attrs.type !== 'error') state.session.send(errorReply(el, 'cancel', to.kind === 'foreign' ? 'remote-server-not-found' : 'service-unavailable', to.kind === 'foreign' ? to.reason : undefined))
    }
  }

  private async onPresence (state: SessionState, el: Element): Promise<void> {
    const type = el.attrs.type
    if (type === 'error') return
    if (el.attrs.to == null) {
      if (type == null) return await this.owner.onAvailable(state, el)
      if (type === 'unavailable') {
        this.rooms.forget(state)
        return await this.owner.onUnavailable(state)
      }
      return
    }
    const to = this.ctx.jids.resolve(el.attrs.to)
    if (to.kind === 'room' || to.kind === 'new-room') return await this.rooms.onClientPresence(state, el, to)
    if (type == null || !SUBSCRIPTION_TYPES.has(type)) return // directed presence: the mesh has none
    if (to.kind === 'peer') return await this.subscriptions.onClientPresence(state, el, to.peer)
    if (to.kind === 'foreign') state.session.send(errorReply(el, 'cancel', 'remote-server-not-found', to.reason))
  }

  private forward (state: SessionState, el: Element, resource: string): void {
    const target = this.ctx.sessions.all().find(s => s.session.resource === resource)
    if (target != null) target.session.send(el)
    else if (el.attrs.type !== 'error' && el.attrs.type !== 'result' && !(el.name === 'presence')) {
      state.session.send(errorReply(el, 'cancel', 'service-unavailable'))
    }
  }
}
