/**
 * A person's conversations across their devices (docs/protocol.md §14.12),
 * end to end with in-process nodes on loopback, reused across the cases in
 * order: alice on three devices (the first links two more), bob a contact on
 * one device, carol a contact on two. A text to a person reaches each of
 * their devices once; every device of alice shows the same conversation
 * after interleaved sends from each device and each contact (and so do
 * carol's two); reading on one device reads on all; a device that was
 * offline catches up exactly once; a revoked device gets nothing sent after
 * its revocation.
 */
import '../../../node/polyfill.js'
import { afterAll, describe, expect, it } from 'vitest'
import { joinDevice } from '../../../node/join-device.js'
import { cleanupHomes, makeContacts, PUBLIC, startNode, stopNodes, tmpHome, waitFor } from '../../helpers.js'
import type { ChatMessage } from '../../../node/index.js'
import type { PresenceNode } from '../../../node/presence-node.js'

const running: PresenceNode[] = []
const LONG = 60_000

afterAll(async () => {
  await stopNodes(running)
  await cleanupHomes()
})

async function start (...args: Parameters<typeof startNode>): Promise<PresenceNode> {
  const n = await startNode(...args)
  running.push(n)
  return n
}

async function link (first: PresenceNode, name: string, bootstrap: string[]): Promise<{ node: PresenceNode, home: string }> {
  const home = await tmpHome(`conv-${name}`)
  await joinDevice((await first.linkCode()).code, { home, name })
  return { node: await start({ home, bootstrap }), home }
}

/** What a conversation shows, the same on every device: who wrote what, in order. */
const shown = (ms: ChatMessage[]): string[] => ms.map(m => `${m.author ?? '?'} ${m.id} ${m.text}`)
const texts = (ms: ChatMessage[]): string[] => ms.map(m => m.text)
const id = (n: PresenceNode): string => n.peerId.toString()

let hub: PresenceNode, a1: PresenceNode, a2: PresenceNode, a3: PresenceNode, bob: PresenceNode, c1: PresenceNode, c2: PresenceNode
let homeA3: string
let alice: string, carol: string
const sentTexts: string[] = []

/** Every given device of a person shows the same conversation with `peer`, holding `expected` texts. */
async function sameEverywhere (devices: PresenceNode[], peer: string, expected: string[], what: string): Promise<ChatMessage[]> {
  let views: ChatMessage[][] = []
  await waitFor(async () => {
    views = await Promise.all(devices.map(async d => await d.conversation(peer)))
    return views.every(v => expected.every(t => texts(v).includes(t)) && shown(v).join('\n') === shown(views[0]).join('\n'))
  }, what, LONG)
  return views[0]
}

