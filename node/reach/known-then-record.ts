/**
 * Which addresses a message through a contact code goes to (docs/protocol.md
 * §8.7): the owner's addresses this node knows already (a bootstrap entry,
 * mDNS, an earlier lookup) are tried at once while the intake record is
 * looked up. Known addresses may be stale, so once they had `graceMs` and the
 * record gave other addresses, the record's are tried instead; while the
 * record gives nothing new, the attempt over the known addresses runs on
 * (on a loaded machine an exchange can take longer than any fixed grace).
 */
import { PeerUnreachableError } from '../errors.js'
import { anySignal, sharedController, sharedSignal } from '../signals.js'
import { sleep } from '../util/wait.js'
import type { Multiaddr } from '@multiformats/multiaddr'

export interface KnownThenRecord {
  owner: string
  /** Dial targets this node knows already; may be empty or stale. */
  known: Multiaddr[]
  /** The intake record's dial targets ([] when none); stopped through its signal once not needed. */
  lookup: (signal: AbortSignal) => Promise<Multiaddr[]>
  /** One exchange with the owner over these targets. */
  send: (targets: Multiaddr[], signal: AbortSignal) => Promise<Uint8Array>
  /** How long the known addresses have before the record's (if it has others) take over. */
  graceMs: number
  signal: AbortSignal
  /** The record's new addresses, before they are tried. */
  onFound?: (found: Multiaddr[]) => Promise<void>
  onKnownFailed?: (err: unknown) => void
}

type Outcome = { answer: Uint8Array } | { err: unknown } | { found: Multiaddr[] }

export async function sendKnownThenRecord (x: KnownThenRecord): Promise<Uint8Array> {
  const lookupDone = sharedController()
  const found = x.lookup(sharedSignal(anySignal([x.signal, lookupDone.signal])))
    .then(targets => targets.filter(t => !x.known.some(k => k.equals(t))), () => [])
  try {
    if (x.known.length > 0) {
      const cut = sharedController()
      const viaKnown: Promise<Outcome> = x.send(x.known, sharedSignal(anySignal([x.signal, cut.signal])))
        .then(answer => ({ answer }), (err: unknown) => ({ err }))
      const viaRecord: Promise<Outcome> = sleep(x.graceMs, { signal: x.signal })
        .then(async () => await found)
        .then(async targets => targets.length > 0 ? { found: targets } : await viaKnown)
      const first = await Promise.race([viaKnown, viaRecord])
      if ('answer' in first) return first.answer
      x.signal.throwIfAborted()
      if ('found' in first) {
        cut.abort()
        return await tryRecord(x, first.found)
      }
      x.onKnownFailed?.(first.err)
    }
    return await tryRecord(x, await found)
  } finally {
    lookupDone.abort()
  }
}

async function tryRecord (x: KnownThenRecord, targets: Multiaddr[]): Promise<Uint8Array> {
  x.signal.throwIfAborted()
  if (targets.length === 0) throw new PeerUnreachableError(x.owner)
  await x.onFound?.(targets)
  return await x.send(targets, x.signal)
}
