/**
 * XEP-0049 private XML storage over IQ: a client gets or sets one element of
 * its own namespace inside `<query xmlns='jabber:iq:private'/>`, addressed to
 * the owner's bare JID or to nobody. Bookmarks (`storage:bookmarks`) are
 * read through bookmarks.ts's view, which lists the node's groups.
 */
import { xml } from '@xmpp/xml'
import { bookmarksToStore, bookmarksView } from './bookmarks.js'
import { PrivateElementTooLargeError, PrivateStorageFullError } from './errors.js'
import { errorReply, iqResult, NS } from './stanzas.js'
import type { PrivateStorage } from './private-storage.js'
import type { XmppContext } from './sessions.js'
import type { Element } from '@xmpp/xml'

/** Namespaces XEP-0049 §3 keeps out of private storage. */
const RESERVED = new Set<string>([NS.client, 'jabber:server', NS.private])

export class PrivateIq {
  constructor (private readonly ctx: XmppContext, private readonly storage: PrivateStorage) {}

  answer (iq: Element, type: 'get' | 'set', query: Element): Element {
    const [el, ...more] = query.getChildElements()
    if (el == null || more.length > 0) return errorReply(iq, 'modify', 'bad-request', 'private storage takes exactly one element')
    const ns = el.getNS()
    if (ns == null || ns === '' || RESERVED.has(ns)) return errorReply(iq, 'modify', 'not-acceptable', 'the element needs a namespace of its own')
    const { node, jids } = this.ctx
    if (type === 'get') {
      const stored = this.storage.get(ns, el.name)
      const found = ns === NS.bookmarks && el.name === 'storage' ? bookmarksView(stored, node.groups(), jids) : stored ?? xml(el.name, { xmlns: ns })
      return iqResult(iq, iq.attrs.to, xml('query', { xmlns: NS.private }, found))
    }
    try {
      this.storage.set(ns === NS.bookmarks && el.name === 'storage' ? bookmarksToStore(el, node.groups(), jids) : el)
    } catch (err) {
      if (err instanceof PrivateElementTooLargeError) return errorReply(iq, 'modify', 'not-acceptable', err.message)
      if (err instanceof PrivateStorageFullError) return errorReply(iq, 'wait', 'resource-constraint', err.message)
      throw err
    }
    return iqResult(iq, iq.attrs.to)
  }
}
