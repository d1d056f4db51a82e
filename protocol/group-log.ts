/**
 * The membership log of a group: a DAG of signed ops (group-op.ts) and the
 * one deterministic rule that turns any set of them into a membership, so
 * every member holding the same ops sees the same group, whatever order they
 * arrived in (docs/protocol.md §12.2). Pure: no I/O, no clock.
 *
 * - Order: ops with all ancestors known are sorted by depth (longest path
 *   from the CREATE op), then by op id: a topological order every member
 *   computes alike.
 * - Authority: an op counts only if its author was allowed to make it in
 *   the state of its own causal past (its ancestors), so backdating gains
 *   nothing a member could not do at that time.
 * - Removal wins: an op whose author is removed, or leaves, by an op
 *   concurrent with it is void: a removed admin cannot invite or rename
 *   "before" its removal. Which removals are themselves void, who may
 *   remove whom, and what each op does depend on the group's rules version
 *   (its CREATE names it): group-rules.ts.
 * - Effect: walking the order, each counted op applies if it still makes
 *   sense (an invite of someone already in, a join without an invitation,
 *   a rename by someone no longer admin apply nothing).
 * - Copies: an op whose envelope is not the encoders' encoding (anyone can
 *   re-encode one around its signed payload into another id) is a vertex
 *   like any, so what names it completes, but it applies nothing, grants
 *   nothing and voids nothing; the op it copies is added with it, and is in
 *   the causal past of every op that names the copy.
 * - Cap: a node holds at most MAX_GROUP_OPS ops of a group; past that only
 *   a LEAVE or REMOVE that takes a current member or invitee out (so a
 *   member that filled the log can still be removed). A local rule: which
 *   ops a node took at the cap depends on the order they came in.
 */
import { MAX_OP_PARENTS, opId, originalOf } from './group-op.js'
import { apply, authorized, capHeld, emptyState, invitesOf, isIn, pastFacts, removedBy, voided } from './group-rules.js'
import type { GroupState, PastFacts, Relations } from './group-rules.js'
import type { GroupOp, GroupOpFields, GroupRulesVersion } from './group-op.js'

export type { GroupMember, GroupRole, GroupState } from './group-rules.js'

/** Ops a group may hold; beyond it only ends of current memberships are taken (takeEnding), up to GROUP_OPS_CEILING. */
export const MAX_GROUP_OPS = 1000
/**
 * What a log holds at most, ends of memberships past MAX_GROUP_OPS included. Each op taken past the cap takes one
 * member or invitee out and lets nobody in, so the (at most 100) members and invited at the cap bound them; this
 * bounds the rest.
 */
export const GROUP_OPS_CEILING = MAX_GROUP_OPS + 200

export type AddResult = 'added' | 'duplicate' | 'pending' | 'refused'

interface Node {
  op: GroupOp
  /** Stable small number of the op (bit position in ancestor sets). */
  num: number
  depth: number
  /** Bit set of the op's strict ancestors, by num. */
  ancestors: Bits
  /** Allowed in the state of its causal past (never for a copy: it applies nothing). */
  auth: boolean
  /** What its causal past says about it (rules 2). */
  facts: PastFacts
  /** A copy's: the op it copies (added before it, on the same parents). */
  original?: Node
}

/** A set of small numbers, one bit each (words of 32): testing one is a load and a mask, the fold's innermost step. */
type Bits = Uint32Array
const has = (set: Bits, n: number): boolean => n >>> 5 < set.length && (set[n >>> 5] & (1 << (n & 31))) !== 0
/** A set of room for `size` numbers holding `n` and everything in `sets`. */
function union (size: number, n: number | undefined, sets: Bits[]): Bits {
  const out = new Uint32Array((size + 31) >>> 5)
  for (const s of sets) for (let i = 0; i < s.length; i++) out[i] |= s[i]
  if (n != null) out[n >>> 5] |= 1 << (n & 31)
  return out
}

