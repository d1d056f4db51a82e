/**
 * A person's devices share the person's groups (docs/protocol.md §12.8), end
 * to end with in-process nodes on loopback, one scenario after the other:
 * alice on a laptop (first device) and a phone, bob a contact on one device.
 * Bob invites alice (her laptop): once she accepts there, her phone joins by
 * itself and reads and writes the group; a device linked later joins too; a
 * device alice revokes is removed from the group her laptop administers;
 * alice leaving on one device leaves on all, also for a device that was off
 * meanwhile.
 */
import '../../../node/polyfill.js'
import { afterAll, describe, expect, it } from 'vitest'
import { joinDevice } from '../../../node/join-device.js'
import { cleanupHomes, makeContacts, PUBLIC, startNode, stopNodes, tmpHome, waitFor } from '../../helpers.js'
import type { GroupMessage } from '../../../node/groups/index.js'
import type { PresenceNode } from '../../../node/presence-node.js'

const running: PresenceNode[] = []
const LONG = 60_000

afterAll(async () => {
  await stopNodes(running)
  await cleanupHomes()
})

const FAST = { contacts: { retryBaseMs: 200, retryCapMs: 1_000 }, groups: { antiEntropyMs: 2_000 } }

async function start (home: string, bootstrap: string[], deviceName?: string): Promise<PresenceNode> {
  const n = await startNode({ ...FAST, home, bootstrap, devices: deviceName == null ? undefined : { deviceName } })
  running.push(n)
  return n
}

const homes = new Map<PresenceNode, string>()
async function link (first: PresenceNode, name: string, bootstrap: string[]): Promise<PresenceNode> {
  const home = await tmpHome(`gdev-${name}`)
  await joinDevice((await first.linkCode()).code, { home, name })
  const node = await start(home, bootstrap)
  homes.set(node, home)
  return node
}

const id = (n: PresenceNode): string => n.peerId.toString()
const standing = (n: PresenceNode, group: string): string => n.groups().find(g => g.id === group)?.standing ?? 'none'
const inbox = (n: PresenceNode): GroupMessage[] => {
  const got: GroupMessage[] = []
  n.addEventListener('group:message', (e) => { got.push(e.detail) })
  return got
}

describe('groups across the devices of a person', () => {
  let hub: PresenceNode, laptop: PresenceNode, phone: PresenceNode, tablet: PresenceNode, bob: PresenceNode
  let bootstrap: string[]
  let team: string

  it('accepted on one device, the group is on every device of the person, which reads and writes it', async () => {
    hub = await startNode({ home: await tmpHome('gdev-hub'), roster: PUBLIC })
    running.push(hub)
    bootstrap = [hub.addresses()[0]]
    laptop = await start(await tmpHome('gdev-laptop'), bootstrap, 'laptop')
    phone = await link(laptop, 'phone', bootstrap)
    bob = await start(await tmpHome('gdev-bob'), bootstrap)
    await waitFor(() => phone.devices().devices.length === 2, 'the phone to hold the device list')
    await makeContacts(bob, laptop)
    await waitFor(() => bob.person(id(laptop))?.devices.includes(id(phone)) === true, 'bob to know alice\'s phone', LONG)

    const phoneGot = inbox(phone)
    const laptopGot = inbox(laptop)
    const bobGot = inbox(bob)
    team = (await bob.createGroup('team', [id(laptop)])).id
    await waitFor(() => laptop.groupInvitations().some(i => i.group === team), 'the invitation on the laptop', LONG)
    // the phone was not invited: it is not asked anything
    expect(phone.groupInvitations()).toEqual([])
    await laptop.acceptGroup(team)
    await waitFor(() => standing(phone, team) === 'member' && phone.groupInvitations().length === 0, 'the phone to join by itself', LONG)
    await waitFor(() => bob.group(team).members.length === 3, 'bob to see both devices of alice as members', LONG)

    await bob.sendToGroup(team, 'hello alice')
    await waitFor(() => phoneGot.some(m => m.text === 'hello alice') && laptopGot.some(m => m.text === 'hello alice'), 'bob\'s text on both devices', LONG)
    await phone.sendToGroup(team, 'from the phone')
    await waitFor(() => bobGot.some(m => m.text === 'from the phone' && m.author === id(phone)), 'the phone\'s text at bob', LONG)
    await waitFor(async () => (await laptop.groupHistory(team)).some(m => m.text === 'from the phone'), 'the phone\'s text in the laptop\'s history', LONG)
  }, 150_000)

  it('a device linked later joins the group; one the person revokes leaves the group its admin device holds', async () => {
    const changes: string[] = []
    laptop.addEventListener('group:change', (e) => { for (const c of e.detail.changes) changes.push(`${e.detail.name} ${c.kind} ${c.peer ?? ''}`) })
    const home = (await laptop.createGroup('home', [id(bob)])).id
    await waitFor(() => standing(phone, home) === 'member', 'the phone to join the laptop\'s group', LONG)
    tablet = await link(laptop, 'tablet', bootstrap)
    await waitFor(() => standing(tablet, home) === 'member' && standing(tablet, team) === 'member', 'the tablet to join both groups', LONG)
    await waitFor(() => laptop.group(home).members.some(m => m.peerId === id(tablet)) && laptop.group(team).members.some(m => m.peerId === id(tablet)), 'the laptop to see the tablet in both groups', LONG)
    await laptop.revokeDevice('tablet')
    await waitFor(() => changes.includes(`home removed ${id(tablet)}`), 'the laptop to remove the revoked tablet from its group', LONG)
    expect(laptop.group(home).standing).toBe('member')
    // in bob's group the laptop is no admin: the tablet stays there until bob removes it
    expect(laptop.group(team).members.some(m => m.peerId === id(tablet))).toBe(true)
  }, 150_000)

  it('leaving on one device leaves on every device of the person', async () => {
    await phone.leaveGroup(team)
    await waitFor(() => standing(laptop, team) === 'left', 'the laptop to leave with the phone', LONG)
    await waitFor(() => bob.group(team).members.every(m => m.peerId !== id(phone) && m.peerId !== id(laptop)), 'bob to see alice gone', LONG)
  }, 90_000)

  it('a device that was off while the person left a group does not join it when it comes back', async () => {
    const phoneHome = homes.get(phone) as string
    await phone.stop()
    const solo = (await laptop.createGroup('solo')).id
    // the phone is invited (off: the invitation waits), then the person leaves
    expect(laptop.group(solo).invited.map(i => i.peerId)).toEqual([id(phone)])
    await laptop.leaveGroup(solo)
    phone = await start(phoneHome, bootstrap)
    // a group made after: its invitation is delivered after the one to solo would have been
    const later = (await laptop.createGroup('later')).id
    await waitFor(() => standing(phone, later) === 'member', 'the phone to join the later group', LONG)
    expect(phone.groups().some(g => g.id === solo)).toBe(false)
    expect(phone.groupInvitations().some(i => i.group === solo)).toBe(false)
  }, 150_000)
})
