import type { PresenceService } from '../presence/presence-service.js'

/**
 * The one place chat decides who is a contact. Until the contacts issue
 * lands, a contact is a presentity on this node's watch list.
 */
export function isWatchedContact (presence: PresenceService, peer: string): boolean {
  return presence.get(peer) != null
}
