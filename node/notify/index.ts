/**
 * The direct presence path (/presence-mesh/notify/2.0.0, docs/protocol.md
 * §11): a presentity pushes each record over a long-lived stream to every
 * directly connected watcher that may see it, one hop instead of gossip's.
 * The stream carries opaque bytes (what presence sends to one audience);
 * presence decides what they are and what a watcher does with them.
 *
 * A watcher subscribes (opens the stream) to the presentities presence
 * listens to, while connected to them; the presentity accepts only a
 * watcher the roster lets see it, sends the newest bytes at once, then each
 * new record. Gossip stays the path for everyone else.
 */
import { NotifyService } from './notify-service.js'
import type { NotifyServiceComponents } from './notify-service.js'
import type { TypedEventTarget } from '@libp2p/interface'

export type { NotifyServiceComponents } from './notify-service.js'
export { NOTIFY_CAPABILITY, NOTIFY_PROTOCOL } from './constants.js'
export * from './errors.js'

export interface PresenceNotifyInit {
  /** First retry of a broken or refused subscription; doubles up to resubscribeCapMs. */
  resubscribeBaseMs?: number
  resubscribeCapMs?: number
  openTimeoutMs?: number
}

export interface NotifyRecordEvent {
  /** The presentity (the stream's authenticated remote peer). */
  from: string
  bytes: Uint8Array
}

export interface NotifyLostEvent {
  /** The watcher whose stream ended without our asking. */
  peer: string
  /** The newest bytes sent to it: they may not have arrived. */
  bytes: Uint8Array
}

export interface PresenceNotifyEvents {
  /** Watcher side: bytes a presentity sent us directly. */
  'notify:record': CustomEvent<NotifyRecordEvent>
  /** Presentity side: a watcher's stream broke; deliver `bytes` some other way. */
  'notify:lost': CustomEvent<NotifyLostEvent>
}

export interface NotifyStats {
  /** Frames written to watchers. */
  sent: number
  /** Frames a stalled watcher never got because a newer one replaced them. */
  skipped: number
  /** Frames received from presentities. */
  received: number
  /** Subscriptions refused (the roster does not let that peer see us). */
  refused: number
  /** Streams ended for breaking the protocol. */
  violations: number
}

export interface PresenceNotify extends TypedEventTarget<PresenceNotifyEvents> {
  /**
   * Presentity side: queues `bytes` for `peer` on its notify stream and
   * remembers them as the newest for it (a later subscription gets them at
   * once). False when `peer` has no live stream or may not see us: deliver
   * them some other way.
   */
  send: (peer: string, bytes: Uint8Array) => boolean
  /**
   * Presentity side: drops the newest bytes kept for `peers` (every watcher
   * when undefined): what they may see changed, so neither a new
   * subscription nor a broken stream gets those bytes again.
   */
  forget: (peers?: Iterable<string>) => void
  /**
   * Presentity side: the last frame to a watcher that just lost sight of us
   * (presence's goodbye), then its stream is closed. False when it has no
   * stream left: deliver them some other way.
   */
  farewell: (peer: string, bytes: Uint8Array) => boolean
  /** Watcher side: the presentities to subscribe to while connected (replaces the previous list). */
  listen: (presentities: Iterable<string>) => void
  /**
   * Watcher side: `receiver` gets what presentities send us, called at once
   * as each frame is read (no event object per frame: the one consumer,
   * presence, is on the hot path); undefined removes it. The
   * 'notify:record' event still fires while anyone listens to it.
   */
  setReceiver?: (receiver: ((from: string, bytes: Uint8Array) => void) | undefined) => void
  /** Watchers with a live notify stream from us. */
  watchers: () => string[]
  /** Presentities whose notify stream to us is live. */
  subscriptions: () => string[]
  getStats: () => NotifyStats
}

export function presenceNotify (init: PresenceNotifyInit = {}): (components: NotifyServiceComponents) => PresenceNotify {
  return (components) => new NotifyService(components, init)
}
