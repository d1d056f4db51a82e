/**
 * Several devices of one person, end to end (docs/protocol.md §14), with
 * in-process nodes on loopback:
 * - the first device shows a link code, two new devices join with it and
 *   start; every device holds the same list; a code works once; only the
 *   device holding the person key links; a revoked device learns it and is
 *   refused by the others;
 * - contacts are people: a contact accepted before the person linked a new
 *   device takes that device through the new list, with no new request, and
 *   drops it when it is revoked; a contact made after the link knows every
 *   device from the accept on.
 */
import '../../../node/polyfill.js'
import { afterAll, describe, expect, it } from 'vitest'
import { joinDevice } from '../../../node/join-device.js'
import { cleanupHomes, makeContacts, PUBLIC, startNode, stopNodes, tmpHome, waitFor } from '../../helpers.js'
import type { PresenceNode } from '../../../node/presence-node.js'

const running: PresenceNode[] = []

afterAll(async () => {
  await stopNodes(running)
  await cleanupHomes()
})

const ids = (n: PresenceNode): string[] => n.devices().devices.map(d => d.peerId).sort()
const devicesOf = (n: PresenceNode, person: PresenceNode): string[] => n.person(person.peerId)?.devices ?? []

describe('linking and revoking devices', () => {
  it('links two devices with one-time codes, lists them everywhere, and shuts a revoked one out', async () => {
    const a = await startNode({ home: await tmpHome('dev-a'), devices: { deviceName: 'laptop' } })
    running.push(a)
    const person = a.peerId.toString()
    // a node without linked devices: its own key is the person key, it is the one device
    expect(a.devices()).toMatchObject({ person, holdsPersonKey: true, revoked: false, devices: [{ peerId: person, name: 'laptop', self: true, personKey: true }] })

    const { code } = await a.linkCode()
    const homeB = await tmpHome('dev-b')
    const joined = await joinDevice(code, { home: homeB, name: 'phone' })
    expect(joined.person).toBe(person)
    expect(joined.devices.map(d => d.name)).toEqual(['laptop', 'phone'])
    // a code works once: its intake identity is refused from then on, like any stranger
    await expect(joinDevice(code, { home: await tmpHome('dev-x'), name: 'thief', timeoutMs: 5000 })).rejects.toMatchObject({ name: 'LinkFailedError', reason: 'unreachable' })

    const b = await startNode({ home: homeB })
    running.push(b)
    expect(b.devices()).toMatchObject({ person, holdsPersonKey: false, revoked: false })
    expect(b.peerId.toString()).toBe(joined.device)
    // only the device holding the person key links
    await expect(b.linkCode()).rejects.toMatchObject({ name: 'NotPersonKeyHolderError' })
    // the new device finds the first one at the code's addresses, though neither is a contact of the other
    await waitFor(() => a.devices().devices.find(d => d.peerId === joined.device)?.online === true, 'A to see B online')

    const homeC = await tmpHome('dev-c')
    await joinDevice((await a.linkCode()).code, { home: homeC, name: 'tablet' })
    // C is public (open to anyone): only the revocation keeps B out of it
    const c = await startNode({ home: homeC, roster: PUBLIC })
    running.push(c)
    expect(ids(c)).toEqual(ids(a))
    // B was linked before C: the new list reached it
    await waitFor(() => ids(b).length === 3, 'B to learn of C')
    expect(ids(b)).toEqual(ids(a))

    const revokedSeen: string[] = []
    b.addEventListener('devices:revoked', (evt) => { revokedSeen.push(evt.detail.person) })
    await a.revokeDevice('phone')
    expect(a.devices().devices.map(d => d.name)).toEqual(['laptop', 'tablet'])
    await waitFor(() => ids(c).length === 2, 'C to get the list without B')
    await waitFor(() => revokedSeen.length === 1, 'B to learn it was revoked')
    expect(b.devices().revoked).toBe(true)
    await waitFor(() => a.connections().every(x => x.peerId !== b.peerId.toString()), 'A to drop B')
    // refused from then on, by the device holding the person key and by the other device, open as it is
    await expect(b.connect(a.addresses()[0], 5000)).rejects.toMatchObject({ name: 'PeerUnreachableError' })
    await expect(b.connect(c.addresses()[0], 5000)).rejects.toMatchObject({ name: 'PeerUnreachableError' })
    await expect(a.revokeDevice('laptop')).rejects.toMatchObject({ name: 'DeviceChangeError' })
  })
})

