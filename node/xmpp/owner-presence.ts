/**
 * The owner's own presence. A client's available presence (<show>,
 * <status>) becomes the node's presence, and is the owner's activity (a
 * client's own auto-away with XEP-0319 <idle/> is the node's automatic away); its first one also brings the
 * contacts' presence, pending contact requests and unread messages
 * (RFC 6121 §4.2). When the owner's last client goes away, the node goes
 * offline, unless someone else (the CLI, an app) set the presence since:
 * then that setting stands.
 */
import { MAX_NOTE_CHARS } from '../../protocol/limits.js'
import { contactPresence, ownerPresence, readPresence, statusFromShow } from './presence-map.js'
import { codePoints } from '../../protocol/text.js'
import { clip, errorReply } from './stanzas.js'
import type { Messages } from './messages.js'
import type { Rooms } from './rooms.js'
import type { SessionState, XmppContext } from './sessions.js'
import type { Subscriptions } from './subscriptions.js'
import type { PresenceUpdate } from '../../protocol/presence-record.js'
import type { Element } from '@xmpp/xml'

/** Each client of the owner reports its user's activity as its own source (docs/protocol.md §10.5). */
export const activitySource = (state: SessionState): string => `xmpp:${state.session.fullJid}`

export class OwnerPresence {
  /** What a client last made the node announce. */
  private lastSet?: PresenceUpdate

  constructor (private readonly ctx: XmppContext, private readonly subscriptions: Subscriptions, private readonly messages: Messages, private readonly rooms: Pick<Rooms, 'replayInvitations'>) {}

  /** Available presence from a client, without a `to`. */
  async onAvailable (state: SessionState, el: Element): Promise<void> {
    const { show, status, priority, idleSince } = readPresence(el)
    const first = !state.available
    state.available = true
    state.priority = priority
    state.show = show
    state.status = status
    let note = status
    if (note != null && codePoints(note) > MAX_NOTE_CHARS) {
      note = clip(note, MAX_NOTE_CHARS)
      state.session.send(errorReply(el, 'modify', 'not-acceptable', `the mesh carries ${MAX_NOTE_CHARS} characters of status; the rest was cut`))
    }
    const activity = this.ctx.node.self().activity
    if (idleSince != null && (show === 'away' || show === 'xa')) {
      // the client's own auto-away (XEP-0319): the node's automatic state, not one chosen by hand
      this.ctx.node.reportActivity(idleSince, activitySource(state))
      await this.announce({ status: 'online', note, activity })
    } else {
      this.ctx.node.reportActivity(undefined, activitySource(state))
      await this.announce({ status: statusFromShow(show), note, activity })
    }
    this.broadcast(state)
    if (first) await this.initial(state)
  }

  /** Unavailable presence from a client, or its connection gone. */
  async onUnavailable (state: SessionState): Promise<void> {
    if (!state.available) return
    state.available = false
    this.broadcast(state)
    if (this.ctx.sessions.available().length > 0) return
    const self = this.ctx.node.self()
    // someone else set the presence since: theirs stands (automatic away is nobody's setting)
    if (this.lastSet == null || self.manual.status !== this.lastSet.status || self.note !== this.lastSet.note) return
    await this.announce({ status: 'offline', activity: self.activity })
  }

  private async announce (update: PresenceUpdate): Promise<void> {
    const self = this.ctx.node.self()
    this.lastSet = update
    if (self.manual.status === update.status && self.note === update.note && self.activity === update.activity) return
    try {
      await this.ctx.node.setPresence(update)
    } catch (err: any) {
      this.ctx.log.error('setting presence failed - %e', err)
    }
  }

  /** One resource's presence to every available resource, itself included (RFC 6121 §4.2.2, §4.4.2). */
  private broadcast (from: SessionState): void {
    const { sessions } = this.ctx
    sessions.sendTo(sessions.available(), (to) =>
      ownerPresence(from.session.fullJid, to, from.available, from.show, from.status, from.priority))
  }

  /** What a client gets when it first becomes available. */
  private async initial (state: SessionState): Promise<void> {
    const { node, jids, sessions } = this.ctx
    for (const view of node.who()) {
      if (view.status !== 'offline' && !node.isBlocked(view.peerId)) state.session.send(contactPresence(jids, view, state.session.fullJid))
    }
    for (const other of sessions.available()) {
      if (other !== state) state.session.send(ownerPresence(other.session.fullJid, state.session.fullJid, true, other.show, other.status, other.priority))
    }
    this.subscriptions.replayRequests(state)
    this.rooms.replayInvitations(state)
    await this.messages.deliverBacklog(state)
  }
}
