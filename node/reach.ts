/**
 * Reaching a peer: locating it (a contact's locator record, the DHT) and
 * connecting to it, where every way of failing looks the same to the caller
 * (polite blocking depends on it). PresenceNode's locate and connect.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { InvalidTargetError, PeerUnreachableError } from './errors.js'
import { peerIdString } from './peer-ids.js'
import type { LocateOptions, LocateResult } from './discovery/index.js'
import type { PresenceLibp2p } from './libp2p.js'
import type { PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

/** Resolves a peer id to addresses and connects to it (see PresenceNodeApi.locate). */
export async function locatePeer (libp2p: PresenceLibp2p, peer: PeerId | string, options?: LocateOptions): Promise<LocateResult> {
  const id = peerIdString(peer)
  const { discovery, locator, roster } = libp2p.services
  // a contact that is not public left us a sealed locator record in the DHT
  if (roster.isContact(id)) await locator.refresh(id, options?.signal).catch(() => 0)
  const found = await discovery.locate(id, options)
  const foundPeer = peerIdFromString(found.peerId)
  if (await answers(libp2p, foundPeer, options?.signal)) return found
  // the connection opened and died at once: a peer refusing us (blocking, say)
  // looks like one whose old address is dead, so go the same way from here
  await libp2p.hangUp(foundPeer).catch(() => {})
  return await discovery.locate(id, { ...options, useCache: false })
}

/**
 * Opens a connection to a peer id or multiaddr. Any failure (offline, no
 * address known, refused, timed out, blocked) is the same PeerUnreachableError.
 */
export async function connectTo (libp2p: PresenceLibp2p, target: string, timeoutMs: number): Promise<void> {
  let dialTarget: PeerId | Multiaddr
  try {
    dialTarget = target.startsWith('/') ? multiaddr(target) : peerIdFromString(target)
  } catch {
    throw new InvalidTargetError(target)
  }
  const signal = AbortSignal.timeout(timeoutMs)
  let peer: PeerId
  try {
    peer = (await libp2p.dial(dialTarget, { signal })).remotePeer
  } catch {
    throw new PeerUnreachableError(target)
  }
  if (!await answers(libp2p, peer, signal)) throw new PeerUnreachableError(target)
}

/**
 * Whether the peer answers a ping over the connection we have to it. A peer
 * that refuses us does so only after the Noise handshake, by which time our
 * side may already count the connection as open: only an answer says the
 * peer is really there.
 */
async function answers (libp2p: PresenceLibp2p, peer: PeerId, signal?: AbortSignal): Promise<boolean> {
  try {
    await libp2p.services.ping.ping(peer, { signal: signal ?? AbortSignal.timeout(10_000) })
    return true
  } catch {
    return false
  }
}
