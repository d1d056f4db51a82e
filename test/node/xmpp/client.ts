/**
 * A real XMPP client (@xmpp/client) against a node's endpoint, with what the
 * tests need: every stanza it received, and a wait for the next one that
 * matches. The node's certificate is the only one the client trusts: this
 * module wraps tls.connect to pass it as `ca` (the client library takes no
 * trust settings), so STARTTLS is verified as a client would verify it.
 */
import fs from 'node:fs'
import tls from 'node:tls'
import { client } from '@xmpp/client'
import { waitFor } from '../../helpers.js'
import type { XmppInfo } from '../../../node/xmpp/index.js'
import type { Client } from '@xmpp/client'
import type { Element } from '@xmpp/xml'

// one wrap per process: test files share a worker (isolate: false) and each evaluates this module
// again, so the trusted set and the original connect live on the process, not in the module
const shared: { trusted: Set<string>, connect?: typeof tls.connect } =
  ((globalThis as any)[Symbol.for('presence-mesh:test-tls-trust')] ??= { trusted: new Set<string>() })

function trust (certFile: string): void {
  shared.trusted.add(fs.readFileSync(certFile, 'utf8'))
  if (shared.connect != null) return
  const connect = shared.connect = tls.connect
  ;(tls as any).connect = (options: any, ...rest: any[]) =>
    (connect as any)(typeof options === 'object' ? { ...options, ca: [...shared.trusted] } : options, ...rest)
}

export interface TestClient {
  xmpp: Client
  stanzas: Element[]
  /** The next stanza (from now, or already received since `since`) that matches. */
  next: (match: (el: Element) => boolean, what: string, since?: number) => Promise<Element>
  /** A mark for `next`: stanzas after it count. */
  mark: () => number
}

export function passwordOf (info: XmppInfo): string {
  return fs.readFileSync(info.passwordFile, 'utf8').trim()
}

export function testClient (info: XmppInfo, opts: { password?: string, resource?: string } = {}): TestClient {
  if (info.certFile != null) trust(info.certFile)
  const xmpp = client({
    service: `xmpp://${info.address}`,
    domain: info.domain,
    username: 'me',
    password: opts.password ?? passwordOf(info),
    resource: opts.resource ?? 'test',
    // two cores shared with other test runs: more than xmpp.js's default 2 s per step
    timeout: 15_000
  })
  // a test decides when to connect again
  xmpp.reconnect.stop()
  xmpp.on('error', () => {})
  const stanzas: Element[] = []
  xmpp.on('stanza', (el: Element) => { stanzas.push(el) })
  const next = async (match: (el: Element) => boolean, what: string, since = stanzas.length): Promise<Element> => {
    let found: Element | undefined
    await waitFor(() => (found = stanzas.slice(since).find(match)) != null, what, 20_000)
    return found!
  }
  return { xmpp, stanzas, next, mark: () => stanzas.length }
}
