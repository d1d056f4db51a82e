/**
 * Contacts follow a person across their devices (docs/protocol.md §14.10),
 * end to end with in-process nodes on loopback: alice on three devices (the
 * first links two more), bob a contact made on one of her linked devices.
 * Every device of alice holds bob as a contact and publishes to him, so
 * bob's view of alice is composed from three live devices (§15); devices
 * leaving one by one (a clean stop with its goodbye, then a process killed
 * without one) never show alice offline to bob while another is online,
 * and the last one does.
 */
import '../../../node/polyfill.js'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { joinDevice } from '../../../node/join-device.js'
import { cleanupHomes, LOOPBACK, makeContacts, PUBLIC, startNode, stopNodes, tmpHome, waitFor } from '../../helpers.js'
import { killAllNodes, spawnNode } from '../../process-helpers.js'
import type { PresenceStatus } from '../../../protocol/presence-record.js'
import type { PresenceNode } from '../../../node/presence-node.js'

const running: PresenceNode[] = []
/** The tablet's records live this long: killed, it expires at bob within it. */
const TTL = 3_000

afterEach(killAllNodes)

afterAll(async () => {
  await stopNodes(running)
  await cleanupHomes()
})

/** A started node whose stop() the test may also call (stop is idempotent). */
async function start (...args: Parameters<typeof startNode>): Promise<PresenceNode> {
  const n = await startNode(...args)
  running.push(n)
  return n
}

async function linkedDevice (first: PresenceNode, name: string, bootstrap: string[]): Promise<PresenceNode> {
  const home = await tmpHome(`csync-${name}`)
  await joinDevice((await first.linkCode()).code, { home, name })
  return await start({ home, bootstrap })
}

const isContact = (n: PresenceNode, peer: PresenceNode): boolean => n.contacts().some(c => c.peerId === peer.peerId.toString())

describe('contacts across the devices of a person', () => {
  it('a contact made on one device becomes every device\'s, and the watcher composes them all', async () => {
    // a public node every other one bootstraps from: bob finds the phone's contact intake through its DHT
    const hub = await start({ home: await tmpHome('csync-hub'), roster: PUBLIC })
    const bootstrap = [hub.addresses()[0]]
    const a1 = await start({ home: await tmpHome('csync-a1'), devices: { deviceName: 'laptop' }, bootstrap })
    const a2 = await linkedDevice(a1, 'phone', bootstrap)
    // the tablet runs in a process of its own, to be killed without a goodbye
    const homeA3 = await tmpHome('csync-tablet')
    await joinDevice((await a1.linkCode()).code, { home: homeA3, name: 'tablet' })
    const a3 = await spawnNode({ home: homeA3, listen: LOOPBACK, bootstrap, presence: { ttlMs: TTL } })
    await waitFor(() => a2.devices().devices.length === 3, 'the phone to hold the list of three')
    const bob = await start({ home: await tmpHome('csync-bob'), bootstrap })

    // bob asks alice's phone, the phone accepts: the contact is made on a linked device
    await makeContacts(bob, a2)
    await waitFor(async () => isContact(a1, bob) && (await a3.call('contacts') as Array<{ peerId: string }>).some(c => c.peerId === bob.peerId.toString()), 'alice\'s other devices to hold bob as a contact')
    expect(a1.person(bob.peerId)?.contact).toBeDefined()
    expect(bob.contacts().map(c => c.peerId)).toEqual([a2.peerId.toString()])

    const alice = a2.peerId.toString()
    const seen: PresenceStatus[] = []
    bob.presence.addEventListener('presence', (e) => { if (e.detail.view.peerId === alice) seen.push(e.detail.view.status) })
    const live = (): string[] => (bob.presence.get(alice)?.devices ?? []).filter(d => d.condition === 'live').map(d => d.device).sort()
    const tablet = a3.peerId.toString()
    const all = [a1.peerId.toString(), alice, tablet].sort()
    await waitFor(() => live().length === 3, 'bob to hear all three of alice\'s devices', 60_000)
    expect(live()).toEqual(all)
    expect(bob.presence.get(alice)?.status).toBe('online')

    // the device the contact was made with stops first (a goodbye), then the tablet crashes (none): alice stays online on the laptop
    const before = seen.length
    await a2.stop()
    await waitFor(() => !live().includes(alice), 'bob to take the phone\'s goodbye', 60_000)
    await a3.kill()
    await waitFor(() => bob.presence.get(alice)?.devices?.find(d => d.device === tablet)?.condition === 'expired', 'the killed tablet to expire at bob', 60_000)
    expect(live()).toEqual([a1.peerId.toString()])
    expect(bob.presence.get(alice)?.status).toBe('online')
    expect(seen.slice(before)).not.toContain('offline')

    // the last one: alice is offline
    await a1.stop()
    await waitFor(() => bob.presence.get(alice)?.status === 'offline', 'alice to go offline with her last device', 60_000)
    expect(seen.indexOf('offline')).toBe(seen.length - 1)
  })

  it('a device that was offline catches up at its next connection, reaches the contact where its other device knows it to be, and a removal follows too', async () => {
    const a1 = await start({ home: await tmpHome('csync-b1'), devices: { deviceName: 'laptop' } })
    const bootstrap = [a1.addresses()[0]]
    const homeA2 = await tmpHome('csync-b2')
    await joinDevice((await a1.linkCode()).code, { home: homeA2, name: 'phone' })
    const carol = await start({ home: await tmpHome('csync-carol'), bootstrap })
    // the phone is not running while the laptop makes a contact
    await makeContacts(carol, a1)
    const a2 = await start({ home: homeA2, bootstrap })
    await waitFor(() => isContact(a2, carol), 'the phone to catch up with the laptop\'s contact', 60_000)
    expect(a2.person(carol.peerId)?.devices).toContain(carol.peerId.toString())
    // no DHT server anywhere (every node here is in contacts mode): the phone finds carol where the laptop knows her to be
    const phone = a2.peerId.toString()
    await waitFor(() => carol.presence.get(a1.peerId)?.devices?.some(d => d.device === phone && d.condition === 'live') === true, 'carol to hear the phone', 60_000)

    // removing on the phone removes on the laptop
    await a2.removeContact(carol.peerId)
    await waitFor(() => !isContact(a1, carol), 'the laptop to drop carol', 60_000)
  })
})
