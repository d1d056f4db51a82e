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
 * concurrent with a counted removal or leave of its author is void; a removal
 * of an admin made senior to the remover by a promotion the remover did not
 * see is void; a gone member's up_to is the smallest its counted removals and
 * leave give; an admin may remove a member that left, to lower its up_to
 * (a clamp, which voids nothing).
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
  /** The op after which it became admin (the CREATE, a PROMOTE, or the op that left the group without one). */
  adminOp?: string
  /** Its membership period: the INVITE that let it in (the CREATE for the creator). */
  period: string
}

export interface GroupState {
  name: string
  members: Map<string, GroupMember>
  /** Invited, not answered yet: by whom, and the INVITE (the period a join opens). */
  invited: Map<string, { by: string, period: string }>
  /** Who left or was removed (and is not back): the last position of their feed that counts. */
  gone: Map<string, { upTo: number, how: 'left' | 'removed', by?: string, /** the op that ended its membership */ op: string, /** the period it ended */ period: string }>
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

/** Rules 2: what an op's causal past says about it, fixed when the op is added. */
export interface PastFacts {
  /** The op after which its author became admin (none: the author was no admin). */
  adminOp?: string
  /** REMOVE, LEAVE, PROMOTE: the membership period of the peer concerned. */
  period?: string
  /** A REMOVE of a member that left (and is not back): it only lowers that period's up_to. */
  clamp: boolean
}

/** The facts of `op` in `past`, the state of its causal past. */
export function pastFacts (op: GroupOp, past: GroupState): PastFacts {
  const who = op.kind === 'leave' ? op.author : op.target
  const period = who == null ? undefined : (past.members.get(who) ?? past.invited.get(who) ?? past.gone.get(who))?.period
  return { adminOp: past.members.get(op.author)?.adminOp, period, clamp: op.kind === 'remove' && !isIn(past, op.target) }
}

export interface Placed { op: GroupOp, facts: PastFacts }

/** How the log relates ops: neither an ancestor of the other; `a` sorts before `b` in the total order (by op id). */
export interface Relations<T> {
  concurrent: (a: T, b: T) => boolean
  sortsBefore: (a: string, b: string) => boolean
}

/** Rules 2: a LEAVE, or a REMOVE that is no clamp: an op that ends a membership, and voids its subject's concurrent ops. */
const ends = (n: Placed): boolean => n.op.kind === 'leave' || (n.op.kind === 'remove' && !n.facts.clamp)

/** The authorized ops (in the total order) that are void. */
export function voided<T extends Placed> (chosen: T[], rel: Relations<T>, rules: GroupRulesVersion): Set<T> {
  if (rules === 1) {
    // removals never void: removing (or leaving) counts even when its author is removed concurrently
    const removals = chosen.filter(n => isRemoval(n.op))
    const out = new Set<T>()
    for (const n of chosen) {
      if (!isRemoval(n.op) && removals.some(r => removedBy(r.op) === n.op.author && rel.concurrent(n, r))) out.add(n)
    }
    return out
  }
  const endings = chosen.filter(ends)
  const promotions = chosen.filter(n => n.op.kind === 'promote')
  const out = defeated(endings, promotions, chosen, rel)
  const counted = byRemoved(endings.filter(r => !out.has(r)))
  for (const n of chosen) {
    if (!ends(n) && n.op.kind !== 'promote' && counted.get(n.op.author)?.some(r => rel.concurrent(n, r)) === true) out.add(n)
  }
  return out
}

/**
 * Rules 2: which endings (LEAVE, REMOVE) and PROMOTEs are void. Each is void
 * once one of its *attackers* counts, and counts once all of them are void:
 * - an ending or PROMOTE by X is attacked by every ending of X concurrent with
 *   it (but a LEAVE not by X's other LEAVEs: both count, the smaller up_to
 *   stands);
 * - a REMOVE of X by R is also attacked by every PROMOTE of X, in the same
 *   membership period, concurrent with it and sorting before the op that made
 *   R admin in the REMOVE's past: seen whole, X is the senior admin, so R's
 *   removal is the junior's (a junior admin cannot make one by backdating it
 *   to before X's promotion).
 * What no chain of attacks decides (a cycle, which takes ops no honest node
 * signs, such as an admin's promotion and leave on the same heads) is
 * settled by seniority: the undecided op whose author
 * became admin first counts (its attackers and victims are void), and so on.
 * The answer depends on the set of ops alone.
 */
function defeated<T extends Placed> (endings: T[], promotions: T[], chosen: T[], rel: Relations<T>): Set<T> {
  // a member's LEAVEs apart from the REMOVEs of it: a LEAVE is attacked by the REMOVEs alone (one who left a thousand times costs no more)
  const leavesBy = byRemoved(endings.filter(n => n.op.kind === 'leave'))
  const removesOf = byRemoved(endings.filter(n => n.op.kind === 'remove'))
  const promotionsOf = groupBy(promotions, p => p.op.target!)
  const attackers = new Map<T, T[]>()
  // void for sure: attacked by a REMOVE nothing attacks (which counts); these stay out of the labelling
  const sure = new Set<T>()
  const listing = new Set<T>()
  const attackersOf = (n: T): T[] => {
    const known = attackers.get(n)
    if (known != null) return known
    listing.add(n)
    const removes = (removesOf.get(n.op.author) ?? []).filter(x => rel.concurrent(n, x))
    const unattacked = removes.find(x => !listing.has(x) && attackersOf(x).length === 0)
    let list: T[]
    if (unattacked != null) {
      sure.add(n)
      list = [unattacked]
    } else {
      list = removes
      if (n.op.kind !== 'leave') for (const x of leavesBy.get(n.op.author) ?? []) if (rel.concurrent(n, x)) list.push(x)
      if (n.op.kind === 'remove' && n.facts.adminOp != null) {
        for (const p of promotionsOf.get(n.op.target!) ?? []) {
          if (p.facts.period === n.facts.period && rel.sortsBefore(p.op.id, n.facts.adminOp) && rel.concurrent(n, p)) list.push(p)
        }
      }
    }
    listing.delete(n)
    attackers.set(n, list)
    return list
  }
  for (const n of [...endings, ...promotions]) attackersOf(n)
  const open = new Map<T, T[]>()
  for (const [n, list] of attackers) if (!sure.has(n)) open.set(n, list.filter(x => !sure.has(x)))
  let index: Map<T, number> | undefined
  const position = (n: T): number => (index ??= new Map(chosen.map((x, i) => [x, i]))).get(n)!
  const out = settle(open, (a, b) => seniority(a, b, rel) || position(a) - position(b))
  for (const n of sure) out.add(n)
  return out
}

/** Of two ops, the one whose author became admin first (no admin: last); 0 when the same op made both authors admin. */
function seniority<T extends Placed> (a: T, b: T, rel: Relations<T>): number {
  const x = a.facts.adminOp
  const y = b.facts.adminOp
  if (x === y) return 0
  if (x == null) return 1
  if (y == null) return -1
  return rel.sortsBefore(x, y) ? -1 : 1
}

/**
 * The void ones among `attackers`' keys: the grounded labelling (an op counts
 * once all its attackers are void, is void once one counts), then, while some
 * are undecided, the first of them by `order` counts and its attackers and
 * victims are void, and the grounded labelling goes on.
 */
function settle<T> (attackers: Map<T, T[]>, order: (a: T, b: T) => number): Set<T> {
  const victims = new Map<T, T[]>([...attackers.keys()].map(n => [n, []]))
  const left = new Map<T, number>()
  for (const [n, by] of attackers) {
    for (const x of by) victims.get(x)!.push(n)
    left.set(n, by.length)
  }
  const counts = new Set<T>()
  const out = new Set<T>()
  const decided = (n: T): boolean => counts.has(n) || out.has(n)
  const ready = [...attackers.keys()].filter(n => left.get(n) === 0)
  const defeat = (v: T): void => {
    if (decided(v)) return
    out.add(v)
    for (const w of victims.get(v)!) {
      const l = left.get(w)! - 1
      left.set(w, l)
      if (l === 0 && !decided(w)) ready.push(w)
    }
  }
  const count = (n: T): void => {
    counts.add(n)
    for (const v of victims.get(n)!) defeat(v)
  }
  const run = (): void => {
    while (ready.length > 0) {
      const n = ready.pop()!
      if (!decided(n)) count(n)
    }
  }
  run()
  if (counts.size + out.size < attackers.size) {
    for (const n of [...attackers.keys()].filter(x => !decided(x)).sort(order)) {
      if (decided(n)) continue
      count(n)
      for (const x of attackers.get(n)!) defeat(x)
      run()
    }
  }
  return out
}

/** Removals by the peer they take out. */
const byRemoved = <T extends Placed>(removals: T[]): Map<string, T[]> => groupBy(removals, r => removedBy(r.op)!)

function groupBy<T> (list: T[], key: (x: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>()
  for (const x of list) {
    const k = key(x)
    const l = out.get(k)
    if (l != null) l.push(x)
    else out.set(k, [x])
  }
  return out
}

/** Applies a counted, not void op to the running state, if it still makes sense there. `facts`: rules 2's. */
export function apply (s: GroupState, op: GroupOp, position: number, rules: GroupRulesVersion, facts?: PastFacts): void {
  switch (op.kind) {
    case 'create':
      if (s.members.size === 0) {
        s.members.set(op.author, { role: 'admin', since: position, adminSince: position, adminOp: op.id, period: op.id })
        s.name = op.name ?? ''
      }
      return
    case 'invite':
      if (s.members.has(op.author) && !isIn(s, op.target) && s.members.size + s.invited.size < MAX_GROUP_MEMBERS) {
        s.invited.set(op.target!, { by: op.author, period: op.id })
      }
      return
    case 'join': {
      const invitation = s.invited.get(op.author)
      if (invitation != null) {
        s.invited.delete(op.author)
        s.members.set(op.author, { role: 'member', since: position, period: invitation.period })
        s.gone.delete(op.author)
        // the last admin may have left while this member was only invited
        keepAnAdmin(s, position, op.id)
      }
      return
    }
    case 'decline':
      s.invited.delete(op.author)
      return
    case 'leave':
    case 'remove':
      if (rules === 1) endRules1(s, op, position)
      else end(s, op, position, facts!)
      return
    case 'rename':
      if (isAdmin(s, op.author)) s.name = op.name ?? s.name
      return
    case 'promote': {
      const m = s.members.get(op.target!)
      if (isAdmin(s, op.author) && m != null && m.role !== 'admin') {
        m.role = 'admin'
        m.adminSince = position
        m.adminOp = op.id
      }
    }
  }
}

function endRules1 (s: GroupState, op: GroupOp, position: number): void {
  const who = removedBy(op)!
  const period = (s.members.get(who) ?? s.invited.get(who))?.period ?? ''
  const done = op.kind === 'leave' ? s.members.delete(who) : s.members.delete(who) || s.invited.delete(who)
  if (!done) return
  s.gone.set(who, op.kind === 'leave' ? { upTo: op.upTo ?? 0, how: 'left', op: op.id, period } : { upTo: op.upTo ?? 0, how: 'removed', by: op.author, op: op.id, period })
  keepAnAdmin(s, position, op.id)
}

/**
 * Rules 2: a LEAVE or REMOVE acts on the membership period of its causal
 * past only: it ends it if it is still on, else (gone already) it can only
 * lower its up_to; a member since back (or invited again) is left alone.
 */
function end (s: GroupState, op: GroupOp, position: number, facts: PastFacts): void {
  const who = removedBy(op)!
  const on = s.members.get(who) ?? (op.kind === 'remove' ? s.invited.get(who) : undefined)
  if (on != null && !facts.clamp) {
    if (on.period !== facts.period) return
    s.members.delete(who)
    s.invited.delete(who)
    s.gone.set(who, op.kind === 'leave' ? { upTo: op.upTo ?? 0, how: 'left', op: op.id, period: on.period } : { upTo: op.upTo ?? 0, how: 'removed', by: op.author, op: op.id, period: on.period })
    keepAnAdmin(s, position, op.id)
    return
  }
  const g = s.gone.get(who)
  if (g != null && g.period === facts.period && (op.upTo ?? 0) < g.upTo) g.upTo = op.upTo ?? 0
}

/** A group whose last admin went keeps one: the longest-standing member. */
function keepAnAdmin (s: GroupState, position: number, after: string): void {
  if (s.members.size === 0 || [...s.members.values()].some(m => m.role === 'admin')) return
  const [, eldest] = [...s.members.entries()].reduce((a, b) => b[1].since < a[1].since ? b : a)
  eldest.role = 'admin'
  eldest.adminSince = position
  eldest.adminOp = after
}
