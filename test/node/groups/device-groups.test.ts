/**
 * What a device does for its person's other devices in a group (§12.8), on
 * membership logs built by hand and a membership that records the calls: no
 * network, no store.
 */
import { privateKeyFromRaw } from '@libp2p/crypto/keys'
import { logger } from '@libp2p/logger'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { ed25519 } from '@noble/curves/ed25519.js'
import { describe, expect, it } from 'vitest'
import { DeviceGroups } from '../../../node/groups/device-groups.js'
import { GroupRuntime } from '../../../node/groups/group.js'
import { MembershipLog } from '../../../protocol/group-log.js'
import { hex, sealGroupOp } from '../../../protocol/group-op.js'
import type { Membership } from '../../../node/groups/membership.js'
import type { GroupOp, GroupOpFields } from '../../../protocol/group-op.js'
import type { PrivateKey } from '@libp2p/interface'

const GROUP = new Uint8Array(16).fill(9)

interface Device { key: PrivateKey, id: string }
function device (fill: number): Device {
  const seed = new Uint8Array(32).fill(fill)
  const key = privateKeyFromRaw(Uint8Array.from([...seed, ...ed25519.getPublicKey(seed)]))
  return { key, id: peerIdFromPrivateKey(key).toString() }
}
// bob's group; alice on a laptop and a phone; a third device of alice's, revoked
const [BOB, LAPTOP, PHONE, TABLET] = [device(1), device(2), device(3), device(4)]

/** A log of ops, each made on the heads of the ops before it (or of the first `onFirst` of them). */
class Ops {
  readonly ops: GroupOp[] = [sealGroupOp({ group: GROUP, kind: 'create', name: 'g', parents: [], createdAt: 1 }, BOB.key)]
  add (by: Device, f: Omit<GroupOpFields, 'group' | 'parents' | 'createdAt'>, onFirst = this.ops.length): GroupOp {
    const op = sealGroupOp({ ...f, group: GROUP, parents: this.log(onFirst).log.heads(), createdAt: 1 }, by.key)
    this.ops.push(op)
    return op
  }

  log (n = this.ops.length): GroupRuntime {
    const l = new MembershipLog(this.ops[0].id)
    for (const o of this.ops.slice(0, n)) l.add(o)
    return new GroupRuntime({ id: hex(GROUP), root: this.ops[0].id, lamport: 0, delivered: 0, joinedAt: 0 }, l)
  }
}

function phoneOf (g: GroupRuntime, revoked: string[] = []): { groups: DeviceGroups, calls: string[] } {
  const calls: string[] = []
  const membership = {
    invitations: new Map(),
    leave: async (id: string) => { calls.push(`leave ${id}`) },
    invite: async (id: string, peer: string) => { calls.push(`invite ${peer}`) },
    remove: async (id: string, peer: string) => { calls.push(`remove ${peer}`) }
  } as unknown as Membership
  const mine = [LAPTOP.id, PHONE.id]
  const devices = { isOwnDevice: (p: string) => mine.includes(p), current: () => mine, isRevoked: (p: string) => revoked.includes(p) }
  return { groups: new DeviceGroups(PHONE.id, membership, () => [g], () => devices, logger('test:device-groups')), calls }
}

function bothJoined (): Ops {
  const o = new Ops()
  o.add(BOB, { kind: 'invite', target: LAPTOP.id })
  o.add(LAPTOP, { kind: 'join' })
  o.add(LAPTOP, { kind: 'invite', target: PHONE.id })
  o.add(PHONE, { kind: 'join' })
  return o
}

describe('a device and its person\'s other devices in a group', () => {
  it('follows a leave of another device of its person that knew it was in the group', async () => {
    const o = bothJoined()
    o.add(LAPTOP, { kind: 'leave', upTo: 0 })
    const g = o.log()
    const { groups, calls } = phoneOf(g)
    await groups.onChanges(g, [{ kind: 'left', peer: LAPTOP.id }])
    expect(calls).toEqual([`leave ${hex(GROUP)}`])
  })

  it('does not follow a leave made before it joined: an old decision, not the person leaving now', async () => {
    const o = bothJoined()
    // the laptop's leave names the heads from before the phone's join (they were made at once)
    o.add(LAPTOP, { kind: 'leave', upTo: 0 }, 4)
    const g = o.log()
    expect(g.standing(PHONE.id)).toBe('member')
    const { groups, calls } = phoneOf(g)
    await groups.onChanges(g, [{ kind: 'left', peer: LAPTOP.id }])
    expect(calls).toEqual([])
  })

  it('brings its person\'s devices that were never in, not one that left; an admin removes a revoked device', async () => {
    const o = new Ops()
    o.add(BOB, { kind: 'invite', target: PHONE.id })
    o.add(PHONE, { kind: 'join' })
    const g = o.log()
    const { groups, calls } = phoneOf(g)
    await groups.onChanges(g, [{ kind: 'joined', peer: PHONE.id }])
    expect(calls).toEqual([`invite ${LAPTOP.id}`])

    // in its own group (admin), a revoked device someone let in is removed; the laptop that left is not brought back
    const own = new Ops()
    own.ops[0] = sealGroupOp({ group: GROUP, kind: 'create', name: 'mine', parents: [], createdAt: 1 }, PHONE.key)
    own.add(PHONE, { kind: 'invite', target: LAPTOP.id })
    own.add(LAPTOP, { kind: 'join' })
    own.add(LAPTOP, { kind: 'leave', upTo: 0 })
    own.add(PHONE, { kind: 'invite', target: TABLET.id })
    const mine = own.log()
    const admin = phoneOf(mine, [TABLET.id])
    await admin.groups.onDevicesChange()
    expect(admin.calls).toEqual([`remove ${TABLET.id}`])
  })
})
