/**
 * PIDF documents (RFC 3863, with the RFC 4479 data model and RFC 4480 rich
 * presence) of what this node sees of a presentity: the CPIM presence
 * format. The entity is `pres:<base32 peer-id CID>@<domain>`, the same
 * address the XMPP endpoint gives the contact.
 */
import { escapeXML, escapeXMLText, xml } from '@xmpp/xml'
import { DEFAULT_XMPP_DOMAIN } from '../xmpp/constants.js'
import { peerLocalpart } from '../xmpp/jid.js'
import { safeText } from '../xmpp/stanzas.js'
import { CATEGORY_MAPPERS, PIDF_NS } from './categories.js'
import type { PidfParts } from './categories.js'
import type { PresenceView } from '../presence/index.js'
import type { Element } from '@xmpp/xml'

export { CATEGORY_MAPPERS, PIDF_NS, RPID_ACTIVITIES } from './categories.js'
export type { CategoryMapper, PidfParts } from './categories.js'

/** The pres: URI of a peer. */
export function presUri (peer: string, domain: string = DEFAULT_XMPP_DOMAIN): string {
  return `pres:${peerLocalpart(peer)}@${domain}`
}

/** The PIDF document of a view, as text (UTF-8, indented). */
export function pidfDocument (view: PresenceView, domain: string = DEFAULT_XMPP_DOMAIN): string {
  const parts: PidfParts = { activities: [], person: [], notes: [], tuple: [], devices: [] }
  for (const mapper of Object.values(CATEGORY_MAPPERS)) mapper(view, parts)
  const stamp = parts.timestamp != null ? new Date(parts.timestamp).toISOString() : undefined
  // XML IDs must not start with a digit; peer ids may
  const id = (prefix: string): string => `${prefix}-${view.peerId}`
  const person = xml('dm:person', { id: id('p') },
    parts.activities.length > 0 ? xml('rpid:activities', parts.until != null ? { until: new Date(parts.until).toISOString() } : {}, ...parts.activities) : null,
    ...parts.person,
    ...parts.notes.map(n => xml('dm:note', {}, safeText(n))),
    stamp != null ? xml('dm:timestamp', {}, stamp) : null)
  const doc = xml('presence', { xmlns: PIDF_NS.pidf, 'xmlns:dm': PIDF_NS.dm, 'xmlns:rpid': PIDF_NS.rpid, 'xmlns:cipid': PIDF_NS.cipid, 'xmlns:caps': PIDF_NS.caps, entity: presUri(view.peerId, domain) },
    xml('tuple', { id: id('t') },
      xml('status', {}, xml('basic', {}, parts.basic ?? 'closed')),
      ...parts.tuple,
      stamp != null ? xml('timestamp', {}, stamp) : null),
    person,
    ...parts.devices)
  return `<?xml version="1.0" encoding="UTF-8"?>\n${indent(doc, '')}\n`
}

/** Our own elements, one per line (text-only elements stay on theirs). */
function indent (el: Element, pad: string): string {
  const attrs = Object.entries(el.attrs)
    .filter(([, v]) => v != null)
    .map(([k, v]) => ` ${k}="${escapeXML(String(v))}"`).join('')
  if (el.children.length === 0) return `${pad}<${el.name}${attrs}/>`
  if (el.children.every(c => typeof c === 'string')) return `${pad}<${el.name}${attrs}>${escapeXMLText(el.children.join(''))}</${el.name}>`
  const inner = el.children.filter((c): c is Element => typeof c !== 'string').map(c => indent(c, pad + '  '))
  return `${pad}<${el.name}${attrs}>\n${inner.join('\n')}\n${pad}</${el.name}>`
}