describe('conversations across the devices of a person', () => {
  it('every device of a person shows the same history after interleaved sends from each device and each contact', async () => {
    hub = await start({ home: await tmpHome('conv-hub'), roster: PUBLIC })
    const bootstrap = [hub.addresses()[0]]
    a1 = await start({ home: await tmpHome('conv-a1'), devices: { deviceName: 'laptop' }, bootstrap })
    a2 = (await link(a1, 'phone', bootstrap)).node
    const third = await link(a1, 'tablet', bootstrap)
    a3 = third.node
    homeA3 = third.home
    c1 = await start({ home: await tmpHome('conv-c1'), devices: { deviceName: 'desk' }, bootstrap })
    c2 = (await link(c1, 'pocket', bootstrap)).node
    bob = await start({ home: await tmpHome('conv-bob'), bootstrap })
    alice = id(a1)
    carol = id(c1)
    await waitFor(() => a3.devices().devices.length === 3 && a2.devices().devices.length === 3 && c2.devices().devices.length === 2, 'every device to hold its list')

    await makeContacts(bob, a1)
    await makeContacts(c1, a2)
    const knows = (n: PresenceNode, person: string, devices: PresenceNode[]): boolean => devices.every(d => n.person(person)?.devices.includes(id(d)) === true)
    await waitFor(() => [a1, a2, a3].every(a => knows(a, id(bob), [bob]) && knows(a, carol, [c1, c2])) &&
      knows(bob, alice, [a1, a2, a3]) && [c1, c2].every(c => knows(c, alice, [a1, a2, a3])), 'everybody to know every device of their contacts', LONG)

    // what another device of alice's sent shows on the phone as it arrives
    const carbons: string[] = []
    a2.addEventListener('message:carbon', (evt) => { carbons.push(`${evt.detail.direction} ${evt.detail.text}`) })
    // interleaved: each device of alice, each contact (each device of carol)
    const say = async (from: PresenceNode, to: string, text: string): Promise<void> => { sentTexts.push(text); await from.send(to, text) }
    for (let round = 0; round < 3; round++) {
      await say(a1, id(bob), `a1 to bob ${round}`)
      await say(bob, alice, `bob ${round}`)
      await say(a2, carol, `a2 to carol ${round}`)
      await say(c2, alice, `c2 ${round}`)
      await say(a3, id(bob), `a3 to bob ${round}`)
      await say(c1, alice, `c1 ${round}`)
      await say(a3, carol, `a3 to carol ${round}`)
    }
    const withBob = sentTexts.filter(t => t.includes('bob'))
    const withCarol = sentTexts.filter(t => !t.includes('bob'))
    const bobView = await sameEverywhere([a1, a2, a3], id(bob), withBob, 'alice\'s devices to agree on the conversation with bob')
    const carolView = await sameEverywhere([a1, a2, a3], carol, withCarol, 'alice\'s devices to agree on the conversation with carol')
    await sameEverywhere([c1, c2], alice, withCarol, 'carol\'s devices to agree on the conversation with alice')
    expect(carbons).toContain('out a1 to bob 0')
    expect(carbons).not.toContain('out a2 to carol 0')
    // once each, in the documented order: sent_at, then author, then id
    expect(bobView).toHaveLength(withBob.length)
    expect(carolView).toHaveLength(withCarol.length)
    const order = (ms: ChatMessage[]): Array<[number, string]> => ms.map(m => [m.sentAt, m.text])
    expect(order(bobView)).toEqual([...order(bobView)].sort((x, y) => x[0] - y[0]))
    // per sender, in send order
    for (const sender of ['a1 to bob', 'a3 to bob', 'bob']) {
      expect(texts(bobView).filter(t => t.startsWith(sender + ' '))).toEqual([0, 1, 2].map(r => `${sender} ${r}`))
    }
    // a text to a person reached each of their devices, once: carol's devices each hold a2's texts once
    for (const c of [c1, c2]) {
      const fromA2 = (await c.history(id(a2))).filter(m => m.direction === 'in').map(m => m.text)
      expect(fromA2).toEqual([0, 1, 2].map(r => `a2 to carol ${r}`))
    }
    // the sender sees each copy's state, and delivered once every device of carol has it
    await waitFor(async () => (await a2.conversation(carol)).filter(m => m.author === id(a2)).every(m => m.state === 'delivered' || m.state === 'read'), 'a2 to see its texts delivered')
    const mine = (await a2.conversation(carol)).find(m => m.author === id(a2))
    expect(Object.keys(mine?.copies ?? {}).sort()).toEqual([id(c1), id(c2)].sort())
  })

  it('reading on one device reads on all of them', async () => {
    await waitFor(async () => (await a2.unread())[id(bob)] === 3, 'the phone to count bob\'s texts unread')
    expect(await a1.markRead(id(bob))).toBe(3)
    await waitFor(async () => (await a2.unread())[id(bob)] == null && (await a3.unread())[id(bob)] == null, 'the other devices to take the read mark')
    expect((await a3.conversation(id(bob))).filter(m => m.direction === 'in').every(m => m.state === 'read')).toBe(true)
    // bob's texts were read: bob hears it from the device that read them
    await waitFor(async () => (await bob.conversation(alice)).filter(m => m.direction === 'out').every(m => m.state === 'read'), 'bob to see his texts read')
  })

  it('a device that was offline catches up exactly once', async () => {
    await a3.stop()
    const reported = new Map<string, number>()
    const count = (m: ChatMessage): void => { if (m.direction === 'in') reported.set(m.text, (reported.get(m.text) ?? 0) + 1) }
    await bob.send(alice, 'while the tablet was off')
    await a1.send(id(bob), 'the laptop, meanwhile')
    await c2.send(alice, 'carol, meanwhile')
    await waitFor(async () => texts(await a2.conversation(id(bob))).includes('the laptop, meanwhile') && texts(await a2.conversation(id(bob))).includes('while the tablet was off'), 'the phone to hold both')
    a3 = await start({ home: homeA3, bootstrap: [hub.addresses()[0]] })
    a3.addEventListener('message', (evt) => { count(evt.detail) })
    a3.addEventListener('message:carbon', (evt) => { count(evt.detail) })
    const view = await sameEverywhere([a1, a2, a3], id(bob), ['while the tablet was off', 'the laptop, meanwhile'], 'the tablet to catch up with bob')
    await sameEverywhere([a1, a2, a3], carol, ['carol, meanwhile'], 'the tablet to catch up with carol')
    // bob's outbox to the tablet has delivered too: still once
    await waitFor(() => bob.chat.outboxSize(id(a3)) === 0, 'bob\'s outbox to the tablet to drain', LONG)
    const after = await a3.conversation(id(bob))
    expect(after.map(m => m.id)).toEqual(view.map(m => m.id))
    expect(new Set(after.map(m => m.id)).size).toBe(after.length)
    // never reported twice on the tablet, whichever copy came first (its own from bob, or alice's other device's);
    // what came during its start, before these listeners, is not counted
    expect([...reported.entries()].filter(([, n]) => n > 1)).toEqual([])
  })

  it('a revoked device gets nothing sent after its revocation', async () => {
    const tablet = id(a3)
    // queued for the tablet while it is away: dropped from bob's outbox by the revocation
    await a3.stop()
    await bob.send(alice, 'queued for the tablet')
    await waitFor(() => bob.chat.outboxSize(tablet) === 1, 'bob to queue a copy for the tablet')
    await a1.revokeDevice('tablet')
    await waitFor(() => !(bob.person(alice)?.devices ?? []).includes(tablet) && !(c1.person(alice)?.devices ?? []).includes(tablet), 'the contacts to drop the tablet', LONG)
    await waitFor(() => bob.chat.outboxSize(tablet) === 0, 'bob to drop the tablet\'s copy')
    a3 = await start({ home: homeA3, bootstrap: [hub.addresses()[0]] })
    await bob.send(alice, 'after the revocation')
    await a2.send(id(bob), 'the phone, after the revocation')
    await sameEverywhere([a1, a2], id(bob), ['queued for the tablet', 'after the revocation', 'the phone, after the revocation'], 'the current devices to hold them')
    // what bob sent went to the current devices only
    const copies = async (): Promise<Record<string, string> | undefined> => (await bob.conversation(alice)).find(m => m.text === 'after the revocation')?.copies
    await waitFor(async () => Object.values(await copies() ?? {}).every(s => s === 'delivered'), 'bob to see his text delivered')
    expect(Object.keys(await copies() ?? {}).sort()).toEqual([id(a1), id(a2)].sort())
    expect(bob.chat.outboxSize(tablet)).toBe(0)
    const seen = texts(await a3.conversation(id(bob)))
    for (const t of ['queued for the tablet', 'after the revocation', 'the phone, after the revocation']) expect(seen).not.toContain(t)
    expect(seen).toContain('the laptop, meanwhile')
  })
})
