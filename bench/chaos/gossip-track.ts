/**
 * Gossip attachment bookkeeping for the chaos hosts: when this node's
 * gossipsub attached and detached each peer, how many open connections to
 * the peer there were at that moment, and who asked (a short stack). A
 * watcher's subscription is lost at its contact when the contact's gossipsub
 * detaches it (removePeer drops its subscriptions); a detach with a
 * connection still open is what leaves a connected pair without the
 * subscription (bench/chaos/cluster.ts explain).
 *
 * It also times, for every peer subscribed to the node's own presence topic
 * (a watcher) that gossipsub detached while a connection to it stayed open,
 * how long until the peer's subscription arrived again: while it is missing
 * the node publishes nothing to that watcher (bench/chaos.ts prints them per
 * phase).
 *
 * Wraps gossipsub's addPeer and removePeer (public members of its class, not
 * of its exported interface): a diagnostic of the harness, never used by the
 * product.
 */
import type { PubSub } from '../../node/pubsub.js'
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

/** A watcher's subscription lost by a detach while connected: how long until it came back (or, still missing, for how long). */
export interface SubscriptionGap {
  ms: number
  back: boolean
  /** Who detached the peer (the innermost callers). */
  why: string
  /** Still missing: whether a connection to the peer is open now. */
  connected?: boolean
}

export class GossipTracker {
  readonly events = new Map<string, GossipEvent[]>()
  /** Watchers detached while connected, by peer: when. */
  private readonly lost = new Map<string, { at: number, why: string }>()
  private gaps: SubscriptionGap[] = []

  constructor (private readonly libp2p: Libp2p, ownTopic: string) {
    const pubsub = libp2p.services.pubsub as unknown as { peers?: Map<string, unknown>, addPeer?: (peer: PeerId, ...rest: unknown[]) => void, removePeer?: (peer: PeerId) => void } & Pick<Libp2p<{ pubsub: PubSub }>['services']['pubsub'], 'getSubscribers' | 'addEventListener'>
    const { addPeer, removePeer } = pubsub
    if (typeof addPeer === 'function') {
      pubsub.addPeer = (peer, ...rest) => {
        if (pubsub.peers?.has(peer.toString()) !== true) this.note(peer, 'attached')
        addPeer.call(pubsub, peer, ...rest)
      }
    }
    if (typeof removePeer === 'function') {
      pubsub.removePeer = (peer) => {
        if (pubsub.peers?.has(peer.toString()) === true) {
          const e = this.note(peer, 'detached')
          if (e.open > 0 && pubsub.getSubscribers(ownTopic).some(p => p.equals(peer))) this.lost.set(peer.toString(), { at: e.at, why: e.stack.split(' < ').slice(1, 3).join(' < ') })
        }
        removePeer.call(pubsub, peer)
      }
    }
    pubsub.addEventListener('subscription-change', (evt) => {
      const id = evt.detail.peerId.toString()
      const lost = this.lost.get(id)
      if (lost == null || !evt.detail.subscriptions.some(sub => sub.topic === ownTopic && sub.subscribe)) return
      this.lost.delete(id)
      this.gaps.push({ ms: Date.now() - lost.at, back: true, why: lost.why })
    })
  }

  /** The gaps that closed since the last call, and those open now (listed again on each call until they close or are a minute old). */
  drainGaps (now = Date.now()): SubscriptionGap[] {
    const still = [...this.lost].map(([id, { at, why }]) => ({ ms: now - at, back: false, why, connected: this.libp2p.getConnections().some(c => c.remotePeer.toString() === id && c.status === 'open') }))
    const out = [...this.gaps.splice(0), ...still]
    for (const [id, { at }] of this.lost) if (now - at > 60_000) this.lost.delete(id)
    return out
  }

  private note (peer: PeerId, what: GossipEvent['what']): GossipEvent {
    const id = peer.toString()
    const open = this.libp2p.getConnections(peer).filter(c => c.status === 'open').length
    const list = this.events.get(id) ?? []
    const e = { at: Date.now(), what, open, stack: what === 'detached' ? caller() : '' }
    list.push(e)
    if (list.length > KEEP) list.shift()
    this.events.set(id, list)
    return e
  }

  /** "detached 3.1 s ago (1 open) from ..., attached 2.0 s ago (1 open)" for the last minute. */
  describe (peer: string, now = Date.now()): string[] {
    return (this.events.get(peer) ?? []).filter(e => now - e.at < 60_000)
      .map(e => `${e.what} ${((now - e.at) / 1000).toFixed(1)} s ago (${e.open} open)${e.stack !== '' ? ` from ${e.stack}` : ''}`)
  }
}
