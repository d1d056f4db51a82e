/**
 * Reaching peers for the node API: locate, connect, and the open
 * connections. Every way a peer can fail to answer is one
 * PeerUnreachableError (polite blocking depends on it).
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { InvalidTargetError, PeerUnreachableError } from './errors.js'
import { peerIdString } from './peer-ids.js'
import type { ConnectionInfo } from './api.js'
import type { LocateOptions, LocateResult } from './discovery/index.js'
import type { PresenceLibp2p } from './libp2p.js'
import type { OpenConnectionProgressEvents, PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

/** Resolves a peer id to addresses (the peer store, a contact's locator record, the DHT: discovery.locate) and connects to it. */
export async function locatePeer (libp2p: PresenceLibp2p, peer: PeerId | string, options?: LocateOptions): Promise<LocateResult> {
  const id = peerIdString(peer)
  const { discovery } = libp2p.services
  let found = await discovery.locate(id, options)
  const foundPeer = peerIdFromString(found.peerId)
  if (!await answers(libp2p, foundPeer, options?.signal)) {
    // the connection opened and died at once: a peer refusing us (blocking, say)
    // looks like one whose old address is dead, so go the same way from here
    await libp2p.hangUp(foundPeer).catch(() => {})
    found = await discovery.locate(id, { ...options, useCache: false })
  }
  return { ...found, addresses: await listenAddresses(libp2p, peerIdFromString(found.peerId), found.addresses) }
}

/**
 * Where a peer listens: what it told us (identify) rather than the address
 * of our connection, which for a connection it opened is an ephemeral port.
 */
async function listenAddresses (libp2p: PresenceLibp2p, peer: PeerId, fallback: string[]): Promise<string[]> {
  try {
    const known = (await libp2p.peerStore.get(peer)).addresses.map(a => a.multiaddr.toString())
    const usable = known.filter(a => !a.startsWith('/ip4/0.0.0.0/') && !a.startsWith('/ip6/::/'))
    return usable.length > 0 ? usable : fallback
  } catch {
    return fallback
  }
}

/** Opens a connection to a peer id or multiaddr; any failure is the same PeerUnreachableError. */
export async function connectTo (libp2p: PresenceLibp2p, target: string, timeoutMs = 10_000): Promise<void> {
  let dialTarget: PeerId | Multiaddr
  try {
    dialTarget = target.startsWith('/') ? multiaddr(target) : peerIdFromString(target)
  } catch {
    throw new InvalidTargetError(target)
  }
  const signal = AbortSignal.timeout(timeoutMs)
  const peer = await dialOwn(libp2p, dialTarget, signal).catch(() => { throw new PeerUnreachableError(target) })
  if (!await answers(libp2p, peer, signal)) throw new PeerUnreachableError(target)
}

/**
 * Dials, and when the dial joined one already under way (libp2p's dial
 * queue has one dial per peer) that failed, dials once more: that dial began
 * earlier, under what the far end knew then (a node that had not yet
 * learnt of this new device refuses it), so only a dial of this call's own
 * says whether the peer takes us now.
 */
async function dialOwn (libp2p: PresenceLibp2p, target: PeerId | Multiaddr, signal: AbortSignal): Promise<PeerId> {
  let joined = false
  const onProgress = (evt: OpenConnectionProgressEvents): void => { if (evt.type === 'dial-queue:already-in-dial-queue') joined = true }
  try {
    return (await libp2p.dial(target, { signal, onProgress })).remotePeer
  } catch (err) {
    if (!joined || signal.aborted) throw err
    return (await libp2p.dial(target, { signal })).remotePeer
  }
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

export function connections (libp2p: PresenceLibp2p): ConnectionInfo[] {
  return libp2p.getConnections().filter(c => c.status === 'open').map(c => ({
    peerId: c.remotePeer.toString(),
    address: c.remoteAddr.toString(),
    direction: c.direction,
    relayed: c.limits != null || c.remoteAddr.toString().includes('/p2p-circuit'),
    since: c.timeline.open
  }))
}
