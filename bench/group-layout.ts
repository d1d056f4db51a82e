/**
 * How group.delivery spreads its nodes over processes, and how a process
 * reports a run once for all of its members. Pure (bench/group.ts,
 * bench/group-child.ts).
 */

/**
 * Node i runs in process i mod `procs`: the sender (node 0) in process 0,
 * the members as evenly as they go. Returns each process's node indices.
 */
export function spreadNodes (nodes: number, procs: number): number[][] {
  if (!Number.isInteger(nodes) || nodes < 2) throw new RangeError('a group bench needs a sender and at least one member')
  if (!Number.isInteger(procs) || procs < 1) throw new RangeError('at least one process')
  const out: number[][] = Array.from({ length: Math.min(procs, nodes) }, () => [])
  for (let i = 0; i < nodes; i++) out[i % out.length].push(i)
  return out
}

/**
 * One process's arrivals: calls `done(key, t)` once, with the latest time,
 * when each of its `members` has reported `key` (a member's first report
 * counts; repeats, and reports of a finished key, are ignored).
 */
export class LocalArrivals {
  private readonly seen = new Map<string, { members: Set<number>, last: number }>()
  private readonly finished = new Set<string>()

  constructor (private readonly members: number, private readonly done: (key: string, t: number) => void) {}

  arrive (key: string, member: number, t: number): void {
    if (this.finished.has(key)) return
    let s = this.seen.get(key)
    if (s == null) {
      s = { members: new Set(), last: -Infinity }
      this.seen.set(key, s)
    }
    if (s.members.has(member)) return
    s.members.add(member)
    s.last = Math.max(s.last, t)
    if (s.members.size < this.members) return
    this.seen.delete(key)
    this.finished.add(key)
    this.done(key, s.last)
  }
}

/**
 * The order in which the members subscribe to the raw topic so that the
 * sender holds them in the same order as on the group's topic. gossipsub
 * floods a publish to the topic's peers in the order it learned their
 * subscriptions, and that order decides which process gets its copies first
 * and whether a process's members get theirs back to back (one wake-up) or
 * spread over the sends: both kinds must go out in the same order.
 * `groupTopicPeers` is the sender's peer order on the group's topic.
 */
export function sameSendOrder (groupTopicPeers: string[], members: Array<{ index: number, peerId: string }>): number[] {
  const byPeer = new Map(members.map(m => [m.peerId, m.index]))
  const order = groupTopicPeers.filter(p => byPeer.has(p)).map(p => byPeer.get(p) as number)
  if (new Set(order).size !== members.length) throw new Error(`the sender holds ${new Set(order).size} of ${members.length} members on the group's topic`)
  return order
}
