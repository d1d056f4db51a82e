/**
 * Contacts are people (docs/protocol.md §14.6): a contact accepted before the
 * person linked a new device takes that device through the new list, with
 * no new request, and drops it when it is revoked; a contact made after the
 * link knows every device from the accept on.
 */
import '../../../node/polyfill.js'
import { afterAll, describe, expect, it } from 'vitest'
import { joinDevice } from '../../../node/join-device.js'
import { cleanupHomes, makeContacts, startNode, tmpHome, waitFor } from '../../helpers.js'
import type { PresenceNode } from '../../../node/presence-node.js'

const running: PresenceNode[] = []

afterAll(async () => {
  await Promise.all(running.map(async n => { await n.stop() }))
  await cleanupHomes()
})

const devicesOf = (n: PresenceNode, person: PresenceNode): string[] => n.person(person.peerId)?.devices ?? []

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

    // a contact made after the link knows every device from the accept on
    const y = await startNode({ home: await tmpHome('cdev-y'), bootstrap })
    running.push(y)
    await makeContacts(y, a)
    await waitFor(() => devicesOf(y, a).includes(joined.device), 'Y to know D')

    await a.revokeDevice('phone')
    await waitFor(() => !devicesOf(x, a).includes(joined.device) && !devicesOf(y, a).includes(joined.device), 'X and Y to drop D')
    await waitFor(() => x.connections().every(c => c.peerId !== joined.device), 'X to close D\'s connection')
    await expect(d.connect(x.addresses()[0], 5000)).rejects.toMatchObject({ name: 'PeerUnreachableError' })
    expect(x.contacts().map(c => c.peerId)).toEqual([a.peerId.toString()])
  })
})
