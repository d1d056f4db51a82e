/**
 * Rooms a client made by joining a room that did not exist (XEP-0045 §10.1):
 * each became a new group of the mesh, and its room keeps the name the client
 * gave it (the JID's localpart), so the client goes on using that JID. Groups
 * made on the mesh are rooms under their id. Kept in `<home>/xmpp-rooms.json`.
 */
import { JsonFile } from '../util/json-file.js'
import type { Logger } from '@libp2p/interface'

export class RoomNames {
  private readonly groupByName = new Map<string, string>()
  private readonly nameByGroup = new Map<string, string>()
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

  add (name: string, group: string): void {
    this.remember(name, group)
    this.state.changed()
  }

  async flush (): Promise<void> {
    await this.state.flush()
  }

  private remember (name: string, group: string): void {
    this.groupByName.set(name, group)
    this.nameByGroup.set(group, name)
  }
}
