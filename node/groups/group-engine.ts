/**
 * The groups this node is in, kept in step: entries from the topic (checked
 * by the topic validator, read in order, shown, then committed), this node's
 * own entries (journaled or committed, then published), and catch-up with
 * connected members, both ways (an asker that holds more is asked back).
 */
import { TopicValidatorResult } from '@libp2p/gossipsub'
import { peerIdFromString } from '@libp2p/peer-id'
import { openGroupEntry } from '../../protocol/group-entry.js'
import { WindowCounter } from '../util/window-counter.js'
import { MAX_GROUP_STREAM_FRAME_BYTES } from '../../protocol/group-streams.js'
import { hex, sealGroupOp } from '../../protocol/group-op.js'
import { GROUP_OPS_CEILING, MAX_GROUP_OPS } from '../../protocol/group-log.js'
import { readSyncResponse, requestedPositions, requestSync, serveSync, syncRequest, syncResponse } from './catch-up.js'
import { readEntry, ReadBatch } from './feed-reader.js'
import { restoreEntries, writeEntries } from './feed-writer.js'
import { diffStates, GroupRuntime } from './group.js'
import { TopicReads } from './topic-reads.js'
import { GroupFullError } from './errors.js'
import * as C from './constants.js'
import type { GroupChange } from './group.js'
import type { FeedContext } from './feed-reader.js'
import type { Written, WriterContext } from './feed-writer.js'
import type { JournalRecord, OwnEntryJournal } from './own-journal.js'
import type { GroupStore, StoredMessage } from './group-store.js'
import type { Roster } from '../roster/index.js'
import type { PubSub } from '../pubsub.js'
import type { Transaction } from '../store/records.js'
import type { GroupContent } from '../../protocol/group-entry.js'
import type { GroupOp, GroupOpFields } from '../../protocol/group-op.js'
import type { GroupSyncRequest, GroupSyncResponse } from '../../protocol/pb/group.js'
import type { Message } from '@libp2p/gossipsub'
import type { Connection, Logger, PeerId, PrivateKey, Stream } from '@libp2p/interface'
import type { ConnectionManager } from '@libp2p/interface-internal'

export interface EngineComponents {
  peerId: PeerId
  privateKey: PrivateKey
  pubsub: PubSub
  roster: Roster
  connectionManager: ConnectionManager
}

export interface EngineHooks {
  /** Texts from others, committed (blocked authors included: the listener filters). */
  messages: (g: GroupRuntime, messages: StoredMessage[]) => void
  changes: (g: GroupRuntime, changes: GroupChange[]) => void
  /** Own texts that send() returned as queued went out (sent) or another member stored them (delivered). */
  states: (g: GroupRuntime, messages: StoredMessage[], state: 'sent' | 'delivered') => void
}

/** An entry read from the topic, waiting for its show and its commit. */
interface TopicRead { g: GroupRuntime, batch: ReadBatch, source: string }

/** Texts remembered as announced while their commits fail (a disk that keeps failing stops the remembering, not the reading). */
const MAX_SHOWN_UNSTORED = 10_000

export class GroupEngine {
  readonly groups = new Map<string, GroupRuntime>()
  private readonly byTopic = new Map<string, GroupRuntime>()
  private readonly subscribed = new Set<string>()
  private readonly catchingUp = new Map<string, Promise<number>>()
  private readonly gapTimers = new Map<string, ReturnType<typeof setTimeout>>()
  private readonly offerTimers = new Map<string, ReturnType<typeof setTimeout>>()
  private readonly topicReads = new TopicReads<TopicRead>(r => this.show(r.g, r.batch.messages), reads => { this.commitTopicReads(reads) })
  /** Ids (`<group>/<author>:<seq>`) of texts announced whose commit has not ended. */
  private readonly shownUnstored = new Set<string>()
  /** Entries taken from the topic per group and author and window (a counter without timers: it runs for every read). */
  private readonly receiveLimit: WindowCounter
  private readonly syncLimiter = new WindowCounter(C.SYNC_REQUESTS_PER_WINDOW, C.SYNC_WINDOW_SECONDS * 1000)
  readonly me: string
  readonly ctx: FeedContext & WriterContext
  private running = false
  private journal?: OwnEntryJournal
  private pubsubRef?: PubSub
  /** pubsub, read from the components once: a read there goes through libp2p's proxy of them (its checks cost a send ~2 µs). */
  private get pubsub (): PubSub { return (this.pubsubRef ??= this.components.pubsub) }

