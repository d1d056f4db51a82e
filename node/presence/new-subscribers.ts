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
 * - not a subscriber of the public topic that the current record was sent to
 *   (gossipsub named it among the publish's recipients);
 * - not a contact that an announcement begun after its subscription was seen
 *   reached (a change or a heartbeat meanwhile covered it);
 * - only the audiences a subscriber joined (a contact's subscription costs
 *   its pair topic one message, not every audience one);
 * - a burst of subscriptions within the debounce costs one announcement.
 *
 * Reached means sent to that peer itself (delivery.ts), not just published:
 * a subscription arrives on the stream the subscriber opened, before
 * gossipsub's outbound stream to it is open, and a publish meanwhile goes to
 * nobody. Counted as reached, such a publish once left a contact without the
 * record that tells it this node reads bundles, and it sent version 1
 * records (no calendar, no card) until its next heartbeat.
 */
import { PUBLIC_AUDIENCE_ID } from './audience.js'

/**
 * Announcements to a new subscriber that none reached, the first included:
 * with the 250 ms debounce they run until ~16 s after the subscription, just
 * before the heartbeat (20 s by default). Under load gossipsub's outbound
 * stream to a peer can take seconds to open after its subscription came in
 * (and after an unblock the connection itself must come back first); three
 * tries covered only 1.75 s. Each costs one sealed record on one pair topic,
 * and only while it reached nobody. (The 15-20 s an unblocked contact waits
 * in loaded test runs has another cause: what reaches it is rejected as a
 * replay and counts as reached: docs/benchmarks.md, "The suite, session 14".)
 */
export const REANNOUNCE_ATTEMPTS = 6
const RETRIES = REANNOUNCE_ATTEMPTS - 1

export class NewSubscribers {
  /** Announcements begun so far: the clock by which "after" is told. */
  private begun = 0
  /** Contact audience id -> the number of the last announcement that reached it. */
  private readonly lastSent = new Map<string, number>()
  /** Contact audience id -> announcements begun when its new subscription (since the last re-announce) was seen. */
  private readonly waiting = new Map<string, number>()
  /** New subscribers of the public topic not known to have the current record. */
  private readonly waitingPublic = new Set<string>()
  /** Who gossipsub sent the current public record to, and that announcement's number. */
  private publicReached = new Set<string>()
  private publicAt = 0
  private timer?: ReturnType<typeof setTimeout>

  /** `announce(ids)` re-announces to those audiences; called `debounceMs` after the first new subscriber of a burst. */
  constructor (private readonly debounceMs: number, private readonly announce: (ids: string[]) => void) {}

  /** An announcement begins: its number, for `reached`. */
  announcing (): number {
    return ++this.begun
  }

  /** Announcement `n` was sent to these contact audiences, and (`publicRecipients`, when it went to the public topic) to those peers. */
  reached (n: number, ids: Iterable<string>, publicRecipients?: Iterable<string>): void {
    for (const id of ids) if ((this.lastSent.get(id) ?? 0) < n) this.lastSent.set(id, n)
    if (publicRecipients == null || n < this.publicAt) return
    this.publicAt = n
    this.publicReached = new Set(publicRecipients)
  }

  /** `peer` subscribed to the topic of audience `id` (`isPublic`: the public topic). */
  subscribed (id: string, peer: string, isPublic: boolean): void {
    if (isPublic) {
      if (this.publicReached.has(peer)) return
      this.waitingPublic.add(peer)
    } else if (!this.waiting.has(id)) {
      this.waiting.set(id, this.begun)
    }
    if (this.timer == null) this.check(0)
  }

  /**
   * Who still waits is re-announced to after the debounce; whoever that did
   * not reach either (gossipsub's stream to it still opening) is looked at
   * again after twice as long, up to RETRIES times.
   */
  private check (round: number): void {
    this.timer = setTimeout(() => {
      this.timer = undefined
      const contacts = [...this.waiting].filter(([id, seenAt]) => (this.lastSent.get(id) ?? 0) <= seenAt).map(([id]) => id)
      const watchers = [...this.waitingPublic].filter(p => !this.publicReached.has(p))
      this.waiting.clear()
      this.waitingPublic.clear()
      const due = watchers.length > 0 ? [...contacts, PUBLIC_AUDIENCE_ID] : contacts
      if (due.length === 0) return
      if (round < RETRIES) {
        // they wait until an announcement begun from now on (the re-announcement) reaches them
        for (const id of contacts) this.waiting.set(id, this.begun)
        for (const p of watchers) this.waitingPublic.add(p)
        this.check(round + 1)
      }
      this.announce(due)
    }, this.debounceMs * 2 ** round)
    this.timer.unref?.()
  }

  /** Forgets what waits (nothing is re-announced after this). */
  stop (): void {
    clearTimeout(this.timer)
    this.timer = undefined
    this.waiting.clear()
    this.waitingPublic.clear()
  }
}
