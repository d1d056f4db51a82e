/**
 * A real XMPP client (@xmpp/client) against a node's endpoint, with what the
 * tests need: every stanza it received, and a wait for the next one that
 * matches. The node's certificate is the only one the client trusts: this
 * module wraps tls.connect to pass it as `ca` (the client library takes no
 * trust settings), so STARTTLS is verified as a client would verify it.
 */
import { pbkdf2Sync } from 'node:crypto'
import fs from 'node:fs'
import { createRequire } from 'node:module'
import tls from 'node:tls'
import { client } from '@xmpp/client'
import { waitFor } from '../../helpers.js'
import type { XmppInfo } from '../../../node/xmpp/index.js'
import type { Client } from '@xmpp/client'
import type { Element } from '@xmpp/xml'

// one wrap per process: test files share a worker (isolate: false) and each evaluates this module
// again, so the certificates and the original connect live on the process, not in the module. A
// connection trusts only the certificate of the node at its port: nodes' generated certificates
// all name localhost, and a trust store holding many of one name failed ('self-signed certificate')
const shared: { byPort: Map<number, string>, connect?: typeof tls.connect, hi?: Hi } =
  ((globalThis as any)[Symbol.for('presence-mesh:test-tls-trust')] ??= { byPort: new Map<number, string>() })

type Hi = (password: string, salt: Uint8Array, iterations: number) => Promise<Uint8Array>

/**
 * The client library's SCRAM Hi (sasl-scram-sha-1's lib/bitops.js, which its mechanism calls through
 * its exports) runs PBKDF2's 4,096 rounds as 4,096 WebCrypto importKey + sign calls: 0.61-0.65 CPU-s
 * and 1.2-1.7 s of wall per login on this machine, in the test's process, for a client's work the
 * endpoint never sees. RFC 5802's Hi is PBKDF2-HMAC-SHA1 with a 20-byte key: node:crypto gives the
 * same bytes in ~2 ms (client-hi.test.ts holds them equal). Once per process, as the wrap above.
 */
export const scramBitops: { Hi: Hi } = createRequire(import.meta.url)('sasl-scram-sha-1/lib/bitops.js')
if (shared.hi == null) {
  shared.hi = scramBitops.Hi
  scramBitops.Hi = async (password, salt, iterations) => new Uint8Array(pbkdf2Sync(password, salt, iterations, 20, 'sha1'))
}
/** The library's own Hi, for the check that the replacement gives the same bytes. */
export const libraryHi: Hi = shared.hi

function trust (address: string, certFile: string): void {
  shared.byPort.set(Number(address.split(':').at(-1)), fs.readFileSync(certFile, 'utf8'))
  if (shared.connect != null) return
  const connect = shared.connect = tls.connect
  ;(tls as any).connect = (options: any, ...rest: any[]) => {
    if (typeof options !== 'object') return (connect as any)(options, ...rest)
    const cert = shared.byPort.get(options.socket?.remotePort ?? options.port)
    return (connect as any)(cert == null ? options : { ...options, ca: [cert] }, ...rest)
  }
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
  if (info.certFile != null) trust(info.address, info.certFile)
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
