/**
 * Fills a small DHT routing table when a server joins it. kad-dht learns its
 * neighbourhood by a table refresh at start (with an empty table: it asks
 * nobody) and a self-query 1 s after start (5 s at most), then both only
 * every 5 minutes. A node that started before its first DHT connection was
 * up (a network's first node, a slow bootstrap dial on a loaded machine)
 * keeps, for up to 5 minutes, only the servers it connected to and those
 * whose own lookups passed through it, and its lookups reach little: a line
 * of 10 test nodes did not reach 4 peers a table within 120 s at load 3.5.
 *
 * So while the table holds fewer than `below` peers, a server added to it
 * brings a lookup of this node's own key (what kad-dht's self-query does:
 * every server that answers is added): after `delayMs`, so a burst of adds
 * is one lookup; one at a time; then at most one per gap, which doubles
 * from `gapFirstMs` up to `gapCapMs`. Adds during this service's own lookup
 * are what that lookup found and bring no other; adds that a self-query of
 * kad-dht's own, started after them, already asked about bring none either
 * (most nodes connect within the second before kad-dht's first one).
 * kad-dht's public refreshRoutingTable() is not used: each call starts one
 * more chain of 5-minute refreshes, and stop() ends only the last.
 */
import { serviceCapabilities, serviceDependencies } from '@libp2p/interface'
import { DHT_FILL_BELOW, DHT_FILL_DELAY_MS, DHT_FILL_GAP_CAP_MS, DHT_FILL_GAP_FIRST_MS, DHT_FILL_LOOKUP_TIMEOUT_MS } from './constants.js'
import { anySignal, sharedSignal } from '../signals.js'
import type { RoutingTableView } from '../util/dht-table.js'
import type { ComponentLogger, Logger, PeerId, Startable } from '@libp2p/interface'
import type { KadDHT } from '@libp2p/kad-dht'

export interface DhtTableFillInit {
  below?: number
  delayMs?: number
  gapFirstMs?: number
  gapCapMs?: number
  lookupTimeoutMs?: number
}

export interface DhtTableFillComponents {
  logger: ComponentLogger
  peerId: PeerId
  /** libp2p's events: kad-dht's 'kad-dht:query:self' ({ duration }) when one of its self-queries ended (an event not in Libp2pEvents' types). */
  events?: Pick<EventTarget, 'addEventListener' | 'removeEventListener'>
  /** kad-dht; its routing table is a runtime field, not part of its typed API. */
  dht: Pick<KadDHT, 'getClosestPeers'> & { routingTable?: RoutingTableView }
}

export class DhtTableFill implements Startable {
  readonly [Symbol.toStringTag] = 'presence-mesh:dht-table-fill'
  readonly [serviceCapabilities] = ['@presence-mesh/dht-table-fill']
  readonly [serviceDependencies] = ['@libp2p/kad-dht']
  private readonly log: Logger
  private readonly below: number
  private readonly delayMs: number
  private readonly gapCapMs: number
  private readonly lookupTimeoutMs: number
  private gapMs: number
  /** When the last lookup of this service started (0: none yet). */
  private lastAt = 0
  private timer?: ReturnType<typeof setTimeout>
  /** When the add that set the timer came. */
  private armedAt = 0
  private running?: AbortController
  private started = false

  constructor (private readonly components: DhtTableFillComponents, init: DhtTableFillInit = {}) {
    this.log = components.logger.forComponent('presence-mesh:dht-table-fill')
    this.below = init.below ?? DHT_FILL_BELOW
    this.delayMs = init.delayMs ?? DHT_FILL_DELAY_MS
    this.gapMs = init.gapFirstMs ?? DHT_FILL_GAP_FIRST_MS
    this.gapCapMs = init.gapCapMs ?? DHT_FILL_GAP_CAP_MS
    this.lookupTimeoutMs = init.lookupTimeoutMs ?? DHT_FILL_LOOKUP_TIMEOUT_MS
    this.onAdd = this.onAdd.bind(this)
    this.onSelfQuery = this.onSelfQuery.bind(this)
  }

  isStarted (): boolean {
    return this.started
  }

  start (): void {
    this.started = true
    this.components.dht.routingTable?.addEventListener?.('peer:add', this.onAdd)
    this.components.events?.addEventListener('kad-dht:query:self', this.onSelfQuery)
  }

  stop (): void {
    this.started = false
    this.components.dht.routingTable?.removeEventListener?.('peer:add', this.onAdd)
    this.components.events?.removeEventListener('kad-dht:query:self', this.onSelfQuery)
    clearTimeout(this.timer)
    this.timer = undefined
    this.running?.abort()
  }

  private onAdd (): void {
    const table = this.components.dht.routingTable
    if (!this.started || this.timer != null || this.running != null || table == null || table.size >= this.below) return
    this.armedAt = Date.now()
    const wait = this.lastAt === 0 ? this.delayMs : Math.max(this.delayMs, this.lastAt + this.gapMs - Date.now())
    this.timer = setTimeout(() => {
      this.timer = undefined
      this.lookup().catch((err: unknown) => { this.log.error('could not fill the routing table - %e', err) })
    }, wait)
  }

  private onSelfQuery (evt: Event): void {
    const duration = (evt as CustomEvent<{ duration?: number }>).detail?.duration
    if (this.timer == null || typeof duration !== 'number' || Date.now() - duration < this.armedAt) return
    clearTimeout(this.timer)
    this.timer = undefined
  }

  private async lookup (): Promise<void> {
    const table = this.components.dht.routingTable
    if (!this.started || table == null || table.size >= this.below) return
    if (this.lastAt !== 0) this.gapMs = Math.min(this.gapMs * 2, this.gapCapMs)
    this.lastAt = Date.now()
    const controller = new AbortController()
    this.running = controller
    const signal = sharedSignal(anySignal([controller.signal, AbortSignal.timeout(this.lookupTimeoutMs)]))
    const before = table.size
    try {
      for await (const _ of this.components.dht.getClosestPeers(this.components.peerId.toMultihash().bytes, { signal })) { /* kad-dht adds who answers */ }
    } catch (err) {
      if (!controller.signal.aborted) this.log('own-key lookup ended early - %e', err)
    } finally {
      this.running = undefined
    }
    this.log('own-key lookup: routing table %d -> %d peers', before, table.size)
  }
}

export function dhtTableFill (init: DhtTableFillInit = {}): (components: DhtTableFillComponents) => DhtTableFill {
  return (components) => new DhtTableFill(components, init)
}
