/**
 * XEP-0049 private XML storage over IQ, addressed to the owner's bare JID or
 * to nobody: a get names one element of a namespace of its own inside
 * `<query xmlns='jabber:iq:private'/>` and gets what is stored (or the element
 * empty); a set stores one or more elements of one namespace. Bookmarks
 * (`storage:bookmarks`) are read and written through bookmarks.ts, which puts
 * the node's groups in.
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

const isBookmarks = (el: Element): boolean => el.getNS() === NS.bookmarks && el.getName() === 'storage'

export class PrivateIq {
  constructor (private readonly ctx: XmppContext, private readonly storage: PrivateStorage) {}

  answer (iq: Element, type: 'get' | 'set', query: Element): Element {
    const els = query.getChildElements()
    // XEP-0049 §2.3: an empty query is not acceptable
    if (els.length === 0) return errorReply(iq, 'modify', 'not-acceptable', 'private storage takes an element of a namespace of its own')
    const ns = els[0].getNS()
    if (ns == null || ns === '' || RESERVED.has(ns)) return errorReply(iq, 'modify', 'not-acceptable', 'the element needs a namespace of its own')
    const { node, jids } = this.ctx
    if (type === 'get') {
      if (els.length > 1) return errorReply(iq, 'modify', 'bad-request', 'a get asks for one element')
      const el = els[0]
      const stored = this.storage.get(ns, el.getName())
      const found = isBookmarks(el) ? bookmarksView(stored, node.groups(), jids) : stored ?? xml(el.getName(), { xmlns: ns })
      return iqResult(iq, iq.attrs.to, xml('query', { xmlns: NS.private }, found))
    }
    if (els.some(el => el.getNS() !== ns)) return errorReply(iq, 'modify', 'not-acceptable', 'the elements of one set share one namespace')
    try {
      this.storage.set(els.map(el => isBookmarks(el) ? bookmarksToStore(el, this.storage.get(ns, el.getName()), node.groups(), jids) : el))
    } catch (err) {
      if (err instanceof PrivateElementTooLargeError) return errorReply(iq, 'modify', 'not-acceptable', err.message)
      if (err instanceof PrivateStorageFullError) return errorReply(iq, 'wait', 'resource-constraint', err.message)
      throw err
    }
    return iqResult(iq, iq.attrs.to)
  }
}
