/**
 * Following watched presentities: the node keeps a direct connection to each
 * one, with a working gossip link on it, for as long as it is watched.
 *
 * Gossipsub carries a topic only between its subscribers, so a watcher that
 * hears a presentity through other watchers loses it when they go (a crash,
 * a partition): the view would turn offline although the presentity is up.
 * And a connection is not yet a gossip link: gossipsub attaches to a peer
 * only after identify, and opens one stream each way; under load identify
 * times out, or a stream fails, and the two stay connected and deaf to each
 * other. So a follow is healthy only when connected AND gossipsub holds a
 * stream to and from the peer. A link still incomplete after a grace is
 * identified again (which is what makes gossipsub attach and open its
 * stream), and torn down and dialled again if that did not help.
 *
 * Retries back off while the peer cannot be reached, further for a peer not
 * heard of since the follow began (follow-schedule.ts); a connection that
 * closes before it carried a link counts as a failed attempt (a peer that
 * blocked us accepts a connection and closes it at once: without that, the
 * follow redialled it about ten times a second). Anything that says it may
 * be reachable now ends the wait and starts the backoff over: a disconnect
 * of the peer once linked, a connection it opens, a record of it arriving
 * by gossip when it was not known to be up, new addresses for it, mDNS
 * seeing it, a locate of it by hand; and (at most every `networkWakeMs`)
 * any new connection or a change of this node's own addresses, which is how
 * a healed partition or a network that came back shows, dials its known
 * addresses.
 */
import { anySignal } from '../signals.js'
import { FOLLOW_NETWORK_BACK_SPREAD_MAX_MS, FOLLOW_NETWORK_BACK_SPREAD_PER_FOLLOW_MS } from './constants.js'
import { PeerFollow } from './peer-follow.js'
import { gossipLink, openedAt, silence } from './gossip-link.js'
import type { FollowScheduleOptions } from './follow-schedule.js'
import type { GossipLinks } from './gossip-link.js'
import type { PresenceEventDetail, PresenceEvents } from '../presence/index.js'
import type { Identify } from '@libp2p/identify'
import type { Connection, Libp2pEvents, Logger, PeerDiscovery, PeerId, PeerUpdate, TypedEventTarget } from '@libp2p/interface'
import type { ConnectionManager } from '@libp2p/interface-internal'

export interface FollowComponents {
  /** getConnectionsMap: whether this node is connected to anyone (getConnections() concatenates every peer's list). */
  connectionManager: Pick<ConnectionManager, 'getConnections' | 'getConnectionsMap' | 'closeConnections'>
  events: TypedEventTarget<Libp2pEvents>
  /** Someone connected can answer a neighbour ask (a peer that serves the DHT); without it, anyone connected. */
  canAskNeighbours?: () => boolean
  /**
   * A lookup can ask anyone: the DHT knows a server, or a neighbour that
   * serves it is connected. While it cannot, a follow whose full attempt
   * found nothing to try waits for news of its peer or for `Follows.lookupPossible()`
   * (the discovery service calls it when either comes), with no timer.
   */
  lookupCanAsk?: () => boolean
  /** A lookup of this node is adding the peer's addresses to the peer store now, and dials them next: not news. */
  ownLookupMerging?: (peer: PeerId) => boolean
  /** Records of a followed peer arriving (through anyone) say it is up. */
  presence: Pick<TypedEventTarget<PresenceEvents>, 'addEventListener' | 'removeEventListener'>
  /** Without gossipsub a connection counts as the link. */
  gossip?: () => GossipLinks | undefined
  /** Runs identify again on a connection whose gossip link is incomplete. */
  identify?: () => Pick<Identify, 'identify'> | undefined
  /** mDNS seeing a followed peer on the LAN is news of it. */
  mdns?: () => Pick<PeerDiscovery, 'addEventListener' | 'removeEventListener'> | undefined
}

export interface FollowOptions extends FollowScheduleOptions {
  /** How often a linked peer is checked again. */
  checkMs: number
  /** How long a new connection may stay without a complete gossip link before it is repaired. */
  attachGraceMs: number
  /** The same for a link that was complete and broke while its connection stayed open. */
  relinkGraceMs: number
  /** How often a link that is coming up is looked at. */
  attachPollMs: number
  /**
   * A linked peer whose last record said online and that sent nothing for
   * this many record lifetimes is redialled: records stopped on a link that
   * looks fine.
   */
  silenceLifetimes: number
  /** ... and for at least this long: a busy presentity's heartbeats come late. */
  minSilenceMs: number
  /** A new connection elsewhere or an address change retries an unlinked peer at most this often. */
  networkWakeMs: number
  /** While follows are parked, whether a lookup can ask anyone now is looked at this often (an event that told it can be missed). */
  parkedCheckMs: number
}

