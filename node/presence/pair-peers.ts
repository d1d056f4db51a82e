/**
 * The peers a pair topic is of use with now (docs/protocol.md §8.3). Only the
 * two members of a pair can compute its topic, so nobody else relays it:
 * gossip on it reaches the other member only over a direct connection. So
 * presence subscribes to a contact device's pair topic only while this node
 * is connected to that device, and for a grace after the last connection
 * closed, so a reconnect does not unsubscribe and subscribe again. Before,
 * every pair topic was subscribed for good: gossipsub's heartbeat walked one
 * topic per contact device each second, and every peer that connected (a
 * stranger too) was sent every topic name, i.e. a count of our contacts.
 */
import type { ConnectionManager } from '@libp2p/interface-internal'
import type { Libp2pEvents, PeerId, TypedEventTarget } from '@libp2p/interface'

export interface PairPeersComponents {
  events: TypedEventTarget<Libp2pEvents>
  connectionManager?: Pick<ConnectionManager, 'getConnections'>
}

export class PairPeers {
  /** Peers with an open connection (libp2p's peer:connect, until its peer:disconnect). */
  private readonly connected = new Set<string>()
  /** Peers whose last connection closed less than the grace ago. */
  private readonly lingering = new Map<string, ReturnType<typeof setTimeout>>()

  /** `changed(peer)`: whether `peer` is of use now (`has`) may have changed. */
  constructor (
    private readonly components: PairPeersComponents,
    private readonly graceMs: number,
    private readonly changed: (peer: string) => void
  ) {
    this.onConnect = this.onConnect.bind(this)
    this.onDisconnect = this.onDisconnect.bind(this)
  }

  start (): void {
    this.components.events.addEventListener('peer:connect', this.onConnect)
    this.components.events.addEventListener('peer:disconnect', this.onDisconnect)
    // connections opened before presence started (a bootstrap dial, say)
    for (const c of this.components.connectionManager?.getConnections() ?? []) this.connected.add(c.remotePeer.toString())
  }

  stop (): void {
    this.components.events.removeEventListener('peer:connect', this.onConnect)
    this.components.events.removeEventListener('peer:disconnect', this.onDisconnect)
    for (const timer of this.lingering.values()) clearTimeout(timer)
    this.lingering.clear()
    this.connected.clear()
  }

  /** Whether a pair topic with `peer` is of use now: connected, or disconnected less than the grace ago. */
  has (peer: string): boolean {
    return this.connected.has(peer) || this.lingering.has(peer)
  }

  private onConnect (evt: CustomEvent<PeerId>): void {
    const peer = evt.detail.toString()
    const was = this.has(peer)
    this.connected.add(peer)
    clearTimeout(this.lingering.get(peer))
    this.lingering.delete(peer)
    if (!was) this.changed(peer)
  }

  private onDisconnect (evt: CustomEvent<PeerId>): void {
    const peer = evt.detail.toString()
    if (!this.connected.delete(peer)) return
    const timer = setTimeout(() => {
      this.lingering.delete(peer)
      this.changed(peer)
    }, this.graceMs)
    timer.unref?.()
    this.lingering.set(peer, timer)
  }
}
