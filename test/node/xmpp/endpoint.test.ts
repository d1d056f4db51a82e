/**
 * The node as the owner's XMPP server, driven through a real client library
 * (@xmpp/client over STARTTLS, SCRAM-SHA-1): login, roster, presence both
 * ways, messages both ways with receipts, read markers and typing, offline
 * messages, contact requests both ways, blocking. B and C are contacts on
 * the mesh, driven through the node API.
 */
import fs from 'node:fs/promises'
import path from 'node:path'
import { xml } from '@xmpp/xml'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { peerLocalpart } from '../../../node/xmpp/jid.js'
import { cleanupHomes, startNode, waitFor } from '../../helpers.js'
import { testClient } from './client.js'
import type { TestClient } from './client.js'
import type { ChatMessage } from '../../../node/chat/index.js'
import type { PresenceNode } from '../../../node/presence-node.js'
import type { XmppInfo } from '../../../node/xmpp/index.js'
import type { Element } from '@xmpp/xml'

afterAll(cleanupHomes)

const FAST = { retryBaseMs: 200, retryCapMs: 1_000 }
const PRESENCE = { ttlMs: 4_000 }

describe('XMPP endpoint: a real client reaches the mesh', () => {
  let a: PresenceNode, b: PresenceNode, c: PresenceNode
  let info: XmppInfo
  let client: TestClient
  let bJid: string, cJid: string
  const bMessages: ChatMessage[] = []
  const bTyping: boolean[] = []

  const from = (jid: string) => (el: Element): boolean => (el.attrs.from ?? '').split('/')[0] === jid

  beforeAll(async () => {
    a = await startNode({ presence: PRESENCE, contacts: FAST, xmpp: { listen: '127.0.0.1:0' } })
    b = await startNode({ bootstrap: [a.addresses()[0]], presence: PRESENCE, contacts: FAST })
    // C is public: the client's subscription is a request by peer id (an XMPP subscription carries no
    // contact code), which reaches a public node (docs/protocol.md §8.7)
    c = await startNode({ bootstrap: [a.addresses()[0]], presence: PRESENCE, contacts: FAST, roster: { defaultVisibility: 'public' } })
    info = a.xmppInfo()!
    bJid = `${peerLocalpart(b.peerId.toString())}@localhost`
    cJid = `${peerLocalpart(c.peerId.toString())}@localhost`
    b.addEventListener('message', (e) => { bMessages.push(e.detail) })
    b.addEventListener('typing', (e) => { if (e.detail.peer === a.peerId.toString()) bTyping.push(e.detail.typing) })
  })

  afterAll(async () => {
    await client?.xmpp.stop().catch(() => {})
    await Promise.all([a, b, c].map(async n => n?.stop()))
  })

  it('refuses a wrong password, then logs in over STARTTLS with SCRAM-SHA-1', async () => {
    expect(info).toMatchObject({ jid: 'me@localhost', domain: 'localhost', tlsRequired: false })
    expect((await fs.stat(info.passwordFile)).mode & 0o777).toBe(0o600)

    const wrong = testClient(info, { password: 'not-the-password' })
    await expect(wrong.xmpp.start()).rejects.toMatchObject({ condition: 'not-authorized' })
    await wrong.xmpp.stop().catch(() => {})

    client = testClient(info)
    const jid = await client.xmpp.start()
    expect(jid.toString()).toBe('me@localhost/test')
    expect(client.xmpp.isSecure()).toBe(true)
    expect(a.xmppInfo()?.clients).toEqual(['test'])
  })

  it('a contact request from the mesh reaches the client as subscribe; the client accepts it', async () => {
    const roster = await client.xmpp.iqCaller.get(xml('query', { xmlns: 'jabber:iq:roster' }))
    expect(roster.getChildren('item')).toEqual([])
    await client.xmpp.send(xml('presence', {}, xml('show', {}, 'dnd'), xml('status', {}, 'in a meeting')))
    await waitFor(() => a.self().status === 'dnd' && a.self().note === 'in a meeting', 'the node to take the client\'s presence')

    await b.requestContact(a.contactCode(), 'hi, it is B', 'a-from-b')
    const ask = await client.next(el => el.is('presence') && el.attrs.type === 'subscribe' && from(bJid)(el), 'the subscription request')
    expect(ask.getChildText('status')).toBe('hi, it is B')

    const mark = client.mark()
    await client.xmpp.send(xml('presence', { type: 'subscribed', to: bJid }))
    await waitFor(() => b.contacts().some(ct => ct.peerId === a.peerId.toString()), 'B to become a contact of A')
    const push = await client.next(el => el.is('iq') && el.attrs.type === 'set' && el.getChild('query', 'jabber:iq:roster') != null, 'a roster push', mark)
    expect(push.getChild('query')!.getChild('item')!.attrs).toMatchObject({ jid: bJid, subscription: 'both' })
  })

  it('roster: the contact is an item; renaming it names the contact on the node', async () => {
    const roster = await client.xmpp.iqCaller.get(xml('query', { xmlns: 'jabber:iq:roster' }))
    expect(roster.getChildren('item').map(i => i.attrs)).toEqual([{ jid: bJid, subscription: 'both' }])
    const mark = client.mark()
    await client.xmpp.iqCaller.set(xml('query', { xmlns: 'jabber:iq:roster' }, xml('item', { jid: bJid, name: 'Bea' })))
    expect(a.person(b.peerId)?.alias).toBe('Bea')
    const push = await client.next(el => el.getChild('query', 'jabber:iq:roster')?.getChild('item')?.attrs.name === 'Bea', 'the rename pushed', mark)
    expect(push.attrs.type).toBe('set')
  })

  it('presence both ways: B sees the client\'s show and status; the client sees B\'s', async () => {
    await waitFor(() => b.presenceOf(a.peerId)?.status === 'dnd' && b.presenceOf(a.peerId)?.note === 'in a meeting', 'B to see A in a meeting')
    await client.xmpp.send(xml('presence', {}, xml('show', {}, 'xa'), xml('status', {}, 'gone fishing')))
    await waitFor(() => b.presenceOf(a.peerId)?.status === 'away' && b.presenceOf(a.peerId)?.note === 'gone fishing', 'B to see A away')

    const mark = client.mark()
    await b.setPresence({ status: 'busy', note: 'writing', activity: 'working' })
    const p = await client.next(el => el.is('presence') && from(bJid)(el) && el.getChildText('status') === '(working) writing', 'B\'s presence', mark)
    expect(p.getChildText('show')).toBe('dnd')
    expect(p.attrs.from).toBe(`${bJid}/${b.peerId.toString()}`)
    expect(p.getChild('c', 'http://jabber.org/protocol/caps')).toBeDefined()

    // a probe is answered with what the node sees now
    const mark2 = client.mark()
    await client.xmpp.send(xml('presence', { type: 'probe', to: bJid }))
    const probed = await client.next(el => el.is('presence') && from(bJid)(el), 'the probe answered', mark2)
    expect(probed.getChildText('show')).toBe('dnd')
  })

  it('the client\'s own auto-away with XEP-0319 idle time is the node\'s automatic away; its next presence is activity', async () => {
    const since = Date.now() - 600_000
    await client.xmpp.send(xml('presence', {}, xml('show', {}, 'away'), xml('status', {}, 'gone fishing'), xml('idle', { xmlns: 'urn:xmpp:idle:1', since: new Date(since).toISOString() })))
    await waitFor(() => (b.presenceOf(a.peerId)?.categories?.state as any)?.source === 'automatic', 'B to see A away automatically')
    expect(b.presenceOf(a.peerId)?.categories?.state).toEqual({ kind: 'state', availability: 'away', source: 'automatic', idleSince: since })
    expect(a.self()).toMatchObject({ status: 'away', auto: true, manual: { status: 'online' } })
    await client.xmpp.send(xml('presence', {}, xml('status', {}, 'back')))
    await waitFor(() => b.presenceOf(a.peerId)?.status === 'online', 'B to see A back')
    expect(b.presenceOf(a.peerId)?.categories?.state).toEqual({ kind: 'state', availability: 'online', source: 'automatic' })
  })

  it('messages both ways, with delivery receipts, read markers and typing', async () => {
    let mark = client.mark()
    await client.xmpp.send(xml('message', { to: bJid, type: 'chat', id: 'm1' }, xml('composing', { xmlns: 'http://jabber.org/protocol/chatstates' })))
    await waitFor(() => bTyping.includes(true), 'B to see A typing')
    await client.xmpp.send(xml('message', { to: bJid, type: 'chat', id: 'm2' },
      xml('body', {}, 'hello B, from Gajim'),
      xml('request', { xmlns: 'urn:xmpp:receipts' }),
      xml('markable', { xmlns: 'urn:xmpp:chat-markers:0' })))
    await waitFor(() => bMessages.some(m => m.text === 'hello B, from Gajim'), 'B to get the message')
    const receipt = await client.next(el => el.getChild('received', 'urn:xmpp:receipts') != null, 'the delivery receipt', mark)
    expect(receipt.getChild('received')!.attrs.id).toBe('m2')
    expect(from(bJid)(receipt)).toBe(true)
    await b.markRead(a.peerId)
    const read = await client.next(el => el.getChild('displayed', 'urn:xmpp:chat-markers:0') != null, 'the read marker', mark)
    expect(read.getChild('displayed')!.attrs.id).toBe('m2')

    mark = client.mark()
    b.typing(a.peerId)
    await client.next(el => el.is('message') && from(bJid)(el) && el.getChild('composing', 'http://jabber.org/protocol/chatstates') != null, 'B typing shown', mark)
    await b.send(a.peerId, 'hi A, <b>&amp; welcome</b>')
    const msg = await client.next(el => el.is('message') && el.getChildText('body') != null, 'B\'s message', mark)
    expect(msg.getChildText('body')).toBe('hi A, <b>&amp; welcome</b>')
    // messages come from the bare JID, presence from the device
    expect(msg.attrs.from).toBe(bJid)
    expect(msg.getChild('request', 'urn:xmpp:receipts')).toBeDefined()
    // the client acknowledges it: it is not delivered again at the next login
    await client.xmpp.send(xml('message', { to: msg.attrs.from }, xml('received', { xmlns: 'urn:xmpp:receipts', id: msg.attrs.id })))
    await waitFor(async () => (await fs.readFile(path.join(a.home, 'xmpp-state.json'), 'utf8').catch(() => '')).includes(b.peerId.toString()), 'the acknowledgement kept')
  })

  it('messages that arrive while no client is connected are delivered at the next login, once', async () => {
    await client.xmpp.stop()
    await waitFor(() => b.presenceOf(a.peerId)?.status === 'offline', 'B to see A offline once the client left')
    await b.send(a.peerId, 'are you there?')
    await waitFor(async () => (await a.history(b.peerId)).some(m => m.text === 'are you there?'), 'A to store it')

    client = testClient(info)
    await client.xmpp.start()
    await client.xmpp.send(xml('presence'))
    const offline = await client.next(el => el.getChildText('body') === 'are you there?', 'the offline message')
    expect(offline.getChild('delay', 'urn:xmpp:delay')?.attrs.stamp).toMatch(/^\d{4}-\d\d-\d\dT/)
    // the message acknowledged earlier was not sent again (stanzas are handled in order: the ping answers after the backlog)
    await client.xmpp.iqCaller.get(xml('ping', { xmlns: 'urn:xmpp:ping' }))
    expect(client.stanzas.filter(el => el.getChildText('body') === 'hi A, <b>&amp; welcome</b>')).toEqual([])
    await waitFor(() => b.presenceOf(a.peerId)?.status === 'online', 'B to see A online again')

    // acknowledged without a `to` (as profanity 0.13 does): no error, and not delivered again either
    const mark = client.mark()
    await client.xmpp.send(xml('message', { id: 'ack-1' }, xml('received', { xmlns: 'urn:xmpp:receipts', id: offline.attrs.id })))
    await client.xmpp.iqCaller.get(xml('ping', { xmlns: 'urn:xmpp:ping' }))
    expect(client.stanzas.slice(mark).filter(el => el.attrs.type === 'error')).toEqual([])
    await client.xmpp.stop()
    client = testClient(info)
    await client.xmpp.start()
    await client.xmpp.send(xml('presence'))
    await client.xmpp.iqCaller.get(xml('ping', { xmlns: 'urn:xmpp:ping' }))
    expect(client.stanzas.filter(el => el.getChildText('body') != null)).toEqual([])
  })

  it('the archive (XEP-0313): the conversation with B, paged from its end, each message under the stanza-id it came with', async () => {
    const mam = 'urn:xmpp:mam:2'
    const ask = async (queryid: string, set: Element[], withJid = bJid): Promise<{ results: Element[], fin: Element }> => {
      const mark = client.mark()
      const res = await client.xmpp.iqCaller.request(xml('iq', { type: 'set' }, xml('query', { xmlns: mam, queryid },
        xml('x', { xmlns: 'jabber:x:data', type: 'submit' },
          xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, mam)),
          xml('field', { var: 'with' }, xml('value', {}, withJid))),
        xml('set', { xmlns: 'http://jabber.org/protocol/rsm' }, ...set))))
      // the results come before the iq's result
      const results = client.stanzas.slice(mark).filter(el => el.getChild('result', mam)?.attrs.queryid === queryid)
      return { results, fin: res.getChild('fin', mam)! }
    }
    await client.xmpp.send(xml('presence'))
    await client.xmpp.send(xml('message', { type: 'chat', to: bJid, id: 'mine-1' }, xml('body', {}, 'sent by the client'), xml('origin-id', { xmlns: 'urn:xmpp:sid:0', id: 'o-mine' })))
    await waitFor(() => bMessages.some(m => m.text === 'sent by the client'), 'B to get the client\'s text')
    const liveMark = client.mark()
    await b.send(a.peerId, 'one more')
    const live = await client.next(el => el.is('message') && el.getChildText('body') === 'one more', 'a live message', liveMark)
    const all = await ask('q-all', [xml('max', {}, '100')])
    const bodies = all.results.map(r => r.getChild('result')!.getChild('forwarded')!.getChild('message')!.getChildText('body'))
    expect(bodies).toContain('hi A, <b>&amp; welcome</b>')
    expect(bodies.slice(-3)).toEqual(['are you there?', 'sent by the client', 'one more'])
    const ids = all.results.map(r => r.getChild('result')!.attrs.id as string)
    expect([...ids].sort()).toEqual(ids)
    expect(new Set(ids).size).toBe(ids.length)
    expect(all.fin.attrs.complete).toBe('true')
    expect(all.fin.getChild('set')?.getChildText('count')).toBe(String(ids.length))
    // the live message carried the id the archive knows it by
    expect(live.getChild('stanza-id', 'urn:xmpp:sid:0')?.attrs).toMatchObject({ by: 'me@localhost', id: ids.at(-1) })
    const fromB = all.results.find(r => r.getChild('result')!.getChild('forwarded')!.getChild('message')!.getChildText('body') === 'are you there?')!
    expect(fromB.getChild('result')!.getChild('forwarded')!.getChild('message')!.attrs.from).toBe(bJid)

    // the last page first, then the one before it
    const last = await ask('q-last', [xml('max', {}, '1'), xml('before')])
    expect(last.results.map(r => r.getChild('result')!.attrs.id)).toEqual([ids.at(-1)])
    expect(last.fin.attrs.complete).toBeUndefined()
    const earlier = await ask('q-earlier', [xml('max', {}, '1'), xml('before', {}, ids.at(-1))])
    expect(earlier.results.map(r => r.getChild('result')!.attrs.id)).toEqual([ids.at(-2)])
    const after = await ask('q-after', [xml('max', {}, '10'), xml('after', {}, ids.at(-2))])
    expect(after.results.map(r => r.getChild('result')!.attrs.id)).toEqual([ids.at(-1)])
    // what the client sent comes back under its own ids
    const mine = all.results.map(r => r.getChild('result')!.getChild('forwarded')!.getChild('message')!).find(m => m.getChildText('body') === 'sent by the client')
    expect(mine?.attrs).toMatchObject({ id: 'mine-1', from: expect.stringMatching(/^me@localhost/), to: bJid })
    expect(mine?.getChild('origin-id', 'urn:xmpp:sid:0')?.attrs.id).toBe('o-mine')
    // another contact's conversation is not in it
    expect((await ask('q-c', [], cJid)).results).toEqual([])
    // a search the archive does not do is refused, not answered wrongly
    await expect(client.xmpp.iqCaller.request(xml('iq', { type: 'set' }, xml('query', { xmlns: mam },
      xml('x', { xmlns: 'jabber:x:data', type: 'submit' }, xml('field', { var: 'fulltext' }, xml('value', {}, 'fishing')))))))
      .rejects.toMatchObject({ condition: 'feature-not-implemented' })
  })

  it('a subscription request from the client becomes a contact request; accepted on the mesh, the roster says so', async () => {
    await client.xmpp.iqCaller.get(xml('query', { xmlns: 'jabber:iq:roster' }))
    const mark = client.mark()
    await client.xmpp.send(xml('presence', { type: 'subscribe', to: cJid }, xml('status', {}, 'hello C, A here')))
    await waitFor(() => c.contactRequests().incoming.some(r => r.peerId === a.peerId.toString() && r.greeting === 'hello C, A here'), 'C to get the request')
    await client.next(el => el.getChild('query', 'jabber:iq:roster')?.getChild('item')?.attrs.ask === 'subscribe', 'the pending item pushed', mark)
    await c.accept(a.peerId)
    await client.next(el => el.is('presence') && el.attrs.type === 'subscribed' && from(cJid)(el), 'subscribed from C', mark)
    const roster = await client.xmpp.iqCaller.get(xml('query', { xmlns: 'jabber:iq:roster' }))
    expect(roster.getChildren('item').find(i => i.attrs.jid === cJid)?.attrs.subscription).toBe('both')
  })

  it('the client denies a request with unsubscribed; an accepted contact cannot be taken off the roster', async () => {
    const d = await startNode({ bootstrap: [a.addresses()[0]], presence: PRESENCE, contacts: FAST })
    try {
      const dJid = `${peerLocalpart(d.peerId.toString())}@localhost`
      let declined = false
      d.addEventListener('contact:declined', () => { declined = true })
      const mark = client.mark()
      await d.requestContact(a.contactCode(), 'hello from D')
      await client.next(el => el.is('presence') && el.attrs.type === 'subscribe' && from(dJid)(el), 'D\'s request', mark)
      await client.xmpp.send(xml('presence', { type: 'unsubscribed', to: dJid }))
      await waitFor(() => declined, 'D to learn it was declined')
      expect(a.contactRequests().incoming).toEqual([])
      expect(a.contacts().map(ct => ct.peerId)).not.toContain(d.peerId.toString())
    } finally {
      await d.stop()
    }
    await expect(client.xmpp.iqCaller.set(xml('query', { xmlns: 'jabber:iq:roster' }, xml('item', { jid: cJid, subscription: 'remove' }))))
      .rejects.toMatchObject({ condition: 'not-allowed' })
    expect(a.contacts().map(ct => ct.peerId)).toContain(c.peerId.toString())
  })

  it('blocking from the client blocks on the node; the contact turns unavailable; unblocking undoes it', async () => {
    const list = await client.xmpp.iqCaller.get(xml('blocklist', { xmlns: 'urn:xmpp:blocking' }))
    expect(list.getChildren('item')).toEqual([])
    const mark = client.mark()
    await client.xmpp.iqCaller.set(xml('block', { xmlns: 'urn:xmpp:blocking' }, xml('item', { jid: cJid })))
    expect(a.isBlocked(c.peerId)).toBe(true)
    await client.next(el => el.is('presence') && el.attrs.type === 'unavailable' && from(cJid)(el), 'C unavailable', mark)
    await client.next(el => el.getChild('block', 'urn:xmpp:blocking') != null, 'the block pushed', mark)
    const blocked = await client.xmpp.iqCaller.get(xml('blocklist', { xmlns: 'urn:xmpp:blocking' }))
    expect(blocked.getChildren('item').map(i => i.attrs.jid)).toEqual([cJid])

    // a message to a blocked contact is refused, as XEP-0191 says
    await client.xmpp.send(xml('message', { to: cJid, type: 'chat', id: 'to-blocked' }, xml('body', {}, 'x')))
    const refused = await client.next(el => el.attrs.id === 'to-blocked' && el.attrs.type === 'error', 'the refusal', mark)
    expect(refused.getChild('error')?.getChild('blocked', 'urn:xmpp:blocking:errors')).toBeDefined()

    await client.xmpp.iqCaller.set(xml('unblock', { xmlns: 'urn:xmpp:blocking' }, xml('item', { jid: cJid })))
    expect(a.isBlocked(c.peerId)).toBe(false)
  })

  it('a second client of the owner gets carbons of what the first sends, and what arrives', async () => {
    const phone = testClient(info, { resource: 'phone' })
    try {
      await phone.xmpp.start()
      await phone.xmpp.iqCaller.set(xml('enable', { xmlns: 'urn:xmpp:carbons:2' }))
      const mark = client.mark()
      await phone.xmpp.send(xml('presence'))
      await client.next(el => el.is('presence') && el.attrs.from === 'me@localhost/phone', 'the phone\'s presence', mark)
      await client.xmpp.send(xml('message', { to: bJid, type: 'chat', id: 'm3' }, xml('body', {}, 'sent from the desk')))
      const carbon = await phone.next(el => el.getChild('sent', 'urn:xmpp:carbons:2') != null, 'the carbon')
      expect(carbon.attrs.from).toBe('me@localhost')
      const copy = carbon.getChild('sent')!.getChild('forwarded', 'urn:xmpp:forward:0')!.getChild('message')!
      expect(copy.attrs).toMatchObject({ from: 'me@localhost/test', to: bJid, id: 'm3' })
      expect(copy.getChildText('body')).toBe('sent from the desk')
      await b.send(a.peerId, 'to both of you')
      await phone.next(el => el.getChildText('body') === 'to both of you', 'the phone to get it')
      await client.next(el => el.getChildText('body') === 'to both of you', 'the desk to get it', mark)
    } finally {
      await phone.xmpp.stop().catch(() => {})
    }
    await waitFor(() => a.xmppInfo()?.clients.length === 1, 'the phone to be gone')
  })

  it('a second connection with wrong credentials is refused; the first goes on', async () => {
    const intruder = testClient(info, { password: 'guess', resource: 'intruder' })
    await expect(intruder.xmpp.start()).rejects.toMatchObject({ condition: 'not-authorized' })
    await intruder.xmpp.stop().catch(() => {})
    const other = testClient({ ...info }, { password: 'guess2', resource: 'intruder2' })
    await expect(other.xmpp.start()).rejects.toMatchObject({ condition: 'not-authorized' })
    await other.xmpp.stop().catch(() => {})
    await client.xmpp.iqCaller.get(xml('ping', { xmlns: 'urn:xmpp:ping' }))
    expect(a.xmppInfo()?.clients).toEqual(['test'])
  })
})
