/**
 * Everything chat keeps in the datastore: history, the outbox, the
 * deduplication index and held requests. Each change goes into one atomic
 * batch, and batches run one at a time, so a crash leaves either all of a
 * change or none. Group commit: the frequent changes (queueing a text, an
 * acknowledged outbox item, a stored incoming text) that arrive while a batch
 * is committing share the next batch; each caller resolves only after that
 * batch committed.
 */
import { chatIdToHex, decodeChatFrame } from '../../protocol/chat-frame.js'
import { GroupCommit } from '../store/group-commit.js'
import { bytesCodec, EMPTY, integerCodec, jsonCodec, RecordSet } from '../store/records.js'
import { DATASTORE_PREFIX, MAX_HELD_BYTES_PER_SENDER, MAX_HELD_BYTES_TOTAL, MAX_HELD_PER_SENDER, MAX_HELD_TOTAL } from './constants.js'
import { HeldQuota, textBytes } from './held-quota.js'
import type { HeldLimits, HeldRefusal, HeldStats } from './held-quota.js'
import type { ChangeChain, Transaction } from '../store/group-commit.js'
import type { Codec } from '../store/records.js'
import type { Datastore } from 'interface-datastore'

export type { ChangeChain } from '../store/group-commit.js'

export type DeliveryState = 'queued' | 'sent' | 'delivered' | 'read'
export const DELIVERY_STATES: readonly DeliveryState[] = ['queued', 'sent', 'delivered', 'read']

export const NON_CONTACT_POLICIES = ['accept', 'hold', 'drop'] as const
export type NonContactPolicy = typeof NON_CONTACT_POLICIES[number]

/** One message of a conversation, either direction. */
export interface ChatMessage {
  /** Hex of the 16-byte frame id. */
  id: string
  /** The other side of the conversation. */
  peer: string
  direction: 'in' | 'out'
  text: string
  /** The sender's clock. */
  sentAt: number
  /** Local time an incoming message was stored. */
  receivedAt?: number
  /** Outgoing: queued, sent, delivered, read. Incoming: delivered, then read once markRead ran. */
  state: DeliveryState
  /** Local order of this node's history (and outbox); in a person's conversation, the place in it. */
  seq: number
  /** In a person's conversation: the device that wrote it. */
  author?: string
  /** Outgoing, in a person's conversation, sent from this device: the state per device of the contact. */
  copies?: Record<string, DeliveryState>
}

/** A frame waiting in the outbox for its delivery receipt. */
export interface OutboxItem {
  peer: string
  seq: number
  id: string
  kind: 'text' | 'read'
  bytes: Uint8Array
}

type InboundFate = 'msg' | 'req' | 'drop'

/** What storing an incoming text did (saveInbound). */
export interface InboundSaved {
  duplicate: boolean
  message?: ChatMessage
  refused?: HeldRefusal
  mirrored?: boolean
}

/** What else stores an incoming text kept in history (the person's conversation), in the same batch. */
export interface InboundMirror {
  /** Read before the batch forms: whether it holds the text already. */
  known: () => Promise<boolean>
  stage: (tx: Transaction, known: boolean) => void
}

const SEQ_DIGITS = 15
const MAX_SEQ = 10 ** SEQ_DIGITS - 1
const pad = (seq: number): string => seq.toString().padStart(SEQ_DIGITS, '0')
/** History keys count down, so a prefix query with a limit returns the newest first. */
const rev = (seq: number): string => pad(MAX_SEQ - seq)

const rank = (s: DeliveryState): number => DELIVERY_STATES.indexOf(s)

const cacheKey = (peer: string, seq: number): string => `${peer}/${seq}`

export class ChatStore {
  private seq = 0
  private readonly commits: GroupCommit
  /** Only `seq` (the last local sequence number) lives directly under the prefix. */
  private readonly root: RecordSet<number>
  /** Per peer: history by reversed seq, held requests, outbox frames, seqs of outgoing ids, the dedup index, unread marks. */
  private readonly messages: RecordSet<ChatMessage>
  private readonly held: RecordSet<ChatMessage>
  private readonly outbox: RecordSet<Uint8Array>
  private readonly outIds: RecordSet<number>
  private readonly inIds: RecordSet<Uint8Array>
  private readonly unreadOut: RecordSet<Uint8Array>
  private readonly unreadIn: RecordSet<Uint8Array>
  /** Outgoing texts still in the outbox, as last updated; holds `sent`, which is not written (after a crash an unacknowledged text is `queued` again). */
  private readonly unacked = new Map<string, ChatMessage>()
  private readonly quota: HeldQuota
  /** Streams (their chains) a held text was refused on. */
  private readonly refusedChains = new WeakSet<ChangeChain>()

