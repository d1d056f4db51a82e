/**
 * Everything chat keeps in the datastore: history, the outbox, the
 * deduplication index and held requests. Each change is one atomic batch, and
 * batches run one at a time, so a crash leaves either all of a change or none.
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
  private chain: Promise<unknown> = Promise.resolve()
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

  /** Runs fn after every earlier change has committed. */
  private async locked<T> (fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn)
    this.chain = run.catch(() => {})
    return await run
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

  /** Writes a new outgoing text to history and outbox in one batch. */
  async queueText (peer: string, id: string, text: string, sentAt: number, bytes: Uint8Array): Promise<{ message: ChatMessage, item: OutboxItem }> {
    return await this.locked(async () => {
      const seq = this.nextSeq()
      const message: ChatMessage = { id, peer, direction: 'out', text, sentAt, state: 'queued', seq }
      const b = this.ds.batch()
      b.put(keys.msg(peer, seq), json(message))
      b.put(keys.out(peer, seq), bytes)
      b.put(keys.outId(peer, id), enc.encode(String(seq)))
      b.put(keys.unreadOut(peer, seq), EMPTY)
      b.put(keys.seq(), enc.encode(String(seq)))
      await b.commit()
      this.unacked.set(cacheKey(peer, seq), message)
      return { message: { ...message }, item: { peer, seq, id, kind: 'text', bytes } }
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
  private async updateState (peer: string, seq: number, state: DeliveryState, b: ReturnType<Datastore['batch']>): Promise<ChatMessage | undefined> {
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
    return await this.locked(async () => {
      const b = this.ds.batch()
      b.delete(keys.out(item.peer, item.seq))
      const m = item.kind === 'text' ? await this.updateState(item.peer, item.seq, 'delivered', b) : undefined
      await b.commit()
      this.unacked.delete(cacheKey(item.peer, item.seq))
      return m
    })
  }

  /** A read receipt for ref: every outgoing message to peer up to ref is read. */
  async applyRead (peer: string, ref: string): Promise<ChatMessage[]> {
    return await this.locked(async () => {
      const upTo = await this.getNumber(keys.outId(peer, ref))
      if (upTo == null) return []
      const b = this.ds.batch()
      const changed: ChatMessage[] = []
      for await (const key of this.ds.queryKeys({ prefix: prefix('unread-out', peer) })) {
        const seq = Number(key.baseNamespace())
        if (seq > upTo) break
        b.delete(key)
        const m = await this.updateState(peer, seq, 'read', b)
        if (m != null) changed.push(m)
      }
      await b.commit()
      return changed
    })
  }

  /**
   * Stores an incoming text where the policy put it, with its id in the
   * deduplication index, in one batch. A duplicate (an id seen before from
   * this peer) changes nothing. message is undefined for a dropped text.
   */
  async saveInbound (peer: string, id: string, text: string, sentAt: number, fate: InboundFate): Promise<{ duplicate: boolean, message?: ChatMessage }> {
    return await this.locked(async () => {
      if (await this.ds.has(keys.inId(peer, id))) return { duplicate: true }
      const b = this.ds.batch()
      b.put(keys.inId(peer, id), enc.encode(fate))
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
        b.put(keys.seq(), enc.encode(String(seq)))
      }
      await b.commit()
      return { duplicate: false, message }
    })
  }

  /**
   * Marks every unread incoming message from peer read and, in the same
   * batch, queues one read receipt for the newest: makeReceipt gets its id.
   */
  async markRead (peer: string, makeReceipt: (ref: string) => { id: string, bytes: Uint8Array }): Promise<{ changed: ChatMessage[], item?: OutboxItem }> {
    return await this.locked(async () => {
      const b = this.ds.batch()
      const changed: ChatMessage[] = []
      for await (const key of this.ds.queryKeys({ prefix: prefix('unread-in', peer) })) {
        b.delete(key)
        const m = await this.updateState(peer, Number(key.baseNamespace()), 'read', b)
        if (m != null) changed.push(m)
      }
      if (changed.length === 0) {
        await b.commit()
        return { changed }
      }
      const newest = changed.reduce((a, m) => m.seq > a.seq ? m : a)
      const receipt = makeReceipt(newest.id)
      const seq = this.nextSeq()
      b.put(keys.out(peer, seq), receipt.bytes)
      b.put(keys.seq(), enc.encode(String(seq)))
      await b.commit()
      return { changed, item: { peer, seq, id: receipt.id, kind: 'read', bytes: receipt.bytes } }
    })
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
    return await this.locked(async () => {
      const held = await this.requests(peer)
      const b = this.ds.batch()
      for (const m of held) {
        b.delete(keys.req(peer, m.seq))
        b.put(keys.msg(peer, m.seq), json(m))
        b.put(keys.unreadIn(peer, m.seq), EMPTY)
        b.put(keys.inId(peer, m.id), enc.encode('msg'))
      }
      await b.commit()
      return held
    })
  }

  /** Deletes held messages from peer; their ids stay known so retries stay dropped. */
  async discardRequests (peer: string): Promise<number> {
    return await this.locked(async () => {
      const held = await this.requests(peer)
      const b = this.ds.batch()
      for (const m of held) {
        b.delete(keys.req(peer, m.seq))
        b.put(keys.inId(peer, m.id), enc.encode('drop'))
      }
      await b.commit()
      return held.length
    })
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
