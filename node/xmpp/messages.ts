/**
 * Messages both ways. From the client: a <body> is sent on the mesh
 * (stored, retried until delivered); XEP-0184 receipts come back when the
 * mesh reports it delivered, XEP-0333 <displayed/> when read; XEP-0085
 * <composing/> keeps the contact's "typing" alive until the client stops;
 * <displayed/> from the client, or a reply, marks the conversation read.
 * From the mesh: each message goes to every available resource, asking for
 * a receipt; unread ones a client has not acknowledged are delivered again,
 * with their original time (XEP-0203), when a client comes online. What one
 * client sends, the owner's other clients that enabled carbons (XEP-0280)
 * get a copy of, and so do they of what the owner sent from another of their
 * mesh devices; a contact's text another own device got first is delivered
 * at once (its own copy, later, is the same message). Messages come from the
 * contact person's bare JID, whichever of their devices sent them: any of
 * the person's devices may answer.
 */
import { xml } from '@xmpp/xml'
import { archiveId } from './archive.js'
import { LATE_DELIVERY_MS, MAX_TRACKED_OUTGOING, OFFLINE_BACKLOG, TYPING_REFRESH_MAX_MS, TYPING_REFRESH_MS } from './constants.js'
import { activitySource } from './owner-presence.js'
import { chatStateOf } from './presence-map.js'
import { personOf } from './sessions.js'
import { copyElement, delay, errorReply, NS, safeText } from './stanzas.js'
import { trimOldest } from '../util/trim.js'
import type { ClientAcks } from './client-acks.js'
import type { SessionState, XmppContext } from './sessions.js'
import type { ChatMessage } from '../chat/index.js'
import type { Element } from '@xmpp/xml'

/** Incoming message ids kept for matching acknowledgements, and per-session ids kept against duplicates. */
const MAX_REMEMBERED = 5_000

interface Outgoing {
  peer: string
  stanzaId: string
  receipt: boolean
  markable: boolean
  receiptSent: boolean
}

export class Messages {
  private readonly outgoing = new Map<string, Outgoing>()
  /** Messages delivered to clients, by id: whose (for acknowledgements). */
  private readonly incoming = new Map<string, { person: string }>()
  private readonly sentTo = new WeakMap<SessionState, Set<string>>()
  private readonly composing = new Map<string, { timer: ReturnType<typeof setInterval>, until: number }>()
  private readonly lastMessageAt = new Map<string, number>()

  constructor (private readonly ctx: XmppContext, private readonly acks: ClientAcks) {}

  stop (): void {
    for (const peer of [...this.composing.keys()]) this.stopComposing(peer)
  }

  /** A message stanza from the client to a contact. */
  async onClientMessage (state: SessionState, el: Element, peer: string): Promise<void> {
    const { node } = this.ctx
    const type = el.attrs.type ?? 'normal'
    if (type === 'error') return
    if (type === 'groupchat') return state.session.send(errorReply(el, 'cancel', 'feature-not-implemented', 'a group is a room of the groups service: join its room at groups.<domain> (the bookmarks list them)'))
    this.onAcknowledgement(el)
    if (el.getChild('displayed', NS.markers) != null) await node.markRead(peer)
    const body = el.getChildText('body')
    if (body == null || body === '') {
      const chatState = chatStateOf(el)
      if (chatState === 'composing') this.startComposing(peer)
      else if (chatState != null) this.stopComposing(peer)
      if (chatState != null) this.carbonCopy(state, el)
      return
    }
    this.stopComposing(peer)
    // the owner wrote something: activity, for automatic away
    node.reportActivity(undefined, activitySource(state))
    if (node.isBlocked(peer)) {
      const reply = errorReply(el, 'cancel', 'not-acceptable', 'you blocked this contact')
      reply.getChild('error')?.append(xml('blocked', { xmlns: NS.blockingErrors }))
      return state.session.send(reply)
    }
    let id: string
    try {
      id = await node.send(peer, body)
    } catch (err: any) {
      return state.session.send(errorReply(el, 'modify', err?.name === 'InvalidMessageError' ? 'not-acceptable' : 'bad-request', String(err?.message ?? err)))
    }
    this.acks.rememberSent(id, { id: el.attrs.id, originId: el.getChild('origin-id', NS.sid)?.attrs.id })
    if (el.attrs.id != null) {
      this.outgoing.set(id, {
        peer,
        stanzaId: el.attrs.id,
        receipt: el.getChild('request', NS.receipts) != null,
        markable: el.getChild('markable', NS.markers) != null,
        receiptSent: false
      })
      trimOldest(this.outgoing, MAX_TRACKED_OUTGOING)
    }
    this.carbonCopy(state, el)
    // whoever answers has read what came before
    await node.markRead(peer).catch((err) => { this.ctx.log('mark read failed - %e', err) })
  }

