/**
 * Entries read from a group topic wait here, in the order read: each is
 * shown when gossipsub delivers the message it came in (its `message` event,
 * which gossipsub dispatches right after the validator accepted it and before
 * it forwards it, as to any application on the topic), or else at the end of
 * the turn that read it (process.nextTick runs after that turn's promise
 * jobs). Their commits start at the next turn of the event loop, together,
 * so the commit never holds up the forwarding and the reads of one turn (a
 * burst) share one batch (docs/protocol.md §12.7).
 */
export class TopicReads<R> {
  private readonly queue: Array<{ read: R, key?: object, shown?: string[] }> = []
  private showScheduled = false

  /** show: announces a read's texts, returns their ids; commit: starts the commits of reads, oldest first. */
  constructor (private readonly show: (read: R) => string[], private readonly commit: (reads: Array<{ read: R, shown: string[] }>) => void) {}

  /** key: what gossipsub's `message` event will carry for this read (the message the validator saw). */
  push (read: R, key?: object): void {
    this.queue.push({ read, key })
    if (this.queue.length === 1) setImmediate(() => { this.flush() })
    if (!this.showScheduled) {
      this.showScheduled = true
      process.nextTick(() => { this.showAll() })
    }
  }

  /** gossipsub delivered the message `key`: shows its read, and every read before it not shown yet. */
  delivered (key: object): void {
    const at = this.queue.findIndex(q => q.key === key)
    for (let i = 0; i <= at; i++) this.queue[i].shown ??= this.show(this.queue[i].read)
  }

  /** Shows the reads not shown yet, oldest first. */
  showAll (): void {
    this.showScheduled = false
    for (const q of this.queue) q.shown ??= this.show(q.read)
  }

  /** Starts the commits of every waiting read, oldest first (showing any not shown yet). */
  flush (): void {
    this.showAll()
    const reads = this.queue.splice(0)
    if (reads.length > 0) this.commit(reads.map(({ read, shown }) => ({ read, shown: shown ?? [] })))
  }
}
