/**
 * Keeps a sealed locator record in the DHT for every contact that may see
 * this node (protocol.md §8.6), so contacts find it when it is not public,
 * and reads the records contacts left for it. Reacts to the roster: a
 * contact who loses sight of this node gets an empty record (what a clean
 * stop leaves), the rules' keyring follows the contacts.
 */
import { serviceCapabilities, serviceDependencies } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { repeatingTask } from '@libp2p/utils'
import { CODE_P2P } from '@multiformats/multiaddr'
import { peerIdString } from '../peer-ids.js'
import { ROSTER_CAPABILITY } from '../roster/constants.js'
import { LOCATOR_DEBOUNCE_MS, LOCATOR_GOODBYE_TIMEOUT_MS, LOCATOR_TIMEOUT_MS, LOCATOR_TTL_MS } from './constants.js'
import { LocatorPublisher } from './locator.js'
import { LocatorWithdrawals } from './withdrawals.js'
import { sleep } from '../util/wait.js'
import { anySignal, sharedSignal } from '../signals.js'
import { devicesOf, droppedDevices } from '../presence/person-devices.js'
import { parseMultiaddrs } from '../util/multiaddrs.js'
import { awaitFirstDhtServer } from '../util/dht-table.js'
import type { Locator, LocatorInit } from './index.js'
import type { LocatorDhtRules } from './locator.js'
import type { Roster, RosterChangeEvent } from '../roster/index.js'
import type { ComponentLogger, Libp2pEvents, Logger, PeerId, PeerStore, PrivateKey, Startable, TypedEventTarget } from '@libp2p/interface'
import type { AddressManager } from '@libp2p/interface-internal'
import type { KadDHT } from '@libp2p/kad-dht'
import type { RepeatingTask } from '@libp2p/utils'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { RoutingTableView } from '../util/dht-table.js'

export interface LocatorComponents {
  peerId: PeerId
  privateKey: PrivateKey
  logger: ComponentLogger
  events: TypedEventTarget<Libp2pEvents>
  addressManager: AddressManager
  peerStore: PeerStore
  /** The routing table tells when it learns its first DHT server (kad-dht's 'peer:add'). */
  dht: KadDHT & { routingTable?: RoutingTableView }
  roster: Roster
}


export class LocatorService implements Locator, Startable {
  readonly [Symbol.toStringTag] = 'presence-mesh:locator'
  readonly [serviceCapabilities] = ['@presence-mesh/locator']
  readonly [serviceDependencies] = ['@libp2p/kad-dht', ROSTER_CAPABILITY]

  private readonly log: Logger
  private readonly publisher: LocatorPublisher
  /** Empty records no DHT peer took, put again while the record they replace may be served. */
  private readonly withdrawals: LocatorWithdrawals
  private readonly rules?: LocatorDhtRules
  private readonly task: RepeatingTask
  /** Contacts that get a locator now. */
  private audience = new Set<string>()
  /** Set when a publish was asked for while one ran: the loop runs once more. */
  private dirty = false
  /**
   * Every put of this node's locators, one run after another: a retirement
   * (an empty record) is never overtaken by a republish that began before it.
   */
  private queue: Promise<void> = Promise.resolve()
  /** Ends the republish in flight: a retirement must not wait behind a run over every contact. */
  private running?: AbortController
  /** Ends republishes started outside the repeating task. */
  private shutdown = new AbortController()
  private started = false

  constructor (private readonly components: LocatorComponents, init: LocatorInit = {}) {
    this.log = components.logger.forComponent('presence-mesh:locator')
    this.rules = init.rules
    const ttlMs = init.ttlMs ?? LOCATOR_TTL_MS
    this.publisher = new LocatorPublisher({
      self: components.peerId,
      privateKey: components.privateKey,
      dht: () => components.dht,
      addresses: () => components.addressManager.getAddresses().map(ma => ma.decapsulateCode(CODE_P2P).bytes),
      keysFor: peer => components.roster.keysFor(peer),
      log: this.log,
      ttlMs,
      timeoutMs: LOCATOR_TIMEOUT_MS
    })
    this.withdrawals = new LocatorWithdrawals(this.publisher, {
      table: () => components.dht.routingTable,
      // after the puts queued before (a republish), never overtaking one
      run: async (work) => { await this.enqueue(work) },
      // unblocked meanwhile: its republish puts the addresses back
      still: reader => !this.audience.has(reader),
      log: this.log
    })
    this.task = repeatingTask(async (opts) => { await this.publishAll(opts?.signal) }, Math.floor(ttlMs / 3), { debounce: LOCATOR_DEBOUNCE_MS })
    this.onRosterChange = this.onRosterChange.bind(this)
    this.onSelfUpdate = this.onSelfUpdate.bind(this)
    this.onDhtPeer = this.onDhtPeer.bind(this)
  }

  isStarted (): boolean {
    return this.started
  }

  start (): void {
    this.started = true
    this.shutdown = new AbortController()
    this.withdrawals.start()
  }

  afterStart (): void {
    this.components.roster.addEventListener('roster:change', this.onRosterChange)
    this.components.events.addEventListener('self:peer:update', this.onSelfUpdate)
    this.audience = this.currentAudience()
    this.updateKeyring()
    this.task.start()
    this.schedule()
  }

  /**
   * A clean stop leaves each contact an empty locator, which is also what a blocked contact is left with;
   * a blocked contact whose empty locator waits for its retry gets it now, within the same bound.
   */
  async beforeStop (): Promise<void> {
    // ends a republish in flight (its signal aborts): the goodbyes below come after it
    this.task.stop()
    this.shutdown.abort()
    this.withdrawals.stop()
    this.components.roster.removeEventListener('roster:change', this.onRosterChange)
    this.components.events.removeEventListener('self:peer:update', this.onSelfUpdate)
    // nobody to store it with (no DHT server known): nothing to retire either
    if ((this.components.dht.routingTable?.size ?? 0) === 0) return
    await this.retire([...this.audience, ...this.withdrawals.pending()])
  }

