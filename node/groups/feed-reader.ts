/**
 * Reading feeds: every author's entries are applied in seq order, each
 * exactly once (the stored position says which comes next), whether they
 * came live on the topic or from a member's history. An entry that comes
 * before an earlier one waits in memory; the gap is reported so the service
 * catches up. What reading does is collected in a ReadBatch: the writes to
 * commit together, then the messages and changes to announce.
 */
import { equals as uint8ArrayEquals } from 'uint8arrays/equals'
import { entryHash, keyEntryNames, openEntryContent, openKeyEntry } from '../../protocol/group-entry.js'
import { hex, openGroupOp, originalOf } from '../../protocol/group-op.js'
import type { GroupChange, GroupRuntime } from './group.js'
import type { GroupStore, StoredMessage } from './group-store.js'
import type { Transaction } from '../store/records.js'
import type { GroupEntry } from '../../protocol/group-entry.js'
import type { AddResult, GroupState } from '../../protocol/group-log.js'
import type { GroupOp } from '../../protocol/group-op.js'

export interface FeedContext {
  me: string
  meMultihash: Uint8Array
  store: GroupStore
  /** The pair's `group` key between this node and a peer. */
  pairGroupKey: (peer: string) => Uint8Array
  /** Entries held per author while an earlier one is missing. */
  maxWaiting: number
}

export class ReadBatch {
  readonly writes: Array<(tx: Transaction) => void> = []
  /** Texts stored by this batch (blocked authors' included: whoever announces them filters). */
  readonly messages: StoredMessage[] = []
  readonly ops: GroupOp[] = []
  /** The next seq per author once this batch is stored. */
  readonly positions = new Map<string, number>()
  /** An earlier entry or a parent op is missing: catch up unless it arrives on its own soon. */
  gap = false
  /** A member's new key left this node out: catch up now (it may have been removed). */
  excluded = false
  applied = 0
  /** The membership changes this batch made, taken when it was read (a commit that waits its turn sees later reads' too). */
  changes?: GroupChange[]

  constructor (readonly before: GroupState) {}
}

/** forked: the entry does not follow the one this node holds at seq - 1 (its author wrote two different entries there). */
export type ReadResult = 'applied' | 'duplicate' | 'waiting' | 'refused' | 'forked'

/**
 * Applies `entry` (signature and group already checked) if it is its author's
 * next, then whatever was waiting behind it. Every member keeps every feed
 * whole from seq 1, including what was not written for it (it cannot open
 * that, but it serves it to those who can).
 */
export function readEntry (g: GroupRuntime, entry: GroupEntry, ctx: FeedContext, batch: ReadBatch): ReadResult {
  const { author, seq } = entry
  if (author === ctx.me) return 'duplicate'
  const next = g.positions.get(author) ?? 1
  if (seq < next) return 'duplicate'
  if (!g.log.acceptsFeed(author, seq)) return 'refused'
  if (seq > next) {
    g.hold(entry, ctx.maxWaiting)
    batch.gap = true
    return 'waiting'
  }
  if (!follows(g, entry)) return 'forked'
  apply(g, entry, ctx, batch)
  // what waited behind it, as far as it goes on without a gap
  const held = g.waiting.get(author)
  if (held != null) {
    for (const s of [...held.keys()]) if (s <= seq) held.delete(s)
    for (let n = seq + 1; held.has(n) && g.log.acceptsFeed(author, n); n++) {
      const e = held.get(n)!
      held.delete(n)
      if (!follows(g, e)) break
      apply(g, e, ctx, batch)
    }
    if (held.size === 0) g.waiting.delete(author)
  }
  return 'applied'
}

/** Whether the entry names the hash of the entry this node holds before it. */
function follows (g: GroupRuntime, entry: GroupEntry): boolean {
  const tip = g.tips.get(entry.author)
  return entry.seq === 1 || tip == null || uint8ArrayEquals(tip, entry.prev)
}

function apply (g: GroupRuntime, entry: GroupEntry, ctx: FeedContext, batch: ReadBatch): void {
  const { author, seq } = entry
  const group = g.id
  g.positions.set(author, seq + 1)
  batch.positions.set(author, seq + 1)
  g.tips.set(author, entryHash(entry.bytes))
  g.meta = { ...g.meta, lamport: Math.max(g.meta.lamport, entry.lamport) }
  batch.applied++
  batch.writes.push(tx => { ctx.store.putEntry(tx, group, author, seq, entry.bytes) })
  if (entry.kind === 'key') {
    if (!keyEntryNames(entry, ctx.meMultihash)) {
      // a member's new key left this member out: removed, most likely, by an op not here yet
      if (g.standing(ctx.me) === 'member') batch.excluded = true
      return
    }
    const key = openKeyEntry(entry, ctx.meMultihash, ctx.pairGroupKey(author))
    if (key == null) return
    const keyIdHex = hex(entry.keyId)
    g.keys.set(`${author}/${keyIdHex}`, key)
    batch.writes.push(tx => { ctx.store.putKey(tx, group, author, keyIdHex, key) })
    return
  }
  // content under a key this node was not given was not written for it: it only moves the position
  const key = g.keyFor(author, hex(entry.keyId))
  const content = key == null ? undefined : openEntryContent(entry, key)
  if (content?.kind === 'text') {
    const m: StoredMessage = { id: `${author}:${seq}`, group, author, seq, lamport: entry.lamport, text: content.text, sentAt: entry.sentAt, receivedAt: Date.now(), direction: 'in' }
    batch.messages.push(m)
    batch.writes.push(tx => { ctx.store.putMessage(tx, m) })
  } else if (content?.kind === 'op') {
    const res = openGroupOp(content.op, g.groupId)
    if (res.ok) addOp(g, res.op, ctx, batch)
  }
}

/** Adds a checked op to the log and stages it (a copy with the op it copies, which the log adds too: §12.2 "Copies"); a missing parent is a gap. */
export function addOp (g: GroupRuntime, op: GroupOp, ctx: FeedContext, batch: ReadBatch): AddResult {
  const stage = (o: GroupOp): void => {
    batch.ops.push(o)
    batch.writes.push(tx => { ctx.store.ops.within(g.id).put(tx, o.id, o.envelope) })
  }
  const original = op.original == null ? undefined : originalOf(op)
  const originalWasNew = original != null && !g.log.has(original.id)
  const res = g.log.add(op)
  if (original != null && originalWasNew && g.log.has(original.id)) stage(original)
  if (res === 'added' || res === 'pending') stage(op)
  if (res === 'pending') batch.gap = true
  return res
}
