/**
 * One followed presentity's state (node/discovery/follow.ts runs the loop):
 * its backoff, what was last heard of it, and the signal of its attempts.
 */
import { Wakeup } from '../util/wait.js'
import { anySignal, sharedController } from '../signals.js'
import { FollowSchedule } from './follow-schedule.js'
import type { FollowOptions, FollowStatus } from './follow.js'
import type { PeerId } from '@libp2p/interface'

export class PeerFollow {
  readonly controller = sharedController()
  readonly wakeup = new Wakeup()
  readonly schedule: FollowSchedule
  state: FollowStatus['state'] = 'unlinked'
  lastAttemptAt = 0
  repairs = 0
  lastError?: string
  /** When the last record of the peer arrived, whether it said online, and how long such a record lives. */
  lastRecordAt = 0
  lastRecordOnline = false
  lifetimeMs = 0
  /** When a link was last torn down because it fell silent. */
  silenceRepairAt = 0
  /** When an attempt of the follow last connected to the peer; 0 once it linked (or that connection was counted as failed). */
  connectedAt = 0
  /** That connection closed before it carried a link: the next turn of the loop counts it as a failed attempt. */
  droppedBeforeLink = false
  /** When mDNS seeing the peer last counted as news. */
  mdnsNewsAt = -Infinity
  /** New addresses cut an attempt under way short (dialled at once instead); one cut and signal until one does, not one per attempt. */
  private cut?: AbortController
  private attemptSignal?: AbortSignal
  attempting = false

  constructor (readonly peerId: PeerId, opts: FollowOptions) {
    this.schedule = new FollowSchedule(opts)
  }

  /** The signal for the next attempt, and the cut that ends it early. */
  attempt (): { signal: AbortSignal, cut: AbortSignal } {
    if (this.cut == null || this.attemptSignal == null || this.cut.signal.aborted) {
      this.cut = new AbortController()
      this.attemptSignal = anySignal([this.controller.signal, this.cut.signal])
    }
    return { signal: this.attemptSignal, cut: this.cut.signal }
  }

  /** New addresses: an attempt under way stops. */
  cutShort (): void {
    if (this.attempting) this.cut?.abort()
  }

  /**
   * Try now. `news` of this peer (it disconnected, its record came through
   * someone, it has new addresses, mDNS saw it, it was located by hand) also
   * starts the backoff over; a change elsewhere in the network only earns a
   * cheap try.
   */
  wake (news: boolean): void {
    if (news) this.schedule.news()
    this.wakeup.notify()
  }
}
