/**
 * Presence without subscribing (RFC 2778 fetcher, XMPP probe): this node keeps
 * a copy of its signed presence envelope in the DHT, and fetches other
 * presentities' copies on request.
 */
import { serviceCapabilities, serviceDependencies } from '@libp2p/interface'
import { repeatingTask } from '@libp2p/utils'
import { presenceDhtKey, selectPresenceDhtRecord } from '../../protocol/dht-presence.js'
import { openPresence } from '../../protocol/presence-record.js'
import { SelfReferenceError } from '../roster/errors.js'
import {
  DHT_GET_TIMEOUT_MS, DHT_GOODBYE_RETRY_BASE_MS, DHT_GOODBYE_RETRY_CAP_MS, DHT_GOODBYE_RETRY_MAX_TRIES, DHT_GOODBYE_TIMEOUT_MS, DHT_MIN_PUT_INTERVAL_MS, DHT_PUT_INTERVAL_TTL_FRACTION, DHT_PUT_TIMEOUT_MS, DHT_REPUBLISH_REMAINING_FRACTION,
  DHT_SEQ_PRUNE_INTERVAL_MS, DHT_SEQ_PRUNE_TIMEOUT_MS
} from './constants.js'
import { FetchStore } from './fetch-store.js'
import type { Seen } from './fetch-store.js'
import type { PresenceDhtRules } from './dht-records.js'
import type { AnnounceEventDetail, PresenceService } from '../presence/index.js'
import type { Presence, PresenceStatus, RejectReason } from '../../protocol/presence-record.js'
import type { ComponentLogger, Logger, PeerId, Startable } from '@libp2p/interface'
import type { RepeatingTask } from '@libp2p/utils'
import type { KadDHT } from '@libp2p/kad-dht'
import type { Datastore } from 'interface-datastore'
import { anySignal, sharedController, sharedSignal } from '../signals.js'
import { toPeerId } from '../peer-ids.js'
import { Wakeup } from '../util/wait.js'
import { WithdrawalRetry } from '../util/withdrawal-retry.js'
import type { RoutingTableView } from '../util/dht-table.js'

export interface DhtPresenceInit {
  /** The validator rules given to kad-dht, for their rejection counters. */
  rules?: PresenceDhtRules
  /** Put this node's presence record in the DHT (default true). Off: the node can still fetch. */
  publish?: boolean
  maxClockSkewMs?: number
}

export interface DhtPresenceComponents {
  peerId: PeerId
  datastore: Datastore
  logger: ComponentLogger
  /** The routing table tells when it learns its first DHT server (kad-dht's 'peer:add'). */
  dht: KadDHT & { routingTable?: RoutingTableView }
  presence: PresenceService
}

/** What a fetch learned about a presentity. */
export interface FetchResult {
  peerId: string
  /** 'unknown': no valid record in the DHT and never seen by this node. */
  status: PresenceStatus | 'unknown'
  note?: string
  activity?: string
  seq?: bigint
  issuedAt?: number
  expiresAt?: number
  /** Local time the presentity was last known online (survives restarts). */
  lastSeen?: number
  /**
   * 'dht': from a valid record just fetched; 'watch': this node watches the presentity and its
   * gossiped record is newer than the DHT copy; 'history': no record now, this node saw it before.
   */
  source: 'dht' | 'watch' | 'history' | 'none'
}

export class DhtPresenceService implements Startable {
  readonly [Symbol.toStringTag] = 'presence-mesh:dht-presence'
  readonly [serviceCapabilities] = ['@presence-mesh/dht-presence']
  readonly [serviceDependencies] = ['@libp2p/kad-dht', '@presence-mesh/presence']

  private readonly log: Logger
  private readonly publish: boolean
  private readonly maxClockSkewMs?: number
  private readonly rules?: PresenceDhtRules
  private readonly fetchStore: FetchStore
  /** Deletes the validator's replay floors that no record can need any more. */
  private readonly pruneTask?: RepeatingTask
  private started = false
  /** The record last put successfully, the one being put now, and the newest one waiting for a put. */
  private published?: Presence
  private inFlight?: Presence
  private pending?: AnnounceEventDetail
  /**
   * Waiting while `pending` is a goodbye that no peer took, put again after a backoff (or when
   * the first DHT server is known) while `published` may still be served: no announcement may
   * come to retry it (a node that left public mode announces nothing here).
   */
  private readonly goodbyeRetry: WithdrawalRetry
  private putting?: Promise<void>
  private lastPutAt = 0
  /** Ends the wait between two puts early for a goodbye (stop aborts it through the controller). */
  private readonly wake = new Wakeup()
  /** Ends beforeStop's wait once the goodbye record is put. */
  private goodbyePut?: Wakeup
  private controller = sharedController()

