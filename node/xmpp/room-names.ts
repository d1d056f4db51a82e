/**
 * Rooms a client made by joining a room that did not exist (XEP-0045 §10.1):
 * each became a new group of the mesh, and its room keeps the name the client
 * gave it (the JID's localpart), so the client goes on using that JID. Groups
 * made on the mesh are rooms under their id. Kept in `<home>/xmpp-rooms.json`.
 */
import { JsonFile } from '../util/json-file.js'
import type { GroupInfo } from '../groups/index.js'
import type { Logger } from '@libp2p/interface'

export class RoomNames {
  private readonly groupByName = new Map<string, string>()
  private readonly nameByGroup = new Map<string, string>()
  private readonly making = new Map<string, Promise<GroupInfo>>()
  private readonly state: JsonFile

  constructor (file: string, log: Logger) {
    this.state = new JsonFile(file, () => ({ rooms: Object.fromEntries(this.groupByName) }), log)
  }

  async load (): Promise<void> {
    const parsed = await this.state.read() as { rooms?: Record<string, unknown> } | undefined
    for (const [name, group] of Object.entries(parsed?.rooms ?? {})) {
      if (typeof group === 'string') this.remember(name, group)
    }
  }

  /** The group a room name stands for. */
  groupOf (name: string): string | undefined {
    return this.groupByName.get(name)
  }

  /** The name of a group's room, if a client made it. */
  nameOf (group: string): string | undefined {
    return this.nameByGroup.get(group)
  }

  /**
   * The group `create` makes for a new room `name`, once its name is on disk;
   * `created` is false for a join that came while another made it (two joins
   * of one new room at once make one group).
   */
  async make (name: string, create: () => Promise<GroupInfo>): Promise<{ group: GroupInfo, created: boolean }> {
    const pending = this.making.get(name)
    if (pending != null) return { group: await pending, created: false }
    const making = (async () => {
      const group = await create()
      this.remember(name, group.id)
      this.state.changed()
      await this.state.flush()
      return group
    })().finally(() => { this.making.delete(name) })
    this.making.set(name, making)
    return { group: await making, created: true }
  }

  async flush (): Promise<void> {
    await this.state.flush()
  }

  /** A name taken again (its group gone for this node) leaves its old group under its id. */
  private remember (name: string, group: string): void {
    const old = this.groupByName.get(name)
    if (old != null) this.nameByGroup.delete(old)
    this.groupByName.set(name, group)
    this.nameByGroup.set(group, name)
  }
}
