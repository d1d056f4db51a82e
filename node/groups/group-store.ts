/**
 * What the groups service keeps, as typed records under /presence-mesh/groups
 * (docs/architecture.md, Storage): per group its settings, the op log, every
 * feed entry it accepted (to read, and to serve to members who missed it),
 * feed positions, sender keys, the history, and waiting invitations and
 * deliveries. Writes are staged into transactions by the service; this
 * module knows the layout and loads a group back whole.
 */
import { fromString as uint8ArrayFromString } from 'uint8arrays/from-string'
import { toString as uint8ArrayToString } from 'uint8arrays/to-string'
import { entryHash } from '../../protocol/group-entry.js'
import { canonicalEnvelope } from '../../protocol/signed-envelope.js'
import { bytesCodec, integerCodec, jsonCodec, stringCodec, Store } from '../store/records.js'
import { DATASTORE_PREFIX } from './constants.js'
import type { GroupMessage } from './index.js'
import type { Codec, RecordSet, Transaction } from '../store/records.js'
import type { Datastore } from 'interface-datastore'

/** One group this node is in (or was in), beside what its op log says. */
export interface GroupMeta {
  /** Hex of the 16-byte group id. */
  id: string
  /** Id of the group's CREATE op. */
  root: string
  /** The highest Lamport time seen or used in the group. */
  lamport: number
  /** This node's own entries up to here are stored by at least one other member. */
  delivered: number
  joinedAt: number
}

/** This node's current sender key for a group, and whom it was sealed for. */
export interface OwnKey {
  keyId: Uint8Array
  key: Uint8Array
  /** Peer ids the key was given to (its KEY entry's slots), sorted. */
  recipients: string[]
}

/** A group message as the history keeps it: without the delivery state, which is worked out when read. */
export type StoredMessage = Omit<GroupMessage, 'state'>

/** An invitation waiting for this user's answer. */
export interface StoredInvitation {
  group: string
  inviter: string
  /** The inviter's op log, as received. */
  ops: Uint8Array[]
  receivedAt: number
}

/** An invitation or answer to deliver over the invite protocol, until the recipient confirms. */
export interface Delivery {
  id: string
  to: string
  group: string
  kind: 'invitation' | 'answer'
  /** answer: the JOIN or DECLINE op. */
  op?: Uint8Array
  createdAt: number
  attempts: number
  nextAt: number
}

/** Groups, and authors per group, whose record sets are kept made (past this the cache starts again). */
const MAX_CACHED_SETS = 256
const SEQ_DIGITS = 15
const MAX = 10 ** SEQ_DIGITS - 1
export const pad = (n: number): string => n.toString().padStart(SEQ_DIGITS, '0')
/** The author of a text, from its id `<author>:<seq>`. */
const authorOf = (textId: string): string => textId.slice(0, textId.lastIndexOf(':'))
/** History keys count down, so the newest come first under a prefix query with a limit. */
const historyId = (lamport: number, author: string): string => `${pad(MAX - lamport)}-${author}`

/** An invitation as JSON, its ops as base64 strings. */
const invitationCodec: Codec<StoredInvitation> = {
  encode: (v) => jsonCodec<object>().encode({ ...v, ops: v.ops.map(o => uint8ArrayToString(o, 'base64')) }),
  decode: (b) => {
    const v = jsonCodec<Record<string, unknown>>().decode(b)
    if (!Array.isArray(v.ops) || !v.ops.every(o => typeof o === 'string')) throw new Error('ops is not a list of base64 strings')
    return { ...v, ops: v.ops.map(o => uint8ArrayFromString(o, 'base64')) } as unknown as StoredInvitation
  }
}

export class GroupStore {
  readonly store: Store
  readonly meta: RecordSet<GroupMeta>
  readonly ops: RecordSet<Uint8Array>
  readonly feeds: RecordSet<Uint8Array>
  readonly positions: RecordSet<number>
  readonly keys: RecordSet<Uint8Array>
  readonly ownKeys: RecordSet<OwnKey>
  readonly history: RecordSet<StoredMessage>
  /** Incoming texts not read yet, under their history id; the value is the text's id (`<author>:<seq>`). */
  readonly unread: RecordSet<string>
  readonly invitations: RecordSet<StoredInvitation>
  readonly deliveries: RecordSet<Delivery>

  constructor (datastore: Datastore) {
    this.store = new Store(datastore)
    const at = (name: string): string => `${DATASTORE_PREFIX}/${name}`
    this.meta = this.store.records(at('group'), jsonCodec<GroupMeta>())
    this.ops = this.store.records(at('op'), bytesCodec)
    this.feeds = this.store.records(at('feed'), bytesCodec)
    this.positions = this.store.records(at('pos'), integerCodec)
    this.keys = this.store.records(at('key'), bytesCodec)
    this.ownKeys = this.store.records(at('own-key'), jsonCodec<OwnKey>([], ['keyId', 'key']))
    this.history = this.store.records(at('msg'), jsonCodec<StoredMessage>())
    this.unread = this.store.records(at('unread'), stringCodec)
    this.invitations = this.store.records(at('invitation'), invitationCodec)
    this.deliveries = this.store.records(at('delivery'), jsonCodec<Delivery>([], ['op']))
  }

  // ---- staging (inside a transaction) ----