/**
 * Reaches a peer: `full` tries everything (the peer store's addresses, a
 * locator record, the neighbours when `neighbours`, the DHT); otherwise only
 * the addresses already known, which is cheap. Resolves 'connected', or
 * 'nothing to try' when there was no address to dial and nothing else to
 * ask (no network action taken: such an attempt costs no timer, signal or
 * Error); throws when what it tried failed. `noAddresses`: none found last
 * time, none came since (peer:update clears it): the peer store is not read.
 */
export type Reach = (peer: PeerId, signal: AbortSignal, attempt: { full: boolean, neighbours: boolean, noAddresses?: boolean }) => Promise<'connected' | 'nothing to try'>

/** The follow's lastError after an attempt with nothing to try. */
export const NOTHING_TO_TRY = 'no known address, and nothing else to ask'
/** ... and after the connection an attempt made closed before it carried a link. */
const DROPPED_BEFORE_LINK = 'the connection closed before it carried a gossip link'

/** Where a follow stands, for diagnostics (`DiscoveryService.followStatus`). */
export interface FollowStatus {
  peer: string
  /** linked: connected with a gossip stream each way; attaching: connected, within the grace; unlinked: neither. */
  state: 'linked' | 'attaching' | 'unlinked'
  /** Failed attempts since the peer was last linked or heard of. */
  failures: number
  /** Not linked, and nothing heard of it since the follow began or for a while: its attempts back off further. */
  quiet: boolean
  /** Repairs of an incomplete gossip link: identify run again, or the connection redialled. */
  repairs: number
  lastError?: string
}

export class Follows {
  private readonly follows = new Map<string, PeerFollow>()
  private running = false
  /**
   * Follows whose full attempt found nothing to try while no lookup could ask
   * anyone: nothing but news of the peer or a DHT server coming can change
   * that, so they wait for either without a timer (a node with 950 offline
   * contacts and no DHT server made ~2,000 such attempts a minute in its
   * first minutes; presence.scale).
   */
  private readonly parked = new Set<PeerFollow>()
  /** Follows that found nothing to try while alone get their full attempt when this fires (the network is back). */
  private networkBack?: ReturnType<typeof setTimeout>
  /** Set while follows are parked: looks whether a lookup can ask anyone now, without waiting for the event. */
  private parkedCheck?: ReturnType<typeof setTimeout>
  /** Set between the first server to ask and the parked follows' full attempts. */
  private lookupWake?: ReturnType<typeof setTimeout>

  constructor (private readonly components: FollowComponents, private readonly reach: Reach, private readonly opts: FollowOptions, private readonly log: Logger) {
    this.onDisconnect = this.onDisconnect.bind(this)
    this.onConnect = this.onConnect.bind(this)
    this.onPeerUpdate = this.onPeerUpdate.bind(this)
    this.onNetworkChange = this.onNetworkChange.bind(this)
    this.onPresence = this.onPresence.bind(this)
    this.onMdnsPeer = this.onMdnsPeer.bind(this)
  }

  start (): void {
    const { events, presence } = this.components
    events.addEventListener('peer:disconnect', this.onDisconnect)
    events.addEventListener('peer:connect', this.onConnect)
    events.addEventListener('peer:update', this.onPeerUpdate)
    events.addEventListener('self:peer:update', this.onNetworkChange)
    presence.addEventListener('presence', this.onPresence)
    this.components.mdns?.()?.addEventListener('peer', this.onMdnsPeer)
    this.running = true
  }

  stop (): void {
    const { events, presence } = this.components
    this.running = false
    events.removeEventListener('peer:disconnect', this.onDisconnect)
    events.removeEventListener('peer:connect', this.onConnect)
    events.removeEventListener('peer:update', this.onPeerUpdate)
    events.removeEventListener('self:peer:update', this.onNetworkChange)
    presence.removeEventListener('presence', this.onPresence)
    this.components.mdns?.()?.removeEventListener('peer', this.onMdnsPeer)
    clearTimeout(this.networkBack)
    this.networkBack = undefined
    clearTimeout(this.parkedCheck)
    this.parkedCheck = undefined
    clearTimeout(this.lookupWake)
    this.lookupWake = undefined
    for (const f of this.follows.values()) f.controller.abort()
    this.follows.clear()
    this.parked.clear()
  }

