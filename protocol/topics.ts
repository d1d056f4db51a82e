import type { PeerId } from '@libp2p/interface'

export const PROTOCOL_PREFIX = 'presence-mesh'

/** The gossipsub topic on which a presentity announces its presence records. */
export function presenceTopic (presentity: PeerId | string): string {
  return `/${PROTOCOL_PREFIX}/presence/1/${presentity.toString()}`
}

/** Returns the presentity a presence topic belongs to, or undefined for other topics. */
export function presentityOfTopic (topic: string): string | undefined {
  const prefix = `/${PROTOCOL_PREFIX}/presence/1/`
  if (!topic.startsWith(prefix)) return undefined
  const id = topic.slice(prefix.length)
  return id.length > 0 && !id.includes('/') ? id : undefined
}