  constructor (private readonly components: DhtPresenceComponents, init: DhtPresenceInit = {}) {
    this.log = components.logger.forComponent('presence-mesh:dht-presence')
    this.publish = init.publish ?? true
    this.maxClockSkewMs = init.maxClockSkewMs
    this.rules = init.rules
    this.fetchStore = new FetchStore(components.datastore, this.log)
    const rules = init.rules
    if (rules != null) {
      this.pruneTask = repeatingTask(async (options) => {
        try {
          const n = await rules.prune(options)
          if (n > 0) this.log('pruned %d DHT replay floors', n)
        } catch (err) {
          this.log.error('pruning DHT replay floors failed - %e', err)
        }
      }, DHT_SEQ_PRUNE_INTERVAL_MS, { timeout: DHT_SEQ_PRUNE_TIMEOUT_MS })
    }
    this.goodbyeRetry = new WithdrawalRetry({
      baseMs: DHT_GOODBYE_RETRY_BASE_MS,
      capMs: DHT_GOODBYE_RETRY_CAP_MS,
      maxTries: DHT_GOODBYE_RETRY_MAX_TRIES,
      jitter: 0.5,
      table: () => this.components.dht.routingTable,
      retry: () => { this.wake.notify() },
      // the record the goodbye withdraws has expired (or the goodbye has): nothing left to replace
      expired: () => { this.dropRetry() }
    })
    this.onAnnounce = this.onAnnounce.bind(this)
  }

  isStarted (): boolean {
    return this.started
  }

  start (): void {
    this.controller = sharedController()
    this.started = true
    this.pruneTask?.start()
    if (!this.publish) return
    this.components.presence.addEventListener('announce', this.onAnnounce)
  }

  /** The presence service says goodbye in its own beforeStop; give that record a bounded chance to reach the DHT. */
  async beforeStop (): Promise<void> {
    if (!this.publish || (this.components.dht.routingTable?.size ?? 0) === 0) return
    // no record of this node is in the DHT or on its way there (a node not public announces nothing
    // there, and a put no peer took left nothing), or the one there shows offline already (a node that
    // appears offline, whose goodbye is the same and is not put again; one that left public mode,
    // whose goodbye was put then and none comes now), or has expired: there is nothing a goodbye
    // would replace. A goodbye waiting for its retry (left public mode, no peer took it) counts only
    // while the record it withdraws may be served
    const retrying = this.goodbyeRetry.waiting
    if (this.inFlight == null && (this.pending == null || retrying) && this.servedUntil() <= Date.now()) return
    // that goodbye goes now: out of public mode, the stop's goodbye is not announced here
    if (retrying) this.goodbyeRetry.now()
    this.goodbyePut = new Wakeup()
    await this.goodbyePut.wait(DHT_GOODBYE_TIMEOUT_MS)
  }

  stop (): void {
    this.pruneTask?.stop()
    this.components.presence.removeEventListener('announce', this.onAnnounce)
    // a goodbye waiting for its retry is not put after the stop (nor after a later start)
    if (this.goodbyeRetry.waiting) this.pending = undefined
    this.goodbyeRetry.stop()
    this.controller.abort()
    this.started = false
  }

  /** DHT presence records this node's validator refused, by reason. */
  getRejections (): Record<RejectReason, number> | undefined {
    return this.rules?.getRejections()
  }

  /** The freshest valid record of a presentity in the DHT, or what this node last knew. */
  async fetchPresence (peer: PeerId | string, options: { signal?: AbortSignal } = {}): Promise<FetchResult> {
    const peerId = toPeerId(peer)
    if (peerId.equals(this.components.peerId)) throw new SelfReferenceError('fetch the presence of')
    const id = peerId.toString()
    const seen = await this.fetchStore.get(id)
    const watched = this.components.presence.get(id)
    const lastSeen = max(seen.lastSeen, watched?.lastSeen)
    const result = await this.fromDht(peerId, seen, lastSeen, options.signal)
    // a watcher's gossip view is at least as fresh as the DHT copy (re-put only every few heartbeats)
    if (watched?.seq != null && (result.seq == null || watched.seq > result.seq)) {
      return {
        peerId: id, status: watched.status, note: watched.note, activity: watched.activity, seq: watched.seq,
        expiresAt: watched.expiresAt, lastSeen, source: 'watch'
      }
    }
    return result
  }