  /**
   * A lookup can ask someone again (the DHT's first server, a neighbour that
   * serves it): the parked follows get their full attempt `networkWakeMs`
   * later, spread out, as after the network came back. Not at once: the
   * first server is the only one known then, and a full attempt asks the
   * neighbours once in minutes (FOLLOW_MIN_REASK_MS); meanwhile identify
   * fills the routing table and the neighbours. (Session 15's chaos run:
   * parked follows woken at the first server found addresses through a
   * neighbour 2 times in 1,101 asks, session 10's code 15 in 347.)
   */
  lookupPossible (): void {
    if (this.parked.size === 0 || this.lookupWake != null) return
    this.lookupWake = setTimeout(() => {
      this.lookupWake = undefined
      const parked = [...this.parked]
      this.parked.clear()
      this.retryFullSpread(parked)
    }, this.opts.networkWakeMs)
    this.lookupWake.unref?.()
  }

  private park (f: PeerFollow): void {
    this.parked.add(f)
    this.checkParkedLater()
  }

  /**
   * The events lookupPossible() waits for can be missed: kad-dht dispatches
   * 'peer:add' only after its peer-store write for the peer, so a write that
   * failed (the add's deadline ran out under load) leaves a server in the
   * table unannounced; and a follow parked again after a cheap attempt was
   * not parked while the event came. So while any follow is parked the sizes
   * are also read now and then; a read makes no attempt.
   */
  private checkParkedLater (): void {
    if (this.parkedCheck != null || !this.running) return
    this.parkedCheck = setTimeout(() => {
      this.parkedCheck = undefined
      if (this.parked.size === 0) return
      if (this.components.lookupCanAsk?.() !== false) this.lookupPossible()
      else this.checkParkedLater()
    }, this.opts.parkedCheckMs)
    this.parkedCheck.unref?.()
  }

  /** A full attempt for each of these follows still unlinked, spread out (no dial or lookup storm). */
  private retryFullSpread (follows: PeerFollow[]): void {
    const spreadMs = Math.min(FOLLOW_NETWORK_BACK_SPREAD_MAX_MS, follows.length * FOLLOW_NETWORK_BACK_SPREAD_PER_FOLLOW_MS)
    const now = Date.now()
    for (const f of follows) {
      if (f.state !== 'unlinked' || this.follows.get(f.peerId.toString()) !== f) continue
      f.schedule.retryFull(now + Math.floor(Math.random() * spreadMs))
      f.wake(false)
    }
  }

  /** Starts following (no-op while stopped or already followed); true when it started. */
  add (peerId: PeerId): boolean {
    const id = peerId.toString()
    if (!this.running || this.follows.has(id)) return false
    const f = new PeerFollow(peerId, this.opts)
    this.follows.set(id, f)
    void this.run(f)
    return true
  }

  remove (id: string): boolean {
    const f = this.follows.get(id)
    if (f == null) return false
    f.controller.abort()
    this.follows.delete(id)
    this.parked.delete(f)
    return true
  }

  list (): string[] {
    return [...this.follows.keys()]
  }

  status (id: string): FollowStatus | undefined {
    const f = this.follows.get(id)
    if (f == null) return undefined
    return { peer: id, state: f.state, failures: f.schedule.failures, repairs: f.repairs, quiet: f.state !== 'linked' && f.schedule.quiet(), lastError: f.lastError }
  }

  /** News of a followed peer from outside the follow (a locate by hand): try it now, its backoff started over. */
  news (id: string): void {
    const f = this.follows.get(id)
    if (f != null && f.state !== 'linked') f.wake(true)
  }

