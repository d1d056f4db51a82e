/**
 * Containers: who sees which category (docs/protocol.md §10.3). Pure.
 *
 * The roster says who is in which container (everyone in `public`, contacts
 * also in `contacts`, the closer circle also in `close`) and holds each
 * contact's allow and deny rules; the presence service says which containers
 * each category is published to. A watcher sees a category when:
 *
 *   1. it is the state: always (availability is what any audience sees at all);
 *   2. else the contact denies it: never;
 *   3. else the contact allows it: yes;
 *   4. else the category is published to one of the watcher's containers
 *      (a contact whose view is `status` counts as in no container).
 */
import type { SeenBy } from './index.js'
import type { Category, CategoryKey } from '../../protocol/categories.js'
import type { Person, Roster } from '../roster/index.js'

export const CONTAINERS = ['public', 'contacts', 'close'] as const
export type Container = typeof CONTAINERS[number]

/** Where a category goes until the user chooses: what everyone saw before categories existed stays public. */
export const DEFAULT_PUBLICATION: Readonly<Record<string, readonly Container[]>> = {
  note: ['public'],
  activity: ['public'],
  card: ['contacts'],
  capabilities: ['contacts'],
  calendar: ['close']
}
/** Application-defined categories go to the closer circle unless published elsewhere. */
export const DEFAULT_APP_PUBLICATION: readonly Container[] = ['close']

export function defaultPublication (key: CategoryKey): readonly Container[] {
  return DEFAULT_PUBLICATION[key] ?? DEFAULT_APP_PUBLICATION
}

/** The containers a watcher is in: a stranger (undefined) only in public. */
export function containersOf (person: Person | undefined): Container[] {
  const contact = person?.contact
  if (contact == null) return ['public']
  if (contact.view === 'status') return []
  return contact.container === 'close' ? ['public', 'contacts', 'close'] : ['public', 'contacts']
}

export type Why = 'state' | 'denied' | 'allowed' | 'container' | 'not-published'

export interface Visibility {
  visible: boolean
  why: Why
  /** The container that shows it (why = container). */
  via?: Container
}

/** Whether `person` (undefined: a stranger) sees category `key` published to `publishedTo`, and why. */
export function visibilityOf (person: Person | undefined, key: CategoryKey, publishedTo: readonly Container[]): Visibility {
  if (key === 'state') return { visible: true, why: 'state' }
  const contact = person?.contact
  if (contact?.deny?.includes(key) === true) return { visible: false, why: 'denied' }
  if (contact?.allow?.includes(key) === true) return { visible: true, why: 'allowed' }
  const via = containersOf(person).find(c => publishedTo.includes(c))
  return via != null ? { visible: true, why: 'container', via } : { visible: false, why: 'not-published' }
}

/** The categories among `keys` that `person` sees. */
export function visibleCategories (person: Person | undefined, keys: Iterable<CategoryKey>, publication: (key: CategoryKey) => readonly Container[]): Set<CategoryKey> {
  const out = new Set<CategoryKey>()
  for (const key of keys) if (visibilityOf(person, key, publication(key)).visible) out.add(key)
  return out
}

/**
 * What `peerId` sees of this node: nothing unless it is an audience (a
 * contact that may see us, or anyone unblocked in public mode), else each
 * of `keys` with the reason it is shown or not, and the value it sees.
 */
export function seenBy (roster: Roster, peerId: string, keys: CategoryKey[], publishedTo: (key: CategoryKey) => readonly Container[], valueOf: (key: CategoryKey) => Category | undefined): SeenBy {
  const contact = roster.isContact(peerId)
  const person = contact ? roster.get(peerId) : undefined
  const sees = contact ? roster.canSee(peerId) : !roster.isBlocked(peerId) && roster.visibility().mode === 'public'
  return {
    peerId,
    sees,
    containers: sees ? containersOf(person) : [],
    categories: keys.map(key => {
      if (!sees) return { key, visible: false, why: 'no-audience' }
      const v = visibilityOf(person, key, publishedTo(key))
      return { key, ...v, value: v.visible ? valueOf(key) : undefined }
    })
  }
}
