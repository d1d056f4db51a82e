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

/**
 * Devices a contact's list dropped while the person stays a contact (a
 * revocation, §14.8): they stop being audiences with no goodbye.
 */
export function droppedDevices (changes: ReadonlyArray<{ before?: Person, after?: Person }>): string[] {
  return changes.flatMap(({ before, after }) => before == null || after?.contact == null ? [] : before.devices.filter(d => !after.devices.includes(d)))
}