  /** XEP-0280 §6: what one client sent, to the owner's other clients that enabled carbons. */
  private carbonCopy (state: SessionState, el: Element): void {
    if (el.getChild('private', NS.carbons) != null) return
    const { sessions, jids } = this.ctx
    const others = sessions.available().filter(s => s.carbons && s !== state)
    if (others.length === 0) return
    const copy = copyElement(el, { xmlns: NS.client, from: state.session.fullJid })
    sessions.sendTo(others, (to) => xml('message', { from: jids.ownerBare, to, type: el.attrs.type ?? 'normal' },
      xml('sent', { xmlns: NS.carbons }, xml('forwarded', { xmlns: NS.forward }, copyElement(copy)))))
  }

  /** A message from the mesh, to every client taking messages now. */
  onNodeMessage (m: ChatMessage): void {
    if (m.direction !== 'in') return
    this.lastMessageAt.set(personOf(this.ctx.node, m.peer), Date.now())
    const late = (m.receivedAt ?? Date.now()) - m.sentAt > LATE_DELIVERY_MS
    for (const state of this.ctx.sessions.messageable()) this.deliver(state, m, late)
  }

  /**
   * A message of a contact's conversation that came from another of the
   * owner's devices: one the owner sent there goes to the clients that
   * enabled carbons as a sent carbon (XEP-0280 §7, from that device as a
   * resource of the owner); one a contact sent, which that device got first,
   * is delivered as the contact's message (its own copy, when it comes, is
   * the same message to a client that has it).
   */
  onNodeCarbon (m: ChatMessage): void {
    // read on another device already (a device catching up on old history): nothing new for a client
    if (this.ctx.node.isBlocked(m.peer) || m.state === 'read') return
    if (m.direction === 'in') return this.onNodeMessage(m)
    const { sessions, jids } = this.ctx
    const to = sessions.available().filter(s => s.carbons)
    if (to.length === 0) return
    const late = Date.now() - m.sentAt > LATE_DELIVERY_MS
    sessions.sendTo(to, (client) => xml('message', { from: jids.ownerBare, to: client, type: 'chat' },
      xml('sent', { xmlns: NS.carbons }, xml('forwarded', { xmlns: NS.forward },
        late ? delay(m.sentAt, jids.domain) : null,
        xml('message', { xmlns: NS.client, type: 'chat', id: m.id, from: jids.ownerFull(m.author ?? 'mesh'), to: jids.bareOf(personOf(this.ctx.node, m.peer)) },
          xml('body', {}, safeText(m.text)))))))
  }

  /**
   * Unread messages no client acknowledged, to a client that just came
   * online: from each person's conversation (every device of theirs, and what
   * another own device brought), in its order.
   */
  async deliverBacklog (state: SessionState): Promise<void> {
    const { node } = this.ctx
    const people = new Set([...node.contacts().map(c => c.peerId), ...node.who().map(v => v.peerId)])
    for (const person of people) {
      if (node.isBlocked(person)) continue
      for (const m of await node.conversation(person, OFFLINE_BACKLOG)) {
        if (m.direction === 'in' && m.state !== 'read' && !this.acks.has(person, m.id) && state.available) this.deliver(state, m, true)
      }
    }
  }

