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
 * concurrent with a counted removal or leave of its author is void, and so is
 * every op of an invitee concurrent with a counted DECLINE of its, of any
 * invitation (a JOIN and all it signed as a member); a JOIN that names the
 * INVITE it answers stands on that one (it must be one its author's
 * invitation in its causal past stands on, else it is unauthorized); a removal
 * of an admin made senior to the remover by a promotion the remover did not
 * see is void; an op is void when what its author's standing came from (its
 * membership's INVITE, the op that made it admin) is void, transitively; a
 * REMOVE applies only while its author is admin; a gone member's up_to is the
 * smallest its counted removals and leave give; an admin may remove a member
 * that left, to lower its up_to (a clamp, which voids nothing); an INVITE of
 * X concurrent with a counted removal or leave of X, of a period it did not
 * see, is void; at the member cap an INVITE nobody joined on leaves its slot
 * to a concurrent one somebody did join on.
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
  /**
   * Invited, not answered yet: by whom, and the INVITE (the period a join
   * opens); rules 2: `others`, the counted INVITEs of the same invitee that
   * found it invited already (concurrent ones), any of which a JOIN may name.
   */
  invited: Map<string, { by: string, period: string, others?: string[] }>
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
/** Whether `peer` is a member or invited in `s`. */
export const isIn = (s: GroupState, peer: string | undefined): boolean => peer != null && (s.members.has(peer) || s.invited.has(peer))

/** Rules 2: `admin` is an admin that may remove `target` (a member, an invitee, a junior admin, or a member that left). */
export function mayRemove (s: GroupState, admin: string, target: string): boolean {
  const a = s.members.get(admin)
  if (a?.role !== 'admin') return false
  const t = s.members.get(target)
  if (t?.role === 'admin') return (a.adminSince ?? 0) < (t.adminSince ?? 0)
  return isIn(s, target) || s.gone.get(target)?.how === 'left'
}

/** The INVITEs `invitee`'s invitation in `s` stands on: the one it is invited by, then (rules 2) concurrent ones; none when it is not invited. */
export function invitesOf (s: GroupState, invitee: string): string[] {
  const invitation = s.invited.get(invitee)
  return invitation == null ? [] : [invitation.period, ...invitation.others ?? []]
}