export class MembershipLog {
  private readonly nodes = new Map<string, Node>()
  /** Complete ops in the total order. */
  private readonly order: Node[] = []
  /** Ops waiting for a parent, by id. */
  private readonly pending = new Map<string, GroupOp>()
  private readonly headSet = new Set<string>()
  private root?: string
  private cached?: GroupState

  /** `root`: the id of the group's CREATE op when known (an invitation names it); else the first CREATE added. */
  constructor (root?: string) {
    this.root = root
  }

  get rootId (): string | undefined { return this.root }
  /** The version of the rule the group folds by: its CREATE's (1 until the CREATE is here). */
  get rules (): GroupRulesVersion { return this.nodes.get(this.root ?? '')?.op.rules ?? 1 }
  get size (): number { return this.nodes.size }
  /** Ops held, complete or waiting: what the cap counts. */
  get held (): number { return this.nodes.size + this.pending.size }

  /**
   * A log of ops this node took before, from its store or an invitation's whole log: the order they first came in
   * is not kept, and past the cap what is taken depends on it (takeEnding), so only the ceiling holds here.
   */
  static restored (ops: GroupOp[], root?: string): MembershipLog {
    const log = new MembershipLog(root)
    for (const op of ops) log.take(op, GROUP_OPS_CEILING)
    return log
  }

  has (id: string): boolean {
    return this.nodes.has(id) || this.pending.has(id)
  }

  /** Whether the op is here with all its ancestors (it counts; one that waits for a parent does not). */
  complete (id: string): boolean {
    return this.nodes.has(id)
  }

  get (id: string): GroupOp | undefined {
    return this.nodes.get(id)?.op ?? this.pending.get(id)
  }

  /** Complete ops, in the total order. */
  ops (): GroupOp[] {
    return this.order.map(n => n.op)
  }

  /** Ops no other complete op names as a parent, sorted: the parents of this node's next op. */
  heads (): string[] {
    return [...this.headSet].sort()
  }

  /**
   * The parents of `author`'s next op: every head, or, beyond `max` heads,
   * heads whose causal past holds what the rule judges that op by (§12.2
   * step 3: it is judged in its past alone), first to last: the INVITE a JOIN
   * names and those its author's invitation stands on, what made the author a
   * member and admin, the author's own ops (so its op is concurrent with none
   * of its own: a LEAVE would void them), then the same of the target; the
   * other heads fill what is left, last first.
   */
  parentsFor (author: string, op: Pick<GroupOpFields, 'kind' | 'target' | 'answers'>, max = MAX_OP_PARENTS): string[] {
    const heads = this.heads()
    if (heads.length <= max) return heads
    const s = this.state()
    const needed: string[] = []
    if (op.answers != null) needed.push(op.answers)
    needed.push(...invitesOf(s, author))
    for (const who of op.target == null ? [author] : [author, op.target]) {
      const gone = s.gone.get(who)
      needed.push(...[(s.members.get(who) ?? s.invited.get(who) ?? gone)?.period, s.members.get(who)?.adminOp, gone?.op].filter((x): x is string => x != null))
      // its copies are no ops of its (they apply nothing): covering them would crowd out what counts
      for (let i = this.order.length - 1; i >= 0; i--) if (this.order[i].op.author === who && this.order[i].op.original == null) needed.push(this.order[i].op.id)
    }
    const tops = heads.map(h => this.nodes.get(h)!).reverse()
    const covers = (h: Node, n: Node): boolean => h === n || has(h.ancestors, n.num)
    const chosen: Node[] = []
    for (const id of needed) {
      if (chosen.length === max) break
      const n = this.nodes.get(id)
      if (n == null || chosen.some(h => covers(h, n))) continue
      chosen.push(tops.find(h => covers(h, n))!)
    }
    for (const h of tops) if (chosen.length < max && !chosen.includes(h)) chosen.push(h)
    return chosen.map(h => h.op.id).sort()
  }

