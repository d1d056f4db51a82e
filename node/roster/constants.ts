import type { ContactContainer, Visibility } from './index.js'

/** The capability the roster service provides (others declare it as a dependency). */
export const ROSTER_CAPABILITY = '@presence-mesh/roster'

/** Datastore prefix of the roster's records. */
export const DATASTORE_PREFIX = '/presence-mesh/roster'

export const VISIBILITIES: readonly Visibility[] = ['public', 'contacts', 'invisible']

export const CONTACT_CONTAINERS: readonly ContactContainer[] = ['contacts', 'close']

/** The longest alias, in code points. */
export const MAX_ALIAS_CHARS = 32

/** Unblocking a contact dials it once, for at most this long. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000
