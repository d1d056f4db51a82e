/**
 * Writing this node's feed. Before its first content entry after the members
 * or the invited changed, the node makes a new sender key and a KEY entry
 * sealing it for every member and invited person (lazily, as Signal's sender
 * keys: a burst of invitations costs one key): so whoever left or was removed
 * opens nothing written afterwards, and whoever joins opens what was written
 * since its invitation, even before the writer heard of the join. Entries are
 * signed and staged; the engine publishes them once journaled or committed
 * (docs/protocol.md §12.7), and restores journaled ones the store lacks.
 */
import { KEY_ID_BYTES, randomBytes, SENDER_KEY_BYTES } from '../../protocol/group-crypto.js'
import { equals as uint8ArrayEquals } from 'uint8arrays/equals'
import { entryHash, openEntryContent, openGroupEntry, sealContentEntry, sealKeyEntry } from '../../protocol/group-entry.js'
import { pad } from './group-store.js'
import { multihashOf } from './group.js'
import type { GroupRuntime } from './group.js'
import type { GroupStore, OwnKey, StoredMessage } from './group-store.js'
import type { JournalRecord } from './own-journal.js'
import type { Transaction } from '../store/records.js'
import type { GroupContent, GroupEntry } from '../../protocol/group-entry.js'
import type { PrivateKey } from '@libp2p/interface'

export interface WriterContext {
  me: string
  meMultihash: Uint8Array
  privateKey: PrivateKey
  store: GroupStore
  pairGroupKey: (peer: string) => Uint8Array
  /** Members and invited people who get no sender key from this node (devices revoked by their person, §12.8). */
  excluded?: (peer: string) => boolean
}

export interface Written {
  /** Signed entries in feed order, to publish once committed. */
  frames: Array<{ seq: number, bytes: Uint8Array }>
  /** The texts among them, as the history keeps them. */
  messages: StoredMessage[]
  stage: (tx: Transaction) => void
  /** A new sender key was made (it must be stored before anything sealed under it goes out). */
  keyChanged: boolean
}

const sameList = (a: string[], b: string[]): boolean => a.length === b.length && a.every((x, i) => x === b[i])

/**
 * Appends content entries to this node's feed (a KEY entry first when the
 * recipients changed since the current key). `content` gets the seq its entry
 * will have (a leave states where its author's feed ends).
 */
export function writeEntries (g: GroupRuntime, contents: Array<(seq: number) => GroupContent>, ctx: WriterContext): Written {
  const now = Date.now()
  const frames: Written['frames'] = []
  const messages: StoredMessage[] = []
  const writes: Array<(tx: Transaction) => void> = []
  let seq = g.lastOwnSeq(ctx.me)
  let lamport = g.meta.lamport
  let prev = g.tips.get(ctx.me) ?? new Uint8Array(0)
  const add = (bytes: Uint8Array): void => {
    frames.push({ seq, bytes })
    prev = entryHash(bytes)
  }
  const recipients = g.recipients(ctx.me, ctx.excluded)
  const keyChanged = g.ownKey == null || !sameList(g.ownKey.recipients, recipients)
  if (g.ownKey == null || keyChanged) {
    const own: OwnKey = { keyId: randomBytes(KEY_ID_BYTES), key: randomBytes(SENDER_KEY_BYTES), recipients }
    // nobody else in the group or invited: nobody needs the key, no KEY entry
    if (recipients.length > 0) {
      seq++
      lamport++
      add(sealKeyEntry({ group: g.groupId, seq, lamport, sentAt: now, prev }, ctx.meMultihash, own.keyId, own.key,
        recipients.map(r => ({ multihash: multihashOf(r), pairGroupKey: ctx.pairGroupKey(r) })), ctx.privateKey))
    }
    g.ownKey = own
    writes.push(tx => { ctx.store.ownKeys.put(tx, g.id, own) })
  }
  const key = g.ownKey
  for (const make of contents) {
    seq++
    lamport++
    const content = make(seq)
    add(sealContentEntry({ group: g.groupId, seq, lamport, sentAt: now, prev }, ctx.meMultihash, key.keyId, key.key, content, ctx.privateKey))
    if (content.kind === 'text') {
      messages.push({ id: `${ctx.me}:${seq}`, group: g.id, author: ctx.me, seq, lamport, text: content.text, sentAt: now, direction: 'out' })
    }
  }
  g.meta = { ...g.meta, lamport }
  g.positions.set(ctx.me, seq + 1)
  g.tips.set(ctx.me, prev)
  const meta = g.meta
  return {
    frames,
    messages,
    keyChanged,
    stage: (tx) => {
      for (const w of writes) w(tx)
      for (const f of frames) ctx.store.putEntry(tx, g.id, ctx.me, f.seq, f.bytes)
      for (const m of messages) ctx.store.putMessage(tx, m)
      ctx.store.meta.put(tx, g.id, meta)
    }
  }
}

/**
 * Own text entries the journal holds and the store lacks (the process ended
 * before their commit; they may have been published): applied to memory as
 * when written, in feed order, and committed. Returns how many.
 */
export async function restoreEntries (g: GroupRuntime, records: JournalRecord[], ctx: WriterContext): Promise<number> {
  const feed = ctx.store.feeds.within(g.id).within(ctx.me)
  const entries: GroupEntry[] = []
  for (const r of records) {
    if (r.group !== g.id) continue
    const res = openGroupEntry(r.bytes, g.groupId)
    if (res.ok && res.entry.author === ctx.me && await feed.get(pad(res.entry.seq)) == null) entries.push(res.entry)
  }
  if (entries.length === 0) return 0
  entries.sort((a, b) => a.seq - b.seq)
  const frames: Written['frames'] = []
  const messages: StoredMessage[] = []
  for (const e of entries) {
    const key = g.ownKey != null && uint8ArrayEquals(g.ownKey.keyId, e.keyId) ? g.ownKey.key : undefined
    const content = key == null ? undefined : openEntryContent(e, key)
    frames.push({ seq: e.seq, bytes: e.bytes })
    if (content?.kind === 'text') messages.push({ id: `${ctx.me}:${e.seq}`, group: g.id, author: ctx.me, seq: e.seq, lamport: e.lamport, text: content.text, sentAt: e.sentAt, direction: 'out' })
    if (e.seq >= g.lastOwnSeq(ctx.me)) {
      g.positions.set(ctx.me, e.seq + 1)
      g.tips.set(ctx.me, entryHash(e.bytes))
    }
    g.meta = { ...g.meta, lamport: Math.max(g.meta.lamport, e.lamport) }
  }
  const meta = g.meta
  const next = g.lastOwnSeq(ctx.me) + 1
  await ctx.store.store.change((tx) => {
    for (const f of frames) ctx.store.putEntry(tx, g.id, ctx.me, f.seq, f.bytes)
    for (const m of messages) ctx.store.putMessage(tx, m)
    // putEntry set the position after each entry; the position is after the last one
    ctx.store.positions.within(g.id).put(tx, ctx.me, next)
    ctx.store.meta.put(tx, g.id, meta)
    return () => {}
  })
  g.stored.set(ctx.me, next)
  return entries.length
}
