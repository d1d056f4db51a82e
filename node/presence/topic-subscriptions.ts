/**
 * The gossipsub topics presence is subscribed to, each with presence's
 * validator: exactly the topics it wants, nothing else, so no subscription
 * says more than it must.
 */
import type { PubSub } from '../pubsub.js'

export class TopicSubscriptions {
  private readonly subscribed = new Set<string>()

  constructor (private readonly pubsub: Pick<PubSub, 'subscribe' | 'unsubscribe' | 'topicValidators'>, private readonly validate: PubSub['topicValidators'] extends Map<string, infer V> ? V : never) {}

  /** Subscribes to `wanted` and unsubscribes from every other topic it subscribed to. */
  sync (wanted: ReadonlySet<string>): void {
    for (const topic of this.subscribed) {
      if (wanted.has(topic)) continue
      this.pubsub.unsubscribe(topic)
      this.pubsub.topicValidators.delete(topic)
      this.subscribed.delete(topic)
    }
    for (const topic of wanted) {
      if (this.subscribed.has(topic)) continue
      this.pubsub.topicValidators.set(topic, this.validate)
      this.pubsub.subscribe(topic)
      this.subscribed.add(topic)
    }
  }

  /** On stop: its validators go (gossipsub itself stops with the node), nothing is left to sync. */
  clear (): void {
    for (const topic of this.subscribed) this.pubsub.topicValidators.delete(topic)
    this.subscribed.clear()
  }
}
