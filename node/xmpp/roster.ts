/**
 * The roster (RFC 6121 §2) is the node's contact list: accepted contacts
 * (subscription both), people watched without being contacts ("to"), and
 * our pending requests (ask="subscribe"). Names are the roster's aliases.
 * Changes made anywhere (this client, another one, the CLI) reach every
 * resource that fetched the roster as roster pushes, following the node's
 * roster:change events.
 */
import { xml } from '@xmpp/xml'
import { errorReply, iqResult, NS } from './stanzas.js'
import type { SessionState, XmppContext } from './sessions.js'
import type { Person, RosterChange } from '../roster/index.js'
import type { Element } from '@xmpp/xml'

export class RosterItems {
  private pushes = 0

  constructor (private readonly ctx: XmppContext) {}

  /** The item a person makes now (undefined: not on the roster). */
  itemOf (peer: string): Element | undefined {
    return this.itemFor(peer, this.person(peer))
  }

  /** The item a person's state makes (undefined: not on the roster). */
  private itemFor (peer: string, person: Person | undefined): Element | undefined {
    const outgoing = this.ctx.node.contactRequests().outgoing.find(r => r.peerId === peer)
    const contact = person?.contact != null
    const watched = person?.watched === true
    if (!contact && !watched && outgoing == null) return undefined
    return xml('item', {
      jid: this.ctx.jids.bareOf(peer),
      name: person?.alias ?? outgoing?.alias,
      subscription: contact ? 'both' : watched ? 'to' : 'none',
      ask: !contact && outgoing != null ? 'subscribe' : undefined
    })
  }

  /** Everyone on the roster. */
  items (): Element[] {
    const { node } = this.ctx
    const peers = new Set<string>([
      ...node.contacts().map(c => c.peerId),
      ...node.who().map(v => v.peerId),
      ...node.blocked().map(b => b.peerId),
      ...node.contactRequests().outgoing.map(r => r.peerId)
    ])
    const items: Element[] = []
    for (const peer of peers) {
      const item = this.itemOf(peer)
      if (item != null) items.push(item)
    }
    return items
  }

  /** jabber:iq:roster get and set. */
  async onIq (state: SessionState, iq: Element): Promise<Element> {
    const query = iq.getChild('query', NS.roster)!
    if (iq.attrs.type === 'get') {
      state.roster = true
      return iqResult(iq, undefined, xml('query', { xmlns: NS.roster }, ...this.items()))
    }
    const items = query.getChildren('item')
    if (items.length !== 1) return errorReply(iq, 'modify', 'bad-request', 'a roster set carries exactly one item')
    const target = this.ctx.jids.resolve(items[0].attrs.jid)
    if (target.kind !== 'peer' || target.resource != null) {
      return errorReply(iq, 'modify', target.kind === 'foreign' ? 'item-not-found' : 'not-acceptable', target.kind === 'foreign' ? target.reason : 'a roster item is a contact\'s bare JID')
    }
    const peer = target.peer
    try {
      if (items[0].attrs.subscription === 'remove') {
        const refusal = await this.remove(peer)
        if (refusal != null) return errorReply(iq, 'cancel', 'not-allowed', refusal)
      } else {
        const name = items[0].attrs.name?.trim()
        // watching puts the person on the roster (and names them): the mesh's roster item without a subscription
        await this.ctx.node.watch(peer, name != null && name !== '' ? name : undefined)
      }
    } catch (err: any) {
      return errorReply(iq, 'modify', 'not-acceptable', String(err.message))
    }
    return iqResult(iq, undefined)
  }

  /** Takes someone off the roster as far as the mesh allows; returns why not, if it cannot. */
  private async remove (peer: string): Promise<string | undefined> {
    const { node } = this.ctx
    const requests = node.contactRequests()
    if (node.person(peer)?.contact != null) {
      return 'presence-mesh cannot end a contact yet; block them instead'
    }
    if (requests.outgoing.some(r => r.peerId === peer)) await node.cancel(peer)
    if (requests.incoming.some(r => r.peerId === peer)) await node.deny(peer)
    if (node.person(peer)?.watched === true) await node.unwatch(peer)
    // cancelling and denying change no roster entry, so no roster:change pushes it
    this.push(peer)
    return undefined
  }

  /** Pushes the item of each person whose item changed. */
  onRosterChange (change: RosterChange): void {
    for (const { id, before, after } of change.people) {
      const was = this.itemFor(id, before)?.toString()
      const now = this.itemFor(id, after)
      if (was !== now?.toString()) this.pushItem(id, now)
    }
  }

  /** Pushes one peer's current item (a removal when it is off the roster). */
  push (peer: string): void {
    this.pushItem(peer, this.itemOf(peer))
  }

  private pushItem (peer: string, item: Element | undefined): void {
    const { sessions, jids } = this.ctx
    sessions.sendTo(sessions.all().filter(s => s.roster), (to) =>
      xml('iq', { type: 'set', id: `push-${++this.pushes}`, to },
        // an element has one parent: each push gets its own item
        xml('query', { xmlns: NS.roster }, xml('item', item != null ? { ...item.attrs } : { jid: jids.bareOf(peer), subscription: 'remove' }))))
  }

  private person (peer: string): Person | undefined {
    try {
      return this.ctx.node.person(peer)
    } catch {
      return undefined
    }
  }
}
