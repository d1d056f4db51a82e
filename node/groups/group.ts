/**
 * One group as this node holds it in memory: its op log (who is in), how far
 * each author's feed was read, the sender keys it was given, its own key,
 * and entries waiting for an earlier one. Loaded whole at start; every
 * change is staged into the store by the feed reader and writer.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { fromString as uint8ArrayFromString } from 'uint8arrays/from-string'
import { groupTopic } from '../../protocol/group-crypto.js'
import { MembershipLog } from '../../protocol/group-log.js'
import { openGroupOp, originalOf } from '../../protocol/group-op.js'
import type { GroupMeta, OwnKey, StoredMessage } from './group-store.js'
import type { GroupEntry } from '../../protocol/group-entry.js'
import type { GroupRole, GroupState } from '../../protocol/group-log.js'

/** Where this node stands in a group. */
export type Standing = 'member' | 'invited' | 'left' | 'removed' | 'none'

/** One thing that changed in a group's membership, as its members see it. */
export interface GroupChange {
  kind: 'joined' | 'invited' | 'declined' | 'left' | 'removed' | 'renamed' | 'promoted'
  /** Whom it is about (not for renamed). */
  peer?: string
  /** Who did it: the inviter, the remover, the admin who renamed or promoted. */
  by?: string
  /** renamed: the new name. */
  name?: string
}

const mhCache = new Map<string, Uint8Array>()
/** Multihash bytes of a peer id string (cached: the same members come up at every key rotation). */
export function multihashOf (peer: string): Uint8Array {
  let mh = mhCache.get(peer)
  if (mh == null) {
    mh = peerIdFromString(peer).toMultihash().bytes
    if (mhCache.size < 10_000) mhCache.set(peer, mh)
  }
  return mh
}

export class GroupRuntime {
  readonly groupId: Uint8Array
  readonly topic: string
  /** Next seq wanted per author (absent: 1). */
  readonly positions: Map<string, number>
  /** Next seq per author as far as the store holds the feed (behind `positions` while a commit runs): what sync requests claim. */
  readonly stored: Map<string, number>
  /** Hash of each author's last entry read (or written): the next one must name it as `prev`. */
  readonly tips: Map<string, Uint8Array>
  /** Sender keys given to this node, by `<author>/<key id hex>`. */
  readonly keys: Map<string, Uint8Array>
  /** Entries that came before an earlier one of their author. */
  readonly waiting = new Map<string, Map<number, GroupEntry>>()
  /** Own entries below this seq outlive a crash, journaled or stored (undefined: as far as stored). */
  durableNext?: number
  /** Own entries published in this run (their messages show as sent). */
  readonly published = new Set<number>()
  /** Own texts `send` returned as queued in this run, by seq: their later states are announced (until delivered). */
  readonly awaitingOut = new Map<number, StoredMessage>()
  ownKey?: OwnKey

  constructor (
    public meta: GroupMeta,
    readonly log: MembershipLog,
    loaded: { positions?: Map<string, number>, tips?: Map<string, Uint8Array>, keys?: Map<string, Uint8Array>, ownKey?: OwnKey } = {}
  ) {
    this.groupId = uint8ArrayFromString(meta.id, 'base16')
    this.topic = groupTopic(this.groupId)
    this.positions = loaded.positions ?? new Map()
    this.stored = new Map(this.positions)
    this.tips = loaded.tips ?? new Map()
    this.keys = loaded.keys ?? new Map()
    this.ownKey = loaded.ownKey
  }

  /** A log of op envelopes (invalid ones skipped), rooted at `root` or else at the CREATE op among them (the one it copies, for a copy). */
  static logFrom (envelopes: Uint8Array[], groupId: Uint8Array, root?: string): MembershipLog {
    const ops = envelopes.map(b => openGroupOp(b, groupId)).flatMap(r => r.ok ? [r.op] : [])
    const create = ops.find(o => o.kind === 'create')
    return MembershipLog.restored(ops, root ?? (create == null ? undefined : originalOf(create).id))
  }

  get id (): string { return this.meta.id }
  get state (): GroupState { return this.log.state() }
  get name (): string { return this.state.name }

  standing (peer: string): Standing {
    const s = this.state
    if (s.members.has(peer)) return 'member'
    if (s.invited.has(peer)) return 'invited'
    const gone = s.gone.get(peer)
    if (gone != null) return gone.how
    return 'none'
  }

  role (peer: string): GroupRole | undefined {
    return this.state.members.get(peer)?.role
  }

  /**
   * Everyone but `me` who reads what this node writes, sorted: the members
   * and the invited. An invitee gets the keys made once its invitation is
   * known, so what a member writes after learning of an invitation opens for
   * the newcomer even when the writer learns of the join later. `excluded`
   * leaves out peers this node gives no key (revoked devices).
   */
  recipients (me: string, excluded?: (peer: string) => boolean): string[] {
    const s = this.state
    return [...s.members.keys(), ...s.invited.keys()].filter(p => p !== me && excluded?.(p) !== true).sort()
  }

  /** Authors this node tracks a feed of: everyone in the log, and anyone it holds entries of. */
  authors (): string[] {
    const s = this.state
    return [...new Set([...s.members.keys(), ...s.invited.keys(), ...s.gone.keys(), ...this.positions.keys()])]
  }

  /** The last seq of this node's own feed (positions are stored with each entry, so this survives any crash). */
  lastOwnSeq (me: string): number {
    return (this.positions.get(me) ?? 1) - 1
  }

  keyFor (author: string, keyIdHex: string): Uint8Array | undefined {
    return this.keys.get(`${author}/${keyIdHex}`)
  }

  /** Holds an entry until the ones before it arrive (the oldest held goes first when full). */
  hold (entry: GroupEntry, max: number): void {
    let held = this.waiting.get(entry.author)
    if (held == null) {
      held = new Map()
      this.waiting.set(entry.author, held)
    }
    held.set(entry.seq, entry)
    if (held.size > max) held.delete(Math.min(...held.keys()))
  }
}

/** What changed between two states of a group, in a fixed order. */
export function diffStates (before: GroupState, after: GroupState): GroupChange[] {
  const out: GroupChange[] = []
  // the log caches its state: the same object means no op came
  if (before === after) return out
  if (before.name !== after.name && before.name !== '') out.push({ kind: 'renamed', name: after.name })
  for (const [peer, m] of after.members) {
    const was = before.members.get(peer)
    if (was == null) out.push({ kind: 'joined', peer })
    else if (was.role !== 'admin' && m.role === 'admin') out.push({ kind: 'promoted', peer })
  }
  for (const [peer, inv] of after.invited) if (!before.invited.has(peer)) out.push({ kind: 'invited', peer, by: inv.by })
  for (const [peer, gone] of after.gone) {
    const was = before.gone.get(peer)
    if (was != null && was.how === gone.how && was.upTo === gone.upTo) continue
    if (!before.members.has(peer) && !before.invited.has(peer) && was != null) continue
    out.push({ kind: gone.how, peer, by: gone.by })
  }
  for (const peer of before.invited.keys()) {
    if (!after.invited.has(peer) && !after.members.has(peer) && !after.gone.has(peer)) out.push({ kind: 'declined', peer })
  }
  return out
}