  private async fromDht (peerId: PeerId, seen: Seen, lastSeen: number | undefined, signal?: AbortSignal): Promise<FetchResult> {
    const id = peerId.toString()
    const now = Date.now()
    const open = async (envelope: Uint8Array | undefined): Promise<Presence | undefined> => {
      if (envelope == null) return undefined
      const res = await openPresence(envelope, { now, expectedPresentity: peerId, maxClockSkewMs: this.maxClockSkewMs })
      // validators already ran; this also refuses anything older than what an earlier fetch returned
      if (res.ok && (seen.seq == null || res.presence.seq >= seen.seq)) return res.presence
      this.log('record of %s refused: %s', id, res.ok ? 'replay' : res.reason)
      return undefined
    }
    const fetched = await this.getRecord(peerId, signal)
    const found = await open(fetched)
    // the lookup may reach only peers with an older copy: a record fetched before that has not expired yet still holds
    const p = found ?? await open(seen.envelope)
    if (p != null) {
      const seenNow = p.status === 'offline' ? max(lastSeen, Math.min(p.issuedAt, now)) : now
      await this.fetchStore.put(id, { seq: p.seq, lastSeen: seenNow, envelope: found != null ? fetched : seen.envelope })
      return {
        peerId: id, status: p.status, note: p.note, activity: p.activity, seq: p.seq,
        issuedAt: p.issuedAt, expiresAt: p.expiresAt, lastSeen: seenNow, source: 'dht'
      }
    }
    if (lastSeen != null || seen.seq != null) return { peerId: id, status: 'offline', lastSeen, seq: seen.seq, source: 'history' }
    return { peerId: id, status: 'unknown', source: 'none' }
  }

  /**
   * kad-dht's get yields its selected record only at the very end, after it
   * sent corrections to peers holding older copies, and throws if one of
   * those corrections fails (a stale peer that went away, say). So the
   * answers themselves are collected as they arrive (kad-dht yields a
   * PEER_RESPONSE only for a record that passed the validator) and the best
   * of them is chosen here with the same selector.
   */
  private async getRecord (peerId: PeerId, signal?: AbortSignal): Promise<Uint8Array | undefined> {
    const timeout = AbortSignal.timeout(DHT_GET_TIMEOUT_MS)
    const signals = [timeout, this.controller.signal, ...(signal != null ? [signal] : [])]
    const candidates: Uint8Array[] = []
    try {
      for await (const event of this.components.dht.get(presenceDhtKey(peerId), { signal: sharedSignal(anySignal(signals)) })) {
        if (event.name === 'VALUE') candidates.push(event.value)
        else if (event.name === 'PEER_RESPONSE' && event.messageName === 'GET_VALUE' && event.record != null) candidates.push(event.record.value)
      }
    } catch (err: any) {
      this.log('DHT get for %p ended early with %d answers - %e', peerId, candidates.length, err)
    }
    return candidates.length === 0 ? undefined : candidates[selectPresenceDhtRecord(candidates)]
  }

  /**
   * Puts a record that shows something else than the newest one put or being
   * put, or when that one has less than half its lifetime left. Nothing else
   * puts but the retry of a goodbye no peer took (drain): the first put's
   * lookup already waits for kad-dht's first self-query (its QueryManager
   * holds every other query until then), and the half-life re-put keeps the
   * copies fresh as the key's closest peers change.
   */
  private onAnnounce (evt: CustomEvent<AnnounceEventDetail>): void {
    const { record } = evt.detail
    if (this.goodbyeRetry.waiting && this.pending != null) {
      // a public node appearing offline announces the waiting goodbye's state each heartbeat: the newer
      // record takes its place, not its time (the backoff, not the heartbeat, paces the retries)
      if (sameShown(this.pending.record, record)) {
        this.pending = evt.detail
        return
      }
      // anything else (public again) replaces the goodbye, with the usual rules below
      this.dropRetry()
    }
    // a re-announcement while the same presence is being put (a new subscriber, say) needs no put of its own
    const last = this.inFlight ?? this.published
    const changed = last == null || !sameShown(last, record)
    const ttl = record.expiresAt - record.issuedAt
    const nearExpiry = last == null || last.expiresAt - Date.now() < ttl * DHT_REPUBLISH_REMAINING_FRACTION
    if (!changed && !nearExpiry) {
      // back to what is put: a change still waiting for its put would leave the DHT showing an older state
      this.pending = undefined
      return
    }
    this.pending = evt.detail
    if (record.status === 'offline') this.wake.notify()
    this.putting ??= this.drain()
  }

