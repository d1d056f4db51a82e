import { peerIdFromString } from '@libp2p/peer-id'
import { InvalidPeerIdError } from './errors.js'
import type { PeerId } from '@libp2p/interface'

/** A peer id from a PeerId or its string form; a string that is none is an InvalidPeerIdError. */
export function toPeerId (peer: PeerId | string): PeerId {
  if (typeof peer !== 'string') return peer
  try {
    return peerIdFromString(peer)
  } catch {
    throw new InvalidPeerIdError(peer)
  }
}

/** The canonical string form of a peer id given either way (see toPeerId). */
export function peerIdString (peer: PeerId | string): string {
  return toPeerId(peer).toString()
}