  constructor (ds: Datastore, heldLimits: HeldLimits = { perSender: MAX_HELD_PER_SENDER, perSenderBytes: MAX_HELD_BYTES_PER_SENDER, total: MAX_HELD_TOTAL, totalBytes: MAX_HELD_BYTES_TOTAL }) {
    this.quota = new HeldQuota(heldLimits)
    this.commits = new GroupCommit(ds)
    const set = <T>(name: string, codec: Codec<T>): RecordSet<T> => new RecordSet(ds, `${DATASTORE_PREFIX}/${name}`, codec)
    this.root = new RecordSet(ds, DATASTORE_PREFIX, integerCodec)
    this.messages = set('msg', jsonCodec<ChatMessage>())
    this.held = set('req', jsonCodec<ChatMessage>())
    this.outbox = set('out', bytesCodec)
    this.outIds = set('oid', integerCodec)
    this.inIds = set('iid', bytesCodec)
    this.unreadOut = set('unread-out', bytesCodec)
    this.unreadIn = set('unread-in', bytesCodec)
  }

  async open (): Promise<void> {
    this.seq = await this.root.get('seq') ?? 0
    // what is held already counts (all of it, even past bounds lowered since)
    for await (const [, m] of this.held.entries()) this.quota.count(m.peer, textBytes(m.text))
  }

  /** Held messages now, and those refused at the bounds so far. */
  heldStats (): HeldStats {
    return this.quota.stats()
  }

  /** Changes waiting for the batch being committed (they share the next one). */
  get pendingChanges (): number {
    return this.commits.pending
  }

  /** The next local sequence number, written with the change that takes it. */
  private nextSeq (tx: Transaction): number {
    this.root.put(tx, 'seq', ++this.seq)
    return this.seq
  }

  /** Writes a new outgoing text to history and outbox (one batch, shared with the changes queued meanwhile); onStored runs once it committed, in commit order. */
  async queueText (peer: string, id: string, text: string, sentAt: number, bytes: Uint8Array, onStored?: (item: OutboxItem) => void): Promise<{ message: ChatMessage, item: OutboxItem }> {
    return (await this.queueCopies([peer], id, text, sentAt, bytes, undefined, onStored))[0]
  }

  /** queueText for several peers (one text, one id: a person's devices) in one batch, with what `stage` adds to it. */
  async queueCopies (peers: string[], id: string, text: string, sentAt: number, bytes: Uint8Array, stage?: (tx: Transaction) => void, onStored?: (item: OutboxItem) => void): Promise<Array<{ message: ChatMessage, item: OutboxItem }>> {
    return await this.commits.change((tx) => {
      stage?.(tx)
      const copies = peers.map(peer => {
        const seq = this.nextSeq(tx)
        const message: ChatMessage = { id, peer, direction: 'out', text, sentAt, state: 'queued', seq }
        this.messages.within(peer).put(tx, rev(seq), message)
        this.outbox.within(peer).put(tx, pad(seq), bytes)
        this.outIds.within(peer).put(tx, id, seq)
        this.unreadOut.within(peer).put(tx, pad(seq), EMPTY)
        return { message, item: { peer, seq, id, kind: 'text', bytes } satisfies OutboxItem }
      })
      return () => copies.map(({ message, item }) => {
        this.unacked.set(cacheKey(item.peer, item.seq), message)
        onStored?.(item)
        return { message: { ...message }, item }
      })
    })
  }

  /** The delivery state of an outgoing text to peer, by id. */
  async copyState (peer: string, id: string): Promise<DeliveryState | undefined> {
    const seq = await this.outIds.within(peer).get(id)
    if (seq == null) return undefined
    return (this.unacked.get(cacheKey(peer, seq)) ?? await this.messages.within(peer).get(rev(seq)))?.state
  }

  /** A change of its own in chat's commit order (other records staged in chat's batches). */
  async change<T> (build: (tx: Transaction) => Promise<T>): Promise<T> {
    return await this.commits.change(async (tx) => {
      const r = await build(tx)
      return () => r
    }, { alone: true })
  }

  /** Every outbox item, per peer in the order it was queued. */
  async loadOutbox (): Promise<OutboxItem[]> {
    const items: OutboxItem[] = []
    for await (const [path, bytes] of this.outbox.entries()) {
      const [peer, seq] = path.split('/')
      const res = decodeChatFrame(bytes)
      if (!res.ok || (res.frame.kind !== 'text' && res.frame.kind !== 'read')) continue
      const item: OutboxItem = { peer, seq: Number(seq), id: chatIdToHex(res.frame.id), kind: res.frame.kind, bytes }
      items.push(item)
      if (item.kind === 'text') {
        const m = await this.messages.within(peer).get(rev(item.seq))
        if (m != null) this.unacked.set(cacheKey(peer, item.seq), m)
      }
    }
    return items
  }