describe('a contact and the devices of a person it accepted', () => {
  it('takes a new device through the list, with no new request, and drops it once revoked', async () => {
    const a = await startNode({ home: await tmpHome('cdev-a'), devices: { deviceName: 'laptop' } })
    const bootstrap = [a.addresses()[0]]
    const x = await startNode({ home: await tmpHome('cdev-x'), bootstrap })
    running.push(a, x)
    await makeContacts(x, a)
    expect(devicesOf(x, a)).toEqual([a.peerId.toString()])

    const homeD = await tmpHome('cdev-d')
    const joined = await joinDevice((await a.linkCode()).code, { home: homeD, name: 'phone' })
    const d = await startNode({ home: homeD })
    running.push(d)
    await waitFor(() => devicesOf(x, a).includes(joined.device), 'X to take A\'s new device')
    expect(devicesOf(x, a)).toEqual([a.peerId.toString(), joined.device])
    expect(x.contacts().map(c => c.peerId)).toEqual([a.peerId.toString()])
    expect(x.contactRequests().incoming).toEqual([])
    // X is closed to strangers: it takes D's connection as one of its contact's devices
    await d.connect(x.addresses()[0], 10_000)

    // every current device of A is a watcher of X's: X's changes reach the phone as well as the laptop
    await waitFor(() => d.contacts().some(c => c.peerId === x.peerId.toString()), 'the phone to take X as a contact')
    await x.setPresence({ status: 'away', note: 'lunch' })
    const sees = (n: PresenceNode, p: PresenceNode, status: string, note?: string): boolean => n.presence.get(p.peerId)?.status === status && (note == null || n.presence.get(p.peerId)?.note === note)
    await waitFor(() => sees(a, x, 'away', 'lunch') && sees(d, x, 'away', 'lunch'), 'both of A\'s devices to see X away', 60_000)

    // a contact made after the link knows every device from the accept on
    const y = await startNode({ home: await tmpHome('cdev-y'), bootstrap })
    running.push(y)
    await makeContacts(y, a)
    await waitFor(() => devicesOf(y, a).includes(joined.device), 'Y to know D')
    // blocking the person blocks each of its devices, politely: both see Y go offline
    await waitFor(() => d.contacts().some(c => c.peerId === y.peerId.toString()), 'the phone to take Y as a contact')
    await d.connect(y.addresses()[0], 10_000)
    await waitFor(() => sees(a, y, 'online') && sees(d, y, 'online'), 'both of A\'s devices to see Y online', 60_000)
    await y.block(a.peerId)
    await waitFor(() => sees(a, y, 'offline') && sees(d, y, 'offline'), 'both of A\'s devices to see Y offline', 60_000)
    await y.unblock(a.peerId)

    // what X shows after D's revocation never reaches D, though D still takes X as a contact
    const seenByD: string[] = []
    // what X sent: its records that changed something (a heartbeat in flight repeats the last; an expiry is D's own clock)
    d.presence.addEventListener('presence', (e) => { if (e.detail.view.peerId === x.peerId.toString() && e.detail.cause === 'record' && e.detail.changed) seenByD.push(`${e.detail.view.status} ${e.detail.view.note ?? ''}`) })
    await a.revokeDevice('phone')
    await waitFor(() => !devicesOf(x, a).includes(joined.device) && !devicesOf(y, a).includes(joined.device), 'X and Y to drop D')
    await x.setPresence({ status: 'busy', note: 'after' })
    await waitFor(() => sees(a, x, 'busy', 'after'), 'the laptop to see X busy', 60_000)
    await x.setPresence({ status: 'online', note: 'later' })
    await waitFor(() => sees(a, x, 'online', 'later'), 'the laptop to see X online again', 60_000)
    expect(seenByD).toEqual([])
    expect(d.contacts().map(c => c.peerId)).toContain(x.peerId.toString())
    await waitFor(() => x.connections().every(c => c.peerId !== joined.device), 'X to close D\'s connection')
    await expect(d.connect(x.addresses()[0], 5000)).rejects.toMatchObject({ name: 'PeerUnreachableError' })
    expect(x.contacts().map(c => c.peerId)).toEqual([a.peerId.toString()])
  })
})
