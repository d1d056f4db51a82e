/**
 * Where one announcement goes: a contact with a live notify stream gets it
 * there (one hop, no seal, its items unsigned: direct-path.ts), every other
 * audience by gossip (signed, sealed for a pair topic, plain on the public
 * topic). A pair topic nobody subscribes to gets nothing: nobody would
 * receive it, and a subscriber that comes triggers a fresh announcement
 * (docs/protocol.md §8.3). Everything up to the stream writes is synchronous,
 * and they come first: nothing is signed before them.
 *
 * What it tells back is who was sent the message: a contact on its stream or
 * among gossipsub's recipients. A subscriber is not one while gossipsub has
 * no outbound stream to it yet (its subscription comes on the stream it
 * opened to us): such a publish goes to nobody, and the new subscriber still
 * needs the record (new-subscribers.ts).
 */
import { directForAudience, sealForAudience } from './announcement.js'
import type { Announcement } from './announcement.js'
import type { Audience } from './audience.js'
import type { DirectPath } from './direct-path.js'
import type { PubSub } from '../pubsub.js'
import type { Logger } from '@libp2p/interface'

export interface Delivered {
  /** The contact audiences (device peer ids) sent the message: on their stream, or by gossip to the device itself. */
  reached: string[]
  /** Who gossipsub sent the public topic's record to, when it went there. */
  publicRecipients?: string[]
}

export async function deliver (announcement: Announcement, audiences: readonly Audience[], direct: DirectPath, pubsub: Pick<PubSub, 'publish' | 'getSubscribers'>, log: Logger, farewell = false): Promise<Delivered> {
  const delivered: Delivered = { reached: [] }
  // a goodbye to whoever lost sight is the last frame on its stream (it may have no gossip subscription we know of)
  const sent = (a: Audience): boolean => (farewell && direct.farewell(a.id, directForAudience(announcement, a))) || direct.send(a.id, announcement, a)
  const gossip = audiences.filter(a => {
    if (a.pair == null || !sent(a)) return true
    delivered.reached.push(a.id)
    return false
  })
  await Promise.all(gossip.map(async (a) => {
    try {
      if (a.pair != null && pubsub.getSubscribers(a.topic).length === 0) return
      const result = await pubsub.publish(a.topic, sealForAudience(announcement, a))
      log.trace('announced seq %s to %s (version %d, %d peers)', announcement.seq, a.id, a.version, result.recipients.length)
      const recipients = result.recipients.map(p => p.toString())
      if (a.pair == null) delivered.publicRecipients = recipients
      else if (recipients.includes(a.id)) delivered.reached.push(a.id)
    } catch (err) {
      log.error('could not announce presence to %s - %e', a.id, err)
    }
  }))
  return delivered
}
