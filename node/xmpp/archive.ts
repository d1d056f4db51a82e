/**
 * Message archive management (XEP-0313, urn:xmpp:mam:2) over the owner's
 * conversations with contacts (docs/protocol.md §14.12): a client asks its
 * own account for the archive (all contacts, or one `with`), between
 * `start` and `end`, paged with result set management (XEP-0059). Each
 * message's archive id is its conversation position key (sent_at first, so
 * the key order is the archive's order across contacts), the id live
 * messages carry as their XEP-0359 stanza-id, so a client holding a
 * message from either way knows it. Blocked contacts are left out.
 */
import { xml } from '@xmpp/xml'
import { positionKey, sentAtBound } from '../../protocol/device-history.js'
import { personOf } from './sessions.js'
import { delay, errorReply, iqResult, NS, safeText } from './stanzas.js'
import type { ClientAcks } from './client-acks.js'
import type { SessionState, XmppContext } from './sessions.js'
import type { ChatMessage } from '../chat/index.js'
import type { Element } from '@xmpp/xml'

/** Messages per page when the client names no `max`, and the most it may ask for. */
const DEFAULT_PAGE = 50
const MAX_PAGE = 250

const FORM_FIELDS = ['FORM_TYPE', 'with', 'start', 'end']

/** A message's archive id: its conversation position (the key the stanza-id of a live message carries too). */
export function archiveId (m: Pick<ChatMessage, 'sentAt' | 'author' | 'peer' | 'id'>): string {
  return positionKey({ sentAt: m.sentAt, author: m.author ?? m.peer, id: m.id })
}

interface Entry { key: string, person: string, m: ChatMessage }

export class Archive {
  constructor (private readonly ctx: XmppContext, private readonly clientIds: Pick<ClientAcks, 'sentAs'>) {}

  /** The query form (XEP-0313 §5.1). */
  form (iq: Element): Element {
    return iqResult(iq, iq.attrs.to, xml('query', { xmlns: NS.mam },
      xml('x', { xmlns: NS.dataForms, type: 'form' },
        xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, NS.mam)),
        xml('field', { var: 'with', type: 'jid-single' }),
        xml('field', { var: 'start', type: 'text-single' }),
        xml('field', { var: 'end', type: 'text-single' }))))
  }

  /** A query: the matching messages to the client, then the iq result that ends them (XEP-0313 §4). */
  async query (state: SessionState, iq: Element, query: Element): Promise<Element> {
    const fields = new Map<string, string>()
    for (const f of query.getChild('x', NS.dataForms)?.getChildren('field') ?? []) fields.set(String(f.attrs.var), f.getChildText('value') ?? '')
    const unknown = [...fields.keys()].find(k => !FORM_FIELDS.includes(k))
    if (unknown != null) return errorReply(iq, 'cancel', 'feature-not-implemented', `the archive is searched by with, start and end only (not ${unknown})`)
    const start = parseTime(fields.get('start'))
    const end = parseTime(fields.get('end'))
    if (start === null || end === null) return errorReply(iq, 'modify', 'bad-request', 'start and end are XEP-0082 date-times')
    const set = query.getChild('set', NS.rsm)
    const asked = set?.getChildText('max')
    const max = asked == null ? DEFAULT_PAGE : Number(asked)
    if (!Number.isInteger(max) || max < 0) return errorReply(iq, 'modify', 'bad-request', 'max is a whole number')

    let people: string[]
    const withJid = fields.get('with')
    if (withJid != null && withJid !== '') {
      const to = this.ctx.jids.resolve(withJid)
      people = to.kind === 'peer' ? [personOf(this.ctx.node, to.peer)] : []
    } else {
      people = [...new Set(this.ctx.node.contacts().map(c => c.peerId))]
    }
    people = people.filter(person => !this.ctx.node.isBlocked(person))

    // archive ids are position keys, sent_at first: start and end are key bounds too
    const window = {
      after: start == null ? undefined : sentAtBound(start),
      before: end == null ? undefined : sentAtBound(end + 1)
    }
    const take = Math.min(max, MAX_PAGE)
    const beforeEl = set?.getChild('before')
    const fromEnd = beforeEl != null
    const range = {
      after: later(window.after, nonEmpty(set?.getChildText('after'))),
      before: earlier(window.before, nonEmpty(beforeEl?.getText())),
      // one more than the page: whether anything lies beyond it
      limit: take + 1,
      fromEnd
    }
    // each conversation's part of the page (only that part is read), merged in archive order
    const found: Entry[] = []
    for (const person of people) {
      for (const m of await this.ctx.node.conversationPage(person, range)) found.push({ key: archiveId(m), person, m })
    }
    found.sort((a, b) => a.key < b.key ? -1 : a.key > b.key ? 1 : 0)
    const page = fromEnd ? found.slice(Math.max(0, found.length - take)) : found.slice(0, take)
    const complete = found.length <= take
    let count = 0
    for (const person of people) count += await this.ctx.node.conversationSize(person, window)

    for (const e of page) state.session.send(this.result(e, query.attrs.queryid, state.session.fullJid))
    return iqResult(iq, iq.attrs.to, xml('fin', { xmlns: NS.mam, complete: complete ? 'true' : undefined },
      xml('set', { xmlns: NS.rsm },
        page.length > 0 ? xml('first', {}, page[0].key) : null,
        page.length > 0 ? xml('last', {}, page[page.length - 1].key) : null,
        xml('count', {}, String(count)))))
  }

  private result (e: Entry, queryid: string | undefined, to: string): Element {
    const { jids } = this.ctx
    const { m } = e
    const contact = jids.bareOf(e.person)
    const own = m.author != null ? jids.ownerFull(m.author) : jids.ownerBare
    // one an XMPP client sent comes back under that client's ids
    const client = m.direction === 'out' ? this.clientIds.sentAs(m.id) : undefined
    return xml('message', { from: jids.ownerBare, to, id: `mam-${e.key}` },
      xml('result', { xmlns: NS.mam, queryid, id: e.key },
        xml('forwarded', { xmlns: NS.forward },
          delay(m.sentAt),
          xml('message', { xmlns: NS.client, type: 'chat', id: client?.id ?? m.id, from: m.direction === 'in' ? contact : own, to: m.direction === 'in' ? jids.ownerBare : contact },
            xml('body', {}, safeText(m.text)),
            client?.originId != null ? xml('origin-id', { xmlns: NS.sid, id: client.originId }) : null))))
  }
}

const nonEmpty = (s: string | null | undefined): string | undefined => s == null || s === '' ? undefined : s
const later = (a: string | undefined, b: string | undefined): string | undefined => a == null ? b : b == null ? a : a > b ? a : b
const earlier = (a: string | undefined, b: string | undefined): string | undefined => a == null ? b : b == null ? a : a < b ? a : b

/** undefined: absent; null: not a date-time. */
function parseTime (s: string | undefined): number | undefined | null {
  if (s == null || s === '') return undefined
  const t = Date.parse(s)
  return Number.isNaN(t) ? null : t
}
