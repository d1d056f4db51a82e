/**
 * Fuzzed XML against a live node's XMPP endpoint: mutated client streams
 * before login, and mutated stanzas after login (which reach the roster,
 * presence, message and iq handlers and through them the node). The node
 * neither crashes nor stops serving: a real client logs in afterwards and
 * the node still works. Plus the parser path on its own: any chunking of a
 * stream reads the same as the whole.
 */
import net from 'node:net'
import { xml } from '@xmpp/xml'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mutateXml, readStream, STANZA_SEEDS, STREAM_HEADER, STREAM_SEEDS } from '../../../bench/fuzz-xmpp.js'
import { prng } from '../../../bench/mesh.js'
import { cleanupHomes, startNode, waitFor } from '../../helpers.js'
import { passwordOf, testClient } from './client.js'
import type { PresenceNode } from '../../../node/presence-node.js'

afterAll(cleanupHomes)

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)

describe('XML stream reader', () => {
  it('reads a stream fed one byte at a time the same as whole (a "?>" or "-->" split across writes included)', () => {
    for (const seed of [...STREAM_SEEDS, STREAM_HEADER + '<!-- a comment --><presence/><![CDATA[]]><iq type="get" id="x"><ping xmlns="urn:xmpp:ping"/></iq>']) {
      const whole = readStream(utf8(seed))
      expect(whole.error).toBeUndefined()
      expect(readStream(utf8(seed), [1])).toEqual(whole)
      expect(readStream(utf8(seed), [2, 3, 5])).toEqual(whole)
    }
  })
})

/** Opens a connection, sends `input`, closes our side and waits for the server to close its. */
async function sendAndClose (port: number, input: Uint8Array, before?: (socket: net.Socket, out: () => string) => Promise<void>): Promise<void> {
  const socket = net.connect(port, '127.0.0.1')
  let out = ''
  socket.on('data', (d: Buffer) => { out += d.toString() })
  socket.on('error', () => {})
  const closed = new Promise<void>(resolve => socket.once('close', () => { resolve() }))
  try {
    await new Promise<void>((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject) })
    if (before != null) await before(socket, () => out)
    socket.end(input)
    await Promise.race([closed, new Promise((_resolve, reject) => setTimeout(() => { reject(new Error('the server kept a closed connection open')) }, 15_000))])
  } finally {
    socket.destroy()
  }
}

describe('fuzzed XML against a live node', () => {
  let a: PresenceNode
  let port: number
  let password: string

  beforeAll(async () => {
    a = await startNode({ xmpp: { listen: '127.0.0.1:0' } })
    port = Number(a.xmppInfo()!.address.split(':')[1])
    password = passwordOf(a.xmppInfo()!)
  })

  afterAll(async () => { await a?.stop() })

  it('300 mutated streams before login, 150 mutated stanza sequences after: the node serves on', async () => {
    const random = prng(14)
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]
    const flip = (b: Uint8Array): Uint8Array => { const c = Uint8Array.from(b); if (c.length > 0) c[Math.floor(random() * c.length)] ^= 1 << Math.floor(random() * 8); return c }
    const mutant = (s: string): Uint8Array => random() < 0.7 ? utf8(mutateXml(s, random)) : flip(utf8(s))

    for (let i = 0; i < 300; i += 4) {
      await Promise.all([0, 1, 2, 3].map(async () => { await sendAndClose(port, mutant(pick(STREAM_SEEDS))) }))
    }

    const login = async (socket: net.Socket, out: () => string): Promise<void> => {
      socket.write(STREAM_HEADER)
      await waitFor(() => out().includes('</stream:features>'), 'features')
      socket.write(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${Buffer.from(`\0me\0${password}`).toString('base64')}</auth>`)
      await waitFor(() => out().includes('<success'), 'login')
      socket.write(STREAM_HEADER)
      await waitFor(() => /<bind[^>]*\/>/.test(out()), 'bind offered')
      socket.write("<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq><presence/>")
      await waitFor(() => out().includes('</jid>'), 'bound')
    }
    for (let i = 0; i < 150; i += 3) {
      await Promise.all([0, 1, 2].map(async () => {
        const stanzas = Array.from({ length: 1 + Math.floor(random() * 4) }, () => pick(STANZA_SEEDS)).join('')
        await sendAndClose(port, mutant(stanzas), login)
      }))
    }

    const client = testClient(a.xmppInfo()!)
    await client.xmpp.start()
    await client.xmpp.iqCaller.get(xml('query', { xmlns: 'jabber:iq:roster' }))
    await client.xmpp.send(xml('presence', {}, xml('show', {}, 'away')))
    await waitFor(() => a.self().status === 'away', 'the node to take the client\'s presence after the fuzzing')
    expect(a.xmppInfo()!.clients).toEqual(['test'])
    await client.xmpp.stop()
  })
})
