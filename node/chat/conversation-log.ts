/**
 * A person's conversations with contacts, the same on each of their devices
 * (docs/protocol.md §14.12). Every message of a conversation with a contact
 * person is stored once, under its position (sent_at, author, id: the same
 * key on every device, so a copy that arrives twice, from the contact and
 * from an own device, is stored once). Each message this device brought in
 * (sent, or received from the contact) is also an entry of its origin log,
 * numbered 1, 2, ...; own devices exchange origin logs from where the other
 * stands (its cursors), so a device that was offline catches up exactly
 * once. Read marks per contact: the greatest position read wins.
 *
 * Writes are staged into the chat store's transactions (a message sent or
 * received is in chat history and here in one batch, or in neither).
 */
import { comparePositions, laterMark, nextSentAt, positionKey, MAX_HISTORY_CURSORS } from '../../protocol/device-history.js'
import { integerCodec, jsonCodec, RecordSet, stringCodec } from '../store/records.js'
import { DATASTORE_PREFIX } from './constants.js'
import type { HistoryCursor, HistoryMessage, HistoryRecord, ReadMark } from '../../protocol/device-history.js'
import type { Transaction } from '../store/group-commit.js'
import type { Datastore } from 'interface-datastore'

/** Part of a conversation: between two position keys (exclusive), at most `limit`, the last ones with `fromEnd`. */
export interface ConversationRange {
  after?: string
  before?: string
  limit?: number
  fromEnd?: boolean
}

const SEQ_DIGITS = 15
const pad = (seq: number): string => seq.toString().padStart(SEQ_DIGITS, '0')

export class ConversationLog {
  /** Per contact: messages by position key. */
  private readonly messages: RecordSet<HistoryMessage>
  /** Per origin device: `<contact>/<position key>` by sequence number. */
  private readonly origins: RecordSet<string>
  /** Per origin device: the highest sequence number held. */
  private readonly cursors: RecordSet<number>
  /** Per contact: the newest position read. */
  private readonly marks: RecordSet<ReadMark>
  private readonly have = new Map<string, number>()
  private readonly read = new Map<string, ReadMark>()
  /** The sent_at of this device's last message: the next one is later. */
  private lastSentAt = 0

  constructor (ds: Datastore, private readonly self: string) {
    const set = <T>(name: string, codec: ConstructorParameters<typeof RecordSet<T>>[2]): RecordSet<T> => new RecordSet(ds, `${DATASTORE_PREFIX}/${name}`, codec)
    this.messages = set('conv', jsonCodec<HistoryMessage>())
    this.origins = set('orig', stringCodec)
    this.cursors = set('have', integerCodec)
    this.marks = set('read', jsonCodec<ReadMark>())
  }

  async open (): Promise<void> {
    for await (const [device, seq] of this.cursors.entries()) this.have.set(device, seq)
    for await (const [contact, mark] of this.marks.entries()) this.read.set(contact, mark)
    const last = this.have.get(this.self)
    if (last != null) {
      const ref = await this.origins.within(this.self).get(pad(last))
      const m = ref == null ? undefined : await this.byRef(ref)
      if (m?.outgoing === true) this.lastSentAt = m.sentAt
    }
  }

  /** The sent_at for a new message of this device (its clock, after its previous message). */
  sentAtNow (): number {
    this.lastSentAt = nextSentAt(Date.now(), this.lastSentAt)
    return this.lastSentAt
  }

  /** Whether the message is held (committed). */
  async has (m: HistoryMessage): Promise<boolean> {
    return await this.messages.within(m.contact).has(positionKey(m))
  }

  /**
   * Stages a message this device brought in, unless it is held already
   * (`known`, or staged earlier in the transaction): stored, and appended to
   * this device's origin log. Returns whether it was new.
   */
  stageOwn (tx: Transaction, m: HistoryMessage, known: boolean): boolean {
    const key = positionKey(m)
    if (known || tx.staged(this.messages.within(m.contact).key(key)) != null) return false
    // numbered by the clock (ms), at least one above the last: a device restored from a backup
    // (its origin log gone, the same peer id) numbers above what its other devices hold of it
    const seq = Math.max((this.have.get(this.self) ?? 0) + 1, Date.now())
    this.have.set(this.self, seq)
    this.messages.within(m.contact).put(tx, key, plain(m))
    this.origins.within(this.self).put(tx, pad(seq), `${m.contact}/${key}`)
    this.cursors.put(tx, this.self, seq)
    return true
  }

  /**
   * Takes records from another own device (one transaction, run alone):
   * each one above the cursor held for its origin is kept in that origin's
   * log, and its message stored unless held. Returns the messages new here.
   */
  async stageTaken (tx: Transaction, records: HistoryRecord[]): Promise<{ fresh: HistoryMessage[], cursors: Map<string, number> }> {
    const cursors = new Map<string, number>()
    const fresh: HistoryMessage[] = []
    for (const r of records) {
      const at = cursors.get(r.origin) ?? this.have.get(r.origin) ?? 0
      if (r.origin === this.self || r.seq <= at) continue
      const key = positionKey(r)
      const conv = this.messages.within(r.contact)
      if (tx.staged(conv.key(key)) == null && !await conv.has(key)) {
        const m = plain(r)
        conv.put(tx, key, m)
        fresh.push(m)
      }
      this.origins.within(r.origin).put(tx, pad(r.seq), `${r.contact}/${key}`)
      this.cursors.put(tx, r.origin, r.seq)
      cursors.set(r.origin, r.seq)
    }
    tx.afterCommit(() => { for (const [o, s] of cursors) this.have.set(o, Math.max(s, this.have.get(o) ?? 0)) })
    return { fresh, cursors }
  }

