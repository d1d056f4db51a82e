/**
 * One request, one answer on a stream: the opener's side of every
 * request/answer protocol of the node (device lists, contact sync, contact
 * messages, category queries, group catch-up and invitations).
 */
import { lpStream } from '@libp2p/utils'
import type { Stream } from '@libp2p/interface'

export interface AskOnceOptions {
  /** The largest answer (and request) frame, bytes. */
  maxDataLength: number
  signal: AbortSignal
}

/**
 * Writes `request` as one length-prefixed frame, reads one frame back and
 * closes the stream. The answer stands once read: a failing close is not an
 * error. Any other failure aborts the stream and is thrown.
 */
export async function askOnce (stream: Stream, request: Uint8Array, { maxDataLength, signal }: AskOnceOptions): Promise<Uint8Array> {
  try {
    const lp = lpStream(stream, { maxDataLength })
    await lp.write(request, { signal })
    const answer = (await lp.read({ signal })).subarray()
    await stream.close({ signal }).catch(() => {})
    return answer
  } catch (err: any) {
    stream.abort(err instanceof Error ? err : new Error(String(err)))
    throw err
  }
}
