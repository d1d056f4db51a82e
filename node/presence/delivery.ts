/**
 * Where one announcement goes: a contact with a live notify stream gets it
 * there (one hop, no seal, its items unsigned: direct-path.ts), every other
 * audience by gossip (signed, sealed for a pair topic, plain on the public
 * topic). A pair topic nobody subscribes to gets nothing: nobody would
 * receive it, and a subscriber that comes triggers a fresh announcement
 * (docs/protocol.md §8.3). Everything up to the stream writes is synchronous,
 * and they come first: nothing is signed before them.
 */
import { directForAudience, sealForAudience } from './announcement.js'
import type { Announcement } from './announcement.js'
import type { Audience } from './audience.js'
import type { DirectPath } from './direct-path.js'
import type { PubSub } from '../pubsub.js'
import type { Logger } from '@libp2p/interface'

export async function deliver (announcement: Announcement, audiences: readonly Audience[], direct: DirectPath, pubsub: Pick<PubSub, 'publish' | 'getSubscribers'>, log: Logger, farewell = false): Promise<void> {
  // a goodbye to whoever lost sight is the last frame on its stream (it may have no gossip subscription we know of)
  const sent = (a: Audience): boolean => (farewell && direct.farewell(a.id, directForAudience(announcement, a))) || direct.send(a.id, announcement, a)
  const gossip = audiences.filter(a => a.pair == null || !sent(a))
  await Promise.all(gossip.map(async (a) => {
    try {
      if (a.pair != null && pubsub.getSubscribers(a.topic).length === 0) return
      const result = await pubsub.publish(a.topic, sealForAudience(announcement, a))
      log.trace('announced seq %s to %s (version %d, %d peers)', announcement.seq, a.id, a.version, result.recipients.length)
    } catch (err) {
      log.error('could not announce presence to %s - %e', a.id, err)
    }
  }))
}
