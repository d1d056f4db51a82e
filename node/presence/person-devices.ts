/**
 * The one place presence learns which devices make up a watched person
 * (docs/protocol.md §14): each device's presence is watched on its own
 * channel and the person's view is composed from them (person-view.ts).
 * Today a person is one device, its own peer id; the person's certified,
 * unrevoked devices go here once people have several.
 */
import type { Person } from '../roster/index.js'

export function devicesOf (person: Person): string[] {
  return [person.id]
}
