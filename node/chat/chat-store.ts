/**
 * Everything chat keeps in the datastore: history, the outbox, the
 * deduplication index and held requests. Each change goes into one atomic
 * batch, and batches run one at a time, so a crash leaves either all of a
 * change or none. Group commit: the frequent changes (queueing a text, an
 * acknowledged outbox item, a stored incoming text) that arrive while a batch
 * is committing share the next batch; each caller resolves only after that
 * batch committed.
 */
import { Key } from 'interface-datastore'
import { chatIdToHex, decodeChatFrame } from '../../protocol/chat-frame.js'
import { DATASTORE_PREFIX } from './constants.js'
import type { Datastore } from 'interface-datastore'

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
  /** Local order of this node's history (and outbox). */
  seq: number
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

type Batch = ReturnType<Datastore['batch']>

/** Per group: keys put by earlier changes of the same, not yet committed, batch. */
interface Group {
  batch: Batch
  inIds: Set<string>
}

/**
 * Links changes that must commit in order, all or a prefix: once one of them
 * failed, the later ones fail without being stored (a receiver's stream).
 */
export interface ChangeChain {
  failed: boolean
}

interface Change {
  /** Adds the change to the group's batch; returns what runs once the batch committed (its result goes to the caller). */
  build: (g: Group, prepared: unknown) => Promise<() => unknown>
  /** A read of committed state, started for every change of the group at once when the group forms; build gets its result. */
  prepare?: () => Promise<unknown>
  /** Needs a batch of its own (it queries keys that other changes of a group may put). */
  alone: boolean
  chain?: ChangeChain
  resolve: (v: any) => void
  reject: (err: unknown) => void
}

const SEQ_DIGITS = 15
const MAX_SEQ = 10 ** SEQ_DIGITS - 1
const pad = (seq: number): string => seq.toString().padStart(SEQ_DIGITS, '0')
/** History keys count down, so a prefix query with a limit returns the newest first. */
const rev = (seq: number): string => pad(MAX_SEQ - seq)

const k = (...parts: string[]): Key => new Key(`${DATASTORE_PREFIX}/${parts.join('/')}`)
const keys = {
  seq: () => k('seq'),
  policy: () => k('settings', 'non-contact'),
  msg: (peer: string, seq: number) => k('msg', peer, rev(seq)),
  out: (peer: string, seq: number) => k('out', peer, pad(seq)),
  outId: (peer: string, id: string) => k('oid', peer, id),
  inId: (peer: string, id: string) => k('iid', peer, id),
  unreadOut: (peer: string, seq: number) => k('unread-out', peer, pad(seq)),
  unreadIn: (peer: string, seq: number) => k('unread-in', peer, pad(seq)),
  req: (peer: string, seq: number) => k('req', peer, pad(seq))
}
const prefix = (...parts: string[]): string => `${DATASTORE_PREFIX}/${parts.join('/')}/`

const enc = new TextEncoder()
const dec = new TextDecoder()
const json = (v: unknown): Uint8Array => enc.encode(JSON.stringify(v))
const parse = <T>(b: Uint8Array): T => JSON.parse(dec.decode(b)) as T
const EMPTY = new Uint8Array(0)

const rank = (s: DeliveryState): number => DELIVERY_STATES.indexOf(s)

const cacheKey = (peer: string, seq: number): string => `${peer}/${seq}`

export class ChatStore {
  private seq = 0
  private readonly changes: Change[] = []
  private flushing = false
  /**
   * Outgoing texts still in the outbox, as last updated. Saves a read per state
   * change, and holds `sent`, which is not written: after a crash an
   * unacknowledged text is `queued` again, which is what it then is.
   */
  private readonly unacked = new Map<string, ChatMessage>()

  constructor (private readonly ds: Datastore) {}

  async open (): Promise<void> {
    this.seq = await this.getNumber(keys.seq()) ?? 0
  }

  /**
   * Runs build after every earlier change has committed, in the batch of the
   * next group, and resolves once that batch committed. alone: in a batch of
   * its own (for changes that read keys other changes put).
   */
  private async change<T, P = undefined> (build: (g: Group, prepared: P) => Promise<() => T>, alone = false, chain?: ChangeChain, prepare?: () => Promise<P>): Promise<T> {
    return await new Promise<T>((resolve, reject) => {
      this.changes.push({ build: build as Change['build'], alone, chain, prepare, resolve, reject })
      if (!this.flushing) void this.flush()
    })
  }

  private async flush (): Promise<void> {
    this.flushing = true
    try {
      while (this.changes.length > 0) {
        const next = this.changes.findIndex(c => c.alone)
        const n = this.changes[0].alone ? 1 : next < 0 ? this.changes.length : next
        const group = this.changes.splice(0, n)
        await this.commitGroup(group)
      }
    } finally {
      this.flushing = false
    }
  }