  /**
   * The sub-sets every text writes to, made once: each `within` builds a
   * datastore Key and its string, and every member stages five records per
   * text it reads (docs/benchmarks.md, group delivery, session 12).
   */
  private readonly groupSets = new Map<string, { feeds: Map<string, RecordSet<Uint8Array>>, positions: RecordSet<number>, history: RecordSet<StoredMessage>, unread: RecordSet<string> }>()

  private setsOf (group: string): { feeds: Map<string, RecordSet<Uint8Array>>, positions: RecordSet<number>, history: RecordSet<StoredMessage>, unread: RecordSet<string> } {
    let sets = this.groupSets.get(group)
    if (sets == null) {
      if (this.groupSets.size >= MAX_CACHED_SETS) this.groupSets.clear()
      sets = { feeds: new Map(), positions: this.positions.within(group), history: this.history.within(group), unread: this.unread.within(group) }
      this.groupSets.set(group, sets)
    }
    return sets
  }

  /** An author's feed in a group (the same records as `feeds.within(group).within(author)`). */
  feedOf (group: string, author: string): RecordSet<Uint8Array> {
    const { feeds } = this.setsOf(group)
    let feed = feeds.get(author)
    if (feed == null) {
      if (feeds.size >= MAX_CACHED_SETS) feeds.clear()
      feed = this.feeds.within(group).within(author)
      feeds.set(author, feed)
    }
    return feed
  }

  putEntry (tx: Transaction, group: string, author: string, seq: number, bytes: Uint8Array): void {
    this.feedOf(group, author).put(tx, pad(seq), bytes)
    this.setsOf(group).positions.put(tx, author, seq + 1)
  }

  putKey (tx: Transaction, group: string, author: string, keyIdHex: string, key: Uint8Array): void {
    this.keys.within(group).within(author).put(tx, keyIdHex, key)
  }

  /** Keeps a text in the history; one from another member is unread until the group is marked read. */
  putMessage (tx: Transaction, m: StoredMessage): void {
    const id = historyId(m.lamport, m.author)
    const sets = this.setsOf(m.group)
    sets.history.put(tx, id, m)
    if (m.direction === 'in') sets.unread.put(tx, id, m.id)
  }

  // ---- reading ----

  /** An author's stored entries from `from` on, in order, as far as they go without a gap. */
  async * entriesFrom (group: string, author: string, from: number): AsyncGenerator<{ seq: number, bytes: Uint8Array }> {
    const feed = this.feedOf(group, author)
    for (let seq = from; ; seq++) {
      const bytes = await feed.get(pad(seq))
      if (bytes == null) return
      yield { seq, bytes }
    }
  }

  /** The newest `limit` messages of a group, oldest first. */
  async messages (group: string, limit?: number): Promise<StoredMessage[]> {
    const out: StoredMessage[] = []
    for await (const [, m] of this.history.within(group).entries({ limit })) out.push(m)
    return out.reverse()
  }

  /**
   * A group's unread texts, oldest first in the group's order: the newest `limit` of them, by authors
   * `counts` lets through. Caught-up texts count too, wherever their Lamport time puts them.
   */
  async unreadMessages (group: string, counts: (author: string) => boolean, limit = Infinity): Promise<StoredMessage[]> {
    const out: StoredMessage[] = []
    for await (const [id, textId] of this.unread.within(group).entries()) {
      if (out.length >= limit) break
      if (!counts(authorOf(textId))) continue
      const m = await this.history.within(group).get(id)
      if (m != null) out.push(m)
    }
    return out.reverse()
  }

  /** How many unread texts a group has by authors `counts` lets through. */
  async unreadCount (group: string, counts: (author: string) => boolean): Promise<number> {
    let n = 0
    for await (const [, textId] of this.unread.within(group).entries()) if (counts(authorOf(textId))) n++
    return n
  }

  /**
   * Marks texts of a group read: those of `ids` (texts' ids, `<author>:<seq>`), or all of them. Resolves
   * with how many unread ones were marked.
   */
  async markRead (group: string, ids?: Iterable<string>): Promise<number> {
    const only = ids == null ? undefined : new Set(ids)
    const marked: string[] = []
    for await (const [id, textId] of this.unread.within(group).entries()) if (only == null || only.has(textId)) marked.push(id)
    if (marked.length > 0) {
      await this.store.change((tx) => {
        for (const id of marked) this.unread.within(group).delete(tx, id)
        return () => {}
      })
    }
    return marked.length
  }

  /** Everything of one group that is loaded into memory at start. */
  async loadGroup (group: string): Promise<{ ops: Uint8Array[], positions: Map<string, number>, tips: Map<string, Uint8Array>, keys: Map<string, Uint8Array>, ownKey?: OwnKey }> {
    const ops = [...(await this.ops.within(group).all()).values()]
    const positions = await this.positions.within(group).all()
    // each feed's last entry: the next one must name its hash, the hash of its encoders' encoding (a node before
    // session 21 may have stored a re-encoded copy: its author's next entry names the entry it copies, §12.3)
    const tips = new Map<string, Uint8Array>()
    for (const [author, next] of positions) {
      const last = next > 1 ? await this.feeds.within(group).within(author).get(pad(next - 1)) : undefined
      if (last != null) tips.set(author, entryHash(canonicalEnvelope(last)))
    }
    const keys = new Map<string, Uint8Array>()
    for await (const [path, key] of this.keys.within(group).entries()) keys.set(path, key)
    return { ops, positions, tips, keys, ownKey: await this.ownKeys.get(group) }
  }
}
