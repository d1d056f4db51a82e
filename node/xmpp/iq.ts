/**
 * IQs from the client: roster and blocking (their own modules), XEP-0030
 * disco of the server, the account, contacts and the groups service (rooms.ts),
 * the message archive (archive.ts), private storage with the bookmarks
 * (private-iq.ts), XEP-0199 ping, XEP-0012
 * last activity of contacts. Anything else gets service-unavailable, as
 * RFC 6120 §8.4 asks.
 */
import { xml } from '@xmpp/xml'
import { ACCOUNT_INFO, CONTACT_CAPS_VER, CONTACT_INFO, infoQuery, knownNode, SERVER_INFO } from './disco.js'
import { errorReply, iqResult, NS } from './stanzas.js'
import type { Blocking } from './blocking.js'
import type { Address } from './jid.js'
import type { RosterItems } from './roster.js'
import { NO_SUCH_ROOM } from './rooms.js'
import type { Rooms } from './rooms.js'
import type { Archive } from './archive.js'
import type { PrivateIq } from './private-iq.js'
import type { SessionState, XmppContext } from './sessions.js'
import type { Element } from '@xmpp/xml'

export class IqHandler {
  constructor (private readonly ctx: XmppContext, private readonly roster: RosterItems, private readonly blocking: Blocking, private readonly rooms: Rooms, private readonly archive: Archive, private readonly privateXml: PrivateIq) {}

  /** Answers a get or set (results and errors from the client answer our pushes and need nothing). */
  async onIq (state: SessionState, iq: Element, to: Address): Promise<void> {
    const type = iq.attrs.type
    if (type === 'result' || type === 'error') return
    const payloads = iq.getChildElements()
    const reply = type !== 'get' && type !== 'set'
      ? errorReply(iq, 'modify', 'bad-request', 'an iq is get, set, result or error')
      : payloads.length !== 1
        ? errorReply(iq, 'modify', 'bad-request', 'an iq get or set carries one payload')
        : await this.answer(state, iq, type, payloads[0], to)
    state.session.send(reply)
  }

  private async answer (state: SessionState, iq: Element, type: 'get' | 'set', payload: Element, to: Address): Promise<Element> {
    const ns = payload.getNS()
    const name = payload.getName()
    switch (to.kind) {
      case 'foreign':
        return errorReply(iq, 'cancel', 'remote-server-not-found', to.reason)
      case 'peer':
        return this.forContact(iq, type, ns, payload, to.peer)
      case 'rooms':
      case 'room':
        return await this.rooms.onIq(iq, type, payload, to)
      case 'new-room':
        return errorReply(iq, 'cancel', 'item-not-found', NO_SUCH_ROOM)
      case 'owner':
        if (to.resource != null) return errorReply(iq, 'cancel', 'service-unavailable')
        break
    }
    // the server, or the owner's account (an iq without `to` is the account's)
    const account = to.kind === 'owner' && iq.attrs.to != null
    if (ns === NS.roster && name === 'query') return await this.roster.onIq(state, iq)
    if (ns === NS.blocking) return await this.blocking.onIq(state, iq)
    if (type === 'get' && ns === NS.ping && name === 'ping') return iqResult(iq, iq.attrs.to)
    // the owner's own archive (XEP-0313): asked of the account, or with no `to`
    if (ns === NS.mam && name === 'query' && (to.kind === 'owner' || iq.attrs.to == null)) {
      return type === 'get' ? this.archive.form(iq) : await this.archive.query(state, iq, payload)
    }
    // the owner's private storage (XEP-0049): asked of the account, or with no `to`
    if (ns === NS.private && name === 'query' && (to.kind === 'owner' || iq.attrs.to == null)) return this.privateXml.answer(iq, type, payload)
    if (type === 'set' && ns === NS.carbons && (name === 'enable' || name === 'disable')) {
      state.carbons = name === 'enable'
      return iqResult(iq, iq.attrs.to)
    }
    if (type === 'get' && ns === NS.discoInfo && name === 'query') {
      if (payload.attrs.node != null) return errorReply(iq, 'cancel', 'item-not-found')
      return iqResult(iq, iq.attrs.to, infoQuery(account ? ACCOUNT_INFO : SERVER_INFO))
    }
    if (type === 'get' && ns === NS.discoItems && name === 'query') {
      // the server's one component: the groups service (XEP-0045 rooms)
      const items = !account && payload.attrs.node == null ? [xml('item', { jid: this.ctx.jids.rooms, name: 'groups of the mesh' })] : []
      return iqResult(iq, iq.attrs.to, xml('query', { xmlns: NS.discoItems, node: payload.attrs.node }, ...items))
    }
    return errorReply(iq, 'cancel', 'service-unavailable')
  }

  /** What the endpoint answers on a contact's behalf. */
  private forContact (iq: Element, type: 'get' | 'set', ns: string | undefined, payload: Element, peer: string): Element {
    const { node } = this.ctx
    if (type === 'get' && ns === NS.discoInfo) {
      if (!knownNode(payload.attrs.node, CONTACT_CAPS_VER)) return errorReply(iq, 'cancel', 'item-not-found')
      return iqResult(iq, iq.attrs.to, infoQuery(CONTACT_INFO, payload.attrs.node))
    }
    if (type === 'get' && ns === NS.last && node.person(peer)?.contact != null && !node.isBlocked(peer)) {
      // XEP-0012: seconds since the contact was last online (0 while online)
      const view = node.presenceOf(peer)
      if (view != null && view.status !== 'offline') return iqResult(iq, iq.attrs.to, xml('query', { xmlns: NS.last, seconds: '0' }))
      if (view?.lastSeen != null) return iqResult(iq, iq.attrs.to, xml('query', { xmlns: NS.last, seconds: String(Math.max(0, Math.round((Date.now() - view.lastSeen) / 1000))) }))
    }
    return errorReply(iq, 'cancel', 'service-unavailable')
  }
}
