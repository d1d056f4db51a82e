/**
 * The membership rule's two versions (docs/protocol.md §12.2): who may make
 * an op in the state of its causal past, which counted ops are void, and what
 * a counted op does to the running state. Pure; the log (group-log.ts) orders
 * the ops and folds them through these.
 *
 * Rules 1 (a CREATE without a version): removals never void; any other op
 * concurrent with a removal or leave of its author is void.
 * Rules 2: admins are ranked by seniority (the fold position at which they
 * became admin) and may remove only juniors; every op, removals included,
 * concurrent with a counted removal or leave of its author is void; a gone
 * member's up_to is the smallest its counted removals and leave give; an
 * admin may remove a member that left, to lower its up_to.
 */
import { MAX_GROUP_MEMBERS } from './group-entry.js'
import type { GroupOp, GroupRulesVersion } from './group-op.js'

export type GroupRole = 'admin' | 'member'

export interface GroupMember {
  role: GroupRole
  /** Fold position of its join (or the CREATE). */
  since: number
  /** Fold position at which it became admin: its seniority (smaller is senior); rules 2 ranks admins by it. */
  adminSince?: number
}

export interface GroupState {
  name: string
  members: Map<string, GroupMember>
  /** Invited, not answered yet: by whom. */
  invited: Map<string, { by: string }>
  /** Who left or was removed (and is not back): the last position of their feed that counts. */
  gone: Map<string, { upTo: number, how: 'left' | 'removed', by?: string, /** the op that ended its membership */ op: string }>
}

export const emptyState = (): GroupState => ({ name: '', members: new Map(), invited: new Map(), gone: new Map() })

const REMOVALS: ReadonlyArray<GroupOp['kind']> = ['remove', 'leave']
export const isRemoval = (op: GroupOp): boolean => REMOVALS.includes(op.kind)

/** Whom a removal takes out: the target of a REMOVE, the author of a LEAVE. */
export function removedBy (op: GroupOp): string | undefined {
  if (op.kind === 'remove') return op.target
  if (op.kind === 'leave') return op.author
  return undefined
}

const isAdmin = (s: GroupState, peer: string): boolean => s.members.get(peer)?.role === 'admin'
const isIn = (s: GroupState, peer: string | undefined): boolean => peer != null && (s.members.has(peer) || s.invited.has(peer))

/** Rules 2: `admin` is an admin that may remove `target` (a member, an invitee, a junior admin, or a member that left). */
export function mayRemove (s: GroupState, admin: string, target: string): boolean {
  const a = s.members.get(admin)
  if (a?.role !== 'admin') return false
  const t = s.members.get(target)
  if (t?.role === 'admin') return (a.adminSince ?? 0) < (t.adminSince ?? 0)
  return isIn(s, target) || s.gone.get(target)?.how === 'left'
}

/** Whether the author could make this op in `past`, the state of the op's causal past. */
export function authorized (op: GroupOp, root: string | undefined, past: GroupState, rules: GroupRulesVersion): boolean {
  switch (op.kind) {
    case 'create': return op.id === root && past.members.size === 0
    case 'invite': return past.members.has(op.author) && !isIn(past, op.target)
    case 'join':
    case 'decline': return past.invited.has(op.author)
    case 'leave': return past.members.has(op.author)
    case 'remove': return rules === 1 ? isAdmin(past, op.author) && isIn(past, op.target) : mayRemove(past, op.author, op.target!)
    case 'rename': return isAdmin(past, op.author)
    case 'promote': return isAdmin(past, op.author) && past.members.get(op.target!)?.role === 'member'
  }
}

export interface Placed { op: GroupOp }

/**
 * The authorized ops (in the total order) that are void. `concurrent(a, b)`:
 * neither is an ancestor of the other.
 */
export function voided<T extends Placed> (chosen: T[], concurrent: (a: T, b: T) => boolean, rules: GroupRulesVersion): Set<T> {
  const removals = chosen.filter(n => isRemoval(n.op))
  const out = new Set<T>()
  if (rules === 1) {
    // removals never void: removing (or leaving) counts even when its author is removed concurrently
    for (const n of chosen) {
      if (!isRemoval(n.op) && removals.some(r => removedBy(r.op) === n.op.author && concurrent(n, r))) out.add(n)
    }
    return out
  }
  const voidRemovals = defeatedRemovals(removals, concurrent)
  const counted = byRemoved(removals.filter(r => !voidRemovals.has(r)))
  for (const n of chosen) {
    if (isRemoval(n.op)) {
      if (voidRemovals.has(n)) out.add(n)
    } else if (counted.get(n.op.author)?.some(r => concurrent(n, r)) === true) out.add(n)
  }
  return out
}

