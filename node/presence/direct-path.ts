/**
 * Presence's side of the direct path (node/notify): the one place the
 * presence service meets it. A contact's message goes on its notify stream
 * when it has one (delivery.ts), else by gossip; what arrives on a stream is
 * handed to the same checks as gossip; a stream that broke has its newest
 * message re-sent by gossip (the watcher takes it once, by seq).
 *
 * On the stream a message is what the contact's audience sees
 * (announcement.ts directForAudience: the items unsigned, version 3, for a
 * reader of bundles, else the version 1 record): Noise already encrypts the
 * stream and authenticates both ends, so there is no pair-key seal per
 * watcher and no signature before the write, and watchers that see the same
 * share one message (docs/protocol.md §11). Gossip carries the signed copy
 * (innerForAudience) of the same announcement.
 */
import { sealPairMessage } from '../../protocol/category-bundle.js'
import { directForAudience, innerForAudience } from './announcement.js'
import type { Announcement } from './announcement.js'
import type { Audience } from './audience.js'
import type { PresenceNotify, NotifyLostEvent, NotifyRecordEvent } from '../notify/index.js'
import type { PubSub } from '../pubsub.js'
import type { Logger } from '@libp2p/interface'

export interface DirectPathHooks {
  /** Inner bytes `from` sent us on its notify stream. */
  receive: (from: string, inner: Uint8Array) => void
  /** The audience a contact is now, if any. */
  audienceOf: (peer: string) => Audience | undefined
}

export class DirectPath {
  /** The bytes sent on streams -> their signed copy for the pair topic, made when a stream that carried them breaks. */
  private readonly gossipCopies = new WeakMap<Uint8Array, () => Uint8Array>()

  constructor (
    private readonly notify: PresenceNotify | undefined,
    private readonly pubsub: Pick<PubSub, 'publish'>,
    private readonly log: Logger,
    private readonly hooks: DirectPathHooks
  ) {
    this.onRecord = this.onRecord.bind(this)
    this.onLost = this.onLost.bind(this)
  }

  start (): void {
    // a direct call where the notify service takes one (no event per frame), else its event
    if (this.notify?.setReceiver != null) this.notify.setReceiver(this.hooks.receive)
    else this.notify?.addEventListener('notify:record', this.onRecord)
    this.notify?.addEventListener('notify:lost', this.onLost)
  }

  stop (): void {
    this.notify?.setReceiver?.(undefined)
    this.notify?.removeEventListener('notify:record', this.onRecord)
    this.notify?.removeEventListener('notify:lost', this.onLost)
  }

  /** Sends `announcement` as `audience` sees it on the contact's stream; false: deliver it by gossip instead. */
  send (contact: string, announcement: Announcement, audience: Audience): boolean {
    if (this.notify == null) return false
    const bytes = directForAudience(announcement, audience)
    // what gossip carries instead if the stream breaks: the signed copy of the same (signed then)
    if (!this.gossipCopies.has(bytes)) this.gossipCopies.set(bytes, () => innerForAudience(announcement, audience))
    return this.notify.send(contact, bytes)
  }

  /** The goodbye to a contact that just lost sight, as the last frame on its stream; false: deliver it by gossip. */
  farewell (contact: string, inner: Uint8Array): boolean {
    return this.notify?.farewell(contact, inner) ?? false
  }

  /** What `peers` (everyone when undefined) may see changed: the bytes last sent to them are not sent again. */
  forget (peers?: Iterable<string>): void {
    this.notify?.forget(peers)
  }

  /** The presentities whose messages we take directly: the contacts heard on their pair channel. */
  listen (presentities: Iterable<string>): void {
    this.notify?.listen(presentities)
  }

  private onRecord (evt: CustomEvent<NotifyRecordEvent>): void {
    this.hooks.receive(evt.detail.from, evt.detail.bytes)
  }

  /** A contact's stream broke after `bytes` went on it: their signed copy goes by gossip, sealed for the pair. */
  private onLost (evt: CustomEvent<NotifyLostEvent>): void {
    const { peer, bytes } = evt.detail
    const pair = this.hooks.audienceOf(peer)?.pair
    if (pair == null) return
    // the stream's bytes may be unsigned (version 3): only their signed copy may go by gossip
    const inner = this.gossipCopies.get(bytes)?.()
    if (inner == null) { this.log('no signed copy of what the lost stream to %s carried: nothing resent (the next record covers it)', peer); return }
    this.pubsub.publish(pair.topic, sealPairMessage(pair.presence, pair.topic, inner))
      .catch(err => { this.log('could not resend presence to %s - %e', peer, err) })
  }
}

/** The notify service when the node has one (an app's own libp2p node may run presence without it). */
export function optionalNotify (components: { presenceNotify?: PresenceNotify }): PresenceNotify | undefined {
  try {
    return components.presenceNotify
  } catch (err: any) {
    // libp2p's components throw for a service the node was built without
    if (err?.name === 'MissingServiceError') return undefined
    throw err
  }
}