/** Whether the author could make this op in `past`, the state of the op's causal past. */
export function authorized (op: GroupOp, root: string | undefined, past: GroupState, rules: GroupRulesVersion): boolean {
  switch (op.kind) {
    case 'create': return op.id === root && past.members.size === 0
    case 'invite': return past.members.has(op.author) && !isIn(past, op.target)
    case 'join': return rules === 2 && op.answers != null ? invitesOf(past, op.author).includes(op.answers) : past.invited.has(op.author)
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
  /**
   * The author's own membership period (the INVITE it is in, or invited by;
   * the CREATE for the creator); for a JOIN that names the INVITE it answers,
   * that INVITE.
   */
  own?: string
  /**
   * A JOIN that names its INVITE: every INVITE its author's invitation stood
   * on in its causal past (the named one among them). It joined on all of
   * them for the cap (capHeld), though it stands on the named one alone.
   */
  invitation?: string[]
  /** A REMOVE of a member that left (and is not back): it only lowers that period's up_to. */
  clamp: boolean
  /**
   * The ops its author's standing for it came from: its membership period
   * and, for a REMOVE, RENAME or PROMOTE, the op that made it admin. The op
   * is void when one of them is void (rules 2).
   */
  basis: string[]
}

const ADMIN_KINDS: ReadonlyArray<GroupOp['kind']> = ['remove', 'rename', 'promote']

/** The facts of `op` in `past`, the state of its causal past. */
export function pastFacts (op: GroupOp, past: GroupState): PastFacts {
  const who = op.kind === 'leave' ? op.author : op.target
  const period = who == null ? undefined : (past.members.get(who) ?? past.invited.get(who) ?? past.gone.get(who))?.period
  const adminOp = past.members.get(op.author)?.adminOp
  // a JOIN naming its INVITE stands on that one, not on whichever concurrent INVITE of its author sorts first (review 18's p60)
  const own = op.kind === 'join' && op.answers != null ? op.answers : (past.members.get(op.author) ?? past.invited.get(op.author))?.period
  const basis: string[] = []
  if (adminOp != null && ADMIN_KINDS.includes(op.kind)) basis.push(adminOp)
  if (own != null && own !== basis[0]) basis.push(own)
  const invitation = op.kind === 'join' && op.answers != null ? invitesOf(past, op.author) : undefined
  return { adminOp, period, own, invitation, clamp: op.kind === 'remove' && !isIn(past, op.target), basis }
}

export interface Placed { op: GroupOp, facts: PastFacts }

/** How the log relates ops: neither an ancestor of the other; `a` sorts before `b` in the total order (by op id); the op of an id. */
export interface Relations<T> {
  concurrent: (a: T, b: T) => boolean
  sortsBefore: (a: string, b: string) => boolean
  node: (id: string) => T
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
  return defeated(chosen, rel)
}

/**
 * Rules 2, the attack of a PROMOTE of X on a REMOVE of X by R that R's own
 * earlier promotion may lift: it stands while every PROMOTE of R (in R's
 * period) that sorts before the one of X is void.
 */
class Gate<T> {
  constructor (readonly promotion: T, readonly lifters: T[]) {}
}
/**
 * Rules 2: "all of these endings are void", shared by the ops they all
 * attack: each of those ops stands on it (a basis) instead of listing every
 * ending as an attacker, so a fan of endings against a fan of ops costs their
 * sum, not their product. Forcing such an op to count forces this first.
 */
class AllVoid<T> {
  constructor (readonly of: T[]) {}
}
type Arg<T> = T | Gate<T> | AllVoid<T>
const isOp = <T>(x: Arg<T>): x is T => !(x instanceof Gate) && !(x instanceof AllVoid)
const NONE: never[] = []

/**
 * Rules 2: which ops are void. Each op is void once one of its *attackers*
 * counts or one of its *bases* (facts.basis) is void, and counts once all of
 * its attackers are void and all of its bases count:
 * - any op by X is attacked by every ending (LEAVE, REMOVE) of X concurrent
 *   with it (but a LEAVE not by X's other LEAVEs: both count, the smaller
 *   up_to stands; nor a DECLINE by X's LEAVEs);
 * - any op by X (its JOIN, and all it signed as a member) is attacked by
 *   every DECLINE by X concurrent with it, of whichever invitation: an
 *   invitee that signed both answers is no member seen whole, so nothing it
 *   signed on its JOIN gives standing (a "ghost admin" promoted on the JOIN
 *   it sent first gets nothing from the DECLINE it sent later). Any
 *   invitation, not only the JOIN's: a DECLINE of a second, concurrent
 *   invitation, or of an earlier one, placed by the invitee's own void ops
 *   between a re-invitation and its JOIN, deletes the invitation the JOIN
 *   needs in the walk all the same (review 16's p30, p36). An honest node
 *   signs each op on its own latest, so none of its ops is concurrent with
 *   its DECLINE;
 * - a REMOVE of X by R is also attacked by every PROMOTE of X, in the same
 *   membership period or one concurrent with it (review 17's p40: a junior's
 *   backdated INVITE and uninvite of X open a period of X's of its own),
 *   concurrent with it and sorting before the op that made
 *   R admin in the REMOVE's past, unless a counted PROMOTE of R (in R's
 *   period) sorts before that one: seen whole, X is the senior admin, so R's
 *   removal is the junior's (a junior admin cannot make one by backdating it
 *   to before X's promotion);
 * - an INVITE of X is also attacked by every ending of X concurrent with it
 *   whose period's INVITE is no ancestor of it (review 16's p38: seen whole
 *   it relabelled the period, and the ending applied nothing);
 * - an op's bases are what its author's standing came from: a promotion void
 *   seen whole (a removed admin's backdated PROMOTE) gives the promotee
 *   nothing, nor does a void INVITE to whoever joined on it, transitively.
 * What no chain of attacks decides (a cycle, which takes ops no honest node
 * signs, such as an admin's promotion and leave on the same heads) is
 * settled by seniority: of the undecided ops whose bases all count, the
 * ending or PROMOTE (else any op) whose author became admin first counts (its
 * attackers are void), and so on. An op that attacks nothing and is no op's
 * basis (a RENAME, say) is decided after all that, by its bases and counted
 * attackers, never by seniority. The answer depends on the set of ops alone.
 */
function defeated<T extends Placed> (chosen: T[], rel: Relations<T>): Set<T> {
  // a member's LEAVEs apart from the REMOVEs of it: a LEAVE is attacked by the REMOVEs alone (one who left a thousand times costs no more)
  const endings = chosen.filter(ends)
  const leavesBy = byRemoved(endings.filter(n => n.op.kind === 'leave'))
  const removesOf = byRemoved(endings.filter(n => n.op.kind === 'remove'))
  const declinesBy = groupBy(chosen.filter(n => n.op.kind === 'decline'), n => n.op.author)
  const promotionsOf = groupBy(chosen.filter(n => n.op.kind === 'promote'), p => p.op.target!)
  const bases = (n: T): T[] => n.facts.basis.length === 0 ? NONE : n.facts.basis.map(rel.node)
  // whose of its author's endings attack an op (each map keyed by the member the ending is of): REMOVEs always,
  // LEAVEs unless it is a LEAVE (both count, the smaller up_to stands) or a DECLINE (the invitee's side), DECLINEs
  // unless it is a DECLINE; the labelling's lists and the passive ops' check below both read it
  const endingsAgainst = (n: T): Array<Map<string, T[]>> =>
    n.op.kind === 'decline' ? [removesOf] : n.op.kind === 'leave' ? [removesOf, declinesBy] : [removesOf, leavesBy, declinesBy]
  // an INVITE of X is also attacked by every ending of X concurrent with it that ends a period the INVITE did not see (its
  // INVITE no ancestor of this one): seen whole the INVITE would relabel that period, and the ending would apply nothing
  const againstInvite = (n: T): T[] => {
    if (n.op.kind !== 'invite') return NONE
    const out: T[] = []
    for (const by of [removesOf, leavesBy]) {
      for (const x of by.get(n.op.target!) ?? NONE) if (rel.concurrent(n, x) && rel.concurrent(n, rel.node(x.facts.period!))) out.push(x)
    }
    return out
  }
  const attackers = new Map<T, Array<Arg<T>>>()
  // the shared AllVoid of ops by one author, of one kind of answer, on the same parents (same attackers, as a rule)
  const shared = new Map<string, Array<AllVoid<T>>>()
  const allVoid = (n: T, of: T[]): AllVoid<T> => {
    const key = `${n.op.author} ${n.op.kind === 'leave' || n.op.kind === 'decline' ? n.op.kind : ''} ${n.facts.own ?? ''} ${n.op.parents.join()}`
    let list = shared.get(key)
    if (list == null) shared.set(key, list = [])
    const same = list.find(v => v.of.length === of.length && v.of.every((x, i) => x === of[i]))
    if (same != null) return same
    const made = new AllVoid(of)
    list.push(made)
    return made
  }
  // void for sure (attacked by a firm ending) and firm (no attackers, firm bases: counts for sure); both stay out of the labelling
  const sure = new Set<T>()
  const firmness = new Map<T, boolean>()
  const listing = new Set<T>()
  const firm = (n: T): boolean => {
    const known = firmness.get(n)
    if (known != null) return known
    // still being listed: not known firm here, so the labelling decides it
    if (listing.has(n)) return false
    const f = attackersOf(n).length === 0 && bases(n).every(firm)
    firmness.set(n, f)
    return f
  }
  const voidForSure = (x: T): boolean => {
    if (listing.has(x)) return false
    attackersOf(x)
    return sure.has(x)
  }
  const samePeriodOrConcurrent = (p: T, n: T): boolean => p.facts.period === n.facts.period || rel.concurrent(rel.node(p.facts.period!), rel.node(n.facts.period!))
  const attackersOf = (n: T): Array<Arg<T>> => {
    const known = attackers.get(n)
    if (known != null) return known
    listing.add(n)
    // a PROMOTE that attacks a removal is looked at first: one that counts for sure settles it before its author's
    // endings are listed (each of them would list this removal's victims back)
    const promotions: Array<Arg<T>> = []
    const adminOp = n.facts.adminOp
    if (ends(n) && n.op.kind === 'remove' && adminOp != null) {
      for (const p of promotionsOf.get(n.op.target!) ?? NONE) {
        // X's promotion of a period concurrent with the REMOVE's counts too: a backdated INVITE + uninvite of X must not
        // give a junior admin a period of X's where X was never promoted (review 17, p40)
        if (!samePeriodOrConcurrent(p, n) || !rel.sortsBefore(p.op.id, adminOp) || !rel.concurrent(n, p)) continue
        const lifters = (promotionsOf.get(n.op.author) ?? NONE).filter(q => q.facts.period === n.facts.own && rel.sortsBefore(q.op.id, p.op.id))
        promotions.push(lifters.length === 0 ? p : new Gate(p, lifters))
      }
    }
    // then the first ending that counts for sure ends the search (a fan of them against a fan of ops costs no product)
    let strong = promotions.find((p): p is T => isOp(p) && !listing.has(p) && firm(p))
    const ending: T[] = []
    const consider = (x: T): boolean => {
      if (!listing.has(x) && firm(x)) strong = x
      else ending.push(x)
      return strong != null
    }
    if (strong == null && !endingsAgainst(n).some(by => (by.get(n.op.author) ?? NONE).some(x => rel.concurrent(n, x) && consider(x)))) {
      againstInvite(n).some(consider)
    }
    let list: Array<Arg<T>>
    if (strong != null) {
      sure.add(n)
      list = [strong]
    } else {
      // an ending void for sure attacks nothing: left out, a removal its author's senior promotion voids costs no
      // list per op of its victims' (review 16's flood shapes (c) and (d))
      const live = ending.filter(x => !voidForSure(x))
      list = live.length < 2 ? live : [allVoid(n, live)]
      list.push(...promotions)
    }
    listing.delete(n)
    attackers.set(n, list)
    return list
  }
  // an op that attacks nothing and is no op's basis cannot change another's fate: it is decided after the rest, by
  // its counted attackers alone (a flood of such ops against many endings costs no list of attacks per op)
  const basisIds = new Set<string>()
  for (const n of chosen) for (const b of n.facts.basis) basisIds.add(b)
  const passive: T[] = []
  // void for sure as well: what stands on an op void for sure (in the order, an op's bases come before it)
  const out = new Set<T>()
  const open: Array<Arg<T>> = []
  const opened = new Set<AllVoid<T>>()
  for (const n of chosen) {
    if (!isArgued(n) && n.op.kind !== 'decline' && !basisIds.has(n.op.id)) { passive.push(n); continue }
    attackersOf(n)
    if (sure.has(n) || bases(n).some(b => out.has(b))) out.add(n)
    else if (!firm(n)) {
      open.push(n)
      for (const x of attackersOf(n)) {
        if (x instanceof Gate) open.push(x)
        else if (x instanceof AllVoid && !opened.has(x)) { opened.add(x); open.push(x) }
      }
    }
  }
  if (open.length > 0) {
    const fixed = (x: Arg<T>): boolean | undefined => !isOp(x) ? undefined : out.has(x) ? false : firmness.get(x) === true ? true : undefined
    const labelling: Labelling<Arg<T>> = {
      // a Gate stays an attacker (dropped, a junior admin removed a senior one through a void lifter: review 16's p31);
      // a shared "all void" node is a basis, not an attacker
      attackers: x => x instanceof Gate ? x.lifters : x instanceof AllVoid ? x.of : attackers.get(x)!.filter(a => !(a instanceof AllVoid)),
      bases: x => x instanceof Gate ? [x.promotion] : x instanceof AllVoid ? NONE : [...bases(x), ...attackers.get(x)!.filter(a => a instanceof AllVoid)],
      fixed,
      virtual: x => x instanceof AllVoid
    }
    let index: Map<T, number> | undefined
    const position = (n: T): number => (index ??= new Map(chosen.map((x, i) => [x, i]))).get(n)!
    // endings and PROMOTEs first, then by seniority, then by the order
    const rank = (a: T, b: T): number => Number(!isArgued(a)) - Number(!isArgued(b)) || seniority(a, b, rel) || position(a) - position(b)
    const forced = (): Array<Arg<T>> => open.filter(isOp).sort(rank)
    for (const x of settle(open, labelling, forced)) if (isOp(x)) out.add(x)
  }
  // every other op is decided now: a passive op is void when one of its bases is void or one of its attackers counts
  const standing = new Map<Map<string, T[]>, Map<string, T[]>>()
  const counted = (by: Map<string, T[]>, who: string): T[] => {
    let ofKind = standing.get(by)
    if (ofKind == null) standing.set(by, ofKind = new Map())
    let list = ofKind.get(who)
    if (list == null) ofKind.set(who, list = (by.get(who) ?? NONE).filter(x => !out.has(x)))
    return list
  }
  for (const n of passive) {
    if (n.facts.basis.some(b => out.has(rel.node(b))) ||
      endingsAgainst(n).some(by => counted(by, n.op.author).some(x => rel.concurrent(n, x))) ||
      againstInvite(n).some(x => !out.has(x))) out.add(n)
  }
  return out
}

const isArgued = (n: Placed): boolean => ends(n) || n.op.kind === 'promote'

/** Of two ops, the one whose author became admin first (no admin: last); 0 when the same op made both authors admin. */
function seniority<T extends Placed> (a: T, b: T, rel: Relations<T>): number {
  const x = a.facts.adminOp
  const y = b.facts.adminOp
  if (x === y) return 0
  if (x == null) return 1
  if (y == null) return -1
  return rel.sortsBefore(x, y) ? -1 : 1
}

/** What the labelling knows of each argument: what attacks it, what it stands on, and whether it is decided before it starts (true: counts, false: void). */
interface Labelling<K> {
  attackers: (k: K) => K[]
  bases: (k: K) => K[]
  fixed: (k: K) => boolean | undefined
  /** A basis that stands for attackers (AllVoid): forcing an argument to count forces it first. */
  virtual: (k: K) => boolean
}

/**
 * The void ones among `open`: the grounded labelling (an argument counts
 * once all its attackers are void and all its bases count, is void once one
 * attacker counts or one base is void), then, while some are undecided, the
 * first of `forced()` whose bases all count counts and its attackers are
 * void, and the grounded labelling goes on. An argument not in `open` is
 * fixed, and every one `fixed` leaves undecided is in `open`.
 */
function settle<K> (open: K[], l: Labelling<K>, forced: () => K[]): Set<K> {
  const victims = new Map<K, K[]>(open.map(k => [k, []]))
  const dependents = new Map<K, K[]>(open.map(k => [k, []]))
  const left = new Map<K, number>()
  const counts = new Set<K>()
  const out = new Set<K>()
  const decided = (k: K): boolean => counts.has(k) || out.has(k)
  const ready: K[] = []
  const doomed: K[] = []
  for (const k of open) {
    let n = 0
    let dead = false
    for (const x of l.attackers(k)) {
      const f = l.fixed(x)
      if (f === true) dead = true
      else if (f === undefined) { victims.get(x)!.push(k); n++ }
    }
    for (const b of l.bases(k)) {
      const f = l.fixed(b)
      if (f === false) dead = true
      else if (f === undefined) { dependents.get(b)!.push(k); n++ }
    }
    left.set(k, n)
    if (dead) doomed.push(k)
    else if (n === 0) ready.push(k)
  }
  const lower = (w: K): void => {
    const n = left.get(w)! - 1
    left.set(w, n)
    if (n === 0 && !decided(w)) ready.push(w)
  }
  const defeat = (v: K): void => {
    if (decided(v)) return
    out.add(v)
    for (const w of victims.get(v)!) lower(w)
    for (const w of dependents.get(v)!) defeat(w)
  }
  const count = (k: K): void => {
    counts.add(k)
    for (const v of victims.get(k)!) defeat(v)
    for (const w of dependents.get(k)!) lower(w)
  }
  const run = (): void => {
    while (ready.length > 0) {
      const k = ready.pop()!
      if (!decided(k)) count(k)
    }
  }
  for (const k of doomed) defeat(k)
  run()
  if (counts.size + out.size === open.length) return out
  const standing = (k: K): boolean => l.bases(k).every(b => l.virtual(b) || l.fixed(b) === true || counts.has(b))
  const force = (k: K): void => {
    count(k)
    for (const x of l.attackers(k)) if (l.fixed(x) === undefined) defeat(x)
  }
  let undecided = forced().filter(k => !decided(k))
  while (undecided.length > 0) {
    for (const k of undecided) {
      if (decided(k) || !standing(k)) continue
      for (const b of l.bases(k)) if (l.virtual(b) && !decided(b)) force(b)
      if (!decided(k)) force(k)
      run()
    }
    const still = undecided.filter(k => !decided(k))
    // cannot happen (an undecided op's bases are its ancestors, and the earliest undecided one stands): end for sure anyway
    if (still.length === undecided.length) { for (const k of still) out.add(k); break }
    undecided = still
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

/**
 * Rules 2, the cap's slots held back from an INVITE nobody joined on, when
 * the running state holds `size` members and invitees: one for each
 * invitee of a concurrent INVITE, sorting after it, that someone did join on (counted
 * JOINs: the INVITE a JOIN's causal past has its author invited by, and for
 * one naming its INVITE every INVITE of that invitation, which hold nothing
 * once their invitee is in; `chosen` in the total order, `skip` the void
 * ones). So a backdated
 * INVITE of nobody cannot take the slot of a membership that was joined
 * without seeing it (review 16's p26); of two joined ones the first in the
 * order still wins. Looked at only near the cap.
 */
export function capHeld<T extends Placed> (chosen: T[], skip: Set<T>, rel: Relations<T>): (n: T, s: GroupState) => number {
  const invites = chosen.filter(n => n.op.kind === 'invite' && !skip.has(n))
  // members + invited never exceed the INVITEs plus the creator: far from the cap, nothing to hold
  if (invites.length < MAX_GROUP_MEMBERS) return () => 0
  const joinedOn = new Set<string>()
  // joined on by a JOIN without answers: these hold as they always did (old logs fold as before)
  const plain = new Set<string>()
  for (const n of chosen) {
    if (n.op.kind !== 'join' || skip.has(n) || n.facts.own == null) continue
    joinedOn.add(n.facts.own)
    if (n.op.answers == null) plain.add(n.facts.own)
    // a JOIN naming one of several INVITEs it saw joined on them all here: the first to apply invites its author, and
    // none of them holds a slot back against it (else a pending INVITE in the named one's past takes its place)
    for (const i of n.facts.invitation ?? NONE) joinedOn.add(i)
  }
  const joined = invites.filter(n => joinedOn.has(n.op.id))
  return (n, s) => {
    const size = s.members.size + s.invited.size
    if (size + joined.length < MAX_GROUP_MEMBERS || joinedOn.has(n.op.id)) return 0
    // one slot per invitee: two joined INVITEs of one colluder take one place (review 17's p42 iii); and none for one
    // a naming JOIN joined on whose invitee is in already (it has its slot: held again, a joined member lost its own)
    return new Set(joined.filter(z => rel.sortsBefore(n.op.id, z.op.id) && rel.concurrent(n, z) && (plain.has(z.op.id) || !isIn(s, z.op.target))).map(z => z.op.target)).size
  }
}

/** Applies a counted, not void op to the running state, if it still makes sense there. `facts`: rules 2's; `held`: the cap's slots held back from an INVITE (capHeld). */
export function apply (s: GroupState, op: GroupOp, position: number, rules: GroupRulesVersion, facts?: PastFacts, held = 0): void {
  switch (op.kind) {
    case 'create':
      if (s.members.size === 0) {
        s.members.set(op.author, { role: 'admin', since: position, adminSince: position, adminOp: op.id, period: op.id })
        s.name = op.name ?? ''
      }
      return
    case 'invite': {
      if (!s.members.has(op.author)) return
      const invitation = s.invited.get(op.target!)
      // rules 2: a concurrent INVITE of an invitee applies nothing, but a JOIN may answer it (review 18's p60)
      if (invitation != null) {
        if (rules === 2) (invitation.others ??= []).push(op.id)
      } else if (!isIn(s, op.target) && s.members.size + s.invited.size + held < MAX_GROUP_MEMBERS) {
        s.invited.set(op.target!, { by: op.author, period: op.id })
      }
      return
    }
    case 'join': {
      const invitation = s.invited.get(op.author)
      if (invitation != null) {
        s.invited.delete(op.author)
        // rules 2: the period is the INVITE the JOIN names, else the invitation in its causal past (facts.own), not a
        // concurrent INVITE of the joiner sorting first: a backdated INVITE of a member must not relabel its period
        // (review 18's p68), nor one the joiner saw but did not answer (p60)
        s.members.set(op.author, { role: 'member', since: position, period: rules === 2 && facts?.own != null ? facts.own : invitation.period })
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
  // as a RENAME or PROMOTE: a REMOVE whose author is no admin in the running state does nothing
  if (op.kind === 'remove' && !isAdmin(s, op.author)) return
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