  constructor (private readonly components: EngineComponents, readonly store: GroupStore, private readonly hooks: EngineHooks, private readonly log: Logger, receivesPerWindow: number, excluded?: (peer: string) => boolean) {
    this.me = components.peerId.toString()
    this.receiveLimit = new WindowCounter(receivesPerWindow, C.RECEIVE_WINDOW_SECONDS * 1000)
    this.ctx = {
      me: this.me,
      meMultihash: components.peerId.toMultihash().bytes,
      privateKey: components.privateKey,
      store,
      pairGroupKey: (peer) => components.roster.keysFor(peer).group,
      excluded,
      maxWaiting: C.MAX_BUFFERED_PER_AUTHOR
    }
    this.validate = this.validate.bind(this)
    this.onMessage = this.onMessage.bind(this)
  }

  /** Loads every stored group, and stores what the journal holds that the store lacks; then texts go out once journaled. */
  async load (journal?: { journal: OwnEntryJournal, records: JournalRecord[] }): Promise<void> {
    for (const meta of (await this.store.meta.all()).values()) await this.reload(meta.id, meta)
    if (journal == null) return
    for (const g of this.groups.values()) await restoreEntries(g, journal.records, this.ctx)
    journal.journal.empty()
    this.journal = journal.journal
  }

  /** Replaces a group's memory with what its store holds (at start, and after a failed commit). */
  async reload (id: string, meta = undefined as undefined | Awaited<ReturnType<GroupStore['meta']['get']>>): Promise<GroupRuntime | undefined> {
    meta ??= await this.store.meta.get(id)
    if (meta == null) return undefined
    const loaded = await this.store.loadGroup(id)
    const g = new GroupRuntime(meta, GroupRuntime.logFrom(loaded.ops, Buffer.from(id, 'hex'), meta.root), loaded)
    this.register(g)
    return g
  }

  start (): void {
    this.running = true
    this.components.pubsub.addEventListener('message', this.onMessage)
    for (const g of this.groups.values()) this.syncSubscription(g)
  }

  stop (): void {
    this.topicReads.flush()
    this.running = false
    this.components.pubsub.removeEventListener('message', this.onMessage)
    for (const t of [...this.gapTimers.values(), ...this.offerTimers.values()]) clearTimeout(t)
    this.gapTimers.clear()
    this.offerTimers.clear()
    // pubsub may be stopped already: it drops its subscriptions itself
    for (const topic of this.subscribed) this.components.pubsub.topicValidators.delete(topic)
    this.subscribed.clear()
  }

  register (g: GroupRuntime): void {
    this.groups.set(g.id, g)
    this.byTopic.set(g.topic, g)
    if (this.running) this.syncSubscription(g)
  }

  unregister (g: GroupRuntime): void {
    this.groups.delete(g.id)
    this.byTopic.delete(g.topic)
    if (this.subscribed.has(g.topic)) {
      this.components.pubsub.unsubscribe(g.topic)
      this.components.pubsub.topicValidators.delete(g.topic)
      this.subscribed.delete(g.topic)
    }
  }

  /** Listens on a group's topic exactly while this node is a member. */
  syncSubscription (g: GroupRuntime): void {
    if (!this.running) return
    const { pubsub } = this.components
    const want = g.standing(this.me) === 'member'
    if (want === this.subscribed.has(g.topic)) return
    if (want) {
      pubsub.topicValidators.set(g.topic, this.validate)
      pubsub.subscribe(g.topic)
      this.subscribed.add(g.topic)
    } else {
      pubsub.unsubscribe(g.topic)
      pubsub.topicValidators.delete(g.topic)
      this.subscribed.delete(g.topic)
    }
  }

  // ---- committing ----

  /**
   * Tells the new texts, commits what reading did, then tells the membership changes and catches up on a gap.
   * Nothing acknowledges a text before its commit ends: sync requests, the only receipts a member gives, say
   * the stored positions (docs/protocol.md §12.5).
   */
  async commitRead (g: GroupRuntime, batch: ReadBatch, extra?: (tx: Transaction) => void): Promise<void> {
    // reads from the topic that wait for their turn come first: texts are shown and stored in the order read
    this.topicReads.flush()
    await this.commitReads(g, [{ batch }], extra)
  }

  /** Commits the topic's reads waiting for their turn, one batch per run of reads of one group, in the order read (a burst is one batch, not one per read). */
  private commitTopicReads (reads: Array<{ read: TopicRead, shown: string[] }>): void {
    for (let i = 0; i < reads.length;) {
      const g = reads[i].read.g
      let j = i
      while (j < reads.length && reads[j].read.g === g) j++
      this.commitReads(g, reads.slice(i, j).map(({ read, shown }) => ({ batch: read.batch, source: read.source, shown }))).catch(() => {})
      i = j
    }
  }

