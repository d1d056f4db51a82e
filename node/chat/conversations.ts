/**
 * A chat with a contact is a chat with the person (docs/protocol.md §14.12):
 * a text goes to every current device of theirs (one frame id, one outbox
 * entry per device), and the conversation shown is the person's, the same on
 * each of this person's devices: what any of them sent or received, in
 * position order, read up to the latest mark any of them set. Peers that are
 * no contact keep the per-device history of chat-store.ts.
 */
import { comparePositions } from '../../protocol/device-history.js'
import { EMPTY, RecordSet, bytesCodec } from '../store/records.js'
import { DATASTORE_PREFIX } from './constants.js'
import { DELIVERY_STATES } from './chat-store.js'
import { trimOldest } from '../util/trim.js'
import type { ChatMessage, ChatStore, DeliveryState, InboundMirror, OutboxItem } from './chat-store.js'
import type { ConversationLog, ConversationRange } from './conversation-log.js'
import type { HistoryMessage, HistoryPosition } from '../../protocol/device-history.js'
import type { Roster } from '../roster/index.js'
import type { Transaction } from '../store/records.js'
import type { Datastore } from 'interface-datastore'

export interface ConversationsContext {
  self: string
  datastore: Datastore
  store: ChatStore
  log: ConversationLog
  roster: Pick<Roster, 'get' | 'contacts'>
  /** Something was stored here that the person's other devices lack. */
  changed: () => void
}

const MIGRATED = 'conv-migrated'
const best = (states: DeliveryState[]): DeliveryState | undefined =>
  states.reduce<DeliveryState | undefined>((a, s) => a == null || DELIVERY_STATES.indexOf(s) > DELIVERY_STATES.indexOf(a) ? s : a, undefined)

/** How many texts' furthest state is remembered for copy-state events (oldest forgotten first). */
const STATES_REMEMBERED = 4096

export class Conversations {
  /** Per text to a contact person, the furthest state a copy reached that was reported. */
  private readonly reported = new Map<string, number>()

  constructor (private readonly ctx: ConversationsContext) {}

  /**
   * A copy's delivery state as the person's text: the text's state is the
   * furthest any copy reached, so a copy's change is reported (named by the
   * person) only when it moves the text on; else undefined. Any other
   * peer's message is reported as it is.
   */
  personState (m: ChatMessage): ChatMessage | undefined {
    const person = m.direction === 'out' ? this.personOf(m.peer) : undefined
    if (person == null) return m
    const key = `${person}/${m.id}`
    const rank = DELIVERY_STATES.indexOf(m.state)
    if (rank <= (this.reported.get(key) ?? -1)) return undefined
    this.reported.delete(key)
    this.reported.set(key, rank)
    trimOldest(this.reported, STATES_REMEMBERED)
    return { ...m, peer: person }
  }

  /** The contact person a peer (their roster id or one of their devices) is, unless blocked; else undefined. */
  personOf (peer: string): string | undefined {
    const p = this.ctx.roster.get(peer)
    return p?.contact != null && p.blockedSince == null ? p.id : undefined
  }

  /** The devices a text to a contact person goes to: every device their list names (never this one). */
  devicesOf (person: string): string[] {
    return (this.ctx.roster.get(person)?.devices ?? [person]).filter(d => d !== this.ctx.self)
  }

  /** Stores a text to every device of a contact person, and in the conversation, in one batch. */
  async send (person: string, id: string, text: string, sentAt: number, bytes: Uint8Array, enqueue: (item: OutboxItem) => void): Promise<ChatMessage> {
    const m: HistoryMessage = { contact: person, id, outgoing: true, author: this.ctx.self, sentAt, text }
    const devices = this.devicesOf(person)
    const copies = await this.ctx.store.queueCopies(devices, id, text, sentAt, bytes, (tx) => { this.ctx.log.stageOwn(tx, m, false) }, enqueue)
    this.ctx.changed()
    return { ...this.shown(m, 0, 'queued'), copies: Object.fromEntries(copies.map(c => [c.item.peer, c.message.state])) }
  }

  /** The conversation's share of storing a text from a contact person's device (undefined: no contact). */
  inboundMirror (peer: string, id: string, text: string, sentAt: number): InboundMirror | undefined {
    const person = this.personOf(peer)
    if (person == null) return undefined
    const m: HistoryMessage = { contact: person, id, outgoing: false, author: peer, sentAt, text }
    return {
      known: async () => await this.ctx.log.has(m),
      stage: (tx, known) => {
        if (this.ctx.log.stageOwn(tx, m, known)) tx.afterCommit(() => { this.ctx.changed() })
      }
    }
  }