  private async run (f: PeerFollow): Promise<void> {
    const { signal } = f.controller
    // when the current connections were first seen without a complete link; the grace runs from then
    let incompleteSince = 0
    let reidentified = false
    // a link that was complete and broke on a connection still open needs no time for identify
    let linkedAt = 0
    while (!signal.aborted) {
      const now = Date.now()
      const open = this.components.connectionManager.getConnections(f.peerId).filter(c => c.status === 'open')
      const broke = linkedAt > 0 && open.some(c => openedAt(c) <= linkedAt)
      // the grace runs from when the link was first seen incomplete (now, if this is the first look), never
      // from an old connection's opening: a link that broke on a connection open for minutes gets its grace too
      const link = gossipLink(this.components, f.peerId, now, incompleteSince === 0 ? now : incompleteSince, broke ? this.opts.relinkGraceMs : this.opts.attachGraceMs)
      let wait = this.opts.checkMs
      const silentFor = silence(f, now, this.opts)
      if (link.state === 'linked' && silentFor <= 0) {
        f.state = 'linked'
        f.lastError = undefined
        // a link that fell silent backs off until the peer is heard again
        f.schedule.linked(now, f.lastRecordAt < f.silenceRepairAt)
        f.connectedAt = 0
        incompleteSince = 0
        reidentified = false
        linkedAt = now
        if (silentFor < 0) wait = Math.min(wait, -silentFor)
      } else if (link.state === 'attaching') {
        f.state = 'attaching'
        if (incompleteSince === 0) incompleteSince = now
        wait = Math.min(wait, link.graceLeft, this.opts.attachPollMs)
      } else if (link.state === 'stale' && !link.ours && !reidentified && link.oldest != null && this.components.identify?.() != null) {
        // our gossipsub is not attached, or has no stream to the peer: identify again, which attaches it
        f.state = 'attaching'
        f.repairs++
        reidentified = true
        this.log('connection to watched %p has no gossip link after %d ms, identifying again', f.peerId, this.opts.attachGraceMs)
        await this.components.identify()?.identify(link.oldest, { signal: anySignal([signal, AbortSignal.timeout(this.opts.attachGraceMs)]) })
          .catch((err: any) => { f.lastError = `identify: ${err?.message ?? err}` })
        incompleteSince = Date.now()
        wait = 0
      } else {
        f.state = 'unlinked'
        f.lastAttemptAt = now
        incompleteSince = 0
        reidentified = false
        linkedAt = 0
        // linked but silent: records stopped on a link that looks fine (a NAT forgot it, the peer hangs)
        const stale = link.state === 'stale' || link.state === 'linked'
        if (stale) {
          // the peer's half is missing, identify did not help, or nothing comes: start again from a fresh connection
          f.repairs++
          if (link.state === 'linked') f.silenceRepairAt = now
          this.log('connection to watched %p %s, redialling', f.peerId, link.state === 'linked' ? `silent for ${silentFor} ms` : 'still has no gossip link')
          // our own close is not the peer closing on us
          f.connectedAt = 0
          await this.components.connectionManager.closeConnections(f.peerId, { signal }).catch(() => {})
        }
        const { schedule } = f
        // what our last attempt connected to closed before it carried a link: a failed attempt (nothing is
        // dialled now), not news
        const dropped = f.droppedBeforeLink
        f.droppedBeforeLink = false
        // a lookup only when it is due (or on news about the peer); before that, known addresses only
        const full = now >= schedule.fullAttemptAt
        // an ask with nobody to ask (nobody connected, or nobody connected that serves the DHT) asks nobody: it leaves the asks due
        const neighbours = !dropped && full && now >= schedule.neighboursAt && (this.components.canAskNeighbours?.() ?? this.connectedToAnyone())
        let failure = dropped ? DROPPED_BEFORE_LINK : undefined
        if (!dropped) {
          const attempt = f.attempt()
          f.attempting = true
          try {
            if (await this.reach(f.peerId, attempt.signal, { full, neighbours, noAddresses: schedule.noAddresses }) === 'nothing to try') {
              schedule.noAddresses = true
              failure = NOTHING_TO_TRY
            } else {
              // connected: watch the gossip link come up; a link that keeps going stale is redialled less and less often
              f.connectedAt = Date.now()
              wait = this.opts.attachPollMs
              if (stale) wait = Math.max(wait, schedule.nextDelay())
            }
          } catch (err: any) {
            if (signal.aborted) return
            // cut short by new addresses: no failure, they are tried at once
            if (attempt.cut.aborted) continue
            failure = err?.message ?? String(err)
          } finally {
            f.attempting = false
          }
        }
        if (failure != null) {
          // failed while connected to nobody (stale addresses, no DHT): a full attempt once the network is back
          schedule.alone = !this.connectedToAnyone()
          f.lastError = failure
          wait = schedule.failed(Date.now(), { full, neighbours })
          // parked: a wake that is no news (a connection of the peer, a network change) only dials what is known
          if (failure === NOTHING_TO_TRY && full && this.components.lookupCanAsk?.() === false) schedule.fullAttemptAt = Infinity
          // (also after such a cheap attempt failed): only news or lookupPossible() bring the next full attempt
          if (schedule.fullAttemptAt === Infinity) {
            this.park(f)
            wait = Infinity
          }
          this.log('watched %p is unreachable (%s attempt), next lookup in %d ms - %s', f.peerId, full ? 'full' : 'known addresses', wait, failure)
        }
      }
      await f.wakeup.wait(wait, { signal })
      this.parked.delete(f)
    }
  }