  /** Reads of one group, oldest first, in one commit (with `extra`); then each read's changes and catch-up, in order. */
  private async commitReads (g: GroupRuntime, reads: Array<{ batch: ReadBatch, source?: string, shown?: string[] }>, extra?: (tx: Transaction) => void): Promise<void> {
    const done = reads.map(r => {
      const changes = r.batch.changes ?? diffStates(r.batch.before, g.state)
      return { ...r, changes, shown: r.shown ?? this.show(g, r.batch.messages) }
    })
    if (reads.some(r => r.batch.writes.length > 0) || extra != null) {
      const meta = g.meta
      try {
        await this.store.store.change((tx) => {
          for (const r of reads) for (const w of r.batch.writes) w(tx)
          extra?.(tx)
          this.store.meta.put(tx, g.id, meta)
          return () => {}
        })
      } catch (err) {
        this.log.error('could not store what was read in group %s - %e', g.id, err)
        await this.reload(g.id)
        throw err
      }
    }
    for (const { batch, source, shown, changes } of done) {
      for (const [author, next] of batch.positions) if (next > (g.stored.get(author) ?? 1)) g.stored.set(author, next)
      for (const id of shown) this.shownUnstored.delete(id)
      this.afterChange(g, changes)
      if (batch.excluded) this.catchUpSoon(g, source)
      else if (batch.gap) this.catchUpAfterGap(g, source)
    }
  }

  /** Entries often come a little out of order (two paths through the mesh): catch up only if the gap is still open after a moment. */
  private catchUpAfterGap (g: GroupRuntime, source?: string): void {
    if (this.gapTimers.has(g.id) || !this.running) return
    const timer = setTimeout(() => {
      this.gapTimers.delete(g.id)
      if (g.waiting.size > 0 || g.log.missing().length > 0) this.catchUpSoon(g, source)
    }, C.GAP_GRACE_MS)
    timer.unref?.()
    this.gapTimers.set(g.id, timer)
  }

  /** Announces texts read, not yet stored, once per run (a failed commit's texts are read again). Returns the ids to forget once stored. */
  private show (g: GroupRuntime, messages: StoredMessage[]): string[] {
    const ids = messages.map(m => `${g.id}/${m.id}`)
    const fresh = messages.filter((_, i) => !this.shownUnstored.has(ids[i]))
    if (this.shownUnstored.size + ids.length <= MAX_SHOWN_UNSTORED) for (const id of ids) this.shownUnstored.add(id)
    if (fresh.length > 0) this.hooks.messages(g, fresh)
    return ids
  }

  private afterChange (g: GroupRuntime, changes: GroupChange[]): void {
    if (changes.length === 0 || !this.running) return // a commit ending after stop() tells nobody
    this.syncSubscription(g)
    this.hooks.changes(g, changes)
  }

  /** Appends to this node's feed, commits (with `extra`), publishes (a text under the stored key after durable own entries once journaled, its commit staged after the sends; else once committed); resolves once committed. */
  async write (g: GroupRuntime, contents: Array<(seq: number) => GroupContent>, extra?: (tx: Transaction) => void): Promise<Written> {
    const w = writeEntries(g, contents, this.ctx)
    const [first, next] = [w.frames[0].seq, w.frames[w.frames.length - 1].seq + 1]
    const journal = extra == null && !w.keyChanged && first === (g.durableNext ?? g.stored.get(this.me) ?? 1) ? this.journal : undefined
    let out = false
    try {
      let sent: Promise<void> | undefined
      if (journal != null) {
        journal.append(g.groupId, w.frames.map(f => f.bytes))
        g.durableNext = next
        out = true
        sent = this.publish(g, w.frames)
      }
      // queued now (own commits stay in order), staged once the sends went out (gossipsub's publish() awaits before it sends), or next turn
      await this.store.store.change(async (tx) => {
        if (sent != null) await new Promise<void>(resolve => { sent.then(resolve, resolve); setImmediate(resolve) })
        w.stage(tx)
        extra?.(tx)
        return () => {}
      })
    } catch (err) {
      // a journaled entry is out: its position stays taken, and the next start stores it
      if (out) journal?.settled(false)
      else await this.reload(g.id)
      throw err
    }
    journal?.settled(true)
    g.stored.set(this.me, next)
    g.durableNext = Math.max(g.durableNext ?? 0, next)
    if (!out) void this.publish(g, w.frames)
    return w
  }

