/**
 * A person's devices share the person's groups (docs/protocol.md §12.8).
 * Membership stays per device (each device signs, reads and holds its own
 * sender key), and this keeps the devices of one person together:
 *
 * - a device that is a member invites the person's devices that were never
 *   in the group, and a device accepts by itself an invitation from another
 *   of its devices that is a member;
 * - a device that sees another device of its person leave after it knew
 *   this one was in the group leaves too: the person left;
 * - an admin device removes any revoked device (its person's or a
 *   contact's) from its groups, whenever it sees one there.
 *
 * A device that left, or was removed, is not invited back by its siblings:
 * leaving and removal are the person's or an admin's decision.
 */
import type { GroupRuntime, GroupChange } from './group.js'
import type { Membership } from './membership.js'
import type { GroupOp } from '../../protocol/group-op.js'
import type { Logger } from '@libp2p/interface'

/** This person's devices, as the groups service reads them. */
export interface PersonDevices {
  /** A current device of this node's person (this one included). */
  isOwnDevice: (peer: string) => boolean
  /** The peer ids of the person's current devices (this one included). */
  current: () => string[]
  /** A device revoked by this node's person or by a contact's. */
  isRevoked: (peer: string) => boolean
}

export class DeviceGroups {
  constructor (
    private readonly me: string,
    private readonly membership: Membership,
    private readonly groups: () => Iterable<GroupRuntime>,
    private readonly devices: () => PersonDevices | undefined,
    private readonly log: Logger
  ) {}

  /** The other current devices of this person (none without a device list). */
  private siblings (): string[] {
    return (this.devices()?.current() ?? []).filter(d => d !== this.me)
  }

  /**
   * Invites this person's devices that were never in `g`. Every member device
   * does (each reaches the newcomer by its own connections; a device just
   * linked may be reachable from the linking one only): two invites of one
   * device made at once are harmless, the rule applies the first (§12.2).
   */
  async bringSiblings (g: GroupRuntime): Promise<void> {
    if (g.standing(this.me) !== 'member') return
    for (const d of this.siblings().filter(d => g.standing(d) === 'none')) {
      try {
        await this.membership.invite(g.id, d)
      } catch (err) {
        this.log('could not bring device %s into group %s - %e', d, g.id, err)
      }
    }
  }

  /** An admin device removes revoked devices from `g` (a stale device list elsewhere may have let one in). */
  async removeRevoked (g: GroupRuntime): Promise<void> {
    const devices = this.devices()
    if (devices == null || g.standing(this.me) !== 'member' || g.role(this.me) !== 'admin') return
    const s = g.state
    for (const p of [...s.members.keys(), ...s.invited.keys()]) {
      if (p === this.me || !devices.isRevoked(p)) continue
      await this.membership.remove(g.id, p).catch((err: unknown) => { this.log('could not remove revoked device %s from group %s - %e', p, g.id, err) })
    }
  }

  /** After a membership change: follow a sibling's leave, bring the others once this device joined, and keep revoked devices out. */
  async onChanges (g: GroupRuntime, changes: GroupChange[]): Promise<void> {
    const own = this.devices()
    if (own == null || g.standing(this.me) !== 'member') return
    const leaving = changes.filter(c => c.kind === 'left' && c.peer != null && c.peer !== this.me && own.isOwnDevice(c.peer))
    if (leaving.some(c => this.leftAfterMe(g, c.peer as string))) {
      await this.membership.leave(g.id).catch((err: unknown) => { this.log('could not follow a leave of group %s - %e', g.id, err) })
      return
    }
    if (changes.some(c => c.kind === 'invited' || c.kind === 'joined')) await this.removeRevoked(g)
    if (changes.some(c => c.kind === 'joined' && c.peer === this.me)) await this.bringSiblings(g)
  }

  /** Whether `peer`'s leave knew of this device's latest join (or create): a leave made before it rejoined is not the person leaving now. */
  private leftAfterMe (g: GroupRuntime, peer: string): boolean {
    const leave = g.log.removalOf(peer)
    if (leave == null || leave.kind !== 'leave') return false
    let mine: GroupOp | undefined
    for (const op of g.log.ops()) if (op.author === this.me && (op.kind === 'join' || op.kind === 'create')) mine = op
    return mine != null && g.log.upTo(leave.id).some(op => op.id === mine?.id)
  }

  /** At start: accept the stored invitations of own devices (an accept cut short last time), sweep and bring the others into every group. */
  async start (): Promise<void> {
    const own = this.devices()
    if (own == null) return
    for (const inv of [...this.membership.invitations.values()]) {
      if (own.isOwnDevice(inv.inviter) && inv.inviter !== this.me) {
        await this.membership.accept(inv.group).catch((err: unknown) => { this.log('could not accept the invitation of device %s to group %s - %e', inv.inviter, inv.group, err) })
      }
    }
    await this.onDevicesChange()
  }

  /** The person's device list changed (or the node started): revoked devices out, new devices in. */
  async onDevicesChange (): Promise<void> {
    for (const g of [...this.groups()]) {
      await this.removeRevoked(g)
      await this.bringSiblings(g)
    }
  }
}