  /** Parents named by waiting ops that this log does not hold. */
  missing (): string[] {
    const out = new Set<string>()
    for (const op of this.pending.values()) for (const p of op.parents) if (!this.has(p)) out.add(p)
    return [...out].sort()
  }

  /**
   * Adds an op checked by openGroupOp (for this group). It counts once all
   * its ancestors are here; until then it waits ('pending'). A re-encoded
   * copy brings the op it copies, added first (§12.2 "Copies": whoever got
   * only the copy holds the op that applies).
   */
  add (op: GroupOp): AddResult {
    return this.take(op, MAX_GROUP_OPS)
  }

  /** add(), with `cap` ops held as the point past which only ends of memberships are taken. */
  private take (op: GroupOp, cap: number): AddResult {
    if (this.has(op.id)) return 'duplicate'
    if (op.original != null) this.take(originalOf(op), cap)
    if (op.kind === 'create') {
      if (op.parents.length > 0 || (this.root != null && op.id !== this.root)) return 'refused'
      this.root = op.id
    }
    if (this.held >= GROUP_OPS_CEILING) return 'refused'
    if (this.held >= cap) return this.takeEnding(op)
    this.pending.set(op.id, op)
    this.settle()
    return this.nodes.has(op.id) ? 'added' : 'pending'
  }

  /**
   * Past the cap (§12.2 "A full log"): a LEAVE or REMOVE with every parent complete here, that counts and takes
   * someone out of the members and invited of state() (a REMOVE of an invitee too: invitees get every sender key),
   * letting nobody in. Else refused, and so is every other op: a member that filled the log can still be removed,
   * with those it invited, and anyone can still leave, while nothing else (nor anything signed by keys that are
   * in no membership) takes the room. Each op taken here leaves one fewer of the (at most 100) members and invited.
   */
  private takeEnding (op: GroupOp): AddResult {
    const who = removedBy(op)
    const before = this.state()
    if (who == null || op.original != null || !isIn(before, who) || !op.parents.every(p => this.nodes.has(p))) return 'refused'
    if (op.kind === 'remove' && before.members.get(op.author)?.role !== 'admin') return 'refused'
    const heads = [...this.headSet]
    const node = this.insert(op)
    const ends = (): boolean => {
      if (!node.auth) return false
      const after = this.state()
      return !isIn(after, who) && [...after.members.keys(), ...after.invited.keys()].every(p => isIn(before, p))
    }
    if (!ends()) {
      // undone as if never inserted: it is the last node, and nothing names it
      this.nodes.delete(op.id)
      this.order.splice(this.order.indexOf(node), 1)
      this.headSet.clear()
      for (const h of heads) this.headSet.add(h)
      this.cached = before
      return 'refused'
    }
    // an op that came before the cap and waits for this one
    this.settle()
    return 'added'
  }

  /** The membership all complete ops give. */
  state (): GroupState {
    this.cached ??= this.fold(() => true)
    return this.cached
  }

  /** Whether `author`'s feed entry number `seq` counts: members and invited people write; who is gone, up to where they left. */
  acceptsFeed (author: string, seq: number): boolean {
    const s = this.state()
    if (s.members.has(author) || s.invited.has(author)) return true
    const gone = s.gone.get(author)
    return gone != null && seq <= gone.upTo
  }

  /** Complete ops that are neither in `heads` nor ancestors of them (what a node with those heads lacks), in order. */
  opsMissingFrom (heads: string[]): GroupOp[] {
    let known: Bits = new Uint32Array(0)
    for (const h of heads) {
      const n = this.nodes.get(h)
      if (n != null) known = union(this.nodes.size, n.num, [known, n.ancestors])
    }
    return this.order.filter(n => !has(known, n.num)).map(n => n.op)
  }

