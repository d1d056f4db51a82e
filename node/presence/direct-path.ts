/**
 * Presence's side of the direct path (node/notify): the one place the
 * presence service meets it. Records for a contact go on the contact's
 * notify stream when it has one, else by gossip; what arrives on a stream is
 * handed to the same checks as gossip; a stream that broke has its newest
 * record re-sent by gossip (the watcher takes it once, by seq).
 *
 * On the stream the bytes are the signed envelope of the contact's view:
 * Noise already encrypts the stream and authenticates both ends, so there is
 * no pair-key seal per watcher, and watchers with the same view share one
 * envelope (one seal per change and view).
 */
import type { Audience } from './audience.js'
import type { PresenceNotify, NotifyLostEvent, NotifyRecordEvent } from '../notify/index.js'
import type { PubSub } from '../pubsub.js'
import type { Logger } from '@libp2p/interface'

export interface DirectPathHooks {
  /** A record `from` sent us on its notify stream (a signed envelope). */
  receive: (from: string, envelope: Uint8Array) => void
  /** The audience a contact is now, if any. */
  audienceOf: (peer: string) => Audience | undefined
}

export class DirectPath {
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
    this.notify?.addEventListener('notify:record', this.onRecord)
    this.notify?.addEventListener('notify:lost', this.onLost)
  }

  stop (): void {
    this.notify?.removeEventListener('notify:record', this.onRecord)
    this.notify?.removeEventListener('notify:lost', this.onLost)
  }

  /** Sends a contact's envelope on its stream; false: publish it by gossip instead. */
  send (contact: string, envelope: Uint8Array): boolean {
    return this.notify?.send(contact, envelope) ?? false
  }

  /** The presentities whose records we take directly: those heard on a pair channel. */
  listen (presentities: Iterable<string>): void {
    this.notify?.listen(presentities)
  }

  private onRecord (evt: CustomEvent<NotifyRecordEvent>): void {
    this.hooks.receive(evt.detail.from, evt.detail.bytes)
  }

  /** A contact's stream broke after `bytes` went on it: they go by gossip too, sealed for the pair. */
  private onLost (evt: CustomEvent<NotifyLostEvent>): void {
    const { peer, bytes } = evt.detail
    const a = this.hooks.audienceOf(peer)
    if (a == null) return
    this.pubsub.publish(a.topic, a.wrap(bytes)).catch(err => { this.log('could not resend presence to %s - %e', peer, err) })
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
