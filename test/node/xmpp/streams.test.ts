/**
 * The endpoint's streams under misbehaving clients, over raw TCP: bad XML,
 * stanzas before login, oversize and deeply nested stanzas, wrong headers,
 * dawdlers, floods of connections, TLS demanded before login; and what it
 * offers when. Each case ends that connection with the right stream error
 * and leaves the endpoint serving the next client.
 */
import fs from 'node:fs/promises'
import net from 'node:net'
import path from 'node:path'
import tls from 'node:tls'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { loadTlsMaterial } from '../../../node/xmpp/certificate.js'
import { xmppServer } from '../../../node/xmpp/index.js'
import { cleanupHomes, tmpHome, waitFor } from '../../helpers.js'
import { passwordOf } from './client.js'
import { stubComponents } from './stub-node.js'
import type { XmppServer } from '../../../node/xmpp/index.js'

afterAll(cleanupHomes)

const HEADER = "<?xml version='1.0'?><stream:stream to='localhost' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>"
const plainAuth = (password: string): string => `<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${Buffer.from(`\0me\0${password}`).toString('base64')}</auth>`

interface Raw {
  socket: net.Socket
  text: () => string
  /** Resolves once the server's output matches. */
  until: (what: RegExp) => Promise<void>
  closed: Promise<void>
}

const sockets = new Set<net.Socket>()
afterEach(() => { for (const s of sockets) s.destroy(); sockets.clear() })

async function raw (port: number, first?: string): Promise<Raw> {
  const socket = net.connect(port, '127.0.0.1')
  sockets.add(socket)
  let out = ''
  socket.on('data', (d: Buffer) => { out += d.toString() })
  socket.on('error', () => {})
  const closed = new Promise<void>(resolve => socket.once('close', () => { resolve() }))
  await new Promise<void>((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject) })
  if (first != null) socket.write(first)
  return {
    socket,
    text: () => out,
    until: async (what) => { await waitFor(() => what.test(out), `server output ${what}`, 10_000) },
    closed
  }
}

/** Logs in with PLAIN on loopback and binds; returns the connection. */
async function loggedIn (port: number, password: string): Promise<Raw> {
  const c = await raw(port, HEADER)
  await c.until(/<\/stream:features>/)
  c.socket.write(plainAuth(password))
  await c.until(/<success/)
  c.socket.write(HEADER)
  await c.until(/<bind[^>]*\/>.*<\/stream:features>/s)
  c.socket.write("<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>raw</resource></bind></iq>")
  await c.until(/me@localhost\/raw/)
  return c
}