  private connectedToAnyone (): boolean {
    return this.components.connectionManager.getConnectionsMap().size > 0
  }

  private onDisconnect (evt: CustomEvent<PeerId>): void {
    const f = this.follows.get(evt.detail.toString())
    if (f == null) return
    if (f.state !== 'linked' && (f.attempting || f.connectedAt > 0)) {
      // the connection our attempt made closed before it carried a link (refused after the handshake, say;
      // often before the attempt itself returned)
      f.connectedAt = 0
      f.droppedBeforeLink = true
      f.wake(false)
      return
    }
    f.wake(true)
  }

  /** A connection to a followed peer (it dialled us, say) is looked at now; one to anyone else is a network change. */
  private onConnect (evt: CustomEvent<PeerId>): void {
    const f = this.follows.get(evt.detail.toString())
    if (f == null) return this.onNetworkChange()
    f.wake(false)
    this.networkBackSoon()
  }

  /**
   * mDNS saw a followed peer on the LAN: news, but at most once per `maxRetryMs` (mDNS answers come every
   * few seconds, and a peer it sees that we cannot link to would get a full attempt on each).
   */
  private onMdnsPeer (evt: CustomEvent<{ id: PeerId }>): void {
    const f = this.follows.get(evt.detail.id.toString())
    if (f == null || f.state === 'linked') return
    const now = Date.now()
    if (now - f.mdnsNewsAt < this.opts.maxRetryMs) return f.schedule.heard(now)
    f.mdnsNewsAt = now
    f.wake(true)
  }

  /** New addresses of a followed peer (identify, an address change it pushed), but not those a lookup of this node found and dials itself (a locate by hand is news of its own). */
  private onPeerUpdate (evt: CustomEvent<PeerUpdate>): void {
    const { peer, previous } = evt.detail
    const f = this.follows.get(peer.id.toString())
    if (f == null || f.state === 'linked' || this.components.ownLookupMerging?.(peer.id) === true) return
    const before = new Set((previous?.addresses ?? []).map(a => a.multiaddr.toString()))
    if (!peer.addresses.some(a => !before.has(a.multiaddr.toString()))) return
    f.wake(true)
    f.cutShort()
  }

  /**
   * A record of the peer came through someone: it is up, and we are not
   * linked to it. That is news only when we did not know it was up (no
   * record before, or the last one said offline or has expired): a busy
   * presentity's every change would otherwise forget the backoff and start a
   * full attempt (a DHT lookup that dials peers) after each failed one.
   */
  private onPresence (evt: CustomEvent<PresenceEventDetail>): void {
    if (evt.detail.cause !== 'record') return
    const { view } = evt.detail
    const f = this.follows.get(view.peerId)
    if (f == null) return
    const now = Date.now()
    const knownUp = f.lastRecordOnline && f.lastRecordAt > 0 && now - f.lastRecordAt < f.lifetimeMs
    f.lastRecordAt = now
    f.lastRecordOnline = view.status !== 'offline'
    // alive: its attempts keep the short backoff while its records come
    if (f.lastRecordOnline) f.schedule.heard(now)
    if (view.expiresAt != null && view.lastSeen != null) f.lifetimeMs = view.expiresAt - view.lastSeen
    if (f.state === 'unlinked' && !knownUp) f.wake(true)
  }

  /**
   * Something changed in the network: dial the known addresses of every
   * unlinked follow whose last attempt is old enough (one with none known
   * has nothing to dial: new addresses of it wake it themselves), and give
   * a full attempt to those that found nothing while this node was alone.
   */
  private onNetworkChange (): void {
    const now = Date.now()
    for (const f of this.follows.values()) {
      if (f.state === 'unlinked' && !f.schedule.noAddresses && now - f.lastAttemptAt >= this.opts.networkWakeMs) f.wake(false)
    }
    this.networkBackSoon()
  }

  /** Follows whose attempts found nothing while the node was alone get a full one once it is not, spread out (no dial storm). */
  private networkBackSoon (): void {
    if (this.networkBack != null || !this.connectedToAnyone()) return
    // those alone now (a cheap dial of their known addresses meanwhile, failing while connected, clears it)
    const alone = [...this.follows.values()].filter(f => f.state === 'unlinked' && f.schedule.alone)
    if (alone.length === 0) return
    this.networkBack = setTimeout(() => {
      this.networkBack = undefined
      this.retryFullSpread(alone)
    }, this.opts.networkWakeMs)
    this.networkBack.unref?.()
  }
}