/**
 * Rules 2: a removal (or leave) is void when a counted removal or leave of its
 * author is concurrent with it. A removal that removes an admin is by a senior
 * one, so this is well-founded for honest histories; for any other (say one
 * who re-joined and became admin twice) it is settled as the grounded
 * extension of the "voids" graph: a removal counts once every removal that
 * would void it is void, is void once one of them counts, and one left
 * undecided (a cycle) counts, as every removal does under rules 1. The answer
 * depends on the set of removals alone.
 */
function defeatedRemovals<T extends Placed> (removals: T[], concurrent: (a: T, b: T) => boolean): Set<T> {
  // attackers.get(r): removals that void r if they count; victims: the reverse
  const attackers = new Map<T, number>()
  const victims = new Map<T, T[]>(removals.map(r => [r, []]))
  const of = byRemoved(removals)
  const ready: T[] = []
  for (const r of removals) {
    const by = (of.get(r.op.author) ?? []).filter(x => concurrent(r, x))
    for (const x of by) victims.get(x)!.push(r)
    attackers.set(r, by.length)
    if (by.length === 0) ready.push(r)
  }
  const counts = new Set<T>()
  const defeated = new Set<T>()
  while (ready.length > 0) {
    const r = ready.pop()!
    counts.add(r)
    for (const v of victims.get(r)!) {
      if (counts.has(v) || defeated.has(v)) continue
      defeated.add(v)
      for (const w of victims.get(v)!) {
        const left = attackers.get(w)! - 1
        attackers.set(w, left)
        if (left === 0 && !defeated.has(w) && !counts.has(w)) ready.push(w)
      }
    }
  }
  return defeated
}

/** Removals by the peer they take out. */
function byRemoved<T extends Placed> (removals: T[]): Map<string, T[]> {
  const out = new Map<string, T[]>()
  for (const r of removals) {
    const who = removedBy(r.op)!
    const list = out.get(who)
    if (list != null) list.push(r)
    else out.set(who, [r])
  }
  return out
}

/** Applies a counted, not void op to the running state, if it still makes sense there. */
export function apply (s: GroupState, op: GroupOp, position: number, rules: GroupRulesVersion): void {
  switch (op.kind) {
    case 'create':
      if (s.members.size === 0) {
        s.members.set(op.author, { role: 'admin', since: position, adminSince: position })
        s.name = op.name ?? ''
      }
      return
    case 'invite':
      if (s.members.has(op.author) && !isIn(s, op.target) && s.members.size + s.invited.size < MAX_GROUP_MEMBERS) {
        s.invited.set(op.target!, { by: op.author })
      }
      return
    case 'join':
      if (s.invited.delete(op.author)) {
        s.members.set(op.author, { role: 'member', since: position })
        s.gone.delete(op.author)
        // the last admin may have left while this member was only invited
        keepAnAdmin(s, position)
      }
      return
    case 'decline':
      s.invited.delete(op.author)
      return
    case 'leave':
      if (s.members.delete(op.author)) {
        s.gone.set(op.author, { upTo: op.upTo ?? 0, how: 'left', op: op.id })
        keepAnAdmin(s, position)
      } else if (rules === 2) lowerUpTo(s, op.author, op.upTo)
      return
    case 'remove': {
      const t = op.target!
      if (s.members.delete(t) || s.invited.delete(t)) {
        s.gone.set(t, { upTo: op.upTo ?? 0, how: 'removed', by: op.author, op: op.id })
        keepAnAdmin(s, position)
      } else if (rules === 2) lowerUpTo(s, t, op.upTo)
      return
    }
    case 'rename':
      if (isAdmin(s, op.author)) s.name = op.name ?? s.name
      return
    case 'promote': {
      const m = s.members.get(op.target!)
      if (isAdmin(s, op.author) && m != null && m.role !== 'admin') {
        m.role = 'admin'
        m.adminSince = position
      }
    }
  }
}

/** Rules 2: a further counted removal or leave of someone gone (in the same membership period) can only lower its up_to. */
function lowerUpTo (s: GroupState, peer: string, upTo = 0): void {
  const g = s.gone.get(peer)
  if (g != null && upTo < g.upTo) g.upTo = upTo
}

/** A group whose last admin went keeps one: the longest-standing member. */
function keepAnAdmin (s: GroupState, position: number): void {
  if (s.members.size === 0 || [...s.members.values()].some(m => m.role === 'admin')) return
  const [, eldest] = [...s.members.entries()].reduce((a, b) => b[1].since < a[1].since ? b : a)
  eldest.role = 'admin'
  eldest.adminSince = position
}
