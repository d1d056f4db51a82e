/**
 * Who needs this node's current record again because they just subscribed
 * to an audience's topic (docs/protocol.md §8.3): gossipsub only carries what
 * is published after a peer subscribed, so a new watcher would otherwise wait
 * for the next heartbeat.
 *
 * gossipsub tells a subscription on every new stream, so a watcher that only
 * opened another connection looks new too, and a fresh record for the public
 * topic costs every watcher a signature check. So an audience is announced
 * again only when the subscriber can lack the current record:
 * - not a peer that subscribed to the public topic when the current record
 *   was published to it (it was sent that record);
 * - not an audience an announcement reached after the subscription was seen
 *   (a change or a heartbeat meanwhile covered it);
 * - only the audiences a subscriber joined (a contact's subscription costs
 *   its pair topic one message, not every audience one);
 * - a burst of subscriptions within the debounce costs one announcement.
 */
export class NewSubscribers {
  /** Announcements begun so far: the clock by which "after" is told. */
  private begun = 0
  /** Audience id -> the number of the last announcement that went to it. */
  private readonly lastSent = new Map<string, number>()
  /** Audience id -> announcements begun when its first new subscriber (since the last re-announce) was seen. */
  private readonly waiting = new Map<string, number>()
  /** Subscribers of the public topic when the current record was published to it. */
  private publicReached = new Set<string>()
  private timer?: ReturnType<typeof setTimeout>

  /** `announce(ids)` re-announces to those audiences; called `debounceMs` after the first new subscriber of a burst. */
  constructor (private readonly debounceMs: number, private readonly announce: (ids: string[]) => void) {}

  /** An announcement to these audiences begins; `publicSubscribers` when it goes to the public topic: who subscribes to it now. */
  announcing (ids: Iterable<string>, publicSubscribers?: Iterable<string>): void {
    this.begun++
    for (const id of ids) this.lastSent.set(id, this.begun)
    if (publicSubscribers != null) this.publicReached = new Set(publicSubscribers)
  }

  /** `peer` subscribed to the topic of audience `id` (`isPublic`: the public topic). */
  subscribed (id: string, peer: string, isPublic: boolean): void {
    if (isPublic && this.publicReached.has(peer)) return
    if (!this.waiting.has(id)) this.waiting.set(id, this.begun)
    if (this.timer != null) return
    this.timer = setTimeout(() => {
      this.timer = undefined
      const due = [...this.waiting].filter(([id, seenAt]) => (this.lastSent.get(id) ?? 0) <= seenAt).map(([id]) => id)
      this.waiting.clear()
      if (due.length > 0) this.announce(due)
    }, this.debounceMs)
    this.timer.unref?.()
  }

  /** Forgets what waits (nothing is re-announced after this). */
  stop (): void {
    clearTimeout(this.timer)
    this.timer = undefined
    this.waiting.clear()
  }
}
