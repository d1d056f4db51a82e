/**
 * Asking a presentity for one category once, without subscribing (RFC 2778
 * fetcher, XMPP probe): one stream of `/presence-mesh/presence-query/1.0.0`
 * per question, straight to the presentity, so nothing floods the mesh. The
 * answer is what the asker's containers allow, or NONE, which is also what a
 * category that is not set looks like (docs/protocol.md §10.6).
 */
import { serviceCapabilities, serviceDependencies } from '@libp2p/interface'
import { lpStream } from '@libp2p/utils'
import { WindowCounter } from '../util/window-counter.js'
import { isCategoryKey } from '../../protocol/categories.js'
import { openCategory } from '../../protocol/category-item.js'
import { decodeAnswer, decodeQuery, encodeAnswer, encodeQuery, MAX_ANSWER_BYTES, MAX_QUERY_BYTES, QUERY_PROTOCOL } from '../../protocol/category-query.js'
import { PeerUnreachableError } from '../errors.js'
import { toPeerId } from '../peer-ids.js'
import { SelfReferenceError } from '../roster/errors.js'
import { ROSTER_CAPABILITY } from '../roster/constants.js'
import { MAX_QUERIES_PER_WINDOW, QUERY_MAX_INBOUND_STREAMS, QUERY_TIMEOUT_MS, QUERY_WINDOW_S } from './constants.js'
import { InvalidAnswerError, InvalidCategoryError, QueryNotSupportedError } from './errors.js'
import type { PresenceService } from './index.js'
import type { Category, CategoryKey } from '../../protocol/categories.js'
import type { Roster } from '../roster/index.js'
import type { ComponentLogger, Connection, Logger, PeerId, Startable, Stream } from '@libp2p/interface'
import type { ConnectionManager, Registrar } from '@libp2p/interface-internal'
import { openStreamTo } from '../util/open-stream.js'
import { askOnce } from '../util/ask-once.js'
import { anySignal } from '../signals.js'

export interface PresenceQueryComponents {
  peerId: PeerId
  registrar: Registrar
  connectionManager: ConnectionManager
  logger: ComponentLogger
  presence: PresenceService
  roster: Roster
}

export interface PresenceQueryInit {
  /** A query (dial, question, answer) gives up after this long. */
  timeoutMs?: number
  /** Queries one peer may ask per window before its streams are refused. */
  maxQueriesPerWindow?: number
}

/** The answer to one query. */
export interface CategoryAnswer {
  peerId: string
  key: CategoryKey
  /** Absent: nothing to see (not set, or not for this node). */
  category?: Category
  seq?: bigint
  issuedAt?: number
  expiresAt?: number
}

export interface PresenceQuery {
  /** Asks `peer` for one category; PeerUnreachableError, QueryNotSupportedError or InvalidAnswerError when it cannot say. */
  query: (peer: PeerId | string, key: string, options?: { signal?: AbortSignal }) => Promise<CategoryAnswer>
}

class PresenceQueryService implements PresenceQuery, Startable {
  readonly [Symbol.toStringTag] = 'presence-mesh:presence-query'
  readonly [serviceCapabilities] = ['@presence-mesh/presence-query']
  readonly [serviceDependencies] = ['@presence-mesh/presence', ROSTER_CAPABILITY]

  private readonly log: Logger
  private readonly timeoutMs: number
  private readonly limiter: WindowCounter
  private started = false

  constructor (private readonly components: PresenceQueryComponents, init: PresenceQueryInit = {}) {
    this.log = components.logger.forComponent('presence-mesh:presence-query')
    this.timeoutMs = init.timeoutMs ?? QUERY_TIMEOUT_MS
    this.limiter = new WindowCounter(init.maxQueriesPerWindow ?? MAX_QUERIES_PER_WINDOW, QUERY_WINDOW_S * 1000)
    this.handle = this.handle.bind(this)
  }

  isStarted (): boolean {
    return this.started
  }

  async start (): Promise<void> {
    await this.components.registrar.handle(QUERY_PROTOCOL, this.handle, { maxInboundStreams: QUERY_MAX_INBOUND_STREAMS, runOnLimitedConnection: true })
    this.started = true
  }

  async stop (): Promise<void> {
    await this.components.registrar.unhandle(QUERY_PROTOCOL)
    this.started = false
  }

  async query (peer: PeerId | string, key: string, options: { signal?: AbortSignal } = {}): Promise<CategoryAnswer> {
    const target = toPeerId(peer)
    if (target.equals(this.components.peerId)) throw new SelfReferenceError('query')
    if (!isCategoryKey(key)) throw new InvalidCategoryError(key, 'key', 'unknown-value')
    const id = target.toString()
    // a blocked peer is refused by the gater, as it refuses us: the same answer as an offline one
    if (this.components.roster.isBlocked(id)) throw new PeerUnreachableError(id)
    const signal = options.signal == null ? AbortSignal.timeout(this.timeoutMs) : anySignal([options.signal, AbortSignal.timeout(this.timeoutMs)])
    let stream: Stream
    try {
      stream = await openStreamTo(this.components.connectionManager, target, QUERY_PROTOCOL, { signal, runOnLimitedConnection: true })
    } catch (err: any) {
      if (err?.name === 'UnsupportedProtocolError') throw new QueryNotSupportedError(id)
      throw new PeerUnreachableError(id)
    }
    let bytes: Uint8Array
    try {
      bytes = await askOnce(stream, encodeQuery(key), { maxDataLength: MAX_ANSWER_BYTES, signal })
    } catch {
      throw new PeerUnreachableError(id)
    }
    const answer = decodeAnswer(bytes)
    if (!answer.ok) throw new InvalidAnswerError(id, answer.reason, answer.detail)
    if (answer.item == null) return { peerId: id, key }
    const res = openCategory(answer.item, { now: Date.now(), expectedPresentity: id, expectedKey: key })
    if (!res.ok) throw new InvalidAnswerError(id, res.reason, res.detail)
    const { category, seq, issuedAt, expiresAt } = res.item
    return { peerId: id, key, category, seq, issuedAt, expiresAt }
  }

  private async handle (stream: Stream, connection: Connection): Promise<void> {
    const peer = connection.remotePeer.toString()
    const signal = AbortSignal.timeout(this.timeoutMs)
    try {
      if (this.components.roster.isBlocked(peer)) throw new Error('unreachable')
      if (!this.limiter.take(peer)) throw new Error('too many queries')
      const lp = lpStream(stream, { maxDataLength: MAX_QUERY_BYTES })
      const query = decodeQuery((await lp.read({ signal })).subarray())
      if (!query.ok) throw new Error(`bad query: ${query.reason}`)
      await lp.write(encodeAnswer(this.components.presence.itemFor(peer, query.key)), { signal })
      await stream.close({ signal })
    } catch (err: any) {
      this.log('query stream from %s ended - %e', peer, err)
      stream.abort(err instanceof Error ? err : new Error(String(err)))
    }
  }
}

export function presenceQuery (init: PresenceQueryInit = {}): (components: PresenceQueryComponents) => PresenceQuery {
  return (components) => new PresenceQueryService(components, init)
}
