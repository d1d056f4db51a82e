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
