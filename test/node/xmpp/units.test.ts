/**
 * The endpoint's pure parts against published vectors and their own rules:
 * SCRAM-SHA-1 (RFC 5802 §5), XEP-0115 caps, the JID mapping, presence
 * mapping, addresses, the password file, the kept certificate.
 */
import { X509Certificate } from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import { xml } from '@xmpp/xml'
import { afterAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../../node/config.js'
import { isLoopback, parseXmppAddress } from '../../../node/xmpp/address.js'
import { loadTlsMaterial } from '../../../node/xmpp/certificate.js'
import { xmppPassword, readPassword } from '../../../node/xmpp/credentials.js'
import { capsVer } from '../../../node/xmpp/disco.js'
import { JidMapper, peerLocalpart, peerOfLocalpart } from '../../../node/xmpp/jid.js'
import { contactPresence, readPresence, statusFromShow, statusText } from '../../../node/xmpp/presence-map.js'
import { plain, scramKeys, scramSha1, ScramKeyCache } from '../../../node/xmpp/sasl.js'
import { safeText } from '../../../node/xmpp/stanzas.js'
import { cleanupHomes, tmpHome } from '../../helpers.js'
import type { SaslAccount } from '../../../node/xmpp/sasl.js'

afterAll(cleanupHomes)

const PEER = '12D3KooWAnrU16fLHRYk2hp9qEa35RS9iZL1RMwu6iPsfv8SDGtE'

describe('SCRAM-SHA-1 server (RFC 5802 §5 example)', () => {
  const account: SaslAccount = { username: 'user', jid: 'user@localhost', password: async () => 'pencil' }
  // the example's salt and nonces: a cache that hands out those keys
  const cache = { keysFor: async (pw: string) => await scramKeys(pw, Buffer.from('QSXCR+Q6sek8bf92', 'base64'), 4096) } as unknown as ScramKeyCache
  const clientFirst = 'n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL'
  const clientFinal = 'c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts='

  it('answers the example exchange with its server-first message and server signature', async () => {
    const mech = scramSha1(account, cache, { serverNonce: () => '3rfcNHYJY1ZVvWVs7j' })
    const first = await mech.step(Buffer.from(clientFirst))
    expect(first).toEqual({ kind: 'challenge', data: Buffer.from('r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096') })
    const final = await mech.step(Buffer.from(clientFinal))
    expect(final).toEqual({ kind: 'success', data: Buffer.from('v=rmF9pqV8S7suAoZWja4dJRkFsKQ=') })
  })

  it.each([
    ['a wrong proof', clientFinal.replace('p=v0X8', 'p=w0X8'), 'not-authorized'],
    ['another nonce', clientFinal.replace('7j,p', '7k,p'), 'not-authorized'],
    ['other channel binding data', clientFinal.replace('c=biws', 'c=eSws'), 'not-authorized'],
    ['no proof', 'c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j', 'malformed-request']
  ])('refuses %s', async (_what, final, condition) => {
    const mech = scramSha1(account, cache, { serverNonce: () => '3rfcNHYJY1ZVvWVs7j' })
    await mech.step(Buffer.from(clientFirst))
    expect(await mech.step(Buffer.from(final))).toMatchObject({ kind: 'failure', condition })
  })

  it('a wrong user fails only at the proof; channel binding, mandatory extensions and foreign authzids are refused', async () => {
    const other = scramSha1(account, cache, { serverNonce: () => '3rfcNHYJY1ZVvWVs7j' })
    expect((await other.step(Buffer.from('n,,n=someone,r=fyko+d2lbbFgONRv9qkxdawL'))).kind).toBe('challenge')
    expect(await other.step(Buffer.from(clientFinal))).toMatchObject({ kind: 'failure', condition: 'not-authorized' })
    expect(await scramSha1(account, cache).step(Buffer.from('p=tls-unique,,n=user,r=abc'))).toMatchObject({ condition: 'not-authorized' })
    expect(await scramSha1(account, cache).step(Buffer.from('n,,m=ext,n=user,r=abc'))).toMatchObject({ condition: 'malformed-request' })
    expect(await scramSha1(account, cache).step(Buffer.from('n,a=eve@localhost,n=user,r=abc'))).toMatchObject({ condition: 'invalid-authzid' })
    expect(await scramSha1(account, cache).step(Buffer.from('garbage'))).toMatchObject({ condition: 'malformed-request' })
  })

  it('the key cache derives once per password and again when it changes', async () => {
    const real = new ScramKeyCache()
    const a = await real.keysFor('one')
    expect(await real.keysFor('one')).toBe(a)
    expect((await real.keysFor('two')).storedKey).not.toEqual(a.storedKey)
  })

  it('PLAIN: the right user and password only (usernames fold case)', async () => {
    const step = async (s: string): Promise<string> => (await plain(account).step(Buffer.from(s))).kind
    expect(await step('\0user\0pencil')).toBe('success')
    expect(await step('\0USER\0pencil')).toBe('success')
    expect(await step('user@localhost\0user\0pencil')).toBe('success')
    expect(await step('\0user\0Pencil')).toBe('failure')
    expect(await step('\0other\0pencil')).toBe('failure')
    expect(await step('eve@localhost\0user\0pencil')).toBe('failure')
    expect(await step('user\0pencil')).toBe('failure')
  })
})

describe('XEP-0115 verification string', () => {
  it('matches the XEP\'s simple example', () => {
    expect(capsVer({
      identities: [{ category: 'client', type: 'pc', name: 'Exodus 0.9.1' }],
      features: ['http://jabber.org/protocol/disco#info', 'http://jabber.org/protocol/disco#items', 'http://jabber.org/protocol/muc', 'http://jabber.org/protocol/caps']
    })).toBe('QgayPKawpkPSDYmwT/WM94uAlu0=')
  })
})

describe('JIDs', () => {
  const jids = new JidMapper('localhost', 'me')
  const local = peerLocalpart(PEER)

  it('a peer\'s localpart is its base32 CID, read back in any case', () => {
    expect(local).toMatch(/^bafz[a-z2-7]+$/)
    expect(peerOfLocalpart(local)).toBe(PEER)
    expect(peerOfLocalpart(local.toUpperCase())).toBe(PEER)
    expect(peerOfLocalpart('bob')).toBeUndefined()
    // base58 does not survive a client's case folding, so it is no JID
    expect(peerOfLocalpart(PEER.toLowerCase())).toBeUndefined()
  })

  it('resolves what a client writes', () => {
    expect(jids.resolve(undefined)).toEqual({ kind: 'owner' })
    expect(jids.resolve('localhost')).toEqual({ kind: 'server' })
    expect(jids.resolve('Me@LocalHost/phone')).toEqual({ kind: 'owner', resource: 'phone' })
    expect(jids.resolve(`${local.toUpperCase()}@localhost/x`)).toEqual({ kind: 'peer', peer: PEER, resource: 'x' })
    expect(jids.resolve(`${local}@example.org`)).toMatchObject({ kind: 'foreign' })
    expect(jids.resolve('bob@localhost')).toMatchObject({ kind: 'foreign' })
    expect(jids.fullOf(PEER)).toBe(`${local}@localhost/${PEER}`)
  })
})

describe('presence mapping', () => {
  const jids = new JidMapper('localhost', 'me')

  it('show both ways, as docs/xmpp.md tabulates', () => {
    expect([undefined, 'chat', 'away', 'xa', 'dnd', 'bogus'].map(statusFromShow)).toEqual(['online', 'online', 'away', 'away', 'dnd', 'online'])
    const show = (status: 'online' | 'away' | 'busy' | 'dnd'): string | null => contactPresence(jids, { peerId: PEER, status }, 'me@localhost/x').getChildText('show')
    expect([show('online'), show('away'), show('busy'), show('dnd')]).toEqual([null, 'away', 'dnd', 'dnd'])
    expect(contactPresence(jids, { peerId: PEER, status: 'offline', note: 'x' }, 'me@localhost/x').attrs.type).toBe('unavailable')
  })

  it('status text carries activity and note; priority is clamped', () => {
    expect(statusText({ note: 'lunch', activity: 'eating' })).toBe('(eating) lunch')
    expect(statusText({})).toBeUndefined()
    expect(readPresence(xml('presence', {}, xml('show', {}, 'xa'), xml('status', {}, '  brb '), xml('priority', {}, '300')))).toEqual({ show: 'xa', status: 'brb', priority: 127 })
    // XEP-0319: idle since, when it is a time that is not ahead of now
    const now = Date.UTC(2025, 0, 2, 4)
    expect(readPresence(xml('presence', {}, xml('show', {}, 'away'), xml('idle', { xmlns: 'urn:xmpp:idle:1', since: '2025-01-02T03:50:00Z' })), now)).toMatchObject({ show: 'away', idleSince: Date.UTC(2025, 0, 2, 3, 50) })
    expect(readPresence(xml('presence', {}, xml('idle', { xmlns: 'urn:xmpp:idle:1', since: '2025-01-02T05:00:00Z' })), now).idleSince).toBeUndefined()
    expect(readPresence(xml('presence', {}, xml('idle', { xmlns: 'urn:xmpp:idle:1', since: 'soon' })), now).idleSince).toBeUndefined()
  })

  it('text XML cannot carry becomes U+FFFD', () => {
    expect(safeText('a\u0000b\u0007c\uD800d\uFFFEe😀')).toBe('a\uFFFDb\uFFFDc\uFFFDd\uFFFDe😀')
  })
})

describe('listen addresses', () => {
  it.each([
    [undefined, { host: '127.0.0.1', port: 5222 }],
    ['127.0.0.1:5333', { host: '127.0.0.1', port: 5333 }],
    ['localhost', { host: 'localhost', port: 5222 }],
    ['[::1]:5223', { host: '::1', port: 5223 }],
    [':0', { host: '127.0.0.1', port: 0 }]
  ])('%s', (input, expected) => { expect(parseXmppAddress(input)).toEqual(expected) })

  it.each(['host:99999', 'a:b:c', '[notv6]:1', 'bad host:1', 'x:-1'])('refuses %s', (input) => {
    expect(() => parseXmppAddress(input)).toThrow(expect.objectContaining({ name: 'InvalidXmppAddressError' }))
  })

  it('knows loopback', () => {
    expect(['127.0.0.1', '127.5.0.1', '::1', 'localhost', '::ffff:127.0.0.1'].every(isLoopback)).toBe(true)
    expect(['0.0.0.0', '192.0.2.1', '::', 'example.org'].some(isLoopback)).toBe(false)
  })
})

describe('the password file', () => {
  it('made once, 0600; rotated on demand; refused when others can read it', async () => {
    const home = await tmpHome('pw')
    expect(await readPassword(home)).toBeUndefined()
    const { password } = await xmppPassword(home)
    expect(await readPassword(home)).toBe(password)
    expect((await xmppPassword(home)).password).toBe(password)
    const rotated = await xmppPassword(home, { rotate: true })
    expect(rotated.password).not.toBe(password)
    expect(await readPassword(home)).toBe(rotated.password)
    await fs.chmod(path.join(home, 'xmpp-password'), 0o640)
    await expect(readPassword(home)).rejects.toMatchObject({ name: 'XmppPasswordError', problem: 'exposed' })
  })
})

describe('the kept certificate', () => {
  it('is made for the domain and host, kept 0600, reused, and made anew for another domain', async () => {
    const home = await tmpHome('cert')
    const first = await loadTlsMaterial(home, 'localhost', '127.0.0.1')
    expect(first.generated).toBe(true)
    const cert = new X509Certificate(first.cert)
    expect(cert.checkHost('localhost')).toBe('localhost')
    expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1')
    expect(cert.fingerprint256).toBe(first.fingerprint)
    expect((await fs.stat(path.join(home, 'xmpp-tls', 'key.pem'))).mode & 0o777).toBe(0o600)
    const again = await loadTlsMaterial(home, 'localhost', '127.0.0.1')
    expect(again).toMatchObject({ generated: false, fingerprint: first.fingerprint })
    const other = await loadTlsMaterial(home, 'mesh.example', '127.0.0.1')
    expect(other.generated).toBe(true)
    expect(new X509Certificate(other.cert).checkHost('mesh.example')).toBe('mesh.example')
  })

  it('a configured certificate that cannot be read is a clear error', async () => {
    await expect(loadTlsMaterial(await tmpHome('cert2'), 'localhost', '127.0.0.1', { cert: '/nonexistent/cert.pem', key: '/nonexistent/key.pem' }))
      .rejects.toMatchObject({ name: 'XmppTlsError', file: '/nonexistent/cert.pem' })
  })
})

describe('config.json: the xmpp section', () => {
  it('is read with paths relative to the home, and refused when wrong', async () => {
    const home = await tmpHome('cfg')
    const write = async (xmpp: unknown): Promise<void> => { await fs.writeFile(path.join(home, 'config.json'), JSON.stringify({ xmpp })) }
    await write({ listen: '127.0.0.1:5333', domain: 'mesh.example', cert: 'tls/c.pem', key: '/abs/k.pem', requireTls: true })
    expect((await loadConfig(home)).xmpp).toEqual({ listen: '127.0.0.1:5333', domain: 'mesh.example', tls: { cert: path.join(home, 'tls/c.pem'), key: '/abs/k.pem' }, requireTls: true })
    await write({})
    expect((await loadConfig(home)).xmpp).toEqual({})
    for (const bad of [{ cert: 'c.pem' }, { port: 5222 }, { requireTls: 'yes' }, { domain: 7 }, []]) {
      await write(bad)
      await expect(loadConfig(home)).rejects.toMatchObject({ name: 'ConfigError' })
    }
  })
})