  stop (): void {
    this.task.stop()
    this.withdrawals.stop()
    this.components.dht.routingTable?.removeEventListener?.('peer:add', this.onDhtPeer)
    this.started = false
  }

  async refresh (peer: PeerId | string, signal?: AbortSignal): Promise<number> {
    const multiaddrs = await this.lookup(peer, signal)
    if (multiaddrs.length === 0) return 0
    await this.components.peerStore.merge(peerIdFromString(peerIdString(peer)), { multiaddrs })
    return multiaddrs.length
  }

  async lookup (peer: PeerId | string, signal?: AbortSignal): Promise<Multiaddr[]> {
    const peerId = peerIdString(peer)
    if (!this.components.roster.canSee(peerId)) return []
    return parseMultiaddrs(await this.publisher.lookup(peerId, signal))
  }

  /** Every current device of each contact that may see this node: each reads a locator of its own (pair keys are per device, §14.7). */
  private currentAudience (): Set<string> {
    const me = this.components.peerId.toString()
    return new Set(this.components.roster.contacts().flatMap(devicesOf).filter(d => d !== me && this.components.roster.canSee(d)))
  }

  private onRosterChange (evt: CustomEvent<RosterChangeEvent>): void {
    const before = this.audience
    this.audience = this.currentAudience()
    this.updateKeyring()
    // a device its contact's list dropped (revoked) is left nothing, not even an empty record (§14.8)
    const dropped = new Set(droppedDevices(evt.detail.people))
    const lost = [...before].filter(p => !this.audience.has(p) && !dropped.has(p))
    for (const device of dropped) this.withdrawals.forget(device)
    // the blocked (or hidden-from) contact is left an empty record before the change counts as done
    if (lost.length > 0) {
      const interrupted = this.running != null
      this.running?.abort()
      // the change waits for the empty records as a clean stop does (a block took 5 s: below)
      evt.detail.waitUntil(this.retire(lost))
      // the interrupted republish again, after the empty records (the repeating task
      // ignores a run asked for while one is still running: it would wait for its interval)
      if (interrupted) void this.publishAll(this.shutdown.signal)
    }
    if ([...this.audience].some(p => !before.has(p))) this.schedule()
  }

  private onSelfUpdate (): void {
    this.schedule()
  }

  /**
   * With no DHT server known, a put waits for one until its deadline
   * (LOCATOR_TIMEOUT_MS) and stores nothing: a republish over every contact
   * then seals and puts one record each 5 s for as long as no server comes
   * (1,000 contacts: 83 minutes a round, longer than the republish interval,
   * so for good; presence.scale). So the republish waits for the routing
   * table's first peer instead, as the contact code's intake record does
   * (node/reach), and runs whole then. True while it waits.
   */
  private dhtKnowsNobody (): boolean {
    return awaitFirstDhtServer(this.components.dht.routingTable, this.onDhtPeer)
  }

  private onDhtPeer (): void {
    this.log('a DHT server is known: locators are put')
    this.schedule()
  }

  /** Republishes every contact's locator soon; a request while a run is on makes one more run. */
  private schedule (): void {
    if (!this.started) return
    this.dirty = true
    this.task.run()
  }

  private async publishAll (stopped?: AbortSignal): Promise<void> {
    await this.enqueue(async () => {
      if (stopped?.aborted === true || this.dhtKnowsNobody()) return
      const run = new AbortController()
      this.running = run
      const signal = stopped != null ? sharedSignal(anySignal([stopped, run.signal])) : run.signal
      try {
        do {
          this.dirty = false
          // a DHT that lost its last server mid-run: the rest waits for the next one
          await this.publisher.publish([...this.audience], { signal, still: peer => this.audience.has(peer), until: () => this.dhtKnowsNobody() })
        } while (this.dirty && this.started && !signal.aborted && !this.dhtKnowsNobody())
      } finally {
        if (this.running === run) this.running = undefined
        run.abort() // ends the combined signal: nothing stays on `stopped` for it
      }
    })
  }

  /**
   * Leaves `peers` an empty locator each, waiting at most LOCATOR_GOODBYE_TIMEOUT_MS (the put goes on): a put
   * that finds no server to store it runs to its whole deadline (in a network of two, a block took 5 s).
   * One no DHT peer took is put again while the node runs (withdrawals).
   */
  private async retire (peers: string[]): Promise<void> {
    const bound = new AbortController()
    await Promise.race([
      this.enqueue(async () => { await this.withdrawals.withdraw(peers) }),
      sleep(LOCATOR_GOODBYE_TIMEOUT_MS, { signal: bound.signal }).catch(() => {})
    ]).finally(() => { bound.abort() })
  }

  /** Runs `work` after every locator put queued before it; a failure is logged, not passed on. */
  private async enqueue (work: () => Promise<unknown>): Promise<void> {
    const next = this.queue.then(work).then(() => {}, (err: unknown) => { this.log.error('locator publish failed - %e', err) })
    this.queue = next
    await next
  }

  /** The records this node can open: its contacts' records for it (and its own, for the selector). */
  private updateKeyring (): void {
    const me = this.components.peerId.toString()
    const contacts = this.components.roster.contacts().filter(p => p.blockedSince == null).flatMap(devicesOf).filter(d => d !== me)
    this.rules?.setKeyring(this.publisher.keyring(contacts))
  }
}