  /** Makes a membership op (on parents whose past holds what it is judged by), adds it to the log and writes it to this node's feed (one commit with `extra`). */
  async act (g: GroupRuntime, fields: Omit<GroupOpFields, 'group' | 'parents' | 'createdAt'>, extra?: (tx: Transaction, op: GroupOp) => void): Promise<GroupOp> {
    const before = g.state
    const op = sealGroupOp({ ...fields, group: g.groupId, parents: g.log.parentsFor(this.me, fields), createdAt: Date.now() }, this.components.privateKey)
    // past the cap only a removal or a leave that ends a membership is taken (§12.2 "A full log")
    if (g.log.add(op) !== 'added') throw new GroupFullError(g.id, g.log.held >= GROUP_OPS_CEILING ? GROUP_OPS_CEILING : MAX_GROUP_OPS, 'ops')
    await this.write(g, [() => ({ kind: 'op', op: op.envelope })], (tx) => {
      this.store.ops.within(g.id).put(tx, op.id, op.envelope)
      extra?.(tx, op)
    })
    this.afterChange(g, diffStates(before, g.state))
    return op
  }

  private async publish (g: GroupRuntime, frames: Array<{ seq: number, bytes: Uint8Array }>): Promise<void> {
    let unheard = false
    for (const f of frames) {
      try {
        const res = await this.pubsub.publish(g.topic, f.bytes)
        if (res.recipients.length > 0) {
          g.published.add(f.seq)
          const waited = g.awaitingOut.get(f.seq)
          if (waited != null) this.hooks.states(g, [waited], 'sent')
        } else unheard = true
      } catch (err: any) {
        // members get it by catch-up: it is on disk
        this.log('could not publish %s/%d - %s', g.id, f.seq, err?.message)
        unheard = true
      }
    }
    if (unheard) this.offerSoon(g)
  }

  /** Nobody heard this node's entry (a new member may publish before others' subscriptions reach it): soon it asks connected members, who then catch up in turn. */
  private offerSoon (g: GroupRuntime): void {
    if (this.offerTimers.has(g.id) || !this.running) return
    const timer = setTimeout(() => {
      this.offerTimers.delete(g.id)
      this.catchUpSoon(g)
    }, C.GAP_GRACE_MS)
    timer.unref?.()
    this.offerTimers.set(g.id, timer)
  }

  // ---- the topic ----

  private validate (from: PeerId, msg: Message): TopicValidatorResult {
    const g = this.byTopic.get(msg.topic)
    if (g == null || this.components.roster.isBlocked(from)) return TopicValidatorResult.Ignore
    // from the author's own connection: its signature is not checked (openGroupEntry, sentBy); nor is a copy of an entry read already
    const held = (author: string, seq: number): boolean => author === this.me || seq < (g.positions.get(author) ?? 1)
    const res = openGroupEntry(msg.data, g.groupId, { sentBy: from.toString(), held })
    if (!res.ok && res.reason === 'held-copy') return TopicValidatorResult.Ignore
    if (!res.ok) {
      this.log('refused an entry on %s: %s %s', g.id, res.reason, res.detail ?? '')
      return TopicValidatorResult.Reject
    }
    const e = res.entry
    // a removed member's later entries, or one this node does not know yet (catch-up brings it)
    if (e.author === this.me || !g.log.acceptsFeed(e.author, e.seq)) return TopicValidatorResult.Ignore
    // one read already costs its author nothing: anyone on the topic can make any number of copies of it (§12.3), each a
    // message gossipsub has not seen; counted, they would spend the author's live receives and keep its next entries out
    if (held(e.author, e.seq)) return e.copy === true ? TopicValidatorResult.Ignore : TopicValidatorResult.Accept
    if (!this.receiveLimit.take(`${g.id}/${e.author}`)) return TopicValidatorResult.Ignore
    const batch = new ReadBatch(g.state)
    const read = readEntry(g, e, this.ctx, batch)
    batch.changes = diffStates(batch.before, g.state)
    this.topicReads.push({ g, batch, source: from.toString() }, msg)
    if (read === 'forked') this.log('%s wrote two different entries at %d in %s: its feed stops here', e.author, e.seq - 1, g.id)
    // a re-encoded copy is read as the entry it copies (§12.3), but not passed on: that would spread a second message of one entry
    return read === 'forked' || read === 'refused' || e.copy === true ? TopicValidatorResult.Ignore : TopicValidatorResult.Accept
  }

  /** A text is shown when gossipsub delivers its message, before gossipsub forwards it (as any application on a topic gets it). */
  private onMessage (evt: CustomEvent<Message>): void {
    if (this.byTopic.has(evt.detail.topic)) this.topicReads.delivered(evt.detail)
  }

