/**
 * A person's devices share the person's groups (docs/protocol.md §12.8).
 * Membership stays per device (each device signs, reads and holds its own
 * sender key), and this keeps the devices of one person together:
 *
 * - a device that is a member invites the person's devices that were never
 *   in the group, and a device accepts an invitation from one of its own
 *   devices by itself;
 * - a device that sees another device of its person leave leaves too: the
 *   person left;
 * - an admin device removes a device its person revoked from its groups.
 *
 * A device that left, or was removed, is not invited back by its siblings:
 * leaving and removal are the person's or an admin's decision.
 */
import type { GroupRuntime, GroupChange } from './group.js'
import type { Membership } from './membership.js'
import type { Logger } from '@libp2p/interface'

/** This person's devices, as the groups service reads them. */
export interface PersonDevices {
  /** A current device of this node's person (this one included). */
  isOwnDevice: (peer: string) => boolean
  /** The peer ids of the person's current devices (this one included). */
  current: () => string[]
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
   * linked may be reachable from the linking one only): invites of one device
   * made at once by two are harmless, the rule applies the first (§12.2).
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

  /** After a membership change: this device joined (bring the others), or another device of the person left (leave too). */
  async onChanges (g: GroupRuntime, changes: GroupChange[]): Promise<void> {
    const own = this.devices()
    if (own == null || g.standing(this.me) !== 'member') return
    if (changes.some(c => c.kind === 'left' && c.peer != null && c.peer !== this.me && own.isOwnDevice(c.peer))) {
      await this.membership.leave(g.id).catch((err: unknown) => { this.log('could not follow a leave of group %s - %e', g.id, err) })
      return
    }
    if (changes.some(c => c.kind === 'joined' && c.peer === this.me)) await this.bringSiblings(g)
  }

  /** The person's device list changed: new devices join the groups, a revoked one leaves those this device administers. */
  async onDevicesChange (revoked?: string): Promise<void> {
    for (const g of this.groups()) {
      if (g.standing(this.me) !== 'member') continue
      if (revoked != null && g.role(this.me) === 'admin' && ['member', 'invited'].includes(g.standing(revoked))) {
        await this.membership.remove(g.id, revoked).catch((err: unknown) => { this.log('could not remove revoked device %s from group %s - %e', revoked, g.id, err) })
      }
      await this.bringSiblings(g)
    }
  }
}
