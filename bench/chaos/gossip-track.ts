/**
 * Gossip attachment bookkeeping for the chaos hosts: when this node's
 * gossipsub attached and detached each peer, how many open connections to
 * the peer there were at that moment, and who asked (a short stack). A
 * watcher's subscription is lost at its contact when the contact's gossipsub
 * detaches it (removePeer drops its subscriptions); a detach with a
 * connection still open is what leaves a connected pair without the
 * subscription (bench/chaos/cluster.ts explain).
 *
 * Wraps gossipsub's addPeer and removePeer (public members of its class, not
 * of its exported interface): a diagnostic of the harness, never used by the
 * product.
 */
import type { Libp2p, PeerId } from '@libp2p/interface'

export interface GossipEvent {
  at: number
  what: 'attached' | 'detached'
  /** Open connections to the peer when it happened. */
  open: number
  stack: string
}

/** Events kept per peer. */
const KEEP = 8

function caller (): string {
  const lines = (new Error().stack ?? '').split('\n').slice(3)
  return lines.filter(l => !l.includes('gossip-track')).slice(0, 5).map(l => l.trim().replace(/^at /, '').replace(/\(.*\/(node_modules\/|build[^/]*\/)?/, '(')).join(' < ')
}

export class GossipTracker {
  readonly events = new Map<string, GossipEvent[]>()

  constructor (private readonly libp2p: Libp2p) {
    const pubsub = libp2p.services.pubsub as unknown as { peers?: Map<string, unknown>, addPeer?: (peer: PeerId, ...rest: unknown[]) => void, removePeer?: (peer: PeerId) => void }
    const { addPeer, removePeer } = pubsub
    if (typeof addPeer === 'function') {
      pubsub.addPeer = (peer, ...rest) => {
        if (pubsub.peers?.has(peer.toString()) !== true) this.note(peer, 'attached')
        addPeer.call(pubsub, peer, ...rest)
      }
    }
    if (typeof removePeer === 'function') {
      pubsub.removePeer = (peer) => {
        if (pubsub.peers?.has(peer.toString()) === true) this.note(peer, 'detached')
        removePeer.call(pubsub, peer)
      }
    }
  }

  private note (peer: PeerId, what: GossipEvent['what']): void {
    const id = peer.toString()
    const open = this.libp2p.getConnections(peer).filter(c => c.status === 'open').length
    const list = this.events.get(id) ?? []
    list.push({ at: Date.now(), what, open, stack: what === 'detached' ? caller() : '' })
    if (list.length > KEEP) list.shift()
    this.events.set(id, list)
  }

  /** "detached 3.1 s ago (1 open) from ..., attached 2.0 s ago (1 open)" for the last minute. */
  describe (peer: string, now = Date.now()): string[] {
    return (this.events.get(peer) ?? []).filter(e => now - e.at < 60_000)
      .map(e => `${e.what} ${((now - e.at) / 1000).toFixed(1)} s ago (${e.open} open)${e.stack !== '' ? ` from ${e.stack}` : ''}`)
  }
}
