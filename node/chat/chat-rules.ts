/** Who chat takes as a contact, whose devices it knows, and why a text cannot be sent. */
import { MAX_CHAT_BODY_BYTES } from '../../protocol/limits.js'
import { InvalidMessageError } from './errors.js'
import type { ChatServiceComponents } from './chat-types.js'
import type { Roster } from '../roster/index.js'

/**
 * The one place chat decides who is a contact: an accepted contact, or a
 * presentity the user chose to watch; never a blocked peer.
 */
export function chatContact (roster: Roster, peer: string): boolean {
  if (roster.isBlocked(peer)) return false
  const p = roster.get(peer)
  return p != null && (p.contact != null || p.watched)
}

/** Why a text could not be framed, as a typed error. */
export function messageError (text: string): InvalidMessageError {
  if (typeof text !== 'string' || text.length === 0) return new InvalidMessageError('empty')
  const bytes = new TextEncoder().encode(text).byteLength
  if (bytes > MAX_CHAT_BODY_BYTES) return new InvalidMessageError('too-long', bytes, MAX_CHAT_BODY_BYTES)
  return new InvalidMessageError('not-unicode')
}

/** This person's devices, when the node has them (an app may run chat without). */
export function ownDevices (components: ChatServiceComponents): ChatServiceComponents['devices'] {
  try {
    return components.devices
  } catch {
    return undefined
  }
}