describe('XMPP streams: every misbehaviour ends only its own connection', () => {
  let server: XmppServer
  let port: number
  let password: string

  beforeAll(async () => {
    server = xmppServer({ listen: '127.0.0.1:0' })(stubComponents(await tmpHome('xmpp')))
    await server.start()
    port = Number(server.info().address.split(':')[1])
    password = passwordOf(server.info())
  })

  afterAll(async () => { await server?.stop() })

  it('on loopback: STARTTLS offered, not required; SCRAM-SHA-1 and PLAIN offered; PLAIN logs in', async () => {
    const c = await raw(port, HEADER)
    await c.until(/<\/stream:features>/)
    expect(c.text()).toMatch(/<starttls xmlns="urn:ietf:params:xml:ns:xmpp-tls"\/>/)
    expect(c.text()).toContain('<mechanism>SCRAM-SHA-1</mechanism><mechanism>PLAIN</mechanism>')
    c.socket.write(plainAuth(password))
    await c.until(/<success xmlns="urn:ietf:params:xml:ns:xmpp-sasl"\/>/)
  })

  it.each([
    ['malformed XML', 'not-well-formed', `${HEADER}<message><body>x</message>`],
    ['an undefined entity', 'not-well-formed', `${HEADER}<message>&bogus;</message>`],
    ['text between stanzas', 'not-well-formed', `${HEADER}hello<presence/>`],
    ['a stanza before login', 'not-authorized', `${HEADER}<message to='x@localhost'><body>hi</body></message>`],
    ['a foreign domain', 'host-unknown', HEADER.replace("to='localhost'", "to='example.com'")],
    ['a server-to-server stream', 'invalid-namespace', HEADER.replace('jabber:client', 'jabber:server')],
    ['an old stream version', 'unsupported-version', HEADER.replace(" version='1.0'>", '>')],
    ['an oversize stanza before login', 'policy-violation', `${HEADER}<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${'A'.repeat(20_000)}</auth>`],
    ['an endless tag', 'policy-violation', `${HEADER}<auth ${'a'.repeat(30_000)}`],
    ['deep nesting', 'policy-violation', `${HEADER}<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>${'<a>'.repeat(100)}`],
    ['binary garbage', 'not-well-formed', Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 7919) % 256)).toString('latin1')]
  ])('%s: stream error %s, connection closed', async (_what, condition, input) => {
    const c = await raw(port, input)
    await c.until(new RegExp(`<stream:error><${condition} xmlns="urn:ietf:params:xml:ns:xmpp-streams"/>`))
    await c.closed
    // the stream error came after a header of ours, as RFC 6120 §4.9.1.2 asks
    expect(c.text()).toMatch(/^<\?xml version='1.0'\?><stream:stream /)
  })

  it('oversize and deeply nested stanzas after login end the stream the same way', async () => {
    const big = await loggedIn(port, password)
    big.socket.write(`<message to='x@localhost'><body>${'x'.repeat(300 * 1024)}</body></message>`)
    await big.until(/<policy-violation/)
    await big.closed
    const deep = await loggedIn(port, password)
    deep.socket.write(`<message>${'<b>'.repeat(40)}`)
    await deep.until(/<policy-violation/)
  })

  it('a client that does not log in in time is closed (slowloris)', async () => {
    const quick = xmppServer({ listen: '127.0.0.1:0', negotiationTimeoutMs: 1_000 })(stubComponents(await tmpHome('xmpp-slow')))
    await quick.start()
    try {
      const slow = await raw(Number(quick.info().address.split(':')[1]), HEADER.slice(0, 40))
      await slow.until(/<connection-timeout/)
      await slow.closed
    } finally {
      await quick.stop()
    }
  })

  it('three wrong passwords close the connection', async () => {
    const c = await raw(port, HEADER)
    await c.until(/<\/stream:features>/)
    for (let i = 1; i <= 3; i++) {
      c.socket.write(plainAuth(`wrong-${i}`))
      await waitFor(() => (c.text().match(/<not-authorized\/>/g) ?? []).length === i, `failure ${i}`, 10_000)
    }
    await c.until(/<stream:error><policy-violation/)
    await c.closed
  })

  it('a flood of connections: idle ones make room, the total is capped, the owner still logs in', async () => {
    const idle = await Promise.all(Array.from({ length: 6 }, async () => await raw(port, HEADER)))
    // at most four wait unauthenticated: the oldest were told to go
    await waitFor(() => idle.filter(c => c.text().includes('<resource-constraint')).length >= 2, 'the oldest idle ones to be closed')
    const owners = await Promise.all(Array.from({ length: 3 }, async () => await loggedIn(port, password)))
    expect(owners).toHaveLength(3)
    const flood = await Promise.all(Array.from({ length: 40 }, async () => await raw(port)))
    await waitFor(() => flood.filter(c => c.text().includes('<resource-constraint')).length >= 30, 'connections past the cap refused')
    expect(server.info().clients).toContain('raw')
  })
})

