/**
 * Entries read from a group topic wait here, in the order read: each is
 * shown at the end of the turn that read it (process.nextTick runs after
 * that turn's promise jobs, gossipsub's dispatch and forward among them) and
 * its commit starts at the next turn of the event loop, so neither the
 * listeners nor the commit hold up the forwarding (docs/protocol.md §12.7).
 */
export class TopicReads<R> {
  private readonly queue: Array<{ read: R, shown?: string[] }> = []
  private showScheduled = false

  /** show: announces a read's texts, returns their ids; commit: starts its commit. */
  constructor (private readonly show: (read: R) => string[], private readonly commit: (read: R, shown: string[]) => void) {}

  push (read: R): void {
    this.queue.push({ read })
    if (this.queue.length === 1) setImmediate(() => { this.flush() })
    if (!this.showScheduled) {
      this.showScheduled = true
      process.nextTick(() => { this.showAll() })
    }
  }

  /** Shows the reads not shown yet, oldest first. */
  showAll (): void {
    this.showScheduled = false
    for (const q of this.queue) q.shown ??= this.show(q.read)
  }

  /** Starts the commits of every waiting read, oldest first (showing any not shown yet). */
  flush (): void {
    this.showAll()
    for (const { read, shown } of this.queue.splice(0)) this.commit(read, shown ?? [])
  }
}