  private async commitGroup (all: Change[]): Promise<void> {
    const group: Change[] = []
    for (const c of all) {
      if (c.chain?.failed === true) c.reject(new Error('an earlier change of its chain failed'))
      else group.push(c)
    }
    if (group.length === 0) return
    const done: Array<() => unknown> = []
    const seq = this.seq
    try {
      const g: Group = { batch: this.ds.batch(), inIds: new Set() }
      const prepared = group.map(c => c.prepare?.())
      for (const p of prepared) p?.catch(() => {})
      for (let i = 0; i < group.length; i++) done.push(await group[i].build(g, await prepared[i]))
      if (this.seq !== seq) g.batch.put(keys.seq(), enc.encode(String(this.seq)))
      await g.batch.commit()
    } catch (err) {
      // nothing of the group was stored: every caller fails (sequence numbers are not reused)
      for (const c of group) {
        if (c.chain != null) c.chain.failed = true
        c.reject(err)
      }
      return
    }
    // in order and synchronously: callers see their changes in commit order
    group.forEach((c, i) => {
      try {
        c.resolve(done[i]())
      } catch (err) {
        c.reject(err)
      }
    })
  }

  private async getNumber (key: Key): Promise<number | undefined> {
    const b = await this.getOrUndefined(key)
    return b == null ? undefined : Number(dec.decode(b))
  }

  private async getOrUndefined (key: Key): Promise<Uint8Array | undefined> {
    try {
      return await this.ds.get(key)
    } catch (err: any) {
      if (err.name === 'NotFoundError') return undefined
      throw err
    }
  }

  private nextSeq (): number {
    return ++this.seq
  }

  /**
   * Writes a new outgoing text to history and outbox (one batch, shared with
   * the changes queued meanwhile). onStored runs synchronously once it
   * committed, in commit order: the place to hand the item to its sender.
   */
  async queueText (peer: string, id: string, text: string, sentAt: number, bytes: Uint8Array, onStored?: (item: OutboxItem) => void): Promise<{ message: ChatMessage, item: OutboxItem }> {
    return await this.change(async ({ batch: b }) => {
      const seq = this.nextSeq()
      const message: ChatMessage = { id, peer, direction: 'out', text, sentAt, state: 'queued', seq }
      b.put(keys.msg(peer, seq), json(message))
      b.put(keys.out(peer, seq), bytes)
      b.put(keys.outId(peer, id), enc.encode(String(seq)))
      b.put(keys.unreadOut(peer, seq), EMPTY)
      return () => {
        this.unacked.set(cacheKey(peer, seq), message)
        const item: OutboxItem = { peer, seq, id, kind: 'text', bytes }
        onStored?.(item)
        return { message: { ...message }, item }
      }
    })
  }

  /** Every outbox item, per peer in the order it was queued. */
  async loadOutbox (): Promise<OutboxItem[]> {
    const items: OutboxItem[] = []
    for await (const { key, value } of this.ds.query({ prefix: prefix('out') })) {
      const [peer, seq] = key.toString().slice(prefix('out').length).split('/')
      const res = decodeChatFrame(value)
      if (!res.ok || (res.frame.kind !== 'text' && res.frame.kind !== 'read')) continue
      const item: OutboxItem = { peer, seq: Number(seq), id: chatIdToHex(res.frame.id), kind: res.frame.kind, bytes: value }
      items.push(item)
      if (item.kind === 'text') {
        const raw = await this.getOrUndefined(keys.msg(peer, item.seq))
        if (raw != null) this.unacked.set(cacheKey(peer, item.seq), parse<ChatMessage>(raw))
      }
    }
    return items
  }

  /** Moves a message forward (never back) and adds the write to the batch. */
  private async updateState (peer: string, seq: number, state: DeliveryState, b: Batch): Promise<ChatMessage | undefined> {
    let m = this.unacked.get(cacheKey(peer, seq))
    if (m == null) {
      const raw = await this.getOrUndefined(keys.msg(peer, seq))
      if (raw == null) return undefined
      m = parse<ChatMessage>(raw)
    }
    if (rank(state) <= rank(m.state)) return undefined
    m.state = state
    b.put(keys.msg(peer, seq), json(m))
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
    return await this.change(async ({ batch: b }) => {
      b.delete(keys.out(item.peer, item.seq))
      const m = item.kind === 'text' ? await this.updateState(item.peer, item.seq, 'delivered', b) : undefined
      return () => {
        this.unacked.delete(cacheKey(item.peer, item.seq))
        return m
      }
    })
  }

  /** A read receipt for ref: every outgoing message to peer up to ref is read. */
  async applyRead (peer: string, ref: string, chain?: ChangeChain): Promise<ChatMessage[]> {
    return await this.change(async ({ batch: b }) => {
      const upTo = await this.getNumber(keys.outId(peer, ref))
      const changed: ChatMessage[] = []
      if (upTo == null) return () => changed
      for await (const key of this.ds.queryKeys({ prefix: prefix('unread-out', peer) })) {
        const seq = Number(key.baseNamespace())
        if (seq > upTo) break
        b.delete(key)
        const m = await this.updateState(peer, seq, 'read', b)
        if (m != null) changed.push(m)
      }
      return () => changed
    }, true, chain)
  }