  /**
   * One put at a time, at least DHT_MIN_PUT_INTERVAL_MS apart; a newer record
   * replaces one still waiting, and a goodbye does not wait. A goodbye no peer
   * took is put again with backoff (DHT_GOODBYE_RETRY_BASE_MS) while the
   * record it replaces may be served, and at once when the first DHT server
   * is known again, until a peer takes it, a newer announcement replaces it,
   * DHT_GOODBYE_RETRY_MAX_TRIES retries were not taken, or the node stops.
   */
  private async drain (): Promise<void> {
    try {
      while (this.pending != null && this.started) {
        const { record } = this.pending
        // a goodbye waiting for its retry: the retry's time (or the first DHT server) wakes the loop
        if (this.goodbyeRetry.waiting) {
          await this.wake.wait(Infinity, { signal: this.controller.signal })
          continue
        }
        const gap = Math.min(DHT_MIN_PUT_INTERVAL_MS, (record.expiresAt - record.issuedAt) / DHT_PUT_INTERVAL_TTL_FRACTION)
        const wait = this.lastPutAt + gap - Date.now()
        if (wait > 0 && record.status !== 'offline') {
          await this.wake.wait(wait, { signal: this.controller.signal })
          continue
        }
        const next = this.pending
        this.pending = undefined
        this.lastPutAt = Date.now()
        this.inFlight = next.record
        let stored = 0
        try {
          stored = await this.put(next)
        } finally {
          this.inFlight = undefined
        }
        if (stored > 0) this.goodbyeRetry.taken()
        // a goodbye no peer took, with nothing newer announced meanwhile, while the record it would
        // replace may still be served: tried again after a backoff, not at a heartbeat that may never come
        else if (next.record.status === 'offline' && this.pending == null && this.started) {
          const delay = this.goodbyeRetry.notTaken(Math.min(this.servedUntil(), next.record.expiresAt))
          if (delay != null) {
            this.pending = next
            this.log('DHT goodbye seq %s taken by no peer: tried again in %d ms', next.record.seq, delay)
          } else {
            this.log('DHT goodbye seq %s taken by no peer: not tried again', next.record.seq)
          }
        }
      }
    } finally {
      this.putting = undefined
    }
  }

  /** The last put record that a goodbye would replace, if any: until when the DHT may serve it (0: none). */
  private servedUntil (): number {
    return this.published != null && this.published.status !== 'offline' ? this.published.expiresAt : 0
  }

  /** The goodbye waiting for its retry is dropped (or gives way to a newer record); the loop looks again at once. */
  private dropRetry (): void {
    this.pending = undefined
    this.goodbyeRetry.cancel()
    this.wake.notify()
  }

  /** Puts one record; how many peers took it. */
  private async put ({ record, envelope }: AnnounceEventDetail): Promise<number> {
    let stored = 0
    try {
      const signal = sharedSignal(anySignal([AbortSignal.timeout(DHT_PUT_TIMEOUT_MS), this.controller.signal]))
      for await (const event of this.components.dht.put(presenceDhtKey(this.components.peerId), envelope, { signal })) {
        if (event.name === 'PEER_RESPONSE' && event.messageName === 'PUT_VALUE') stored++
      }
    } catch (err) {
      this.log('DHT put of seq %s failed - %e', record.seq, err)
    }
    this.log.trace('put %s seq %s on %d peers', record.status, record.seq, stored)
    // a put nobody took is retried at the next heartbeat (a goodbye, which may have none, by drain)
    if (stored > 0) this.published = record
    if (record.status === 'offline') this.goodbyePut?.notify()
    return stored
  }
}

/** Two records show the same presence (what a DHT fetcher reads of them). */
function sameShown (a: Presence, b: Presence): boolean {
  return a.status === b.status && a.note === b.note && a.activity === b.activity
}

function max (a?: number, b?: number): number | undefined {
  if (a == null) return b
  if (b == null) return a
  return Math.max(a, b)
}

export function dhtPresence (init: DhtPresenceInit = {}): (components: DhtPresenceComponents) => DhtPresenceService {
  return (components) => new DhtPresenceService(components, init)
}