  /** An outgoing message moved on: receipts and read markers for the client that asked. */
  onState (m: ChatMessage): void {
    const t = this.outgoing.get(m.id)
    if (m.direction !== 'out' || t == null) return
    const { sessions, jids } = this.ctx
    const from = jids.bareOf(personOf(this.ctx.node, m.peer))
    if ((m.state === 'delivered' || m.state === 'read') && t.receipt && !t.receiptSent) {
      t.receiptSent = true
      sessions.sendTo(sessions.messageable(), (to) => xml('message', { from, to, id: `receipt-${m.id}` }, xml('received', { xmlns: NS.receipts, id: t.stanzaId })))
    }
    if (m.state === 'read' && t.markable) {
      sessions.sendTo(sessions.messageable(), (to) => xml('message', { type: 'chat', from, to, id: `read-${m.id}` }, xml('displayed', { xmlns: NS.markers, id: t.stanzaId })))
    }
    if (m.state === 'read' || (t.receiptSent && !t.markable)) this.outgoing.delete(m.id)
  }

  /** A contact started or stopped typing. */
  onTyping (device: string, typing: boolean): void {
    if (this.ctx.node.isBlocked(device)) return
    const peer = personOf(this.ctx.node, device)
    const stoppedAt = Date.now()
    const send = (state: 'composing' | 'paused'): void => {
      const { sessions, jids } = this.ctx
      sessions.sendTo(sessions.messageable(), (to) => xml('message', { type: 'chat', from: jids.bareOf(peer), to },
        xml(state, { xmlns: NS.chatStates }), xml('no-store', { xmlns: 'urn:xmpp:hints' })))
    }
    if (typing) return send('composing')
    // a message stops the typing just before it arrives: it carries <active/>, no <paused/> needed
    setImmediate(() => { if ((this.lastMessageAt.get(peer) ?? 0) < stoppedAt) send('paused') })
  }

  private deliver (state: SessionState, m: ChatMessage, delayed: boolean): void {
    let sent = this.sentTo.get(state)
    if (sent == null) this.sentTo.set(state, sent = new Set())
    if (sent.has(m.id)) return
    sent.add(m.id)
    trimOldest(sent, MAX_REMEMBERED)
    this.incoming.set(m.id, { person: personOf(this.ctx.node, m.peer) })
    trimOldest(this.incoming, MAX_REMEMBERED)
    const { jids } = this.ctx
    state.session.send(xml('message', { type: 'chat', id: m.id, from: jids.bareOf(personOf(this.ctx.node, m.peer)), to: state.session.fullJid },
      xml('body', {}, safeText(m.text)),
      xml('active', { xmlns: NS.chatStates }),
      xml('request', { xmlns: NS.receipts }),
      xml('markable', { xmlns: NS.markers }),
      // the id the archive knows it by (XEP-0359), so a client that also pages the archive holds it once
      xml('stanza-id', { xmlns: NS.sid, by: jids.ownerBare, id: archiveId(m) }),
      delayed ? delay(m.sentAt, jids.domain) : null))
  }

  /** A receipt or marker of a message the client got from us; true if the stanza carries one. */
  onAcknowledgement (el: Element): boolean {
    const ack = el.getChild('received', NS.receipts) ?? el.getChild('received', NS.markers) ?? el.getChild('displayed', NS.markers)
    const id = ack?.attrs.id
    if (id == null) return false
    const m = this.incoming.get(id)
    if (m == null) return true
    this.acks.mark(m.person, id)
    if (ack?.getName() === 'displayed') void this.ctx.node.markRead(m.person).catch((err) => { this.ctx.log('mark read failed - %e', err) })
    return true
  }

  /** The mesh shows typing for a few seconds per notification: repeat it while the client composes. */
  private startComposing (peer: string): void {
    const until = Date.now() + TYPING_REFRESH_MAX_MS
    const current = this.composing.get(peer)
    if (current != null) {
      current.until = until
      return
    }
    const tell = (): void => {
      try {
        this.ctx.node.typing(peer)
      } catch (err: any) {
        this.ctx.log('typing to %s failed - %e', peer, err)
      }
    }
    const timer = setInterval(() => {
      if (Date.now() > (this.composing.get(peer)?.until ?? 0)) this.stopComposing(peer)
      else tell()
    }, TYPING_REFRESH_MS)
    timer.unref?.()
    this.composing.set(peer, { timer, until })
    tell()
  }

  private stopComposing (peer: string): void {
    const c = this.composing.get(peer)
    if (c == null) return
    clearInterval(c.timer)
    this.composing.delete(peer)
  }
}
