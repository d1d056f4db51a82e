/**
 * Service discovery (XEP-0030) and entity capabilities (XEP-0115): what the
 * endpoint itself supports, what it answers for the owner's account, and
 * what it supports on behalf of each contact (the mesh carries receipts,
 * chat states and read markers), so clients know to use them.
 */
import { createHash } from 'node:crypto'
import { xml } from '@xmpp/xml'
import { CAPS_NODE } from './constants.js'
import { NS } from './stanzas.js'
import type { Element } from '@xmpp/xml'

interface Identity { category: string, type: string, name: string }

export interface DiscoInfo {
  identities: Identity[]
  features: string[]
}

export const SERVER_INFO: DiscoInfo = {
  identities: [{ category: 'server', type: 'im', name: 'presence-mesh' }],
  // MAM here too: some clients (profanity) look for it on the server, not the account
  features: [NS.discoInfo, NS.discoItems, NS.ping, NS.blocking, NS.carbons, NS.mam, NS.private].sort()
}

export const ACCOUNT_INFO: DiscoInfo = {
  identities: [{ category: 'account', type: 'registered', name: 'presence-mesh owner' }],
  features: [NS.discoInfo, NS.discoItems, NS.carbons, NS.mam, NS.sid].sort()
}

/** What a contact on the mesh can do, as far as XMPP sees it. */
export const CONTACT_INFO: DiscoInfo = {
  identities: [{ category: 'client', type: 'pc', name: 'presence-mesh' }],
  features: [NS.caps, NS.chatStates, NS.discoInfo, NS.last, NS.markers, NS.receipts].sort()
}

/** XEP-0115 §5.1 verification string, SHA-1, base64. */
export function capsVer (info: DiscoInfo): string {
  let s = ''
  const key = (i: Identity): string => `${i.category}/${i.type}`
  // octet order, as the XEP asks (not the locale's)
  for (const id of [...info.identities].sort((a, b) => key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0)) {
    s += `${id.category}/${id.type}//${id.name}<`
  }
  for (const f of [...info.features].sort()) s += `${f}<`
  return createHash('sha1').update(s, 'utf8').digest('base64')
}

export const CONTACT_CAPS_VER = capsVer(CONTACT_INFO)

/** The <c/> element contacts' presence carries. */
export function contactCaps (): Element {
  return xml('c', { xmlns: NS.caps, hash: 'sha-1', node: CAPS_NODE, ver: CONTACT_CAPS_VER })
}

/** A disco#info result payload; `node` echoes the queried node. */
export function infoQuery (info: DiscoInfo, node?: string): Element {
  return xml('query', { xmlns: NS.discoInfo, node },
    ...info.identities.map(i => xml('identity', { category: i.category, type: i.type, name: i.name })),
    ...info.features.map(f => xml('feature', { var: f })))
}

/** Whether a queried node is ours: none, or the caps node of our ver. */
export function knownNode (node: string | undefined, ver: string): boolean {
  return node == null || node === `${CAPS_NODE}#${ver}`
}