  /** A message another own device brought, as the carbon event reports it: a contact's text read there (old history caught up) comes as read. */
  carbon (m: HistoryMessage): ChatMessage {
    const mark = this.ctx.log.readMark(m.contact)
    const state = m.outgoing ? 'sent' : mark != null && comparePositions(m, mark) <= 0 ? 'read' : 'delivered'
    return this.shown(m, 0, state)
  }

  /** Stages held texts that move into a new contact's history. */
  async stageMoved (tx: Transaction, peer: string, held: ChatMessage[]): Promise<void> {
    for (const h of held) this.inboundMirror(peer, h.id, h.text, h.sentAt)?.stage(tx, false)
  }

  /** The newest `limit` messages with a contact person, in conversation order. */
  async view (person: string, limit?: number): Promise<ChatMessage[]> {
    return await this.page(person, { limit, fromEnd: limit != null })
  }

  /** Part of the conversation with a contact person (ConversationLog.range), with each text's state. */
  async page (person: string, range: ConversationRange): Promise<ChatMessage[]> {
    const mark = this.ctx.log.readMark(person)
    const out: ChatMessage[] = []
    for (const [i, m] of (await this.ctx.log.range(person, range)).entries()) {
      if (!m.outgoing) {
        out.push(this.shown(m, i + 1, mark != null && comparePositions(m, mark) <= 0 ? 'read' : 'delivered'))
      } else if (m.author !== this.ctx.self) {
        out.push(this.shown(m, i + 1, 'sent'))
      } else {
        const copies: Record<string, DeliveryState> = {}
        for (const d of this.ctx.roster.get(person)?.devices ?? [person]) {
          const s = await this.ctx.store.copyState(d, m.id)
          if (s != null) copies[d] = s
        }
        out.push({ ...this.shown(m, i + 1, best(Object.values(copies)) ?? 'sent'), copies })
      }
    }
    return out
  }

  /**
   * Marks the conversation read up to its newest message, on every device
   * of the person (the mark is synced) and, through `readDevice`, towards
   * each device of the contact (read receipts). Returns how many were unread.
   */
  async markRead (person: string, readDevice: (device: string) => Promise<number>): Promise<number> {
    // the newest text FROM them: a mark at our own newest text (stamped now) would cover a text of
    // theirs written earlier that is still on its way (held in their outbox while we were away)
    const { newest, unread } = await this.ctx.log.unreadIn(person)
    for (const d of this.devicesOf(person)) await readDevice(d)
    if (newest == null) return unread
    const pos: HistoryPosition = { sentAt: newest.sentAt, author: newest.author, id: newest.id }
    if (await this.ctx.store.change(async (tx) => this.ctx.log.stageMark(tx, { contact: person, ...pos }))) this.ctx.changed()
    return unread
  }

  /** Unread messages per contact person. */
  async unread (): Promise<Map<string, number>> {
    return await this.ctx.log.unread()
  }

  /**
   * Once, on the first start with conversations: the per-device history of
   * every contact becomes its person's conversation (and so reaches the
   * person's other devices).
   */
  async migrate (): Promise<void> {
    const flags = new RecordSet(this.ctx.datastore, `${DATASTORE_PREFIX}/flags`, bytesCodec)
    const contacts = this.ctx.roster.contacts()
    // nothing to move (a new node): nothing written, the check runs again next start
    if (contacts.length === 0 || await flags.has(MIGRATED)) return
    let moved = 0
    await this.ctx.store.change(async (tx) => {
      for (const person of contacts) {
        // what was read before stays read: the mark goes to the newest incoming text read
        let read: HistoryPosition | undefined
        for (const device of person.devices) {
          for (const h of await this.ctx.store.history(device)) {
            const m: HistoryMessage = { contact: person.id, id: h.id, outgoing: h.direction === 'out', author: h.direction === 'out' ? this.ctx.self : device, sentAt: h.sentAt, text: h.text }
            if (this.ctx.log.stageOwn(tx, m, await this.ctx.log.has(m))) moved++
            if (h.direction === 'in' && h.state === 'read' && (read == null || comparePositions(m, read) > 0)) read = { sentAt: m.sentAt, author: m.author, id: m.id }
          }
        }
        if (read != null) this.ctx.log.stageMark(tx, { contact: person.id, ...read })
      }
      flags.put(tx, MIGRATED, EMPTY)
    })
    if (moved > 0) this.ctx.changed()
  }

  private shown (m: HistoryMessage, seq: number, state: DeliveryState): ChatMessage {
    return { id: m.id, peer: m.contact, direction: m.outgoing ? 'out' : 'in', text: m.text, sentAt: m.sentAt, state, seq, author: m.author }
  }
}