  // ---- catch-up ----

  /** Connected peers that are in the group (members and invited), other than this node. */
  connectedMembers (g: GroupRuntime): string[] {
    const peers = new Set(this.components.connectionManager.getConnections().map(c => c.remotePeer.toString()))
    return [...peers].filter(p => p !== this.me && ['member', 'invited'].includes(g.standing(p)))
  }

  /** Catches up with every connected member, one after the other. */
  async catchUp (g: GroupRuntime): Promise<number> {
    let learned = 0
    for (const peer of this.connectedMembers(g)) learned += await this.catchUpWith(g, peer).catch(() => 0)
    return learned
  }

  catchUpSoon (g: GroupRuntime, peer?: string): void {
    const peers = peer != null && this.connectedMembers(g).includes(peer) ? [peer] : this.connectedMembers(g)
    for (const p of peers.slice(0, 2)) this.catchUpWith(g, p).catch(() => {})
  }

  /** One catch-up with one peer at a time per group; a request while one runs waits for it. */
  async catchUpWith (g: GroupRuntime, peer: string): Promise<number> {
    const key = `${g.id}/${peer}`
    const running = this.catchingUp.get(key)
    if (running != null) return await running
    const p = this.catchUpRounds(g, peer).finally(() => this.catchingUp.delete(key))
    this.catchingUp.set(key, p)
    return await p
  }

  private async catchUpRounds (g: GroupRuntime, peer: string): Promise<number> {
    let learned = 0
    // a response says `more` when it was cut at its size limit
    for (let round = 0; round < 32 && this.running && g.standing(this.me) === 'member'; round++) {
      const res = await requestSync(this.components.connectionManager, C.SYNC_PROTOCOL, peerIdFromString(peer), syncRequest(g), MAX_GROUP_STREAM_FRAME_BYTES, AbortSignal.timeout(C.STREAM_TIMEOUT_MS))
      const { batch, fresh } = readSyncResponse(g, res, this.ctx, C.REPUBLISH_WINDOW_MS)
      await this.commitRead(g, batch)
      learned += batch.applied + batch.ops.length
      for (const bytes of fresh.slice(-C.REPUBLISH_MAX)) await this.components.pubsub.publish(g.topic, bytes).catch(() => {})
      if (!res.more || batch.applied + batch.ops.length === 0) break
    }
    return learned
  }

  /** Serves one catch-up request. */
  async handleSync (stream: Stream, connection: Connection): Promise<void> {
    const peer = connection.remotePeer.toString()
    // a blocked peer's request is not counted: it is refused as an offline node's would be
    if (this.components.roster.isBlocked(peer) || !this.syncLimiter.take(peer)) {
      stream.abort(new Error('refused'))
      return
    }
    await serveSync(stream, connection, MAX_GROUP_STREAM_FRAME_BYTES, AbortSignal.timeout(C.STREAM_TIMEOUT_MS), async (from, req) => await this.answer(from, req))
  }

  private async answer (peer: string, req: GroupSyncRequest): Promise<GroupSyncResponse> {
    const g = this.groups.get(hex(req.group))
    if (g == null) return { ops: [], entries: [], tips: [], more: false }
    const theirs = requestedPositions(req)
    if (['member', 'invited'].includes(g.standing(peer))) {
      // how far they hold this node's feed: that much is stored by another member
      const mine = (theirs.get(this.me) ?? 1) - 1
      if (mine > g.meta.delivered) {
        g.meta = { ...g.meta, delivered: Math.min(mine, g.lastOwnSeq(this.me)) }
        for (const seq of g.published) if (seq <= g.meta.delivered) g.published.delete(seq)
        const arrived = [...g.awaitingOut.values()].filter(m => m.seq <= g.meta.delivered)
        for (const m of arrived) g.awaitingOut.delete(m.seq)
        if (arrived.length > 0) this.hooks.states(g, arrived, 'delivered')
        const meta = g.meta
        void this.store.store.change((tx) => { this.store.meta.put(tx, g.id, meta); return () => {} }).catch(() => {})
      }
      // they hold ops or entries this node lacks: ask them back
      const behind = req.heads.some(h => !g.log.has(hex(h))) || [...theirs].some(([a, next]) => a !== this.me && next > (g.positions.get(a) ?? 1))
      if (behind && g.standing(this.me) === 'member') this.catchUpWith(g, peer).catch(() => {})
    }
    return await syncResponse(g, this.store, this.me, peer, req, C.MAX_SYNC_RESPONSE_BYTES)
  }
}