  /** Moves a message forward (never back) and stages the write. */
  private async updateState (peer: string, seq: number, state: DeliveryState, tx: Transaction): Promise<ChatMessage | undefined> {
    const history = this.messages.within(peer)
    const m = this.unacked.get(cacheKey(peer, seq)) ?? await history.get(rev(seq))
    if (m == null || rank(state) <= rank(m.state)) return undefined
    m.state = state
    history.put(tx, rev(seq), m)
    return { ...m }
  }

  /** The first time an outgoing text went on the wire (kept in memory only). */
  markSent (item: OutboxItem): ChatMessage | undefined {
    const m = this.unacked.get(cacheKey(item.peer, item.seq))
    if (m == null || rank(m.state) >= rank('sent')) return undefined
    m.state = 'sent'
    return { ...m }
  }

  /** A delivery receipt came: the item leaves the outbox. */
  async acked (item: OutboxItem): Promise<ChatMessage | undefined> {
    return await this.commits.change(async (tx) => {
      this.outbox.within(item.peer).delete(tx, pad(item.seq))
      const m = item.kind === 'text' ? await this.updateState(item.peer, item.seq, 'delivered', tx) : undefined
      return () => {
        this.unacked.delete(cacheKey(item.peer, item.seq))
        return m
      }
    })
  }

  /** A read receipt for ref: every outgoing message to peer up to ref is read. */
  async applyRead (peer: string, ref: string, chain?: ChangeChain): Promise<ChatMessage[]> {
    return await this.commits.change(async (tx) => {
      const upTo = await this.outIds.within(peer).get(ref)
      const changed: ChatMessage[] = []
      if (upTo == null) return () => changed
      const unread = this.unreadOut.within(peer)
      for await (const id of unread.ids()) {
        const seq = Number(id)
        if (seq > upTo) break
        unread.delete(tx, id)
        const m = await this.updateState(peer, seq, 'read', tx)
        if (m != null) changed.push(m)
      }
      return () => changed
    }, { alone: true, chain })
  }

  /**
   * Stores an incoming text where the policy put it, with its id in the
   * deduplication index, in one batch. A duplicate (an id seen before from
   * this peer, stored or in the same batch) changes nothing. message is
   * undefined for a dropped text. A text to hold that finds the held bounds
   * full is not stored (`refused`) and fails the chain: no later frame of
   * its stream is stored before it. `mirrored`: the person's conversation
   * (the mirror) held the text already, from another own device. Resolves
   * once the batch committed.
   */
  async saveInbound (peer: string, id: string, text: string, sentAt: number, fate: InboundFate, chain?: ChangeChain, mirror?: InboundMirror): Promise<InboundSaved> {
    const seen = this.inIds.within(peer)
    const bytes = textBytes(text)
    let took = false
    try {
      return await this.commits.change<InboundSaved, [boolean, boolean]>((tx, [stored, mirrored]) => {
        if (stored || tx.staged(seen.key(id)) !== undefined) return () => ({ duplicate: true })
        // after a refused frame, nothing later of its stream is stored (order), even in the same batch
        let refused: HeldRefusal | undefined = chain != null && this.refusedChains.has(chain) ? 'sender-full' : undefined
        if (refused == null && fate === 'req') {
          refused = this.quota.take(peer, bytes)
          took = refused == null
        }
        if (refused != null) {
          if (chain != null) this.refusedChains.add(chain)
          return () => ({ duplicate: false, refused })
        }
        if (fate !== 'msg' || mirror == null) return this.stageInbound(tx, peer, id, text, sentAt, fate)
        mirror.stage(tx, mirrored)
        const saved = this.stageInbound(tx, peer, id, text, sentAt, fate)
        return () => ({ ...saved(), mirrored })
      }, { chain, prepare: async () => await Promise.all([seen.has(id), mirror?.known() ?? false]) })
    } catch (err) {
      if (took) this.quota.release(peer, 1, bytes)
      throw err
    }
  }

  private stageInbound (tx: Transaction, peer: string, id: string, text: string, sentAt: number, fate: InboundFate): () => { duplicate: boolean, message?: ChatMessage } {
    // only the key's presence matters (dedup); the fate lives in history/requests
    this.inIds.within(peer).put(tx, id, EMPTY)
    if (fate === 'drop') return () => ({ duplicate: false })
    const seq = this.nextSeq(tx)
    const message: ChatMessage = { id, peer, direction: 'in', text, sentAt, receivedAt: Date.now(), state: 'delivered', seq }
    if (fate === 'msg') {
      this.messages.within(peer).put(tx, rev(seq), message)
      this.unreadIn.within(peer).put(tx, pad(seq), EMPTY)
    } else {
      this.held.within(peer).put(tx, pad(seq), message)
    }
    return () => ({ duplicate: false, message })
  }

