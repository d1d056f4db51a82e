/**
 * XEP-0191 blocking is the node's block list: block and unblock from the
 * client call the node's, and blocks made anywhere reach every resource that
 * fetched the list as pushes. A blocked contact's presence turns
 * unavailable for the client (XEP-0191 §3.3) and comes back on unblock.
 */
import { xml } from '@xmpp/xml'
import { contactPresence } from './presence-map.js'
import { errorReply, iqResult, NS } from './stanzas.js'
import type { SessionState, XmppContext } from './sessions.js'
import type { RosterChange } from '../roster/index.js'
import type { Element } from '@xmpp/xml'

export class Blocking {
  private pushes = 0

  constructor (private readonly ctx: XmppContext) {}

  async onIq (state: SessionState, iq: Element): Promise<Element> {
    const { node, jids } = this.ctx
    if (iq.attrs.type === 'get') {
      if (iq.getChild('blocklist', NS.blocking) == null) return errorReply(iq, 'modify', 'bad-request')
      state.blocklist = true
      return iqResult(iq, undefined, xml('blocklist', { xmlns: NS.blocking },
        ...node.blocked().map(b => xml('item', { jid: jids.bareOf(b.peerId) }))))
    }
    const block = iq.getChild('block', NS.blocking)
    const unblock = iq.getChild('unblock', NS.blocking)
    const op = block ?? unblock
    if (op == null) return errorReply(iq, 'modify', 'bad-request')
    const peers: string[] = []
    for (const item of op.getChildren('item')) {
      const target = jids.resolve(item.attrs.jid)
      if (target.kind !== 'peer') return errorReply(iq, 'modify', 'jid-malformed', target.kind === 'foreign' ? target.reason : 'only contacts on the mesh can be blocked')
      peers.push(target.peer)
    }
    // an empty <block/> is an error; an empty <unblock/> unblocks everyone (XEP-0191 §3.4)
    if (block != null && peers.length === 0) return errorReply(iq, 'modify', 'bad-request', 'name at least one JID to block')
    const targets = block != null ? peers : peers.length > 0 ? peers : node.blocked().map(b => b.peerId)
    try {
      for (const peer of targets) {
        if (block != null) await node.block(peer)
        else await node.unblock(peer)
      }
    } catch (err: any) {
      return errorReply(iq, 'cancel', 'not-acceptable', String(err?.message ?? err))
    }
    return iqResult(iq, undefined)
  }

  /** Pushes block changes and hides or shows the presence they concern. */
  onRosterChange (change: RosterChange): void {
    const { sessions, jids, node } = this.ctx
    for (const { id, before, after } of change.people) {
      const was = before?.blockedSince != null
      const is = after?.blockedSince != null
      if (was === is) continue
      sessions.sendTo(sessions.all().filter(s => s.blocklist), (to) =>
        xml('iq', { type: 'set', id: `block-${++this.pushes}`, to },
          xml(is ? 'block' : 'unblock', { xmlns: NS.blocking }, xml('item', { jid: jids.bareOf(id) }))))
      const view = is ? undefined : node.presenceOf(id)
      sessions.sendTo(sessions.available(), (to) => contactPresence(jids, view ?? { peerId: id, status: 'offline' }, to))
    }
  }
}
