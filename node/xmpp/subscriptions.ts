/**
 * Presence subscriptions (RFC 6121 §3) are the mesh's contact requests:
 *
 *   client sends      the node                   the node hears            client gets
 *   subscribe         requestContact (greeting    a request                 subscribe (with the greeting
 *                     from <status>)                                        as <status>)
 *   subscribed        accept their request        our request accepted      subscribed
 *   unsubscribed      deny their request          our request declined      unsubscribed
 *   unsubscribe       cancel our request          their request withdrawn   unsubscribe
 *
 * Pending requests to the owner are sent again to each client that comes
 * online. The mesh cannot end an accepted contact yet, so unsubscribe and
 * unsubscribed on a contact change nothing (block them instead).
 */
import { xml } from '@xmpp/xml'
import { MAX_GREETING_CHARS } from '../../protocol/contact-request.js'
import { contactPresence } from './presence-map.js'
import { clip, errorReply, NS, safeText } from './stanzas.js'
import type { RosterItems } from './roster.js'
import type { SessionState, XmppContext } from './sessions.js'
import type { Element } from '@xmpp/xml'

export type SubscriptionType = 'subscribe' | 'subscribed' | 'unsubscribe' | 'unsubscribed'

export class Subscriptions {
  constructor (private readonly ctx: XmppContext, private readonly roster: RosterItems) {}

  /** A subscription stanza or probe from the client, addressed to a contact. */
  async onClientPresence (state: SessionState, el: Element, peer: string): Promise<void> {
    const { node } = this.ctx
    const type = el.attrs.type
    const requests = node.contactRequests()
    const incoming = requests.incoming.some(r => r.peerId === peer)
    const outgoing = requests.outgoing.some(r => r.peerId === peer)
    const isContact = node.person(peer)?.contact != null
    try {
      switch (type) {
        case 'probe':
          this.answerProbe(state, peer)
          return
        case 'subscribe': {
          if (isContact) {
            // already subscribed: the server answers for the contact (RFC 6121 §3.1.3)
            state.session.send(xml('presence', { type: 'subscribed', from: this.ctx.jids.bareOf(peer), to: state.session.fullJid }))
            return
          }
          const greeting = el.getChildText('status')?.trim()
          const nick = el.getChildText('nick', NS.nick)?.trim()
          const alias = node.person(peer)?.alias ?? (nick !== '' ? nick : undefined)
          await node.requestContact(peer, greeting != null && greeting !== '' ? clip(greeting, MAX_GREETING_CHARS) : undefined, alias)
          // an incoming request it answers made a contact (roster:change pushes that); otherwise the item now asks
          if (!incoming) this.roster.push(peer)
          return
        }
        case 'subscribed':
          if (incoming) await node.accept(peer, node.person(peer)?.alias)
          return
        case 'unsubscribed':
          if (incoming) {
            await node.deny(peer)
            this.roster.push(peer)
          }
          return
        case 'unsubscribe':
          if (outgoing) {
            await node.cancel(peer)
            this.roster.push(peer)
          }
      }
    } catch (err: any) {
      this.ctx.log('%s to %s refused - %e', type, peer, err)
      state.session.send(errorReply(el, err?.name === 'BlockedPeerError' ? 'cancel' : 'modify', 'not-acceptable', String(err?.message ?? err), this.ctx.jids.bareOf(peer)))
    }
  }

  /** Requests waiting for the owner, to a client that just came online. */
  replayRequests (state: SessionState): void {
    for (const r of this.ctx.node.contactRequests().incoming) {
      state.session.send(this.request(r.peerId, r.greeting, state.session.fullJid))
    }
  }

  /** Tells every available client what the mesh said about a request. */
  onContactEvent (kind: 'request' | SubscriptionType, peer: string, greeting?: string): void {
    const { sessions, jids } = this.ctx
    sessions.sendTo(sessions.available(), (to) => kind === 'request'
      ? this.request(peer, greeting, to)
      : xml('presence', { type: kind, from: jids.bareOf(peer), to }))
    if (kind === 'unsubscribed') this.roster.push(peer)
  }

  private request (peer: string, greeting: string | undefined, to: string): Element {
    return xml('presence', { type: 'subscribe', from: this.ctx.jids.bareOf(peer), to },
      greeting != null && greeting !== '' ? xml('status', {}, safeText(greeting)) : null)
  }

  private answerProbe (state: SessionState, peer: string): void {
    const { node, jids } = this.ctx
    const view = node.isBlocked(peer) ? undefined : node.presenceOf(peer)
    state.session.send(contactPresence(jids, view ?? { peerId: peer, status: 'offline' }, state.session.fullJid))
  }
}
