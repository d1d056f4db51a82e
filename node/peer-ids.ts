import { peerIdFromString } from '@libp2p/peer-id'
import { UserError } from './errors.js'
import type { PeerId } from '@libp2p/interface'

/** A peer id from a PeerId or its string form; a string that is none is a UserError. */
export function toPeerId (peer: PeerId | string): PeerId {
  if (typeof peer !== 'string') return peer
  try {
    return peerIdFromString(peer)
  } catch {
    throw new UserError(`not a peer id: ${peer}`)
  }
}

/** The canonical string form of a peer id given either way (see toPeerId). */
export function peerIdString (peer: PeerId | string): string {
  return toPeerId(peer).toString()
}
