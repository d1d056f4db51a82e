/**
 * The one way to name things on the wire: stream protocol ids and gossipsub
 * topics are `/<prefix>/<name>/<version>`, topics followed by `/<id>`.
 */
import type { PeerId } from '@libp2p/interface'

export const PROTOCOL_PREFIX = 'presence-mesh'

/** `/presence-mesh/<name>/<version>`; `prefix` only for test meshes kept apart from real ones. */
export function protocolId (name: string, version: string, prefix: string = PROTOCOL_PREFIX): string {
  return `/${prefix}/${name}/${version}`
}

/** Every presentity's public presence topic starts with this, followed by its peer id. */
export const PRESENCE_TOPIC_PREFIX = `${protocolId('presence', '1')}/`
/** Every pair topic starts with this, followed by 26 base32 characters (docs/protocol.md §8.2). */
export const PAIR_TOPIC_PREFIX = `${protocolId('pair', '1')}/`

/** The gossipsub topic on which a presentity announces its presence records. */
export function presenceTopic (presentity: PeerId | string): string {
  return `${PRESENCE_TOPIC_PREFIX}${presentity.toString()}`
}

/** Returns the presentity a presence topic belongs to, or undefined for other topics. */
export function presentityOfTopic (topic: string): string | undefined {
  if (!topic.startsWith(PRESENCE_TOPIC_PREFIX)) return undefined
  const id = topic.slice(PRESENCE_TOPIC_PREFIX.length)
  return id.length > 0 && !id.includes('/') ? id : undefined
}