describe('XMPP streams: TLS required', () => {
  it('offers only STARTTLS (required) and refuses to authenticate in the clear', async () => {
    const server = xmppServer({ listen: '127.0.0.1:0', requireTls: true })(stubComponents(await tmpHome('xmpp-tls')))
    await server.start()
    try {
      expect(server.info().tlsRequired).toBe(true)
      const port = Number(server.info().address.split(':')[1])
      const c = await raw(port, HEADER)
      await c.until(/<\/stream:features>/)
      expect(c.text()).toContain('<starttls xmlns="urn:ietf:params:xml:ns:xmpp-tls"><required/></starttls></stream:features>')
      expect(c.text()).not.toContain('mechanism')
      c.socket.write(plainAuth('x'))
      await c.until(/<failure xmlns="urn:ietf:params:xml:ns:xmpp-sasl"><encryption-required\/>/)
      // stopping ends every stream with system-shutdown
      await server.stop()
      await c.until(/<system-shutdown xmlns="urn:ietf:params:xml:ns:xmpp-streams"\/>/)
      await c.closed
    } finally {
      await server.stop()
    }
  })

  it('a non-loopback address always requires TLS', async () => {
    const server = xmppServer({ listen: '0.0.0.0:0', requireTls: false })(stubComponents(await tmpHome('xmpp-any')))
    expect(server.info().tlsRequired).toBe(true)
  })
})

describe('XMPP streams: a configured certificate', () => {
  it('is the one STARTTLS presents', async () => {
    const made = await loadTlsMaterial(await tmpHome('xmpp-own-cert'), 'mesh.example', '127.0.0.1')
    const dir = await tmpHome('xmpp-cert-files')
    await fs.writeFile(path.join(dir, 'c.pem'), made.cert)
    await fs.writeFile(path.join(dir, 'k.pem'), made.key, { mode: 0o600 })
    const server = xmppServer({ listen: '127.0.0.1:0', domain: 'mesh.example', tls: { cert: path.join(dir, 'c.pem'), key: path.join(dir, 'k.pem') } })(stubComponents(await tmpHome('xmpp-cfg')))
    await server.start()
    try {
      expect(server.info().fingerprint).toBe(made.fingerprint)
      const c = await raw(Number(server.info().address.split(':')[1]), HEADER.replace("to='localhost'", "to='mesh.example'"))
      await c.until(/<\/stream:features>/)
      c.socket.write("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
      await c.until(/<proceed/)
      c.socket.removeAllListeners('data')
      const secured = tls.connect({ socket: c.socket, servername: 'mesh.example', ca: [made.cert] })
      await new Promise<void>((resolve, reject) => { secured.once('secureConnect', resolve); secured.once('error', reject) })
      expect(secured.getPeerX509Certificate()?.fingerprint256).toBe(made.fingerprint)
      let out = ''
      secured.on('data', (d: Buffer) => { out += d.toString() })
      secured.write(HEADER.replace("to='localhost'", "to='mesh.example'"))
      await waitFor(() => out.includes('<mechanism>SCRAM-SHA-1</mechanism>') && !out.includes('starttls'), 'features after TLS, without STARTTLS')
      secured.destroy()
    } finally {
      await server.stop()
    }
  })

  it('ignores what the client sent in the clear after <starttls/> (no command injection into the TLS session)', async () => {
    const server = xmppServer({ listen: '127.0.0.1:0' })(stubComponents(await tmpHome('xmpp-starttls')))
    await server.start()
    const port = Number(server.info().address.split(':')[1])
    const password = passwordOf(server.info())
    try {
      const c = await raw(port, HEADER)
      await c.until(/<\/stream:features>/)
      // one write: the upgrade request and, pipelined behind it, a login in the clear
      c.socket.write(`<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>${plainAuth(password)}`)
      await c.until(/<proceed/)
      c.socket.removeAllListeners('data')
      const secured = tls.connect({ socket: c.socket, rejectUnauthorized: false })
      await new Promise<void>((resolve, reject) => { secured.once('secureConnect', resolve); secured.once('error', reject) })
      let out = ''
      secured.on('data', (d: Buffer) => { out += d.toString() })
      secured.write(HEADER)
      await waitFor(() => out.includes('</stream:features>'), 'features after TLS')
      // the new stream offers the mechanisms again: nobody is logged in
      expect(out).toContain('<mechanism>PLAIN</mechanism>')
      expect(out).not.toContain('<success')
      secured.destroy()
    } finally {
      await server.stop()
    }
  })
})