  /**
   * Marks every unread incoming message from peer read and, in the same
   * batch, queues one read receipt for the newest: makeReceipt gets its id
   * (without makeReceipt, read receipts are off: nothing is sent).
   */
  async markRead (peer: string, makeReceipt?: (ref: string) => { id: string, bytes: Uint8Array }): Promise<{ changed: ChatMessage[], item?: OutboxItem }> {
    return await this.commits.change(async (tx) => {
      const changed: ChatMessage[] = []
      const unread = this.unreadIn.within(peer)
      for await (const id of unread.ids()) {
        unread.delete(tx, id)
        const m = await this.updateState(peer, Number(id), 'read', tx)
        if (m != null) changed.push(m)
      }
      if (changed.length === 0 || makeReceipt == null) return () => ({ changed })
      const newest = changed.reduce((a, m) => m.seq > a.seq ? m : a)
      const receipt = makeReceipt(newest.id)
      const seq = this.nextSeq(tx)
      this.outbox.within(peer).put(tx, pad(seq), receipt.bytes)
      const item: OutboxItem = { peer, seq, id: receipt.id, kind: 'read', bytes: receipt.bytes }
      return () => ({ changed, item })
    }, { alone: true })
  }

  /** The newest `limit` messages with peer, oldest first. */
  async history (peer: string, limit?: number): Promise<ChatMessage[]> {
    const out: ChatMessage[] = []
    for await (const [, m] of this.messages.within(peer).entries({ limit })) {
      out.push(m.direction === 'out' ? { ...(this.unacked.get(cacheKey(peer, m.seq)) ?? m) } : m)
    }
    return out.reverse()
  }

  /** Held messages from non-contacts, oldest first. */
  async requests (peer?: string): Promise<ChatMessage[]> {
    const out: ChatMessage[] = []
    for await (const [, m] of (peer == null ? this.held : this.held.within(peer)).entries()) out.push(m)
    return out.sort((a, b) => a.seq - b.seq)
  }

  /** Moves held messages from peer into its history (keeping their arrival order). */
  async acceptRequests (peer: string, onMove?: (tx: Transaction, held: ChatMessage[]) => Promise<void>): Promise<ChatMessage[]> {
    return await this.commits.change(async (tx) => {
      const held = await this.requests(peer)
      await onMove?.(tx, held)
      for (const m of held) {
        this.held.within(peer).delete(tx, pad(m.seq))
        this.messages.within(peer).put(tx, rev(m.seq), m)
        this.unreadIn.within(peer).put(tx, pad(m.seq), EMPTY)
      }
      return () => {
        this.quota.releaseTexts(peer, held.map(m => m.text))
        return held
      }
    }, { alone: true })
  }

  /** Deletes held messages from peer; their ids stay known so retries stay dropped. */
  async discardRequests (peer: string): Promise<number> {
    return await this.commits.change(async (tx) => {
      const held = await this.requests(peer)
      for (const m of held) this.held.within(peer).delete(tx, pad(m.seq))
      return () => {
        this.quota.releaseTexts(peer, held.map(m => m.text))
        return held.length
      }
    }, { alone: true })
  }

  /** Unread incoming messages per peer (only peers with some). */
  async unreadCounts (): Promise<Map<string, number>> {
    const counts = new Map<string, number>()
    for await (const path of this.unreadIn.ids()) {
      const peer = path.slice(0, path.indexOf('/'))
      counts.set(peer, (counts.get(peer) ?? 0) + 1)
    }
    return counts
  }

  /** Outgoing texts still waiting for their delivery receipt, in the order they were queued. */
  undelivered (): ChatMessage[] {
    return [...this.unacked.values()].sort((a, b) => a.seq - b.seq).map(m => ({ ...m }))
  }

  /**
   * Takes back an outgoing text that never went on the wire: out of the
   * outbox and out of history, in one batch. The caller made sure its sender
   * will not write it.
   */
  async unsend (peer: string, seq: number): Promise<ChatMessage | undefined> {
    return await this.commits.change((tx) => {
      const m = this.unacked.get(cacheKey(peer, seq))
      if (m == null) return () => undefined
      this.outbox.within(peer).delete(tx, pad(seq))
      this.messages.within(peer).delete(tx, rev(seq))
      this.outIds.within(peer).delete(tx, m.id)
      this.unreadOut.within(peer).delete(tx, pad(seq))
      return () => {
        this.unacked.delete(cacheKey(peer, seq))
        return { ...m }
      }
    })
  }

  /** Every message of every conversation: per peer (in peer id order), newest first. */
  /** The peers with a history (one seek each). */
  async * peers (): AsyncGenerator<string> {
    yield * this.messages.childIds()
  }

  async * allMessages (): AsyncGenerator<ChatMessage> {
    for await (const [, m] of this.messages.entries()) {
      yield m.direction === 'out' ? { ...(this.unacked.get(cacheKey(m.peer, m.seq)) ?? m) } : m
    }
  }
}