  /**
   * Where this device stands: the highest record held per origin, at most
   * MAX_HISTORY_CURSORS, the most recently numbered first (numbers follow the
   * clock): an origin left out is sent from its start again, and taken as held.
   */
  cursorsHeld (): HistoryCursor[] {
    return [...this.have].map(([device, seq]) => ({ device, seq })).sort((a, b) => b.seq - a.seq).slice(0, MAX_HISTORY_CURSORS)
  }

  /** Records another device lacks (above its cursors), per origin in order, at most `max`. */
  async * recordsAfter (theirs: HistoryCursor[], max: number): AsyncGenerator<HistoryRecord> {
    const at = new Map(theirs.map(c => [c.device, c.seq]))
    let n = 0
    for (const [origin, held] of [...this.have]) {
      const from = at.get(origin) ?? 0
      if (held <= from) continue
      for await (const [seqText, ref] of this.origins.within(origin).entries({ after: pad(from) })) {
        const seq = Number(seqText)
        const m = await this.byRef(ref)
        if (m == null) continue
        yield { ...m, origin, seq }
        if (++n >= max) return
      }
    }
  }

  /** The message an origin log entry (`<contact>/<position key>`) names. */
  private async byRef (ref: string): Promise<HistoryMessage | undefined> {
    const cut = ref.indexOf('/')
    return await this.messages.within(ref.slice(0, cut)).get(ref.slice(cut + 1))
  }

  /** The read marks held, newest first (a hello carries at most `max`). */
  marksHeld (max: number): ReadMark[] {
    return [...this.read.values()].sort((a, b) => comparePositions(b, a)).slice(0, max)
  }

  readMark (contact: string): ReadMark | undefined {
    return this.read.get(contact)
  }

  /** Stages a mark if it is later than the one held; returns whether it was. */
  stageMark (tx: Transaction, mark: ReadMark): boolean {
    const held = this.read.get(mark.contact)
    if (laterMark(held, mark) === held) return false
    const m: ReadMark = { contact: mark.contact, sentAt: mark.sentAt, author: mark.author, id: mark.id }
    this.marks.put(tx, mark.contact, m)
    tx.afterCommit(() => { this.read.set(m.contact, laterMark(this.read.get(m.contact), m) ?? m) })
    return true
  }

  /** Every message of the conversation with contact, in conversation order (the newest `limit`). */
  async conversation (contact: string, limit?: number): Promise<HistoryMessage[]> {
    return await this.range(contact, { limit, fromEnd: limit != null })
  }

  /**
   * Messages of the conversation between two positions (position keys,
   * exclusive), in conversation order: the first `limit`, or the last with `fromEnd`.
   */
  async range (contact: string, r: ConversationRange): Promise<HistoryMessage[]> {
    const out: HistoryMessage[] = []
    for await (const [, m] of this.messages.within(contact).entries({ after: r.after, before: r.before, limit: r.limit, reverse: r.fromEnd })) out.push(m)
    return r.fromEnd === true ? out.reverse() : out
  }

  /** How many messages lie between two positions (reads keys only). */
  async count (contact: string, r: Pick<ConversationRange, 'after' | 'before'>): Promise<number> {
    let n = 0
    for await (const _ of this.messages.within(contact).ids(r)) n++
    return n
  }

  /**
   * The contact's newest text to us and how many of theirs are after the
   * read mark, read from the newest back only as far as those need.
   */
  async unreadIn (contact: string): Promise<{ newest?: HistoryMessage, unread: number }> {
    const mark = this.read.get(contact)
    // keys are position keys: comparing them is comparing positions
    const markKey = mark == null ? undefined : positionKey(mark)
    let newest: HistoryMessage | undefined
    let unread = 0
    for await (const [key, m] of this.messages.within(contact).entries({ reverse: true })) {
      const afterMark = markKey == null || key > markKey
      if (!afterMark && newest != null) break
      if (m.outgoing) continue
      newest ??= m
      if (afterMark) unread++
    }
    return { newest, unread }
  }

  /** Messages from the contact after the read mark, per contact (contacts with none left out). */
  async unread (): Promise<Map<string, number>> {
    const counts = new Map<string, number>()
    for await (const contact of this.messages.childIds()) {
      const { unread } = await this.unreadIn(contact)
      if (unread > 0) counts.set(contact, unread)
    }
    return counts
  }
}

/** Only the message's own fields (a record also carries origin and seq). */
function plain (m: HistoryMessage): HistoryMessage {
  return { contact: m.contact, id: m.id, outgoing: m.outgoing, author: m.author, sentAt: m.sentAt, text: m.text }
}
