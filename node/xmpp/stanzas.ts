/** Namespaces, stanza errors (RFC 6120 §8.3) and text safe to put in XML. */
import { codePoints } from '../../protocol/text.js'
import { xml } from '@xmpp/xml'
import type { Element } from '@xmpp/xml'

export const NS = {
  client: 'jabber:client',
  stream: 'http://etherx.jabber.org/streams',
  streams: 'urn:ietf:params:xml:ns:xmpp-streams',
  stanzas: 'urn:ietf:params:xml:ns:xmpp-stanzas',
  tls: 'urn:ietf:params:xml:ns:xmpp-tls',
  sasl: 'urn:ietf:params:xml:ns:xmpp-sasl',
  bind: 'urn:ietf:params:xml:ns:xmpp-bind',
  session: 'urn:ietf:params:xml:ns:xmpp-session',
  roster: 'jabber:iq:roster',
  discoInfo: 'http://jabber.org/protocol/disco#info',
  discoItems: 'http://jabber.org/protocol/disco#items',
  caps: 'http://jabber.org/protocol/caps',
  ping: 'urn:xmpp:ping',
  last: 'jabber:iq:last',
  blocking: 'urn:xmpp:blocking',
  blockingErrors: 'urn:xmpp:blocking:errors',
  receipts: 'urn:xmpp:receipts',
  chatStates: 'http://jabber.org/protocol/chatstates',
  markers: 'urn:xmpp:chat-markers:0',
  delay: 'urn:xmpp:delay',
  nick: 'http://jabber.org/protocol/nick',
  carbons: 'urn:xmpp:carbons:2',
  forward: 'urn:xmpp:forward:0',
  idle: 'urn:xmpp:idle:1',
  muc: 'http://jabber.org/protocol/muc',
  mucUser: 'http://jabber.org/protocol/muc#user',
  mucOwner: 'http://jabber.org/protocol/muc#owner',
  conference: 'jabber:x:conference',
  mam: 'urn:xmpp:mam:2',
  rsm: 'http://jabber.org/protocol/rsm',
  dataForms: 'jabber:x:data',
  sid: 'urn:xmpp:sid:0',
  private: 'jabber:iq:private',
  bookmarks: 'storage:bookmarks'
} as const

export type ErrorType = 'auth' | 'cancel' | 'continue' | 'modify' | 'wait'
export type StanzaErrorCondition =
  | 'bad-request' | 'conflict' | 'feature-not-implemented' | 'forbidden' | 'gone' | 'internal-server-error'
  | 'item-not-found' | 'jid-malformed' | 'not-acceptable' | 'not-allowed' | 'policy-violation'
  | 'recipient-unavailable' | 'registration-required' | 'remote-server-not-found' | 'resource-constraint' | 'service-unavailable'
  | 'undefined-condition'

/** The error reply to a stanza (RFC 6120 §8.3): same name and id, from and to swapped. */
export function errorReply (stanza: Element, type: ErrorType, condition: StanzaErrorCondition, text?: string, from?: string): Element {
  const reply = xml(stanza.name, { type: 'error', id: stanza.attrs.id, from: from ?? stanza.attrs.to, to: stanza.attrs.from })
  reply.append(xml('error', { type },
    xml(condition, { xmlns: NS.stanzas }),
    text != null ? xml('text', { xmlns: NS.stanzas }, safeText(text)) : null))
  return reply
}

/** A deep copy (an element has one parent; a client's elements nest at most MAX_DEPTH deep). */
export function copyElement (el: Element, attrs: Record<string, string> = {}): Element {
  return xml(el.name, { ...el.attrs, ...attrs }, ...el.children.map(c => typeof c === 'string' ? c : copyElement(c)))
}

/** XEP-0203: when a message was sent, on one delivered late (or from an archive). */
export function delay (sentAt: number, from?: string): Element {
  return xml('delay', { xmlns: NS.delay, from, stamp: new Date(sentAt).toISOString() })
}

/** A result to an iq get/set. */
export function iqResult (iq: Element, from: string | undefined, child?: Element): Element {
  return xml('iq', { type: 'result', id: iq.attrs.id, from, to: iq.attrs.from }, child ?? null)
}

// XML 1.0 allows tab, LF, CR, U+0020-U+D7FF, U+E000-U+FFFD and U+10000-U+10FFFF; lone surrogates are not characters
const ILLEGAL_XML = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu

/**
 * Text from the mesh made fit for XML: characters XML 1.0 cannot carry (NUL,
 * most control characters, lone surrogates) become U+FFFD, so one odd
 * message cannot break the client's stream.
 */
export function safeText (text: string): string {
  return text.replace(ILLEGAL_XML, '\uFFFD')
}

/** The first `max` code points. */
export function clip (s: string, max: number): string {
  return codePoints(s) <= max ? s : [...s].slice(0, max).join('')
}
