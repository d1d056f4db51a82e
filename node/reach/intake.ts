/**
 * The requester's side of a contact code's intake (docs/protocol.md §8.7):
 * a short-lived libp2p node with the code's intake identity dials the code's
 * owner (directly or through its relay), exchanges one length-prefixed
 * message on one stream, and stops. The owner admits this identity while
 * the code is current; the message inside is signed by the requester.
 */
import { multiaddr } from '@multiformats/multiaddr'
import { askOnce } from '../util/ask-once.js'
import { withoutOwnId } from '../util/multiaddrs.js'
import type { Libp2p, PeerId, PrivateKey } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

/** Builds the intake node (node/libp2p.ts: the one place libp2p is wired). */
export type IntakeNodeFactory = (key: PrivateKey) => Promise<Libp2p>


/** The owner's addresses as dial targets: without any /p2p/ of their own, then /p2p/<owner>. */
export function dialTargets (owner: PeerId, addrs: Array<Multiaddr | Uint8Array>, max: number): Multiaddr[] {
  const seen = new Set<string>()
  const out: Multiaddr[] = []
  for (const a of addrs) {
    let ma: Multiaddr
    try {
      ma = a instanceof Uint8Array ? multiaddr(a) : a
    } catch {
      continue
    }
    // a relayed address ends in /p2p-circuit (the relay's /p2p/ stays); a direct one loses a trailing /p2p/
    const target = withoutOwnId(ma, owner.toString()).encapsulate(`/p2p/${owner.toString()}`)
    if (seen.has(target.toString())) continue
    seen.add(target.toString())
    out.push(target)
    if (out.length >= max) break
  }
  return out
}

export interface IntakeExchange {
  key: PrivateKey
  targets: Multiaddr[]
  protocol: string
  message: Uint8Array
  maxAnswerBytes: number
  signal: AbortSignal
  createNode: IntakeNodeFactory
}

/** One message out, one answer back, through the intake identity; the node is stopped in every outcome. */
export async function exchangeThroughIntake (x: IntakeExchange): Promise<Uint8Array> {
  const node = await x.createNode(x.key)
  try {
    await node.start()
    const stream = await node.dialProtocol(x.targets, x.protocol, { signal: x.signal, runOnLimitedConnection: true })
    return await askOnce(stream, x.message, { maxDataLength: x.maxAnswerBytes, signal: x.signal })
  } finally {
    await Promise.resolve(node.stop()).catch(() => {})
  }
}