  /**
   * Stores an incoming text where the policy put it, with its id in the
   * deduplication index, in one batch. A duplicate (an id seen before from
   * this peer, stored or in the same batch) changes nothing. message is
   * undefined for a dropped text. Resolves once the batch committed.
   */
  async saveInbound (peer: string, id: string, text: string, sentAt: number, fate: InboundFate, chain?: ChangeChain): Promise<{ duplicate: boolean, message?: ChatMessage }> {
    const inId = keys.inId(peer, id)
    return await this.change<{ duplicate: boolean, message?: ChatMessage }, boolean>(async ({ batch: b, inIds }, stored) => {
      if (stored || inIds.has(inId.toString())) return () => ({ duplicate: true })
      inIds.add(inId.toString())
      // only the key's presence matters (dedup); the fate lives in history/requests
      b.put(inId, EMPTY)
      let message: ChatMessage | undefined
      if (fate !== 'drop') {
        const seq = this.nextSeq()
        message = { id, peer, direction: 'in', text, sentAt, receivedAt: Date.now(), state: 'delivered', seq }
        if (fate === 'msg') {
          b.put(keys.msg(peer, seq), json(message))
          b.put(keys.unreadIn(peer, seq), EMPTY)
        } else {
          b.put(keys.req(peer, seq), json(message))
        }
      }
      return () => ({ duplicate: false, message })
    }, false, chain, async () => await this.ds.has(inId))
  }

  /**
   * Marks every unread incoming message from peer read and, in the same
   * batch, queues one read receipt for the newest: makeReceipt gets its id.
   */
  async markRead (peer: string, makeReceipt: (ref: string) => { id: string, bytes: Uint8Array }): Promise<{ changed: ChatMessage[], item?: OutboxItem }> {
    return await this.change(async ({ batch: b }) => {
      const changed: ChatMessage[] = []
      for await (const key of this.ds.queryKeys({ prefix: prefix('unread-in', peer) })) {
        b.delete(key)
        const m = await this.updateState(peer, Number(key.baseNamespace()), 'read', b)
        if (m != null) changed.push(m)
      }
      if (changed.length === 0) return () => ({ changed })
      const newest = changed.reduce((a, m) => m.seq > a.seq ? m : a)
      const receipt = makeReceipt(newest.id)
      const seq = this.nextSeq()
      b.put(keys.out(peer, seq), receipt.bytes)
      const item: OutboxItem = { peer, seq, id: receipt.id, kind: 'read', bytes: receipt.bytes }
      return () => ({ changed, item })
    }, true)
  }

  /** The newest `limit` messages with peer, oldest first. */
  async history (peer: string, limit?: number): Promise<ChatMessage[]> {
    const out: ChatMessage[] = []
    for await (const { value } of this.ds.query({ prefix: prefix('msg', peer), limit })) {
      const m = parse<ChatMessage>(value)
      out.push(m.direction === 'out' ? { ...(this.unacked.get(cacheKey(peer, m.seq)) ?? m) } : m)
    }
    return out.reverse()
  }

  /** Held messages from non-contacts, oldest first. */
  async requests (peer?: string): Promise<ChatMessage[]> {
    const out: ChatMessage[] = []
    const p = peer == null ? prefix('req') : prefix('req', peer)
    for await (const { value } of this.ds.query({ prefix: p })) out.push(parse<ChatMessage>(value))
    return out.sort((a, b) => a.seq - b.seq)
  }

  /** Moves held messages from peer into its history (keeping their arrival order). */
  async acceptRequests (peer: string): Promise<ChatMessage[]> {
    return await this.change(async ({ batch: b }) => {
      const held = await this.requests(peer)
      for (const m of held) {
        b.delete(keys.req(peer, m.seq))
        b.put(keys.msg(peer, m.seq), json(m))
        b.put(keys.unreadIn(peer, m.seq), EMPTY)
      }
      return () => held
    }, true)
  }

  /** Deletes held messages from peer; their ids stay known so retries stay dropped. */
  async discardRequests (peer: string): Promise<number> {
    return await this.change(async ({ batch: b }) => {
      const held = await this.requests(peer)
      for (const m of held) {
        b.delete(keys.req(peer, m.seq))
      }
      return () => held.length
    }, true)
  }

  async getPolicy (): Promise<NonContactPolicy | undefined> {
    const b = await this.getOrUndefined(keys.policy())
    const v = b == null ? undefined : dec.decode(b)
    return (NON_CONTACT_POLICIES as readonly string[]).includes(v ?? '') ? v as NonContactPolicy : undefined
  }

  async setPolicy (policy: NonContactPolicy): Promise<void> {
    await this.ds.put(keys.policy(), enc.encode(policy))
  }
}