  /** The op and its ancestors, in order: what a member gone by `id` may still learn. */
  upTo (id: string): GroupOp[] {
    const n = this.nodes.get(id)
    if (n == null) return []
    const set = union(this.nodes.size, n.num, [n.ancestors])
    return this.order.filter(x => has(set, x.num)).map(x => x.op)
  }

  /**
   * The op that removed (or saw the leave of) `peer`. Rules 1: the last
   * authorized one in the order; rules 2: the one that ended its membership
   * in the fold (not a later removal that only lowered its up_to).
   */
  removalOf (peer: string): GroupOp | undefined {
    if (this.rules === 2) return this.get(this.state().gone.get(peer)?.op ?? '')
    let found: GroupOp | undefined
    for (const n of this.order) {
      if (n.auth && ((n.op.kind === 'remove' && n.op.target === peer) || (n.op.kind === 'leave' && n.op.author === peer))) found = n.op
    }
    return found
  }

  // ---- internals ----

  private readonly relations: Relations<Node> = {
    concurrent: (a, b) => a !== b && !has(a.ancestors, b.num) && !has(b.ancestors, a.num),
    sortsBefore: (a, b) => before(this.nodes.get(a)!, this.nodes.get(b)!),
    node: id => this.nodes.get(id)!
  }

  /** Moves every pending op whose parents are all complete into the order, until none moves. */
  private settle (): void {
    let moved = true
    while (moved) {
      moved = false
      for (const [id, op] of this.pending) {
        if (!op.parents.every(p => this.nodes.has(p))) continue
        this.pending.delete(id)
        this.insert(op)
        moved = true
      }
    }
  }

  private insert (op: GroupOp): Node {
    let depth = 0
    const num = this.nodes.size
    let ancestors: Bits = new Uint32Array(0)
    for (const p of op.parents) {
      const parent = this.nodes.get(p)!
      depth = Math.max(depth, parent.depth + 1)
      ancestors = union(num, parent.num, [ancestors, parent.ancestors])
      // whoever named a copy held the op it copies (the same signed payload, on the same parents): it is in the past too
      if (parent.original != null) ancestors = union(num, parent.original.num, [ancestors])
      this.headSet.delete(p)
    }
    // the state of its causal past: every ancestor is already here with its own auth; a copy needs none, it counts for nothing
    const past = op.original != null ? undefined : this.fold(n => has(ancestors, n.num))
    const node: Node = past == null
      ? { op, num, depth, ancestors, auth: false, facts: NO_FACTS, original: this.nodes.get(opId(op.original!)) }
      : { op, num, depth, ancestors, auth: authorized(op, this.root, past, this.rules), facts: pastFacts(op, past) }
    this.nodes.set(op.id, node)
    let i = this.order.length
    while (i > 0 && before(node, this.order[i - 1])) i--
    this.order.splice(i, 0, node)
    // its children are still pending (they wait for it), so a new op is a head until one of them settles
    this.headSet.add(op.id)
    this.cached = undefined
    return node
  }

  /** The membership the counted, not voided ops among `inSet` give, applied in the total order. */
  private fold (inSet: (n: Node) => boolean): GroupState {
    const state = emptyState()
    const rules = this.rules
    const chosen = this.order.filter(n => inSet(n) && n.auth)
    const skip = voided(chosen, this.relations, rules)
    const held = rules === 2 ? capHeld(chosen, skip, this.relations) : undefined
    let position = 0
    for (const n of chosen) {
      if (skip.has(n)) continue
      apply(state, n.op, position++, rules, n.facts, held != null && n.op.kind === 'invite' ? held(n, state) : 0)
    }
    return state
  }
}

/** A copy's: it stands on nothing and is no op's basis. */
const NO_FACTS: PastFacts = { clamp: false, basis: [] }

/** a sorts before b: smaller depth, then smaller id. */
function before (a: Node, b: Node): boolean {
  return a.depth !== b.depth ? a.depth < b.depth : a.op.id < b.op.id
}
