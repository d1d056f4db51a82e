/**
 * How one contact message reaches its recipient: on a stream of our own to
 * it, or, for a request with a contact code, through the code's intake
 * (node/reach, docs/protocol.md §8.7). Such a request says where to answer
 * (reply addresses), since the recipient has not met us.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { CODE_P2P } from '@multiformats/multiaddr'
import { decodeContactReceipt, MAX_CONTACT_RECEIPT_BYTES, MAX_REPLY_ADDR_BYTES, MAX_REPLY_ADDRS } from '../../protocol/contact-request.js'
import { anySignal, sharedSignal } from '../signals.js'
import { parseMultiaddrs } from '../util/multiaddrs.js'
import type { Reach } from '../reach/index.js'
import type { Logger, PeerStore } from '@libp2p/interface'
import type { AddressManager, ConnectionManager } from '@libp2p/interface-internal'
import { openStreamTo } from '../util/open-stream.js'
import { askOnce } from '../util/ask-once.js'


export type DeliveryOutcome = 'stored' | 'refused' | 'retry-later' | 'unreachable'

export interface DeliveryDeps {
  protocol: string
  connectionManager: Pick<ConnectionManager, 'getConnections' | 'openStream'>
  reach?: Pick<Reach, 'sendThroughCode'>
  log: Logger
}

/** One attempt: the recipient stored it, refused it for good, asked us to try later, or was not reached. */
export async function deliverOnce (to: string, envelope: Uint8Array, code: string | undefined, deps: DeliveryDeps, timeoutMs: number, stop?: AbortSignal): Promise<DeliveryOutcome> {
  const timeout = AbortSignal.timeout(timeoutMs)
  const signal = stop != null ? sharedSignal(anySignal([timeout, stop])) : timeout
  try {
    let answer: Uint8Array
    if (code != null && deps.reach != null) {
      answer = await deps.reach.sendThroughCode(code, deps.protocol, envelope, { signal })
    } else {
      const stream = await openStreamTo(deps.connectionManager, peerIdFromString(to), deps.protocol, { signal, runOnLimitedConnection: true })
      answer = await askOnce(stream, envelope, { maxDataLength: MAX_CONTACT_RECEIPT_BYTES, signal })
    }
    const res = decodeContactReceipt(answer)
    if (!res.ok) throw new Error(`not a receipt: ${res.reason}`)
    return res.receipt.accepted ? 'stored' : res.receipt.retryLater === true ? 'retry-later' : 'refused'
  } catch (err: any) {
    deps.log('could not deliver to %s - %s', to, err?.message)
    return 'unreachable'
  }
}

/** Where we can be reached, for a request through an intake: at most MAX_REPLY_ADDRS, without /p2p/<us>. */
export function replyAddresses (addressManager: Pick<AddressManager, 'getAddresses'>): Uint8Array[] {
  return addressManager.getAddresses()
    .map(ma => ma.decapsulateCode(CODE_P2P).bytes)
    .filter(b => b.length <= MAX_REPLY_ADDR_BYTES)
    .slice(0, MAX_REPLY_ADDRS)
}

/** Keeps a requester's own word for where to answer it (the parts that parse). */
export async function learnAddresses (peerStore: Pick<PeerStore, 'merge'>, peer: string, addrs: Uint8Array[], log: Logger): Promise<void> {
  const multiaddrs = parseMultiaddrs(addrs)
  await peerStore.merge(peerIdFromString(peer), { multiaddrs }).catch((err: unknown) => { log('could not keep the addresses of %s - %e', peer, err) })
}
