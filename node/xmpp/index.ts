/**
 * The XMPP endpoint: the node as the XMPP server of its owner's client
 * (RFC 6120 client-to-server, RFC 6121 roster, presence and messages), over
 * the node API only. docs/xmpp.md describes what maps to what.
 */
import { XmppEndpoint } from './server.js'
import type { TlsFiles } from './certificate.js'
import type { PresenceNodeApi } from '../api.js'
import type { ComponentLogger } from '@libp2p/interface'

export type { TlsFiles } from './certificate.js'
export { xmppPassword } from './credentials.js'
export { parseXmppAddress } from './address.js'
export { peerLocalpart, peerOfLocalpart } from './jid.js'
export * from './errors.js'
export { DEFAULT_XMPP_DOMAIN, DEFAULT_XMPP_HOST, DEFAULT_XMPP_PORT, OWNER_USERNAME } from './constants.js'

export interface XmppServerInit {
  /** host:port, [IPv6]:port or a host (default 127.0.0.1:5222; port 0 picks one). */
  listen?: string
  /** The JID domain (default localhost: the owner is me@localhost). */
  domain?: string
  /** A certificate to present instead of the one the node makes and keeps in its home. */
  tls?: TlsFiles
  /** Require TLS before login on loopback too (always required on other addresses). */
  requireTls?: boolean
  /** Connections at once (default 16). */
  maxConnections?: number
  /** From connect to a bound resource, or the connection is closed (default 30 s). */
  negotiationTimeoutMs?: number
}

export interface XmppServerComponents {
  node: PresenceNodeApi
  logger: ComponentLogger
  /** The node's home: the password, the certificate and the endpoint's state live there. */
  home: string
}

/** What a person needs to point a client at the endpoint. */
export interface XmppInfo {
  /** host:port it listens on. */
  address: string
  /** The owner's JID (the account to configure). */
  jid: string
  domain: string
  tlsRequired: boolean
  /** SHA-256 fingerprint of the certificate STARTTLS presents, as clients show it. */
  fingerprint?: string
  /** The same as SHA-1 (what some clients show). */
  fingerprintSha1?: string
  certFile?: string
  passwordFile: string
  /** Resources logged in now. */
  clients: string[]
}

export interface XmppServer {
  start: () => Promise<void>
  /** Ends every client's stream (system-shutdown) and closes the listener. */
  stop: () => Promise<void>
  info: () => XmppInfo
}

export function xmppServer (init: XmppServerInit = {}): (components: XmppServerComponents) => XmppServer {
  return (components) => new XmppEndpoint(components, init)
}
