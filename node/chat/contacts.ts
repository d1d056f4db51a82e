import type { PresenceService } from '../presence/presence-service.js'
import type { PeerId } from '@libp2p/interface'

/** What chat needs of the contacts service. */
export interface ChatContactBook {
  isContact: (peer: string) => boolean
  isBlocked: (peer: PeerId | string) => boolean
}

/**
 * The node's contacts service, if it has one. libp2p resolves components
 * lazily (the contacts service is built after chat) and throws for a missing
 * one, so this is only called at run time.
 */
export function contactBook (components: { contacts?: ChatContactBook }): ChatContactBook | undefined {
  try {
    return components.contacts
  } catch {
    return undefined
  }
}

/**
 * The one place chat decides who is a contact: an accepted contact of the
 * contacts service, or a presentity this node chose to watch; never a
 * blocked peer.
 */
export function isChatContact (book: ChatContactBook | undefined, presence: PresenceService, peer: string): boolean {
  if (book?.isBlocked(peer) === true) return false
  return book?.isContact(peer) === true || presence.get(peer) != null
}
