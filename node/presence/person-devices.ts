/**
 * The one place presence learns which devices make up a watched person
 * (docs/protocol.md §15): each device's presence is watched on its own
 * channel and the person's view is composed from them (person-view.ts).
 * The roster keeps them: the person's own id first, then the other devices
 * their signed device list names (§14.7; a revoked device is dropped there).
 */
import type { Person } from '../roster/index.js'

export function devicesOf (person: Person): string[] {
  return person.devices.length === 0 ? [person.id] : [...person.devices]
}
